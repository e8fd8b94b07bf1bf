//! Asking the host's resolvers: one query, over UDP with TCP fallback, from sockets bound to
//! the uplink (so the forwarder's own traffic never loops through the LAN steering).
//!
//! Each query gets a fresh socket and a fresh random id (RFC 5452: a random source port and
//! id make forged answers hard). An answer counts only if it comes from the server asked
//! (connected socket), carries the id sent and repeats the question. A truncated UDP answer
//! is fetched again over TCP from the same server (RFC 7766 §5). Resolvers on loopback (a
//! local stub such as systemd-resolved's 127.0.0.53) are reached with unpinned sockets.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType};
use masq_platform::sockets::Uplink;
use masq_vocab::Family;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};

/// How long one resolver gets to answer over UDP before the next is tried.
pub const UDP_TIMEOUT: Duration = Duration::from_millis(1500);
/// How long a TCP exchange (connect, send, receive) may take.
pub const TCP_TIMEOUT: Duration = Duration::from_secs(4);
/// Largest DNS message (TCP length prefix is 16 bits).
const MAX_MESSAGE: usize = 65_535;

/// How an answer was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// UDP only.
    Udp,
    /// UDP said truncated; fetched again over TCP.
    TcpFallback,
    /// TCP from the start.
    Tcp,
}

/// Sends `query` to `servers` in turn until one answers; `tcp` starts over TCP.
pub async fn exchange(
    uplink: &Uplink,
    servers: &[SocketAddr],
    query: &Message,
    tcp: bool,
) -> io::Result<(Message, Via)> {
    let mut last = io::Error::new(
        io::ErrorKind::NotFound,
        "no resolvers: resolv.conf lists no usable nameserver",
    );
    for &server in servers {
        let result = if tcp {
            over_tcp(uplink, server, query).await.map(|m| (m, Via::Tcp))
        } else {
            match over_udp(uplink, server, query).await {
                Ok(m) if m.metadata.truncation => over_tcp(uplink, server, query)
                    .await
                    .map(|m| (m, Via::TcpFallback)),
                other => other.map(|m| (m, Via::Udp)),
            }
        };
        match result {
            Ok(answer) => return Ok(answer),
            Err(e) => {
                tracing::debug!(%server, error = %e, "resolver did not answer");
                last = e;
            }
        }
    }
    Err(last)
}

/// `query` as sent upstream: a fresh random id.
fn with_fresh_id(query: &Message) -> io::Result<(u16, Vec<u8>)> {
    let mut id = [0u8; 2];
    getrandom::fill(&mut id).map_err(|e| io::Error::other(format!("no randomness: {e}")))?;
    let id = u16::from_ne_bytes(id);
    let mut q = query.clone();
    q.metadata.id = id;
    let bytes = q.to_vec().map_err(io::Error::other)?;
    Ok((id, bytes))
}

/// Whether `answer` answers `query` sent with `id`.
pub fn matches(query: &Message, id: u16, answer: &Message) -> bool {
    answer.metadata.id == id
        && answer.metadata.message_type == MessageType::Response
        && answer.queries.len() == query.queries.len()
        && answer.queries.iter().zip(&query.queries).all(|(a, q)| {
            a.query_type() == q.query_type()
                && a.query_class() == q.query_class()
                && a.name().to_lowercase() == q.name().to_lowercase()
        })
}

async fn over_udp(uplink: &Uplink, server: SocketAddr, query: &Message) -> io::Result<Message> {
    let (id, bytes) = with_fresh_id(query)?;
    let sock = udp_socket(uplink, server).await?;
    sock.connect(server).await?;
    sock.send(&bytes).await?;
    let mut buf = vec![0u8; MAX_MESSAGE];
    let deadline = tokio::time::Instant::now() + UDP_TIMEOUT;
    loop {
        let n = tokio::time::timeout_at(deadline, sock.recv(&mut buf))
            .await
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{server} did not answer over UDP"),
                )
            })??;
        // Anything else on this port (a late answer, a forgery) is skipped.
        if let Ok(answer) = Message::from_vec(&buf[..n]) {
            if matches(query, id, &answer) {
                return Ok(answer);
            }
        }
    }
}

async fn over_tcp(uplink: &Uplink, server: SocketAddr, query: &Message) -> io::Result<Message> {
    let (id, bytes) = with_fresh_id(query)?;
    let len = u16::try_from(bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "query too long"))?;
    let work = async {
        let mut stream = tcp_connect(uplink, server).await?;
        let mut out = Vec::with_capacity(bytes.len() + 2);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&bytes);
        stream.write_all(&out).await?;
        let n = stream.read_u16().await?;
        let mut buf = vec![0u8; usize::from(n)];
        stream.read_exact(&mut buf).await?;
        let answer = Message::from_vec(&buf).map_err(io::Error::other)?;
        if matches(query, id, &answer) {
            Ok(answer)
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{server} answered another question over TCP"),
            ))
        }
    };
    tokio::time::timeout(TCP_TIMEOUT, work).await.map_err(|_| {
        io::Error::new(
            io::ErrorKind::TimedOut,
            format!("{server} did not answer over TCP"),
        )
    })?
}

async fn udp_socket(uplink: &Uplink, server: SocketAddr) -> io::Result<UdpSocket> {
    if server.ip().is_loopback() {
        let any = match server.ip() {
            IpAddr::V4(_) => SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            IpAddr::V6(_) => SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
        };
        return UdpSocket::bind(any).await;
    }
    let sock = masq_platform::sockets::udp_socket(uplink, Family::of(server.ip()))?;
    sock.set_nonblocking(true)?;
    UdpSocket::from_std(sock.into())
}

async fn tcp_connect(uplink: &Uplink, server: SocketAddr) -> io::Result<TcpStream> {
    if server.ip().is_loopback() {
        return TcpStream::connect(server).await;
    }
    let sock = masq_platform::sockets::tcp_socket(uplink, server, 64, None)?;
    sock.set_nonblocking(true)?;
    let std_stream: std::net::TcpStream = sock.into();
    TcpSocket::from_std_stream(std_stream).connect(server).await
}

#[cfg(test)]
mod tests {
    use hickory_proto::op::{OpCode, Query};
    use hickory_proto::rr::{Name, RecordType};

    use super::*;

    fn query() -> Message {
        let mut q = Message::new(1, MessageType::Query, OpCode::Query);
        q.add_query(Query::query(
            Name::from_ascii("www.example.test.").unwrap(),
            RecordType::A,
        ));
        q
    }

    #[test]
    fn answers_must_match_id_and_question() {
        let q = query();
        let mut a = Message::response(77, OpCode::Query);
        a.add_query(Query::query(
            Name::from_ascii("WWW.example.TEST.").unwrap(),
            RecordType::A,
        ));
        assert!(matches(&q, 77, &a));
        assert!(!matches(&q, 78, &a), "wrong id");
        let mut other = Message::response(77, OpCode::Query);
        other.add_query(Query::query(
            Name::from_ascii("evil.test.").unwrap(),
            RecordType::A,
        ));
        assert!(!matches(&q, 77, &other), "another question");
        let mut not_response = a.clone();
        not_response.metadata.message_type = MessageType::Query;
        assert!(!matches(&q, 77, &not_response));
    }

    #[test]
    fn fresh_ids_differ() {
        let q = query();
        let ids: std::collections::BTreeSet<u16> =
            (0..20).map(|_| with_fresh_id(&q).unwrap().0).collect();
        assert!(ids.len() > 10, "{ids:?}");
    }

    /// A fake resolver on loopback answering truncated over UDP and fully over TCP.
    #[tokio::test]
    async fn truncated_udp_answer_is_fetched_again_over_tcp() {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        let tcp = tokio::net::TcpListener::bind(addr).await.unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 2048];
            let (n, from) = udp.recv_from(&mut buf).await.unwrap();
            let q = Message::from_vec(&buf[..n]).unwrap();
            let mut a = Message::response(q.metadata.id, OpCode::Query);
            a.add_queries(q.queries.clone());
            a.metadata.truncation = true;
            udp.send_to(&a.to_vec().unwrap(), from).await.unwrap();
        });
        tokio::spawn(async move {
            let (mut s, _) = tcp.accept().await.unwrap();
            let n = s.read_u16().await.unwrap();
            let mut buf = vec![0u8; usize::from(n)];
            s.read_exact(&mut buf).await.unwrap();
            let q = Message::from_vec(&buf).unwrap();
            let mut a = Message::response(q.metadata.id, OpCode::Query);
            a.add_queries(q.queries.clone());
            a.add_answer(hickory_proto::rr::Record::from_rdata(
                q.queries[0].name().clone(),
                30,
                hickory_proto::rr::RData::A(hickory_proto::rr::rdata::A(Ipv4Addr::new(
                    192, 0, 2, 1,
                ))),
            ));
            let wire = a.to_vec().unwrap();
            s.write_all(&(wire.len() as u16).to_be_bytes())
                .await
                .unwrap();
            s.write_all(&wire).await.unwrap();
        });
        let uplink = Uplink {
            name: "lo".into(),
            index: 1,
            ipv4: None,
            ipv6: None,
        };
        let (answer, via) = exchange(&uplink, &[addr], &query(), false).await.unwrap();
        assert_eq!(via, Via::TcpFallback);
        assert!(!answer.metadata.truncation);
        assert_eq!(answer.answers.len(), 1);
    }

    #[tokio::test]
    async fn silent_resolver_times_out_and_no_resolver_is_an_error() {
        let uplink = Uplink {
            name: "lo".into(),
            index: 1,
            ipv4: None,
            ipv6: None,
        };
        let e = exchange(&uplink, &[], &query(), false).await.unwrap_err();
        assert!(e.to_string().contains("no usable nameserver"), "{e}");
        let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = silent.local_addr().unwrap();
        let e = exchange(&uplink, &[addr], &query(), false)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }
}
