//! Questions about other processes: is a journal's writer still masq, is Internet Sharing's
//! DHCP server running.

/// The short name of process `pid` (proc_name(3)), `None` if it does not exist.
pub(crate) fn process_name(pid: u32) -> Option<Vec<u8>> {
    let pid = libc::c_int::try_from(pid).ok()?;
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is valid for writes of the size passed.
    let n = unsafe { libc::proc_name(pid, buf.as_mut_ptr().cast(), buf.len() as u32) };
    let n = usize::try_from(n).ok().filter(|&n| n > 0)?;
    Some(buf[..n.min(buf.len())].to_vec())
}

/// Whether a process called `name` runs (by short name, as `ps -c` shows it).
pub(crate) fn running(name: &str) -> bool {
    // A first call with no buffer returns how many pids there are; leave room for new ones.
    // SAFETY: a null buffer of size 0 only asks for the count.
    let count = unsafe { libc::proc_listallpids(std::ptr::null_mut(), 0) };
    let Ok(count) = usize::try_from(count) else {
        return false;
    };
    let mut pids = vec![0 as libc::c_int; count + 64];
    let bytes = libc::c_int::try_from(pids.len() * std::mem::size_of::<libc::c_int>())
        .unwrap_or(libc::c_int::MAX);
    // SAFETY: `pids` is valid for writes of `bytes` bytes.
    let n = unsafe { libc::proc_listallpids(pids.as_mut_ptr().cast(), bytes) };
    let Ok(n) = usize::try_from(n) else {
        return false;
    };
    pids.iter()
        .take(n.min(pids.len()))
        .filter_map(|&pid| u32::try_from(pid).ok())
        .any(|pid| process_name(pid).is_some_and(|p| p == name.as_bytes()))
}
