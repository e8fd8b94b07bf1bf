//! Where wintun.dll may be loaded from: the directory of masq's own executable, nothing else.
//!
//! Loading a DLL by bare name walks the DLL search path (current directory, PATH, ...), where
//! anyone who can write a directory on it could plant a wintun.dll that then runs inside an
//! elevated service. masq computes the absolute path next to its executable and loads only
//! that file, with the search restricted to that file's directory and System32.

use std::io;
use std::path::{Path, PathBuf};

/// File name of the Wintun library shipped next to masq.exe.
pub(crate) const WINTUN_DLL: &str = "wintun.dll";

/// The only place wintun.dll is accepted from, given the path of the running executable.
pub(crate) fn wintun_dll_path(exe: &Path) -> io::Result<PathBuf> {
    if !exe.is_absolute() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the executable path {} is not absolute, so the directory to load {WINTUN_DLL} from is unknown",
                exe.display()
            ),
        ));
    }
    match exe.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => Ok(dir.join(WINTUN_DLL)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the executable path {} has no directory", exe.display()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dll_sits_next_to_the_executable() {
        let exe = if cfg!(windows) {
            PathBuf::from(r"C:\Program Files\masq\masq.exe")
        } else {
            PathBuf::from("/opt/masq/masq.exe")
        };
        let dll = wintun_dll_path(&exe).unwrap();
        assert_eq!(dll.parent(), exe.parent());
        assert!(dll.ends_with(WINTUN_DLL));
        assert!(dll.is_absolute());
    }

    #[test]
    fn relative_or_bare_paths_are_refused() {
        let err = wintun_dll_path(Path::new("masq.exe")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(wintun_dll_path(Path::new("bin/masq.exe")).is_err());
    }
}
