//! Which paths name a local named pipe: the only control "path" accepted on Windows.
//!
//! Checked before anything is created or opened, so a control path meant for unix (or a file
//! path from a config) fails with a sentence saying what is expected, and a pipe on another
//! machine (`\\server\pipe\…`) is never even tried.

use std::path::Path;

/// The local named-pipe namespace.
const PREFIX: &str = r"\\.\pipe\";
/// Longest pipe name Windows accepts (the whole path, in UTF-16 units).
const MAX_LEN: usize = 256;

/// `Ok(path as text)` if `path` is a local pipe name, else what is wrong with it.
pub(crate) fn check_pipe_name(path: &Path) -> Result<&str, String> {
    let expected = format!("expected a local named pipe such as {PREFIX}masq-control");
    let Some(text) = path.to_str() else {
        return Err(format!(
            "{} is not valid Unicode; {expected}",
            path.display()
        ));
    };
    let name = text
        .get(..PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(PREFIX))
        .map(|_| &text[PREFIX.len()..]);
    match name {
        None => Err(format!("{text} is not a named pipe; {expected}")),
        Some("") => Err(format!("{text} has no pipe name; {expected}")),
        Some(_) if text.encode_utf16().count() > MAX_LEN => Err(format!(
            "{text} is longer than the {MAX_LEN} characters Windows allows for a pipe name"
        )),
        Some(_) => Ok(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_pipe_names_pass() {
        for good in [r"\\.\pipe\masq-control", r"\\.\PIPE\masq\test-1"] {
            assert_eq!(check_pipe_name(Path::new(good)).unwrap(), good);
        }
        for (bad, why) in [
            ("/run/masq/control.sock", "not a named pipe"),
            (r"C:\masq\control", "not a named pipe"),
            (r"\\server\pipe\masq-control", "not a named pipe"),
            (r"\\.\pipe\", "no pipe name"),
            ("", "not a named pipe"),
        ] {
            let e = check_pipe_name(Path::new(bad)).unwrap_err();
            assert!(e.contains(why) && e.contains("masq-control"), "{bad}: {e}");
        }
        let long = format!(r"\\.\pipe\{}", "x".repeat(300));
        assert!(
            check_pipe_name(Path::new(&long))
                .unwrap_err()
                .contains("256")
        );
    }
}
