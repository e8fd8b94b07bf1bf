//! Ending TCP connections: half-close in both directions, simultaneous close, resets from
//! either side (RFC 5961 checks), segments without state, idle expiry and TIME_WAIT.

use crate::SocketEvent;
use std::net::SocketAddrV4;
use std::time::Duration;

use super::emitted::Seg;
use super::harness::{Conn, Harness, Rng};
use super::lan_host::{LanTcp, REMOTE, TcpSpec};
use crate::{DropReason, Protocol, SocketCommand};

fn no_rst(segs: &[Seg]) {
    assert!(segs.iter().all(|s| !s.rst), "unexpected RST: {segs:?}");
}

/// The commands of one socket, without read credit (which flows all the time).
fn lifecycle(h: &mut Harness) -> Vec<SocketCommand> {
    h.cmds()
        .into_iter()
        .filter(|c| !matches!(c, SocketCommand::TcpReadCredit { .. }))
        .collect()
}

#[test]
fn lan_half_close_then_a_long_response_reaches_the_host_whole() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 10);
    h.send(&c.lan.send(b"GET /big HTTP/1.0\r\n\r\n"));
    h.send(&c.lan.fin());
    let cmds = lifecycle(&mut h);
    assert_eq!(
        cmds,
        [
            SocketCommand::TcpSend {
                id: c.id,
                data: b"GET /big HTTP/1.0\r\n\r\n".to_vec()
            },
            SocketCommand::TcpShutdownWrite { id: c.id }
        ],
        "the request, then the half-close after it"
    );
    let ack = h.tun_tcp();
    assert_eq!(
        ack.last().and_then(|s| s.ack),
        Some(c.lan.snd_nxt),
        "the FIN is acknowledged"
    );
    assert_eq!(h.translations()[0].state, "lan_closed");

    // The server answers for three minutes, a chunk every ten seconds.
    let body = Rng::new(5).bytes(18 * 64 * 1024);
    let mut segs = Vec::new();
    for chunk in body.chunks(64 * 1024) {
        h.remote_write(c.id, chunk);
        let want = c.lan.received.len() + chunk.len();
        segs.extend(h.lan_receive(&mut c, 2, |l| l.received.len() == want));
        h.advance(Duration::from_secs(10));
    }
    h.remote_eof(c.id);
    segs.extend(h.lan_receive(&mut c, 1, |l| l.fin_received));
    assert!(c.lan.received == body, "every byte of the response");
    no_rst(&segs);
    let fin = segs.iter().find(|s| s.fin).expect("our FIN");
    assert_eq!(
        fin.seq,
        c.lan
            .peer_iss
            .wrapping_add(1)
            .wrapping_add(body.len() as u32),
        "FIN right after the last byte"
    );
    assert_eq!(lifecycle(&mut h), [SocketCommand::Close { id: c.id }]);
    h.advance(Duration::from_secs(5));
    assert_eq!(h.flows(Protocol::Tcp), 0, "reaped");
}

#[test]
fn remote_eof_while_the_host_keeps_uploading() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 11);
    h.remote_write(c.id, b"bye");
    h.remote_eof(c.id);
    h.lan_receive(&mut c, 1, |l| l.fin_received);
    assert_eq!(c.lan.received, b"bye");
    assert_eq!(h.translations()[0].state, "remote_closed");
    // Data after our FIN was acknowledged is ACKed; no second FIN appears.
    h.send(&c.lan.send(b"more"));
    h.advance(Duration::from_millis(10));
    let acks = h.tun_tcp();
    assert!(
        !acks.is_empty() && acks.iter().all(|s| s.is_pure_ack()),
        "{acks:?}"
    );
    assert_eq!(acks[0].seq, c.lan.rcv_nxt);
    let upload = Rng::new(6).bytes(512 * 1024);
    let mut sizes = Rng::new(7);
    h.lan_upload(&mut c, &upload, || sizes.range(100, 1460));
    assert!(
        h.tcp(c.id).written[4..] == upload[..],
        "the upload finishes after the server's FIN"
    );
    h.send(&c.lan.fin());
    let cmds = lifecycle(&mut h);
    assert_eq!(cmds.last(), Some(&SocketCommand::Close { id: c.id }));
    assert!(cmds.contains(&SocketCommand::TcpShutdownWrite { id: c.id }));
    let ack = h.tun_tcp();
    assert_eq!(ack.len(), 1);
    assert_eq!(ack[0].ack, Some(c.lan.snd_nxt));
    assert_eq!(h.translations()[0].state, "time_wait");
}

#[test]
fn fin_goes_out_while_data_is_unacknowledged_and_is_retransmitted() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 12);
    let data = Rng::new(8).bytes(5000);
    h.remote_write(c.id, &data);
    h.remote_eof(c.id);
    let segs = h.tun_tcp();
    let fin = segs.last().expect("segments");
    assert!(fin.fin, "FIN follows the data at once: {segs:?}");
    assert_eq!(fin.seq, c.lan.peer_iss.wrapping_add(1 + 5000));
    // The FIN is lost; the host ACKs only the data.
    for s in &segs[..segs.len() - 1] {
        c.lan.receive(s);
    }
    h.send(&c.lan.ack());
    assert!(h.tun_tcp().is_empty());
    h.advance(Duration::from_millis(200));
    let again = h.tun_tcp();
    assert_eq!(again.len(), 1, "{again:?}");
    assert!(
        again[0].fin && again[0].seq == fin.seq,
        "FIN retransmitted after the RTO"
    );
    c.lan.receive(&again[0]);
    h.send(&c.lan.ack());
    assert!(c.lan.received == data && c.lan.fin_received);
    assert_eq!(h.translations()[0].state, "remote_closed");
}

#[test]
fn simultaneous_close_acks_both_fins_without_reset() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 13);
    h.remote_eof(c.id);
    let our_fin = h.tun_tcp();
    assert!(our_fin.len() == 1 && our_fin[0].fin);
    // The host's FIN crosses ours: it does not acknowledge our FIN yet.
    h.send(&c.lan.fin());
    let out = h.tun_tcp();
    no_rst(&out);
    assert_eq!(
        out.last().and_then(|s| s.ack),
        Some(c.lan.snd_nxt),
        "host FIN acknowledged"
    );
    assert!(lifecycle(&mut h).contains(&SocketCommand::TcpShutdownWrite { id: c.id }));
    // Now our FIN arrives at the host, which acknowledges it.
    c.lan.receive(&our_fin[0]);
    h.send(&c.lan.ack());
    no_rst(&h.tun_tcp());
    assert_eq!(lifecycle(&mut h), [SocketCommand::Close { id: c.id }]);
    h.advance(Duration::from_secs(5));
    assert_eq!(h.flows(Protocol::Tcp), 0);
    no_rst(&h.tun_tcp());
}

#[test]
fn lan_rst_is_checked_against_the_window() {
    // (offset from rcv_nxt, aborts, challenge ACK)
    let cases: [(i64, bool, bool); 5] = [
        (0, true, false),
        (100, false, true),
        (200_000, false, true),
        (10_000_000, false, false),
        (-100, false, false),
    ];
    for (off, aborts, challenge) in cases {
        let mut h = Harness::new();
        let c = h.open_default(50_000, 14);
        h.send(&c.lan.rst_at(c.lan.snd_nxt.wrapping_add(off as u32)));
        let out = h.tun_tcp();
        assert_eq!(h.tcp(c.id).aborted, aborts, "offset {off}");
        assert_eq!(h.flows(Protocol::Tcp), usize::from(!aborts), "offset {off}");
        if challenge {
            assert_eq!(out.len(), 1, "offset {off}: {out:?}");
            assert!(
                out[0].is_pure_ack() && out[0].ack == Some(c.lan.snd_nxt),
                "offset {off}: challenge ACK names rcv_nxt"
            );
        } else {
            assert!(out.is_empty(), "offset {off}: {out:?}");
        }
    }
}

#[test]
fn remote_reset_sends_rst_at_snd_nxt() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 15);
    h.send(&c.lan.send(b"up"));
    h.remote_write(c.id, &[9u8; 3000]);
    let segs = h.tun_tcp();
    let snd_nxt = segs
        .iter()
        .map(|s| s.seq.wrapping_add(s.payload.len() as u32))
        .max()
        .expect("data");
    h.remote_reset(c.id);
    let out = h.tun_tcp();
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(out[0].rst);
    assert_eq!(out[0].seq, snd_nxt, "RST at snd_nxt");
    assert_eq!(out[0].ack, Some(c.lan.snd_nxt), "and ACK = rcv_nxt");
    assert_eq!(h.flows(Protocol::Tcp), 0);
    assert!(!h.tcp(c.id).is_open());
    // A late event for the dead socket is counted, not acted on.
    h.remote_write(c.id, b"late");
    h.engine
        .handle_socket_event(h.now(), SocketEvent::TcpEof { id: c.id });
    assert_eq!(h.engine.counters().drops_of(DropReason::StaleSocket), 1);
    c.lan.snd_nxt = c.lan.snd_nxt.wrapping_add(0);
}

#[test]
fn segments_without_state_are_answered_with_rst() {
    let l = LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 443), 5000);
    // (segment, expected RST seq, expected RST ack)
    let cases = [
        (
            TcpSpec {
                seq: 5000,
                ack: Some(777),
                ..TcpSpec::default()
            },
            10,
            Some((777, None)),
        ),
        (
            TcpSpec {
                seq: 5000,
                psh: true,
                ..TcpSpec::default()
            },
            10,
            Some((0, Some(5010))),
        ),
        (
            TcpSpec {
                seq: 5000,
                fin: true,
                ..TcpSpec::default()
            },
            0,
            Some((0, Some(5001))),
        ),
        (
            TcpSpec {
                seq: 5000,
                syn: true,
                ack: Some(1),
                ..TcpSpec::default()
            },
            0,
            Some((1, None)),
        ),
        (
            TcpSpec {
                seq: 5000,
                rst: true,
                ..TcpSpec::default()
            },
            0,
            None,
        ),
    ];
    for (i, (spec, len, want)) in cases.into_iter().enumerate() {
        let mut h = Harness::new();
        h.send(&l.seg(spec, &vec![0u8; len]));
        let out = h.tun_tcp();
        match want {
            Some((seq, ack)) => {
                assert_eq!(out.len(), 1, "case {i}");
                assert!(out[0].rst && !out[0].syn, "case {i}");
                assert_eq!((out[0].seq, out[0].ack), (seq, ack), "case {i}");
            }
            None => assert!(out.is_empty(), "case {i}: never answer a RST"),
        }
        assert!(h.cmds().is_empty(), "case {i}: no socket");
        assert_eq!(h.flows(Protocol::Tcp), 0, "case {i}: no flow");
        assert_eq!(
            h.engine.counters().drops_of(DropReason::NoState),
            1,
            "case {i}"
        );
    }
}

#[test]
fn rst_then_syn_on_the_same_tuple_opens_a_new_flow() {
    let mut h = Harness::new();
    let c = h.open_default(50_000, 16);
    let old = h.translations()[0].id;
    let syn_again = LanTcp::new(50_000, SocketAddrV4::new(REMOTE, 443), 900_000);
    // Both in one batch, as a restarting application would send them.
    h.send(&c.lan.rst_at(c.lan.snd_nxt));
    h.send(&syn_again.syn());
    let cmds = h.cmds();
    assert!(cmds.contains(&SocketCommand::TcpAbort { id: c.id }));
    let new_id = cmds
        .iter()
        .find_map(|c| matches!(c, SocketCommand::TcpConnect { .. }).then(|| c.socket()))
        .expect("a new connect");
    assert_ne!(new_id, c.id, "a fresh socket");
    let t = h.translations();
    assert_eq!(t.len(), 1);
    assert_ne!(t[0].id, old);
    assert_eq!(t[0].state, "connecting");
}

#[test]
fn idle_established_flow_lives_at_least_two_hours_four_minutes() {
    let mut h = Harness::new();
    let c = h.open_default(50_000, 17);
    // Activity at 1 h restarts the clock.
    h.advance(Duration::from_secs(3600));
    h.send(&c.lan.ack());
    let limit = Duration::from_secs(2 * 3600 + 4 * 60);
    h.advance(limit - Duration::from_millis(1));
    assert!(h.tun().is_empty(), "nothing said to an idle host");
    assert!(h.tcp(c.id).is_open());
    let t = &h.translations()[0];
    assert!(
        t.expires_in_s > 0.0 && t.expires_in_s <= 0.001 + 1e-9,
        "{}",
        t.expires_in_s
    );
    h.advance(Duration::from_millis(1));
    let out = h.tun_tcp();
    assert!(
        out.len() == 1 && out[0].rst,
        "idle expiry resets the host: {out:?}"
    );
    assert_eq!(out[0].seq, c.lan.rcv_nxt);
    assert!(h.tcp(c.id).aborted);
    assert_eq!(h.flows(Protocol::Tcp), 0);
}

#[test]
fn time_wait_re_acks_a_retransmitted_fin_then_expires() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 18);
    h.close_both_ways(&mut c);
    assert_eq!(h.translations()[0].state, "time_wait");
    // The host did not get our ACK of its FIN and resends it.
    h.advance(Duration::from_secs(2));
    let again = Conn {
        lan: LanTcp {
            snd_nxt: c.lan.snd_nxt.wrapping_sub(1),
            ..c.lan.clone()
        },
        id: c.id,
    };
    let mut l = again.lan.clone();
    h.send(&l.fin());
    let out = h.tun_tcp();
    assert_eq!(out.len(), 1, "{out:?}");
    assert!(
        out[0].is_pure_ack() && out[0].ack == Some(c.lan.snd_nxt),
        "re-ACK of the FIN"
    );
    h.advance(Duration::from_secs(3));
    assert_eq!(h.flows(Protocol::Tcp), 0, "TIME_WAIT ends after 5 s");
    // After that the tuple is unknown: a late FIN gets a RST.
    h.send(&l.fin());
    assert!(h.tun_tcp().iter().all(|s| s.rst));
}
