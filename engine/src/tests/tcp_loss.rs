//! Loss on the LAN leg: retransmission timeout with exponential back-off, fast retransmit
//! with NewReno partial ACKs, and giving up (reset on both sides) after `max_retransmits`.

use std::time::Duration;

use super::emitted::Seg;
use super::harness::{Conn, Harness, Rng};
use crate::{Config, Protocol, SocketCommand};

/// Runs timers until the flow is gone, collecting every segment with its time.
fn run_until_gone(h: &mut Harness) -> Vec<(Duration, Seg)> {
    let mut seen = Vec::new();
    while h.flows(Protocol::Tcp) > 0 {
        h.fire_next_timer()
            .expect("a flow with unacknowledged data keeps a timer");
        seen.extend(h.tun().into_iter().map(|e| (e.at, e.tcp().clone())));
        assert!(h.elapsed() < Duration::from_secs(600), "never gave up");
    }
    seen
}

#[test]
fn rto_backs_off_exponentially_then_resets_both_sides() {
    let mut h = Harness::new();
    let c = h.open_default(50_000, 3);
    let t0 = h.elapsed();
    h.remote_write(c.id, b"data the host never acknowledges");
    let first = h.tun_tcp();
    assert_eq!(first.len(), 1);
    let seen = run_until_gone(&mut h);

    // The handshake measured an RTT of ~0, so the RTO starts at the 200 ms floor and doubles.
    let retx: Vec<Duration> = seen
        .iter()
        .filter(|(_, s)| !s.payload.is_empty())
        .map(|(t, _)| *t - t0)
        .collect();
    let want: Vec<Duration> = [200, 600, 1400, 3000, 6200, 12_600, 25_400, 51_000]
        .into_iter()
        .map(Duration::from_millis)
        .collect();
    assert_eq!(
        retx, want,
        "one retransmission per expiry, intervals doubling"
    );
    assert!(
        seen.iter()
            .filter(|(_, s)| !s.payload.is_empty())
            .all(|(_, s)| s.seq == first[0].seq && s.payload == first[0].payload)
    );

    // The ninth expiry exceeds max_retransmits (8): RST to the host, abort upstream.
    let (t_rst, rst) = seen.last().expect("a RST");
    assert!(rst.rst, "{rst:?}");
    assert_eq!(*t_rst - t0, Duration::from_millis(102_200));
    let in_flight = first[0].seq.wrapping_add(first[0].payload.len() as u32);
    assert!(
        rst.seq == first[0].seq || rst.seq == in_flight,
        "RST inside what the host may expect: {rst:?}"
    );
    assert!(h.tcp(c.id).aborted, "upstream connection reset too");
    assert_eq!(h.engine.counters().tcp_retransmits, 8);
    assert_eq!(h.engine.poll_timeout(), None);
}

#[test]
fn max_retransmits_is_honoured() {
    for max in [1u32, 3] {
        let mut cfg = Config::default();
        cfg.tcp.max_retransmits = max;
        let mut h = Harness::with_config(cfg);
        let c = h.open_default(50_000, 3);
        h.remote_write(c.id, b"x");
        h.tun();
        let seen = run_until_gone(&mut h);
        let retx = seen.iter().filter(|(_, s)| !s.payload.is_empty()).count();
        assert_eq!(retx, max as usize, "max_retransmits {max}");
        assert!(seen.last().is_some_and(|(_, s)| s.rst));
        assert!(h.cmds().contains(&SocketCommand::TcpAbort { id: c.id }));
    }
}

/// Sends `n` full segments from the server and returns them as the host saw them.
fn burst(h: &mut Harness, c: &Conn, n: usize) -> (Vec<u8>, Vec<Seg>) {
    let data = Rng::new(n as u64).bytes(n * 1460);
    h.remote_write(c.id, &data);
    let segs = h.tun_tcp();
    assert_eq!(
        segs.len(),
        n,
        "initial window of 10 segments sends all at once"
    );
    (data, segs)
}

#[test]
fn three_duplicate_acks_trigger_one_fast_retransmit() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 3);
    let (data, segs) = burst(&mut h, &c, 10);
    // Segment 0 is lost; the host sees 1..10 and sends a duplicate ACK for each.
    let hole = c.lan.rcv_nxt;
    for (i, _) in segs.iter().enumerate().skip(1).take(3) {
        h.send(&c.lan.ack_of(hole));
        let out = h.tun_tcp();
        if i < 3 {
            assert!(
                out.is_empty(),
                "no retransmission before the third duplicate ACK"
            );
        } else {
            assert_eq!(out.len(), 1, "{out:?}");
            assert_eq!(
                (out[0].seq, out[0].payload.len()),
                (segs[0].seq, 1460),
                "the oldest segment, at once"
            );
            assert_eq!(out[0].payload, segs[0].payload);
        }
    }
    for s in segs.iter().skip(4) {
        let _ = s;
        h.send(&c.lan.ack_of(hole));
    }
    assert_eq!(
        h.engine.counters().tcp_retransmits,
        1,
        "one fast retransmit, not one per duplicate"
    );
    // The retransmission fills the hole: the host ACKs everything.
    c.lan.receive(&segs[0]);
    for s in &segs[1..] {
        c.lan.receive(s);
    }
    h.send(&c.lan.ack());
    assert!(c.lan.received == data);
    h.advance(Duration::from_secs(5));
    assert!(
        h.tun_tcp().iter().all(|s| s.payload.is_empty()),
        "no spurious RTO after recovery"
    );
    assert_eq!(h.engine.counters().tcp_retransmits, 1);
}

#[test]
fn newreno_partial_ack_resends_the_next_hole_at_once() {
    let mut h = Harness::new();
    let c = h.open_default(50_000, 3);
    let (_, segs) = burst(&mut h, &c, 10);
    // Segments 0 and 5 are lost.
    let hole = c.lan.rcv_nxt;
    for _ in 0..3 {
        h.send(&c.lan.ack_of(hole));
    }
    let fr = h.tun_tcp();
    assert_eq!(
        fr.iter().filter(|s| s.seq == segs[0].seq).count(),
        1,
        "fast retransmit of segment 0: {fr:?}"
    );
    // The retransmission arrives; the host now ACKs up to the second hole (a partial ACK).
    h.send(&c.lan.ack_of(segs[5].seq));
    let out = h.tun_tcp();
    let resent: Vec<&Seg> = out
        .iter()
        .filter(|s| s.seq == segs[5].seq && !s.payload.is_empty())
        .collect();
    assert_eq!(
        resent.len(),
        1,
        "segment 5 resent without waiting for the RTO: {out:?}"
    );
    assert_eq!(resent[0].payload, segs[5].payload);
    assert_eq!(h.engine.counters().tcp_retransmits, 2);
}

#[test]
fn rto_goes_back_to_the_oldest_unacknowledged_byte_with_one_segment() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 3);
    let (data, segs) = burst(&mut h, &c, 10);
    // Everything is lost; after the RTO the window collapses to one segment (RFC 5681 3.1).
    h.advance(Duration::from_millis(200));
    let retx = h.tun_tcp();
    assert_eq!(retx.len(), 1, "{retx:?}");
    assert_eq!(retx[0].seq, segs[0].seq);
    // The host now receives and ACKs each retransmission: the rest follows in order.
    c.lan.receive(&retx[0]);
    h.send(&c.lan.ack());
    h.lan_receive(&mut c, 1, |l| l.received.len() == data.len());
    assert!(c.lan.received == data);
}
