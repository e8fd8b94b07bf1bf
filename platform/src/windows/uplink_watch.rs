//! Windows uplink watch: the route and IP-interface notifications of [`super::NetworkWatch`]
//! (NotifyRouteChange2 / NotifyIpInterfaceChange), forwarded as hints by a small thread.
//!
//! The thread ends by itself once the watch is dropped: dropping `NetworkWatch` cancels the
//! notifications and frees their sender, which disconnects the channel the thread reads.

use tokio::sync::mpsc;

use super::NetworkWatch;
use crate::PlatformError;
use crate::uplink_watch::{HINT_QUEUE, UplinkWatch, hint};

/// The registered notifications.
#[derive(Debug)]
pub(crate) struct Backend {
    _watch: NetworkWatch,
}

pub(crate) fn start() -> Result<UplinkWatch, PlatformError> {
    let (watch, changes) = NetworkWatch::start().map_err(|source| PlatformError::Netlink {
        action: "register for route and interface change notifications (NotifyRouteChange2)".into(),
        source,
    })?;
    let (tx, rx) = mpsc::channel(HINT_QUEUE);
    std::thread::Builder::new()
        .name("masq-uplink-watch".into())
        .spawn(move || {
            while changes.recv().is_ok() {
                if !hint(&tx) {
                    return;
                }
            }
        })
        .map_err(|source| PlatformError::Netlink {
            action: "start the thread that forwards network change notifications".into(),
            source,
        })?;
    Ok(UplinkWatch::new(rx, Backend { _watch: watch }))
}
