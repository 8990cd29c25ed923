//! Our Stockings framing against the real one (Stockings 1.2.3, pinned in
//! examples/peers/requirements.txt), both directions, blocking and tokio,
//! plus hostile input to our side. Loopback only, ports picked by the OS.

mod support {
    pub mod interop;
}

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use codec::frame::FrameError;
use codec::Header;
use codec_examples::stockings::{
    connect_blocking, BlockingStockings, Stockings, StockingsHeader, StockingsStream,
};
use support::interop::{assert_clean_exit, describe, gen_message, py_driver, within, Proc};

const LIMIT: Duration = Duration::from_secs(60);
const LENGTHS: [usize; 6] = [0, 63, 64, 8191, 8192, 1 << 20];

fn message(kind: &str, n: usize) -> Stockings {
    let data = gen_message(kind, n);
    match kind {
        "bytes" => Stockings::bytes(data),
        _ => Stockings::text(String::from_utf8(data).expect("generated str is UTF-8")),
    }
}

fn header(id: u64, len: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    StockingsHeader::write(id, len, &mut buf).unwrap();
    buf
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn py_server() -> (Proc, SocketAddr) {
    let mut cmd = py_driver("stockings_peer.py");
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    let mut proc = Proc::spawn("python stockings server", &mut cmd);
    let addr = proc.listening_addr();
    (proc, addr)
}

fn rust_server_binary() -> (Proc, SocketAddr) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stockings-peer"));
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    let mut proc = Proc::spawn("stockings-peer serve", &mut cmd);
    let addr = proc.listening_addr();
    (proc, addr)
}

fn py_send(addr: SocketAddr) -> support::interop::Finished {
    let lengths: Vec<String> = LENGTHS.iter().map(|n| n.to_string()).collect();
    let mut cmd = py_driver("stockings_peer.py");
    cmd.args([
        "send",
        "--server",
        &addr.to_string(),
        "--lengths",
        &lengths.join(","),
    ]);
    Proc::spawn("python stockings client", &mut cmd).finish(LIMIT)
}

fn expected_echo_lines() -> Vec<String> {
    ["str", "bytes"]
        .iter()
        .flat_map(|kind| {
            LENGTHS
                .iter()
                .map(move |&n| format!("echo ok {}", describe(kind, &gen_message(kind, n))))
        })
        .collect()
}

/// Our headers are Stockings' `MessageHeaders.serialize`, byte for byte.
#[test]
fn headers_match_stockings() {
    assert_eq!(Stockings::text("hi").to_bytes_vec(), [0x82, 0x68, 0x69]);
    let lengths = [0usize, 1, 2, 63, 64, 70, 100, 8191, 8192, 1 << 20, 1 << 30];
    let arg: Vec<String> = lengths.iter().map(|n| n.to_string()).collect();
    let mut cmd = py_driver("stockings_peer.py");
    cmd.args(["headers", "--lengths", &arg.join(",")]);
    let done = Proc::spawn("stockings_peer.py headers", &mut cmd).finish(LIMIT);
    assert_clean_exit("headers", &done);
    let mut want = Vec::new();
    for (kind, id) in [("str", 0), ("bytes", 1)] {
        for n in lengths {
            want.push(format!("{kind} {n} {}", hex(&header(id, n))));
        }
    }
    assert_eq!(done.stdout, want);
    assert_eq!(hex(&header(1, 70)), "4681");
    assert_eq!(hex(&header(1, 100)), "6481");
}

trait ToBytesVec {
    fn to_bytes_vec(&self) -> Vec<u8>;
}

impl ToBytesVec for Stockings {
    fn to_bytes_vec(&self) -> Vec<u8> {
        codec::frame::frame_bytes(self).unwrap()
    }
}

/// Blocking Rust client, Python server: every length, both types, and a
/// header trickled one byte per 50 ms.
#[test]
fn rust_blocking_client_to_python_server() {
    let (mut py, addr) = py_server();
    let mut conn = connect_blocking(addr).unwrap();
    conn.get_ref().set_read_timeout(Some(LIMIT)).unwrap();
    let mut sent = Vec::new();
    for kind in ["str", "bytes"] {
        for n in LENGTHS {
            let msg = message(kind, n);
            conn.send(&msg).unwrap();
            let echo = conn.recv().unwrap().expect("an echo");
            assert!(echo == msg, "{kind} {n}: echo differs");
            sent.push(describe(kind, msg.as_bytes()));
        }
    }
    // Trickled: the header of an 8192-byte bytes message, one byte every
    // 50 ms, then the body.
    let msg = message("bytes", 8192);
    let frame = msg.to_bytes_vec();
    let head = StockingsHeader::encoded_len(1, 8192);
    for b in &frame[..head] {
        conn.get_mut().write_all(std::slice::from_ref(b)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    conn.get_mut().write_all(&frame[head..]).unwrap();
    assert!(conn.recv().unwrap().expect("an echo") == msg);
    sent.push(describe("bytes", msg.as_bytes()));

    conn.get_ref().shutdown(Shutdown::Write).unwrap();
    let done = py.finish(LIMIT);
    assert_clean_exit("python server", &done);
    let received: Vec<String> = done
        .stdout
        .iter()
        .filter_map(|l| l.strip_prefix("received "))
        .map(str::to_string)
        .collect();
    assert_eq!(received, sent);
    assert!(done.stdout.iter().any(|l| l == "closed after 13 messages"));
}

/// tokio Rust client, Python server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_tokio_client_to_python_server() {
    let (mut py, addr) = tokio::task::block_in_place(py_server);
    within(LIMIT, "tokio client", async {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut conn = StockingsStream::new(stream);
        for kind in ["bytes", "str"] {
            for n in LENGTHS {
                let msg = message(kind, n);
                conn.send(&msg).await.unwrap();
                let echo = conn.recv().await.unwrap().expect("an echo");
                assert!(echo == msg, "{kind} {n}: echo differs");
            }
        }
        conn.shutdown().await.unwrap();
        assert!(
            conn.recv().await.unwrap().is_none(),
            "Python closes after us"
        );
    })
    .await;
    let done = tokio::task::block_in_place(|| py.finish(LIMIT));
    assert_clean_exit("python server", &done);
    assert!(done.stdout.iter().any(|l| l == "closed after 12 messages"));
}

/// Python client, `stockings-peer serve` (tokio): every length, both
/// types, echoed exactly.
#[test]
fn python_client_to_rust_tokio_server() {
    let (mut server, addr) = rust_server_binary();
    let done = py_send(addr);
    assert_clean_exit("python client", &done);
    let echoes: Vec<&String> = done
        .stdout
        .iter()
        .filter(|l| l.starts_with("echo"))
        .collect();
    assert_eq!(echoes, expected_echo_lines().iter().collect::<Vec<_>>());
    let done = server.kill();
    assert!(
        done.stderr.contains("connection closed after 12 replies"),
        "{}",
        done.stderr
    );
}

/// Python client, an echo server on the blocking transport.
#[test]
fn python_client_to_rust_blocking_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(LIMIT)).unwrap();
        let mut conn = BlockingStockings::new(stream);
        let mut n = 0;
        while let Some(msg) = conn.recv().unwrap() {
            conn.send(&msg).unwrap();
            n += 1;
        }
        n
    });
    let done = py_send(addr);
    assert_clean_exit("python client", &done);
    let echoes: Vec<&String> = done
        .stdout
        .iter()
        .filter(|l| l.starts_with("echo"))
        .collect();
    assert_eq!(echoes, expected_echo_lines().iter().collect::<Vec<_>>());
    assert_eq!(server.join().unwrap(), 12);
}

fn raw(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// A `str` frame that is not UTF-8: a clear error for that frame, and the
/// connection goes on (the original's receive thread dies with a
/// UnicodeDecodeError and the connection closes).
#[test]
fn invalid_utf8_is_an_error_not_a_dead_connection() {
    // Blocking transport.
    let mut input = vec![0x83, b'a', 0xff, 0xfe];
    input.extend(Stockings::text("after").to_bytes_vec());
    let mut conn = BlockingStockings::new(std::io::Cursor::new(input));
    let err = conn.recv().unwrap_err();
    assert!(matches!(err, FrameError::Payload(_)));
    assert_eq!(
        err.to_string(),
        "invalid utf-8 (valid up to byte 1 of the string) at byte 1 in Text.text"
    );
    assert_eq!(conn.recv().unwrap(), Some(Stockings::text("after")));
    assert_eq!(conn.recv().unwrap(), None);

    // The tokio echo server: an error reply, then the next echo.
    let (mut server, addr) = rust_server_binary();
    let mut s = raw(addr);
    s.write_all(&[0x83, b'a', 0xff, 0xfe]).unwrap();
    s.write_all(&Stockings::text("hi").to_bytes_vec()).unwrap();
    let mut conn = BlockingStockings::new(s);
    let Some(Stockings::Text(reply)) = conn.recv().unwrap() else {
        panic!("a str reply")
    };
    assert!(
        reply.text.starts_with("error: invalid utf-8"),
        "{}",
        reply.text
    );
    assert_eq!(conn.recv().unwrap(), Some(Stockings::text("hi")));
    drop(conn);
    let done = server.kill();
    assert!(
        done.stderr.contains("bad message (skipped)"),
        "{}",
        done.stderr
    );
}

/// Reads until the server closes the connection; true if it did within
/// 10 s and without sending more than a few replies.
fn closed_by_server(mut s: TcpStream) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 4096];
    let mut total = 0;
    while std::time::Instant::now() < deadline && total < 64 * 1024 {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => total += n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
    false
}

/// Huge declared lengths, overlong headers, truncated frames: each ends
/// that connection at once with a logged reason; the server lives on.
#[test]
fn hostile_frames_to_the_server() {
    let (mut server, addr) = rust_server_binary();

    // 2^61 bytes declared, and nothing more: refused from the header.
    let mut s = raw(addr);
    s.write_all(&[0x00, 0, 0, 0, 0, 0, 0, 0, 0xc0]).unwrap();
    assert!(closed_by_server(s), "huge length: connection closed");

    // Twelve header bytes without the end mark.
    let mut s = raw(addr);
    s.write_all(&[0x3f; 12]).unwrap();
    assert!(closed_by_server(s), "overlong header: connection closed");

    // 100 bytes declared, 10 sent, then a half-close.
    let mut s = raw(addr);
    s.write_all(&header(1, 100)).unwrap();
    s.write_all(&[7; 10]).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    assert!(closed_by_server(s), "truncated: connection closed");

    // A trickled header still works, and so does the server.
    let mut s = raw(addr);
    let frame = Stockings::text("still serving").to_bytes_vec();
    for b in &frame[..1] {
        s.write_all(std::slice::from_ref(b)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    s.write_all(&frame[1..]).unwrap();
    let mut conn = BlockingStockings::new(s);
    assert_eq!(conn.recv().unwrap(), Some(Stockings::text("still serving")));
    drop(conn);

    let done = server.kill();
    for reason in [
        "over the limit",
        "varint too long",
        "stream ended inside a frame (12 bytes received, at least 90 more needed)",
    ] {
        assert!(
            done.stderr.contains(reason),
            "{reason:?} in {}",
            done.stderr
        );
    }
    assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
}

/// `stockings-peer recv`: prints what arrives, a trickled multi-byte
/// header included, reports a bad frame, and goes on.
#[test]
fn recv_binary_prints_messages() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stockings-peer"));
    cmd.args(["recv", "--listen", "127.0.0.1:0", "--count", "3"]);
    let mut recv = Proc::spawn("stockings-peer recv", &mut cmd);
    let addr = recv.listening_addr();
    let mut s = raw(addr);
    let frame = Stockings::bytes(vec![b'x'; 70]).to_bytes_vec();
    for b in &frame[..2] {
        s.write_all(std::slice::from_ref(b)).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    s.write_all(&frame[2..]).unwrap();
    s.write_all(&[0x82, 0xc3, 0x28]).unwrap();
    s.write_all(&Stockings::text("h\u{e9}").to_bytes_vec())
        .unwrap();
    let done = recv.finish(LIMIT);
    assert_eq!(
        done.status.code(),
        Some(1),
        "a bad frame was seen: {done:?}"
    );
    assert_eq!(done.stdout.len(), 4, "{done:?}");
    assert_eq!(
        done.stdout[1],
        format!("type=bytes len=70 payload={}", "x".repeat(70))
    );
    assert!(
        done.stdout[2].starts_with("error=invalid utf-8"),
        "{done:?}"
    );
    assert_eq!(done.stdout[3], "type=str len=3 payload=h\\xc3\\xa9");
}
