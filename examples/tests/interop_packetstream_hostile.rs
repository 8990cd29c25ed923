//! Hostile input to our cs.packetstream side, from a raw socket: truncated
//! frames, huge declared lengths, unknown channels, duplicate in-flight
//! tags, malformed packets. Every case ends in a clear error or a clear
//! failure response, within seconds, without a panic, and without an
//! allocation anywhere near the declared sizes. (The original loses the
//! response, hangs, or kills its receive thread in several of these; see
//! the README.)

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use codec::FrameDecoder;
use codec_examples::packetstream::{
    demo, wire, Config, ConnError, Packet, PacketConnection, PacketHeader, PacketServer,
    PacketStream, RequestError, Summary,
};
use codec_tests::alloc::{self, Counting};

/// Records every allocation's size: `alloc::peak()` is the largest single
/// one made by this test binary, on any thread (the server's included).
#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// No test here may allocate more than this at once (the declared lengths
/// go up to 2^62).
const ALLOC_CEILING: usize = 32 << 20;

const LIMIT: Duration = Duration::from_secs(10);

fn frame(p: &Packet) -> Vec<u8> {
    wire::frame(p).unwrap()
}

fn request(channel: u64, tag: u64, rq_type: u64, payload: &[u8]) -> Vec<u8> {
    frame(&Packet::request(channel, tag, 0, rq_type, payload.to_vec()).unwrap())
}

/// A server with the demo handlers, stopped (and its summaries returned)
/// by the closure's end.
async fn with_server<F, Fut>(config: Config, f: F) -> Vec<Summary>
where
    F: FnOnce(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let server = PacketServer::bind("127.0.0.1:0", config, demo::handler())
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.serve();
    f(addr).await;
    let summaries = tokio::time::timeout(LIMIT, handle.shutdown())
        .await
        .expect("server shut down in time");
    assert!(
        alloc::peak() < ALLOC_CEILING,
        "an allocation of {} bytes",
        alloc::peak()
    );
    summaries
}

/// A raw peer: writes bytes, reads packets until the server's EOF packet
/// and socket EOF.
struct Raw {
    stream: TcpStream,
}

impl Raw {
    fn connect(addr: SocketAddr) -> Raw {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(LIMIT)).unwrap();
        Raw { stream }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// The next `n` packets.
    fn packets(&mut self, frames: &mut FrameDecoder<PacketHeader>, n: usize) -> Vec<Packet> {
        let mut out = Vec::new();
        let deadline = Instant::now() + LIMIT;
        let mut buf = [0u8; 4096];
        while out.len() < n {
            while let Some(m) = frames.next_message::<PacketStream>().unwrap() {
                out.push(m.into_packet());
            }
            if out.len() >= n {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no packet within {LIMIT:?}: {out:?}"
            );
            let k = self.stream.read(&mut buf).expect("server answers in time");
            assert!(k > 0, "server closed early; got {out:?}");
            frames.push(&buf[..k]);
        }
        out
    }

    /// Everything until the server closes its side: the packets, then a
    /// clean end (no partial frame).
    fn until_eof(&mut self, frames: &mut FrameDecoder<PacketHeader>) -> Vec<Packet> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            while let Some(m) = frames.next_message::<PacketStream>().unwrap() {
                out.push(m.into_packet());
            }
            let k = self.stream.read(&mut buf).expect("server closes in time");
            if k == 0 {
                frames.finish().unwrap();
                return out;
            }
            frames.push(&buf[..k]);
        }
    }
}

fn failure_text(p: &Packet) -> &str {
    assert_eq!(p.response_parts(), (false, 0), "a failure response: {p:?}");
    std::str::from_utf8(&p.payload).unwrap()
}

/// The golden request on a live socket gets the golden response, and our
/// ERQ/EOF the server's ERQ/EOF, byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn golden_exchange_on_the_wire() {
    with_server(Config::default(), |addr| async move {
        tokio::task::spawn_blocking(move || {
            let mut raw = Raw::connect(addr);
            raw.send(b"\x08\x02\x02\x01hello");
            let mut want = b"\x07\x02\x2cHELLO".to_vec();
            let mut got = vec![0; want.len()];
            raw.stream.read_exact(&mut got).unwrap();
            assert_eq!(got, want);
            raw.send(&[0x03, 0x01, 0x02, 0x00, 0x03, 0x00, 0x02, 0x00]);
            raw.stream.shutdown(Shutdown::Write).unwrap();
            want = vec![0x03, 0x01, 0x02, 0x00, 0x03, 0x00, 0x02, 0x00];
            got.clear();
            raw.stream.read_to_end(&mut got).unwrap();
            assert_eq!(got, want, "ERQ then EOF, then the socket closes");
        })
        .await
        .unwrap();
    })
    .await;
}

/// A frame cut short by a half-close: the connection ends with a
/// `Truncated` error, after our ERQ and EOF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_frame() {
    let summaries = with_server(Config::default(), |addr| async move {
        tokio::task::spawn_blocking(move || {
            let mut raw = Raw::connect(addr);
            raw.send(&request(0, 2, demo::UPPER, b"hello")[..5]);
            raw.stream.shutdown(Shutdown::Write).unwrap();
            let got = raw.until_eof(&mut FrameDecoder::new());
            assert_eq!(got, [Packet::ERQ, Packet::EOF]);
        })
        .await
        .unwrap();
    })
    .await;
    let err = summaries[0].error.as_ref().expect("an error");
    assert!(matches!(**err, ConnError::Truncated { have: 5 }), "{err}");
    assert_eq!(
        err.to_string(),
        "peer closed mid-packet (5 bytes of an unfinished frame)"
    );
}

/// A 2^35-byte (and a 2^62-byte) declared length: refused from the length
/// prefix alone, without waiting for the body or allocating for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_declared_length() {
    for declared in [1u64 << 35, 1 << 62] {
        let summaries = with_server(
            Config::default().max_frame_len(1 << 20),
            |addr| async move {
                tokio::task::spawn_blocking(move || {
                    let mut raw = Raw::connect(addr);
                    let mut bytes = Vec::new();
                    codec::wire::write_vlq(declared, &mut bytes);
                    bytes.extend_from_slice(b"\x02\x02\x01abc");
                    raw.send(&bytes);
                    // No half-close: the server must not wait for the body.
                    let got = raw.until_eof(&mut FrameDecoder::new());
                    assert_eq!(got, [Packet::ERQ, Packet::EOF]);
                })
                .await
                .unwrap();
            },
        )
        .await;
        let err = summaries[0].error.as_ref().expect("an error");
        assert!(
            matches!(**err, ConnError::FrameTooLarge { len, max: 1048576 } if len == declared),
            "{err}"
        );
    }
}

/// Unknown channel: a failure response `unknown channel 5`; the
/// connection goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_channel() {
    let summaries = with_server(Config::default(), |addr| async move {
        tokio::task::spawn_blocking(move || {
            let mut raw = Raw::connect(addr);
            let mut frames = FrameDecoder::new();
            raw.send(&request(5, 2, demo::UPPER, b"x"));
            let got = raw.packets(&mut frames, 1);
            assert_eq!((got[0].channel(), got[0].tag), (5, 2));
            assert_eq!(failure_text(&got[0]), "unknown channel 5");
            raw.send(&request(0, 3, demo::UPPER, b"still here"));
            let got = raw.packets(&mut frames, 1);
            assert_eq!(got[0].payload, b"STILL HERE");
            raw.send(&frame(&Packet::ERQ));
            raw.send(&frame(&Packet::EOF));
            assert_eq!(raw.until_eof(&mut frames), [Packet::ERQ, Packet::EOF]);
        })
        .await
        .unwrap();
    })
    .await;
    assert!(summaries[0].is_clean(), "{:?}", summaries[0]);
    assert_eq!(summaries[0].stats.rejected, 1);
}

/// A duplicate in-flight tag: the duplicate gets a failure response at
/// once, and the original's response still comes (the original loses it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_in_flight_tag() {
    with_server(Config::default(), |addr| async move {
        tokio::task::spawn_blocking(move || {
            let mut raw = Raw::connect(addr);
            let mut frames = FrameDecoder::new();
            raw.send(&request(0, 2, demo::SLOW, b"first"));
            raw.send(&request(0, 2, demo::UPPER, b"second"));
            let got = raw.packets(&mut frames, 2);
            assert_eq!(failure_text(&got[0]), "channel 0: tag already in use: 2");
            assert_eq!(got[1].tag, 2);
            assert_eq!(got[1].response_parts(), (true, 0));
            assert_eq!(got[1].payload, b"first");
            // Once answered, the tag may be used again.
            raw.send(&request(0, 2, demo::UPPER, b"again"));
            assert_eq!(raw.packets(&mut frames, 1)[0].payload, b"AGAIN");
            raw.send(&frame(&Packet::ERQ));
            raw.send(&frame(&Packet::EOF));
            assert_eq!(raw.until_eof(&mut frames), [Packet::ERQ, Packet::EOF]);
        })
        .await
        .unwrap();
    })
    .await;
}

/// A request with the reserved rq_type 0 that is not EOF/ERQ, a request
/// after the peer's ERQ, and an unsolicited response: each answered or
/// ignored, and the connection goes on (the original stops receiving on
/// the first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_late_requests() {
    let summaries = with_server(Config::default(), |addr| async move {
        tokio::task::spawn_blocking(move || {
            let mut raw = Raw::connect(addr);
            let mut frames = FrameDecoder::new();
            let mut reserved = Packet::request(0, 7, 0, 0, b"x".to_vec()).unwrap();
            reserved.rq_type = Some(0);
            raw.send(&frame(&reserved));
            let got = raw.packets(&mut frames, 1);
            assert_eq!(got[0].tag, 7);
            assert!(failure_text(&got[0]).starts_with("malformed request"));
            raw.send(&frame(
                &Packet::response(0, 9, true, 0, b"?".to_vec()).unwrap(),
            ));
            raw.send(&request(0, 8, demo::UPPER, b"ok"));
            assert_eq!(raw.packets(&mut frames, 1)[0].payload, b"OK");
            raw.send(&frame(&Packet::ERQ));
            raw.send(&request(0, 10, demo::UPPER, b"too late"));
            let got = raw.packets(&mut frames, 1);
            assert_eq!(failure_text(&got[0]), "requests no longer allowed");
            raw.send(&frame(&Packet::EOF));
            assert_eq!(raw.until_eof(&mut frames), [Packet::ERQ, Packet::EOF]);
        })
        .await
        .unwrap();
    })
    .await;
    let s = &summaries[0];
    assert!(s.is_clean(), "{s:?}");
    assert_eq!((s.stats.rejected, s.stats.unsolicited), (2, 1), "{s:?}");
}

/// A body that does not decode (the request bit set, no rq_type): a clear
/// error naming the field, then ERQ/EOF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_body() {
    let summaries = with_server(Config::default(), |addr| async move {
        tokio::task::spawn_blocking(move || {
            let mut raw = Raw::connect(addr);
            raw.send(&[0x02, 0x02, 0x02]);
            let got = raw.until_eof(&mut FrameDecoder::new());
            assert_eq!(got, [Packet::ERQ, Packet::EOF]);
        })
        .await
        .unwrap();
    })
    .await;
    let err = summaries[0].error.as_ref().expect("an error").to_string();
    assert!(
        err.starts_with("undecodable packet") && err.contains("Packet.rq_type"),
        "{err}"
    );
}

/// Our client against a hostile server: a duplicate response is dropped
/// and counted, then a huge declared length fails the request still
/// waiting, at once and clearly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_against_hostile_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(LIMIT)).unwrap();
        let mut raw = Raw { stream };
        let mut frames = FrameDecoder::new();
        let got = raw.packets(&mut frames, 2);
        assert_eq!((got[0].tag, got[1].tag), (2, 3));
        let ok = frame(&Packet::response(0, 2, true, 1, b"one".to_vec()).unwrap());
        raw.send(&ok);
        raw.send(&ok);
        let mut huge = Vec::new();
        codec::wire::write_vlq(1 << 40, &mut huge);
        raw.send(&huge);
        // Our client still ends in order: ERQ, EOF, close.
        assert_eq!(raw.until_eof(&mut frames), [Packet::ERQ, Packet::EOF]);
    });
    let conn = PacketConnection::connect(addr, Config::default())
        .await
        .unwrap();
    let first = conn.submit(0, 0, "a").unwrap();
    let second = conn.submit(0, 0, "b").unwrap();
    let r = tokio::time::timeout(LIMIT, first).await.unwrap().unwrap();
    assert_eq!((r.ok, r.flags, &r.payload[..]), (true, 1, &b"one"[..]));
    let err = tokio::time::timeout(LIMIT, second)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(&err, RequestError::Failed(e) if matches!(**e, ConnError::FrameTooLarge { .. })),
        "{err}"
    );
    let summary = tokio::time::timeout(LIMIT, conn.closed()).await.unwrap();
    assert_eq!(summary.stats.unsolicited, 1, "{summary:?}");
    assert!(summary.error.is_some());
    tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    assert!(alloc::peak() < ALLOC_CEILING);
}

/// A server that dies mid-frame: the waiting request fails with the
/// truncation, not a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_when_server_truncates() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let _ = stream.read(&mut buf);
        stream.write_all(&[0x07, 0x02, 0x2c, b'H']).unwrap();
        // Dropped: the socket closes mid-frame.
    });
    let conn = PacketConnection::connect(addr, Config::default())
        .await
        .unwrap();
    let err = tokio::time::timeout(LIMIT, conn.request(0, 0, "hello"))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "connection failed before the response: peer closed mid-packet (4 bytes of an unfinished frame)"
    );
    server.join().unwrap();
    let summary = tokio::time::timeout(LIMIT, conn.closed()).await.unwrap();
    assert!(matches!(
        summary.error.as_deref(),
        Some(ConnError::Truncated { have: 4 })
    ));
}

/// A peer that never reads nor sends EOF cannot hold a close forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_is_bounded_by_the_grace() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        std::thread::sleep(Duration::from_secs(2));
        drop(stream);
    });
    let config = Config::default().close_grace(Duration::from_millis(300));
    let conn = PacketConnection::connect(addr, config).await.unwrap();
    let pending = conn.submit(0, 0, "never answered").unwrap();
    let started = Instant::now();
    let summary = tokio::time::timeout(LIMIT, conn.close()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let err = summary.error.expect("a grace error").to_string();
    assert!(err.contains("within 300ms"), "{err}");
    assert!(matches!(pending.await, Err(RequestError::Abandoned)));
    server.join().unwrap();
}
