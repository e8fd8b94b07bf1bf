//! Linux uplink watch: an rtnetlink socket joined to the link, IPv4/IPv6 address and IPv4/IPv6
//! route multicast groups (what `ip monitor link address route` listens to). Every message
//! becomes one hint; the runtime debounces them and looks the uplink up again.
//!
//! The socket is opened on the calling thread, so it sees that thread's network namespace.

use futures::StreamExt;
use rtnetlink::MulticastGroup;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::PlatformError;
use crate::uplink_watch::{HINT_QUEUE, UplinkWatch, hint};

/// The netlink connection and the task turning its messages into hints; aborted on drop.
#[derive(Debug)]
pub(crate) struct Backend {
    tasks: [JoinHandle<()>; 2],
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

pub(crate) fn start() -> Result<UplinkWatch, PlatformError> {
    let runtime = tokio::runtime::Handle::try_current().map_err(|_| PlatformError::NoRuntime {
        what: "uplink_watch",
    })?;
    let (connection, _handle, mut messages) = {
        let _guard = runtime.enter();
        rtnetlink::new_multicast_connection(&[
            MulticastGroup::Link,
            MulticastGroup::Ipv4Ifaddr,
            MulticastGroup::Ipv6Ifaddr,
            MulticastGroup::Ipv4Route,
            MulticastGroup::Ipv6Route,
        ])
        .map_err(|source| PlatformError::Netlink {
            action: "join the rtnetlink link, address and route groups to follow the uplink".into(),
            source,
        })?
    };
    let (tx, rx) = mpsc::channel(HINT_QUEUE);
    let connection = runtime.spawn(connection);
    let forward = runtime.spawn(async move {
        while let Some((message, _)) = messages.next().await {
            tracing::trace!(payload = ?message.payload, "rtnetlink change");
            if !hint(&tx) {
                return;
            }
        }
        tracing::warn!("the rtnetlink change socket closed; uplink changes are no longer seen");
    });
    Ok(UplinkWatch::new(
        rx,
        Backend {
            tasks: [connection, forward],
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_watch_opens_and_stops_when_dropped() {
        let watch = start().unwrap();
        drop(watch);
    }

    #[test]
    fn without_a_runtime_the_error_says_so() {
        let err = start().unwrap_err();
        assert!(err.to_string().contains("uplink_watch"), "{err}");
    }
}
