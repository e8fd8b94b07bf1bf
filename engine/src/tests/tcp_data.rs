//! Moving bytes: both directions byte-exact (also across sequence wrap), flow control in
//! both directions, and the hidden host's retransmissions and reordering.

use crate::SocketEvent;
use std::net::SocketAddrV4;
use std::time::Duration;

use super::emitted::Seg;
use super::harness::{Conn, Harness, Rng};
use super::lan_host::{HOST, LanTcp, REMOTE, TcpSpec, frag_needed};
use crate::{Config, DropReason, SocketCommand};

/// Default buffer cap: 256 KiB per direction.
const CAP: u32 = 256 * 1024;
/// Our window shift with [`fixed_buffers`] (a 256 KiB buffer).
const SHIFT: u8 = 3;

/// Buffers that stay at `buffer_bytes`: the tests of exact windows and credit bounds. (By
/// default a busy flow's buffers grow; `buffers_grow_*` below test that.)
fn fixed_buffers() -> Config {
    let mut cfg = Config::default();
    cfg.tcp.max_buffer_bytes = cfg.tcp.buffer_bytes;
    cfg
}

fn remote() -> SocketAddrV4 {
    SocketAddrV4::new(REMOTE, 443)
}

/// Asserts the engine never offered more than its buffer.
fn assert_windows_within_cap(segs: &[Seg]) {
    for s in segs.iter().filter(|s| !s.syn && !s.rst) {
        assert!(
            u32::from(s.window) << SHIFT <= CAP,
            "window {} << {SHIFT} exceeds the {CAP}-byte buffer",
            s.window
        );
    }
}

#[test]
fn small_exchange_is_byte_exact_both_ways() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 7);
    h.send(&c.lan.send(b"GET / HTTP/1.1\r\n\r\n"));
    assert_eq!(h.tcp(c.id).written, b"GET / HTTP/1.1\r\n\r\n");
    h.remote_write(c.id, b"HTTP/1.1 200 OK\r\n\r\nhi");
    h.lan_receive(&mut c, 1, |l| l.received.len() == 21);
    assert_eq!(c.lan.received, b"HTTP/1.1 200 OK\r\n\r\nhi");
    let t = &h.translations()[0];
    assert_eq!((t.bytes_out, t.bytes_in), (18, 21));
}

#[test]
fn multi_megabyte_upload_across_sequence_wrap_is_byte_exact() {
    let mut h = Harness::new();
    let len = 3 * 1024 * 1024;
    // The host's sequence numbers wrap about 1 MB into the transfer.
    let mut c = h.open(LanTcp::new(50_000, remote(), u32::MAX - 1_000_000));
    let mut rng = Rng::new(11);
    let data = rng.bytes(len);
    let mut sizes = Rng::new(12);
    h.lan_upload(&mut c, &data, || sizes.range(1, 1460));
    assert!(
        h.tcp(c.id).written == data,
        "upstream received different bytes"
    );
    assert_eq!(
        c.lan.peer_ack,
        c.lan.isn.wrapping_add(1).wrapping_add(len as u32)
    );
    assert_eq!(h.translations()[0].bytes_out, len as u64);
}

/// A seed whose first ISS lies within `len` bytes below 2^32, so a download of `len` bytes
/// wraps the gateway's sequence numbers.
fn seed_with_wrapping_iss(len: u32) -> u64 {
    for seed in 0..1_000_000u64 {
        let mut h = Harness::with_seed(Config::default(), seed);
        h.send(&LanTcp::new(50_000, remote(), 1).syn());
        let id = h.take_connect();
        h.connect_ok(id);
        let iss = h.tun_tcp()[0].seq;
        if iss > u32::MAX - len / 2 {
            return seed;
        }
    }
    panic!("no seed gives an ISS near 2^32");
}

#[test]
fn multi_megabyte_download_across_sequence_wrap_is_byte_exact() {
    let len = 3 * 1024 * 1024;
    let mut h = Harness::with_seed(fixed_buffers(), seed_with_wrapping_iss(len as u32));
    let mut c = h.open(LanTcp::new(50_000, remote(), 1));
    assert!(
        c.lan.peer_iss > u32::MAX - len as u32,
        "ISS {} does not wrap within the transfer",
        c.lan.peer_iss
    );
    let data = Rng::new(21).bytes(len);
    h.up.read_chunk = 7_001;
    h.remote_write(c.id, &data);
    let segs = h.lan_receive(&mut c, 2, |l| l.received.len() == len);
    assert!(c.lan.received == data, "host received different bytes");
    assert_windows_within_cap(&segs);
    assert!(
        segs.iter().all(|s| s.payload.len() <= 1460),
        "segments fit the MSS"
    );
    let sock = h.tcp(c.id);
    assert!(
        sock.grants.iter().sum::<usize>() <= len + CAP as usize,
        "credit stays bounded: {:?}",
        sock.grants.len()
    );
    assert_eq!(h.translations()[0].bytes_in, len as u64);
}

#[test]
fn credit_never_lets_more_than_the_buffer_sit_unacknowledged() {
    let mut h = Harness::new();
    let c = h.open_default(50_000, 9);
    // The host never acknowledges: the engine may hold at most one buffer of the server's data.
    h.remote_write(c.id, &vec![1u8; 1024 * 1024]);
    let granted: usize = h.tcp(c.id).grants.iter().sum();
    assert_eq!(
        granted, CAP as usize,
        "credit is one buffer until the host ACKs"
    );
    assert_eq!(
        h.tcp(c.id).outbox.len(),
        1024 * 1024 - CAP as usize,
        "the rest waits in the kernel"
    );
}

#[test]
fn zero_window_from_the_host_is_probed_after_the_rto_and_recovers() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 100);
    h.remote_write(c.id, &[b'a'; 2920]);
    h.lan_receive(&mut c, 2, |l| l.received.len() == 2920);
    // The host's application stops reading: its window closes.
    h.send(&c.lan.ack_with_window(0));
    h.remote_write(c.id, &[b'b'; 3000]);
    assert!(h.tun().is_empty(), "nothing is sent into a zero window");

    // RTT samples were ~0, so the RTO is the 200 ms floor: the first probe comes then.
    h.advance(Duration::from_millis(199));
    assert!(h.tun().is_empty());
    h.advance(Duration::from_millis(1));
    let probe = h.tun_tcp();
    assert_eq!(probe.len(), 1, "{probe:?}");
    assert_eq!(
        (probe[0].seq, probe[0].payload.len()),
        (c.lan.rcv_nxt, 1),
        "one-byte probe at the left edge"
    );

    // The host keeps refusing; probes keep coming, spaced at least the RTO apart.
    let mut times = vec![h.elapsed()];
    for _ in 0..4 {
        h.send(&c.lan.ack_with_window(0));
        let t0 = h.elapsed();
        let mut got = Vec::new();
        while got.is_empty() {
            h.fire_next_timer().expect("a probe timer is armed");
            got = h
                .tun_tcp()
                .into_iter()
                .filter(|s| !s.payload.is_empty())
                .collect();
        }
        assert!(
            got.iter()
                .all(|s| s.seq == c.lan.rcv_nxt && s.payload.len() == 1),
            "{got:?}"
        );
        assert!(h.elapsed() - t0 >= Duration::from_millis(200));
        times.push(h.elapsed());
    }
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.windows(2).all(|g| g[1] >= g[0]),
        "probe intervals back off: {gaps:?}"
    );
    assert!(
        !h.tcp(c.id).aborted,
        "a host that answers probes is never reset"
    );

    // The host reads again but its window update is lost: the next probe is accepted and
    // its ACK reopens the window.
    while h.tun_tcp().iter().all(|s| s.payload.is_empty()) {
        h.fire_next_timer().expect("probing continues");
    }
    h.send(&{
        let mut l = c.lan.clone();
        l.rcv_nxt = l.rcv_nxt.wrapping_add(1);
        l.ack()
    });
    c.lan.received.push(b'b');
    c.lan.rcv_nxt = c.lan.rcv_nxt.wrapping_add(1);
    h.lan_receive(&mut c, 2, |l| l.received.len() == 5920);
    let mut want = vec![b'a'; 2920];
    want.extend_from_slice(&[b'b'; 3000]);
    assert!(c.lan.received == want, "stream intact after probing");
}

#[test]
fn up_window_follows_the_shells_write_confirmations() {
    let mut h = Harness::with_config(fixed_buffers());
    h.up.auto_confirm = false;
    let mut c = h.open_default(50_000, 5);
    let base = c.lan.snd_nxt;
    let window_of = |s: &Seg| u32::from(s.window) << SHIFT;

    // 64 KiB written but unconfirmed: the window shrinks by exactly that.
    for _ in 0..64 {
        h.send(&c.lan.send(&[3u8; 1024]));
    }
    h.advance(Duration::from_millis(10));
    let last = h.tun_tcp().pop().expect("ACKs for the data");
    assert_eq!(last.ack, Some(base.wrapping_add(65_536)));
    assert_eq!(window_of(&last), CAP - 65_536);

    // A small confirmation is not worth a window update (silly window avoidance).
    h.engine.handle_socket_event(
        h.now(),
        SocketEvent::TcpSent {
            id: c.id,
            bytes: 1024,
        },
    );
    h.up.tcp_record(c.id).unconfirmed -= 1024;
    h.sync();
    assert!(h.tun().is_empty(), "no update for 1 KiB");
    // A quarter of the buffer is: an ACK goes out at once with the reopened window.
    h.engine.handle_socket_event(
        h.now(),
        SocketEvent::TcpSent {
            id: c.id,
            bytes: 64 * 1024 - 1024,
        },
    );
    h.up.tcp_record(c.id).unconfirmed = 0;
    h.sync();
    let upd = h.tun_tcp();
    assert_eq!(upd.len(), 1, "{upd:?}");
    assert!(upd[0].is_pure_ack());
    assert_eq!(window_of(&upd[0]), CAP);

    // Fill the whole buffer: the window reaches zero and further data is refused.
    let mut segs = Vec::new();
    for _ in 0..CAP / 1024 {
        h.send(&c.lan.send(&[4u8; 1024]));
        segs.extend(h.tun_tcp());
    }
    h.advance(Duration::from_millis(10));
    segs.extend(h.tun_tcp());
    assert_eq!(window_of(segs.last().expect("ACK")), 0);
    assert_windows_within_cap(&segs);
    let refused = c.lan.send(&[5u8; 100]);
    h.send(&refused);
    assert_eq!(h.engine.counters().drops_of(DropReason::BufferFull), 1);
    let ack = h.tun_tcp();
    assert_eq!(
        ack.last().and_then(|s| s.ack),
        Some(base.wrapping_add(65_536 + CAP)),
        "excess not accepted"
    );
    c.lan.snd_nxt = c.lan.snd_nxt.wrapping_sub(100);

    // The shell drains: the window update is sent without waiting for a probe.
    h.confirm_writes(c.id);
    let upd = h.tun_tcp();
    assert_eq!(upd.len(), 1, "{upd:?}");
    assert_eq!(window_of(&upd[0]), CAP);
    assert_eq!(h.tcp(c.id).written.len(), 65_536 + CAP as usize);
}

#[test]
fn out_of_order_segments_are_reassembled_with_immediate_duplicate_acks() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 77);
    let base = c.lan.snd_nxt;
    let data = Rng::new(3).bytes(5000);
    let seg_at = |c: &Conn, off: usize, len: usize| {
        c.lan
            .data_at(base.wrapping_add(off as u32), &data[off..off + len])
    };
    // 0..1000 is lost; four later segments arrive, one of them twice.
    for (off, len) in [
        (1000, 1000),
        (3000, 1000),
        (2000, 1000),
        (3000, 1000),
        (4000, 1000),
    ] {
        h.send(&seg_at(&c, off, len));
        let acks = h.tun_tcp();
        assert_eq!(
            acks.len(),
            1,
            "an immediate duplicate ACK per out-of-order segment"
        );
        assert_eq!(acks[0].ack, Some(base), "the ACK names the hole");
        assert!(acks[0].is_pure_ack());
    }
    assert!(
        h.tcp(c.id).written.is_empty(),
        "nothing forwarded across a hole"
    );
    h.send(&seg_at(&c, 0, 1000));
    let acks = h.tun_tcp();
    assert_eq!(acks.len(), 1);
    assert_eq!(
        acks[0].ack,
        Some(base.wrapping_add(5000)),
        "the filled hole is acknowledged at once"
    );
    assert!(h.tcp(c.id).written == data);
    c.lan.snd_nxt = base.wrapping_add(5000);
}

#[test]
fn retransmitted_and_overlapping_segments_are_forwarded_once() {
    let mut h = Harness::new();
    let c = h.open_default(50_000, 1234);
    let base = c.lan.snd_nxt;
    let data = Rng::new(4).bytes(3000);
    let at = |off: usize, len: usize| {
        c.lan
            .data_at(base.wrapping_add(off as u32), &data[off..off + len])
    };
    // (offset, length, bytes newly forwarded)
    let steps = [
        (0, 1000, 1000),
        (0, 1000, 0),
        (500, 1000, 500),
        (200, 300, 0),
        (1500, 1500, 1500),
        (0, 3000, 0),
    ];
    let mut total = 0;
    for (off, len, new) in steps {
        h.send(&at(off, len));
        let sends: Vec<usize> = h
            .cmds()
            .iter()
            .filter_map(|c| match c {
                SocketCommand::TcpSend { data, .. } => Some(data.len()),
                _ => None,
            })
            .collect();
        assert_eq!(sends.iter().sum::<usize>(), new, "segment {off}+{len}");
        total += new;
        // Old or overlapping data is re-ACKed at once; purely new data may wait for the
        // delayed-ACK timer.
        let acks = h.tun_tcp();
        if new < len {
            assert_eq!(acks.len(), 1, "segment {off}+{len}: {acks:?}");
            assert_eq!(acks[0].ack, Some(base.wrapping_add(total as u32)));
        }
        h.advance(Duration::from_millis(10));
        h.tun();
    }
    assert!(h.tcp(c.id).written == data);
}

#[test]
fn keep_alives_get_an_ack_and_nothing_else() {
    let mut h = Harness::with_config(fixed_buffers());
    let c = h.open_default(50_000, 42);
    h.advance(Duration::from_secs(3600));
    for garbage in [&[][..], &[0u8][..]] {
        let ka = c.lan.seg(
            TcpSpec {
                seq: c.lan.snd_nxt.wrapping_sub(1),
                ack: Some(c.lan.rcv_nxt),
                ..TcpSpec::default()
            },
            garbage,
        );
        h.send(&ka);
        let out = h.tun_tcp();
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].is_pure_ack());
        assert_eq!(
            (out[0].seq, out[0].ack),
            (c.lan.rcv_nxt, Some(c.lan.snd_nxt))
        );
        assert_eq!(u32::from(out[0].window) << SHIFT, CAP);
        assert!(h.cmds().is_empty(), "the keep-alive byte is not forwarded");
    }
    assert_eq!(h.engine.counters().tcp_retransmits, 0);
    assert_eq!(h.translations()[0].state, "established");
}

#[test]
fn server_speaks_first_but_only_after_the_hosts_ack() {
    let mut h = Harness::new();
    let mut l = LanTcp::new(50_000, remote(), 99);
    h.send(&l.syn());
    let id = h.take_connect();
    h.connect_ok(id);
    h.remote_write(id, b"220 smtp.example ESMTP\r\n");
    let out = h.tun_tcp();
    assert_eq!(
        out.len(),
        1,
        "only the SYN-ACK before the handshake completes: {out:?}"
    );
    l.accept_syn_ack(&out[0]);
    assert_eq!(h.tcp(id).credit, 0, "no reading before the host's ACK");
    h.send(&l.ack());
    let mut c = Conn { lan: l, id };
    let segs = h.lan_receive(&mut c, 1, |l| l.received.len() == 24);
    assert_eq!(segs[0].seq, c.lan.peer_iss.wrapping_add(1));
    assert_eq!(c.lan.received, b"220 smtp.example ESMTP\r\n");
}

#[test]
fn segments_read_in_one_batch_are_acknowledged_once() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 9);
    // Past quick-ACK mode (the first 16 segments are acknowledged one by one).
    let warmup = Rng::new(1).bytes(16 * 1000);
    for chunk in warmup.chunks(1000) {
        let p = c.lan.send(chunk);
        h.send(&p);
    }
    let _ = h.tun();
    // Eight segments arrive together: one ACK covers them all, as GRO would make it.
    let data = Rng::new(2).bytes(8 * 1000);
    let batch: Vec<Vec<u8>> = data.chunks(1000).map(|d| c.lan.send(d)).collect();
    h.send_batch(&batch);
    let acks = h.tun_tcp();
    assert_eq!(acks.len(), 1, "{acks:?}");
    assert_eq!(acks[0].ack, Some(c.lan.snd_nxt));
    // One at a time, every second segment is acknowledged.
    let more = Rng::new(3).bytes(4 * 1000);
    let mut n = 0;
    for chunk in more.chunks(1000) {
        let p = c.lan.send(chunk);
        h.send(&p);
        n += h.tun_tcp().len();
    }
    assert_eq!(n, 2);
}

#[test]
fn a_smaller_mtu_toward_the_host_shrinks_segments_and_resends_the_oversized() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 5);
    let data = Rng::new(4).bytes(40 * 1460);
    h.remote_write(c.id, &data);
    let first = h.tun();
    assert!(first.len() >= 4 && first.iter().all(|e| e.raw.len() == 1500));
    // A 1280-byte link between the gateway and the host drops them all and says so.
    h.send(&frag_needed(HOST, &first[1].raw, 1280));
    let resent = h.tun_tcp();
    assert!(!resent.is_empty(), "the dropped segments go again at once");
    assert!(
        resent.iter().all(|s| s.payload.len() <= 1240),
        "{:?}",
        resent.iter().map(|s| s.payload.len()).collect::<Vec<_>>()
    );
    assert_eq!(
        resent[0].seq,
        c.lan.peer_iss.wrapping_add(1),
        "from the oldest unacknowledged byte"
    );
    // From here on everything fits, and the download completes byte-exact.
    let segs = h.lan_receive(&mut c, 1, |l| l.received.len() == data.len());
    assert!(segs.iter().all(|s| s.payload.len() <= 1240));
    assert!(c.lan.received == data);
}

#[test]
fn a_packet_too_big_quoting_nothing_in_flight_is_not_believed() {
    // RFC 5927: an attacker on the LAN who guesses the ports must not shrink a flow's
    // segments to the minimum with a forged error.
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 5);
    let data = Rng::new(5).bytes(4 * 1460);
    h.remote_write(c.id, &data);
    let first = h.tun();
    for e in &first {
        c.lan.receive(e.tcp());
    }
    h.send(&c.lan.ack());
    let drops = h.engine.counters().drops_of(DropReason::OutOfWindow);
    // Quotes a segment that was already acknowledged.
    h.send(&frag_needed(HOST, &first[0].raw, 576));
    assert_eq!(
        h.engine.counters().drops_of(DropReason::OutOfWindow),
        drops + 1
    );
    let more = Rng::new(6).bytes(4 * 1460);
    h.remote_write(c.id, &more);
    let segs = h.tun_tcp();
    assert!(segs.iter().all(|s| s.payload.len() == 1460), "{segs:?}");
}

#[test]
fn buffers_grow_for_a_fast_upload_and_are_given_back_when_it_ends() {
    let mut h = Harness::new();
    let mut c = h.open_default(50_000, 5);
    let shift = c.lan.peer_shift;
    assert_eq!(shift, 7, "scaled for the largest buffer");
    let chunk = [6u8; 1460];
    let mut windows = Vec::new();
    // 730 MB/s while the shell writes everything at once: a 256 KiB window is too small
    // for even a 1 ms round trip.
    for _ in 0..4000 {
        h.send(&c.lan.send(&chunk));
        h.advance(Duration::from_micros(2));
        windows.extend(h.tun_tcp().iter().map(|s| u32::from(s.window) << shift));
    }
    let widest = windows.iter().copied().max().expect("ACKs");
    assert!(widest > CAP, "the window grew beyond {CAP}: {widest}");
    assert!(
        widest <= 4 * 1024 * 1024,
        "within max_buffer_bytes: {widest}"
    );
    let grown = h.engine.status().tcp_buffer_growth_bytes;
    assert!(grown > 0);
    h.close_both_ways(&mut c);
    while h.flows(crate::Protocol::Tcp) > 0 {
        h.fire_next_timer().expect("TIME_WAIT ends");
    }
    assert_eq!(h.engine.status().tcp_buffer_growth_bytes, 0, "given back");
}

#[test]
fn buffers_grow_no_further_than_the_engine_wide_budget() {
    let mut cfg = Config::default();
    // Each flow below wants about 29 KiB more (twice 146 KB drained per round trip).
    cfg.tcp.buffer_budget_bytes = 40 * 1024;
    let mut h = Harness::with_config(cfg);
    let mut widest = 0;
    for port in [50_000, 50_001] {
        let mut c = h.open_default(port, 5);
        for _ in 0..2000 {
            h.send(&c.lan.send(&[7u8; 1460]));
            h.advance(Duration::from_micros(2));
            for s in h.tun_tcp() {
                widest = widest.max(u32::from(s.window) << c.lan.peer_shift);
            }
        }
    }
    assert_eq!(h.engine.status().tcp_buffer_growth_bytes, 40 * 1024);
    assert!(widest <= CAP + 40 * 1024, "{widest}");
}

#[test]
fn buffers_grow_with_the_congestion_window_of_a_download() {
    let mut h = Harness::new();
    let mut c = h.open_with_rtt(LanTcp::new(50_000, remote(), 1), Duration::from_millis(5));
    let data = Rng::new(8).bytes(6 * 1024 * 1024);
    h.remote_write(c.id, &data);
    h.lan_receive(&mut c, 2, |l| l.received.len() == data.len());
    assert!(c.lan.received == data);
    let granted: usize = h.tcp(c.id).grants.iter().sum();
    assert!(granted >= data.len(), "everything was read");
    assert!(
        h.engine.status().tcp_buffer_growth_bytes > 0,
        "the read-ahead grew past {CAP} with the window"
    );
}
