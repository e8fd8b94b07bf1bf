//! What one socket may do in a turn of the data-path loop, and what the OS said about it:
//! shared by the socket kinds of the Unix shell (`reactor_tcp`, `reactor_datagram`) and the
//! set that drives them (`reactor`), which is why it is not in any of them.

/// Reads (or accepts) per socket per turn before it waits on the `ready` list.
pub(super) const READS_PER_TURN: usize = 32;

/// What the OS reported about one socket.
#[derive(Debug, Clone, Copy)]
pub(super) struct Readiness {
    pub readable: bool,
    pub writable: bool,
    pub error: bool,
    /// The peer finished sending (or the connection broke): a short read no longer proves
    /// that the socket is empty.
    pub read_closed: bool,
}

impl Readiness {
    /// A socket on the `ready` list: it had more to read when its budget ran out.
    pub(super) const READ_MORE: Readiness = Readiness {
        readable: true,
        writable: false,
        error: false,
        read_closed: false,
    };
}
