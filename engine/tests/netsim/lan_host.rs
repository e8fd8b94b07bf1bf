//! The hidden host: smoltcp, a TCP/IP stack written independently of masq, with one
//! connection through the gateway on which it receives a download, generating ACKs and SACK
//! blocks as its stack does, at the virtual time the simulation gives it.

use std::collections::VecDeque;
use std::time::Duration;

use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::tcp;
use smoltcp::time::Instant as SInstant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, Ipv4Address};

/// A device whose wire is two queues: what the link delivered, and what the stack sent.
#[derive(Debug, Default)]
pub struct QueueDevice {
    pub rx: VecDeque<Vec<u8>>,
    pub tx: VecDeque<Vec<u8>>,
    pub mtu: usize,
}

pub struct Rx(Vec<u8>);
pub struct Tx<'a>(&'a mut VecDeque<Vec<u8>>);

impl RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = vec![0; len];
        let r = f(&mut buf);
        self.0.push_back(buf);
        r
    }
}

impl Device for QueueDevice {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _t: SInstant) -> Option<(Rx, Tx<'_>)> {
        let p = self.rx.pop_front()?;
        Some((Rx(p), Tx(&mut self.tx)))
    }

    fn transmit(&mut self, _t: SInstant) -> Option<Tx<'_>> {
        Some(Tx(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut c = DeviceCapabilities::default();
        c.medium = Medium::Ip;
        c.max_transmission_unit = self.mtu;
        c
    }
}

/// The host, its stack and its one connection.
pub struct LanHost {
    pub dev: QueueDevice,
    iface: Interface,
    sockets: SocketSet<'static>,
    handle: SocketHandle,
    /// Bytes the application read.
    pub app_bytes: u64,
}

/// Socket buffers: large enough that the host's window never limits the transfer.
const BUFFER: usize = 4 << 20;

impl LanHost {
    /// A host at `ip/24` behind `gateway` opening a connection to `remote:port`.
    pub fn new(
        ip: Ipv4Address,
        gateway: Ipv4Address,
        remote: (Ipv4Address, u16),
        seed: u64,
    ) -> LanHost {
        let mut dev = QueueDevice {
            mtu: 1500,
            ..QueueDevice::default()
        };
        let mut config = Config::new(HardwareAddress::Ip);
        config.random_seed = seed;
        let mut iface = Interface::new(config, &mut dev, SInstant::from_micros(0));
        iface.update_ip_addrs(|a| {
            a.push(IpCidr::new(IpAddress::Ipv4(ip), 24))
                .expect("one address fits");
        });
        iface
            .routes_mut()
            .add_default_ipv4_route(gateway)
            .expect("a default route");
        let mut sock = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; BUFFER]),
            tcp::SocketBuffer::new(vec![0; BUFFER]),
        );
        sock.set_nagle_enabled(false);
        let mut sockets = SocketSet::new(Vec::new());
        let handle = sockets.add(sock);
        let mut host = LanHost {
            dev,
            iface,
            sockets,
            handle,
            app_bytes: 0,
        };
        let cx = host.iface.context();
        host.sockets
            .get_mut::<tcp::Socket>(handle)
            .connect(cx, (IpAddress::Ipv4(remote.0), remote.1), 49_152)
            .expect("connect");
        host
    }

    /// Lets the stack process what arrived and send what it may at `now`, the application
    /// reading everything that arrives.
    pub fn poll(&mut self, now: Duration) {
        let t = SInstant::from_micros(now.as_micros() as i64);
        for _ in 0..1000 {
            self.iface.poll(t, &mut self.dev, &mut self.sockets);
            let sock = self.sockets.get_mut::<tcp::Socket>(self.handle);
            let mut read = 0;
            while let Ok(n) = sock.recv(|b| (b.len(), b.len())) {
                if n == 0 {
                    break;
                }
                read += n;
            }
            self.app_bytes += read as u64;
            let again = self
                .iface
                .poll_delay(t, &self.sockets)
                .is_some_and(|d| d.total_micros() == 0);
            if read == 0 && !again {
                break;
            }
        }
    }

    /// When the stack next needs to run (a timer), as virtual time.
    pub fn next_wake(&mut self, now: Duration) -> Option<Duration> {
        let t = SInstant::from_micros(now.as_micros() as i64);
        self.iface
            .poll_delay(t, &self.sockets)
            .map(|d| now + Duration::from_micros(d.total_micros().max(1)))
    }

    /// The connection's state for debugging.
    pub fn debug(&self) -> String {
        let s = self.sockets.get::<tcp::Socket>(self.handle);
        format!(
            "{:?} send_queue {} recv_queue {}",
            s.state(),
            s.send_queue(),
            s.recv_queue()
        )
    }

    /// Whether the connection is established.
    pub fn established(&self) -> bool {
        self.sockets.get::<tcp::Socket>(self.handle).state() == tcp::State::Established
    }
}
