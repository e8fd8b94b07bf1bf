//! One `setsockopt` for the integer options socket2 does not wrap (DF, the ICMP error queue,
//! the unicast interface), so each backend states only which option and which value.

use std::io;

use socket2::Socket;

/// Sets the `c_int` option `level`/`name` to `value`.
#[cfg(unix)]
pub(crate) fn set_int(
    sock: &Socket,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    // SAFETY: the option value is a c_int that lives for the whole call, and its size is passed.
    let rc = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sets the DWORD option `level`/`name` to `value`.
#[cfg(windows)]
pub(crate) fn set_u32(sock: &Socket, level: i32, name: i32, value: u32) -> io::Result<()> {
    use std::os::windows::io::AsRawSocket;

    use windows_sys::Win32::Networking::WinSock::{
        SOCKET, SOCKET_ERROR, WSAGetLastError, setsockopt,
    };

    // SAFETY: the option value is a u32 that lives for the whole call, and its size is passed.
    let rc = unsafe {
        setsockopt(
            sock.as_raw_socket() as SOCKET,
            level,
            name,
            (&value as *const u32).cast(),
            std::mem::size_of::<u32>() as i32,
        )
    };
    if rc == SOCKET_ERROR {
        // SAFETY: reads the calling thread's last Winsock error.
        let code = unsafe { WSAGetLastError() };
        return Err(io::Error::from_raw_os_error(code));
    }
    Ok(())
}
