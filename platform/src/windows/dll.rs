//! Loading wintun.dll from masq's own directory only (never the DLL search path).

use std::io;

use libloading::os::windows::{
    LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR, LOAD_LIBRARY_SEARCH_SYSTEM32, Library,
};

use crate::win_logic::dll_path::wintun_dll_path;

/// The Wintun API, loaded from the wintun.dll next to masq.exe.
pub(crate) fn load_wintun() -> io::Result<wintun::Wintun> {
    let exe = std::env::current_exe()?;
    let path = wintun_dll_path(&exe)?;
    if !path.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{} is missing: masq loads Wintun only from its own directory; reinstall masq or put the wintun.dll for this CPU architecture there",
                path.display()
            ),
        ));
    }
    // SAFETY: the path is absolute and in masq's own (installer-protected) directory; the
    // flags keep the loader from resolving wintun.dll's own imports anywhere but that
    // directory and System32. Wintun's DllMain does no more than initialize its state.
    let library = unsafe {
        Library::load_with_flags(
            &path,
            LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32,
        )
    }
    .map_err(|e| io::Error::other(format!("cannot load {}: {e}", path.display())))?;
    // SAFETY: the library is Wintun's (see above), whose exports match the crate's bindings.
    unsafe { wintun::load_from_library(library) }.map_err(|e| {
        io::Error::other(format!(
            "{} is not a usable Wintun library: {e}",
            path.display()
        ))
    })
}
