//! Fuzz target: a whole engine fed an arbitrary sequence of adapter packets, socket events
//! and clock steps, decoded from the input bytes.
//!
//! Input format, repeated until the bytes run out: one opcode byte, then its arguments.
//! Packets are length-prefixed (one byte), so a corpus seed is a few real packets with a
//! prefix each. Socket events name one of the sockets the engine asked for (by index), so
//! the fuzzer reaches the states behind a successful connect or open. Checked: no panic,
//! every packet counted, and `poll_timeout` always moves forward after `handle_timeout`.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use masq_engine::{
    Config, ConnectError, Engine, IcmpErrorKind, IcmpErrorReport, Protocol, RxMeta, SocketEvent,
    SocketId,
};

/// Reads the fuzzer's bytes front to back.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.byte()?);
        Some(self.take(n))
    }

    /// A two-byte length: super-segments of up to 64 KiB, as the adapter hands over with
    /// offload on.
    fn long_bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(u16::from_be_bytes([self.byte()?, self.byte()?]));
        Some(self.take(n))
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }
}

fn remote(b: u8) -> SocketAddr {
    SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(203, 0, 113, b % 4)),
        53 + u16::from(b % 3),
    )
}

fuzz_target!(|data: &[u8]| {
    let base = Instant::now();
    let mut now = base;
    // Everything on that a real start may turn on: IPv6 toward the LAN and offload both ways.
    let config = Config {
        gateway_v6: Some(Ipv6Addr::new(0xfd00, 0x6d71, 0, 0, 0, 0, 0, 1)),
        lan_v6_prefix_len: 64,
        tun_offload: true,
        tun_udp_offload: true,
        ..Config::default()
    };
    let Ok(mut engine) = Engine::new(config, 7, now) else {
        return;
    };
    let mut sockets: Vec<SocketId> = Vec::new();
    let mut packets = 0u64;
    let mut input = Input(data);
    let local = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 2)), 40_000);
    while let Some(op) = input.byte() {
        let pick = |b: u8, s: &[SocketId]| {
            s.get(usize::from(b) % s.len().max(1))
                .copied()
                .unwrap_or(SocketId(1))
        };
        match op % 13 {
            0 => {
                let Some(p) = input.bytes() else { break };
                engine.handle_tun_packet(now, p);
                packets += 1;
            }
            12 => {
                let trusted = input.byte().unwrap_or(0) & 1 == 1;
                let Some(p) = input.long_bytes() else { break };
                engine.handle_tun_packet_with(
                    now,
                    p,
                    RxMeta {
                        checksum_trusted: trusted,
                    },
                );
                packets += 1;
            }
            1 => {
                let step = u64::from(input.byte().unwrap_or(0));
                now += Duration::from_millis(step * step * 10);
                let mut guard = 0;
                while let Some(t) = engine.poll_timeout() {
                    if t > now {
                        break;
                    }
                    engine.handle_timeout(now);
                    guard += 1;
                    assert!(guard < 100_000, "a deadline that never clears");
                }
            }
            2 => engine.handle_socket_event(
                now,
                SocketEvent::TcpConnected {
                    id: pick(input.byte().unwrap_or(0), &sockets),
                    local,
                },
            ),
            3 => {
                let id = pick(input.byte().unwrap_or(0), &sockets);
                let d = input.bytes().unwrap_or(&[]);
                engine.handle_socket_event(now, SocketEvent::TcpData { id, data: d });
            }
            4 => engine.handle_socket_event(
                now,
                SocketEvent::TcpEof {
                    id: pick(input.byte().unwrap_or(0), &sockets),
                },
            ),
            5 => {
                let id = pick(input.byte().unwrap_or(0), &sockets);
                engine.handle_socket_event(
                    now,
                    SocketEvent::TcpSent {
                        id,
                        bytes: usize::from(input.byte().unwrap_or(0)) * 64,
                    },
                );
            }
            6 => engine.handle_socket_event(
                now,
                SocketEvent::TcpReset {
                    id: pick(input.byte().unwrap_or(0), &sockets),
                },
            ),
            7 => engine.handle_socket_event(
                now,
                SocketEvent::Opened {
                    id: pick(input.byte().unwrap_or(0), &sockets),
                    local,
                },
            ),
            8 => {
                let b = input.byte().unwrap_or(0);
                let d = input.bytes().unwrap_or(&[]);
                engine.handle_socket_event(
                    now,
                    SocketEvent::Datagram {
                        id: pick(b, &sockets),
                        from: remote(b),
                        data: d,
                    },
                );
            }
            9 => {
                let b = input.byte().unwrap_or(0);
                let kinds = [
                    IcmpErrorKind::TimeExceeded,
                    IcmpErrorKind::PortUnreachable,
                    IcmpErrorKind::PacketTooBig { mtu: 1200 },
                ];
                let report = IcmpErrorReport {
                    offender: remote(b).ip(),
                    kind: kinds[usize::from(b) % kinds.len()],
                    original_dst: remote(b),
                    payload: input.bytes().unwrap_or(&[]).to_vec(),
                };
                engine.handle_socket_event(
                    now,
                    SocketEvent::IcmpError {
                        id: pick(b, &sockets),
                        report,
                    },
                );
            }
            10 => {
                let b = input.byte().unwrap_or(0);
                let errors = [
                    ConnectError::Refused,
                    ConnectError::HostUnreachable,
                    ConnectError::TimedOut,
                    ConnectError::Other,
                ];
                engine.handle_socket_event(
                    now,
                    SocketEvent::TcpConnectFailed {
                        id: pick(b, &sockets),
                        error: errors[usize::from(b) % errors.len()],
                        icmp: None,
                    },
                );
            }
            _ => {
                let b = input.byte().unwrap_or(0);
                engine.handle_socket_event(
                    now,
                    SocketEvent::EchoReply {
                        id: pick(b, &sockets),
                        from: remote(b).ip(),
                        seq: u16::from(b),
                        data: &[b; 8],
                    },
                );
                engine.handle_uplink_probe(now, Protocol::Tcp, remote(b), local);
            }
        }
        while let Some(cmd) = engine.poll_command() {
            if !sockets.contains(&cmd.socket()) {
                sockets.push(cmd.socket());
            }
        }
        while engine.poll_tun_packet().is_some() {}
        if let Some(t) = engine.poll_timeout() {
            assert!(
                t + Duration::from_secs(1) >= base,
                "deadline before the engine started"
            );
        }
    }
    assert_eq!(
        engine.counters().tun_packets_in,
        packets,
        "every packet is counted"
    );
    let _ = engine.translations(now);
    let _ = engine.status();
});
