//! Our cs.packetstream against the real one (cs.packetstream 20240630,
//! pinned in examples/peers/requirements.txt), both directions, on
//! 127.0.0.1 with ports picked by the OS.

mod support {
    pub mod interop;
}

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codec::Decode;
use codec_examples::packetstream::{
    demo, wire, Config, Failure, Handler, Packet, PacketConnection, PacketServer, Reply, Request,
    RequestError,
};
use support::interop::{assert_clean_exit, py_driver, within, Proc};

const LIMIT: Duration = Duration::from_secs(60);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn py_server(extra: &[&str]) -> (Proc, std::net::SocketAddr) {
    let mut cmd = py_driver("packetstream_peer.py");
    cmd.args(["serve", "--listen", "127.0.0.1:0"]).args(extra);
    let mut proc = Proc::spawn("python packetstream server", &mut cmd);
    let addr = proc.listening_addr();
    (proc, addr)
}

fn rust_server_binary() -> (Proc, std::net::SocketAddr) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_packetstream-peer"));
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    let mut proc = Proc::spawn("packetstream-peer serve", &mut cmd);
    let addr = proc.listening_addr();
    (proc, addr)
}

/// The golden packets, as cs.packetstream writes them and as it parses ours.
#[test]
fn golden_bytes_match_cs_packetstream() {
    let ours: Vec<(&str, Packet)> = vec![
        (
            "request",
            Packet::request(0, 2, 0, 0, b"hello".to_vec()).unwrap(),
        ),
        (
            "response",
            Packet::response(0, 2, true, 5, b"HELLO".to_vec()).unwrap(),
        ),
        ("failure", Packet::failure(0, 3, "exception during handler")),
        (
            "channel",
            Packet::request(7, 300, 1, 200, b"x".to_vec()).unwrap(),
        ),
        ("erq", Packet::ERQ),
        ("eof", Packet::EOF),
    ];
    // The literal bytes of docs/WIRE-packetstream.md ("Exact bytes") first.
    let literal = [
        "0802020168656c6c6f",
        "07022c48454c4c4f",
        "1a0300657863657074696f6e20647572696e672068616e646c6572",
    ];
    for (i, want) in literal.iter().enumerate() {
        assert_eq!(hex(&wire::frame(&ours[i].1).unwrap()), *want);
    }
    assert_eq!(hex(&wire::frame(&Packet::ERQ).unwrap()), "03010200");
    assert_eq!(hex(&wire::frame(&Packet::EOF).unwrap()), "03000200");

    let mut golden = Proc::spawn(
        "packetstream_peer.py golden",
        py_driver("packetstream_peer.py").arg("golden"),
    );
    let done = golden.finish(LIMIT);
    assert_clean_exit("golden", &done);
    let theirs: HashMap<String, String> = done
        .stdout
        .iter()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut frames = Vec::new();
    for (name, packet) in &ours {
        let bytes = wire::frame(packet).unwrap();
        assert_eq!(theirs.get(*name), Some(&hex(&bytes)), "{name}");
        frames.push(hex(&bytes));
        // And their bytes decode to our packet.
        let decoded = codec_examples::packetstream::PacketStream::from_bytes(&bytes).unwrap();
        assert_eq!(&decoded.into_packet(), packet);
    }

    let mut parse = Proc::spawn(
        "packetstream_peer.py parse",
        py_driver("packetstream_peer.py").arg("parse").args(&frames),
    );
    let done = parse.finish(LIMIT);
    assert_clean_exit("parse", &done);
    let lines: Vec<&str> = done
        .stdout
        .iter()
        .filter(|l| l.starts_with("is_request="))
        .map(String::as_str)
        .collect();
    assert_eq!(
        lines,
        [
            "is_request=True channel=0 tag=2 flags=0 rq_type=1 payload=hello rest=0",
            "is_request=False channel=0 tag=2 flags=11 rq_type=None payload=HELLO rest=0",
            "is_request=False channel=0 tag=3 flags=0 rq_type=None payload=exception during handler rest=0",
            "is_request=True channel=7 tag=300 flags=1 rq_type=201 payload=x rest=0",
            "is_request=True channel=0 tag=1 flags=0 rq_type=0 payload= rest=0",
            "is_request=True channel=0 tag=0 flags=0 rq_type=0 payload= rest=0",
        ]
    );
}

/// Rust client, Python server: ok with flags, a failing handler, 50
/// pipelined requests answered out of order, tags 2.. unique, ERQ/EOF both
/// ways with the Python side exiting cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_to_python_server() {
    let (mut py, addr) = tokio::task::block_in_place(|| py_server(&[]));
    within(LIMIT, "rust client", async {
        let conn = PacketConnection::connect(addr, Config::default())
            .await
            .unwrap();
        let hello = conn.submit(demo::UPPER, 3, "hello").unwrap();
        assert_eq!(hello.tag(), 2, "the first tag is 2");
        let r = hello.await.unwrap();
        assert_eq!((r.ok, r.flags, &r.payload[..]), (true, 5, &b"HELLO"[..]));

        let r = conn.request(demo::FAIL, 0, "boom").await.unwrap();
        assert_eq!(
            (r.ok, r.flags, &r.payload[..]),
            (false, 0, &b"exception during handler"[..])
        );

        // 50 pipelined: even ones SLOW (0.3 s), odd ones UPPER (at once).
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..50u64 {
            let rq = if i % 2 == 0 { demo::SLOW } else { demo::UPPER };
            let pending = conn.submit(rq, 0, format!("p{i}")).unwrap();
            assert_eq!(pending.tag(), 4 + i, "tags are sequential and never reused");
            let order = Arc::clone(&order);
            tasks.push(tokio::spawn(async move {
                let r = pending.await;
                order.lock().unwrap().push(i);
                r
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            let r = t.await.unwrap().unwrap();
            let want = if i % 2 == 0 {
                (0, format!("p{i}"))
            } else {
                (5, format!("P{i}"))
            };
            assert_eq!(
                (r.ok, r.flags, r.payload),
                (true, want.0, want.1.into_bytes())
            );
        }
        let order = order.lock().unwrap().clone();
        let first_slow = order.iter().position(|&i| i == 0).unwrap();
        assert!(
            order[..first_slow].iter().any(|i| i % 2 == 1),
            "UPPER responses overtake SLOW ones: {order:?}"
        );

        let summary = conn.close().await;
        assert!(summary.is_clean(), "{summary:?}");
        assert!(
            summary.stats.peer_erq && summary.stats.peer_eof,
            "{summary:?}"
        );
        assert_eq!(summary.stats.responses, 52);
        assert!(matches!(
            conn.submit(0, 0, "late"),
            Err(RequestError::Closed)
        ));
    })
    .await;
    let done = tokio::task::block_in_place(|| py.finish(LIMIT));
    assert_clean_exit("python server", &done);
    assert!(
        done.stdout
            .iter()
            .any(|l| l == "connection 0 closed after 52 requests"),
        "{done:?}"
    );
}

/// `packetstream-peer call` against the Python server: the output lines
/// and exit status the issue specifies.
#[test]
fn call_binary_to_python_server() {
    let (mut py, addr) = py_server(&["--connections", "2"]);
    let call = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_packetstream-peer"));
        cmd.args(["call", "--server", &addr.to_string()]).args(args);
        Proc::spawn("packetstream-peer call", &mut cmd).finish(LIMIT)
    };
    let done = call(&["0", "hello", "world"]);
    assert_eq!(done.status.code(), Some(0), "{done:?}");
    assert_eq!(
        done.stdout,
        [
            "ok=true flags=5 payload=HELLO",
            "ok=true flags=5 payload=WORLD"
        ]
    );
    let done = call(&["1", "x"]);
    assert_eq!(done.status.code(), Some(1), "{done:?}");
    assert_eq!(
        done.stdout,
        ["ok=false flags=0 payload=exception during handler"]
    );
    let done = py.finish(LIMIT);
    assert_clean_exit("python server", &done);
}

/// The Python server ends first: ERQ, its running handler's response after
/// the ERQ (accepted), EOF; our side answers with ERQ and EOF on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_server_closes_first() {
    let (mut py, addr) = tokio::task::block_in_place(|| py_server(&["--close-after", "1"]));
    within(LIMIT, "rust client", async {
        let conn = PacketConnection::connect(addr, Config::default())
            .await
            .unwrap();
        let r = conn.request(demo::SLOW, 0, "late").await.unwrap();
        assert_eq!((r.ok, &r.payload[..]), (true, &b"late"[..]));
        let summary = conn.closed().await;
        assert!(summary.is_clean(), "{summary:?}");
        assert!(summary.stats.peer_erq && summary.stats.peer_eof);
        assert_eq!(
            summary.stats.responses_after_peer_erq, 1,
            "the response came after the peer's ERQ and was accepted"
        );
        assert!(matches!(conn.submit(0, 0, "x"), Err(RequestError::Closed)));
    })
    .await;
    let done = tokio::task::block_in_place(|| py.finish(LIMIT));
    assert_clean_exit("python server", &done);
    assert!(done.stdout.iter().any(|l| l == "closing after 1 requests"));
}

/// Python client, `packetstream-peer serve`: the same cases; the Python
/// client's ERQ/EOF is answered by ours, so it exits cleanly.
#[test]
fn python_client_to_rust_server() {
    let (mut server, addr) = rust_server_binary();
    let call = |args: &[&str]| {
        let mut cmd = py_driver("packetstream_peer.py");
        cmd.args(["call", "--server", &addr.to_string()]).args(args);
        Proc::spawn("python packetstream client", &mut cmd).finish(LIMIT)
    };
    let responses = |done: &support::interop::Finished| -> Vec<String> {
        done.stdout
            .iter()
            .filter(|l| l.starts_with("ok="))
            .cloned()
            .collect()
    };

    let done = call(&["--flags", "3", "0", "hello"]);
    assert_clean_exit("python client", &done);
    assert_eq!(responses(&done), ["ok=true flags=5 payload=HELLO"]);

    let done = call(&["1", "x"]);
    assert_eq!(done.status.code(), Some(1), "{done:?}");
    assert_eq!(
        support::interop::unexpected_tracebacks(&done.stderr),
        0,
        "{}",
        done.stderr
    );
    assert_eq!(
        responses(&done),
        ["ok=false flags=0 payload=exception during handler"]
    );

    let payloads: Vec<String> = (0..50).map(|i| format!("p{i}")).collect();
    let mut args = vec!["--show-order", "2,0"];
    args.extend(payloads.iter().map(String::as_str));
    let done = call(&args);
    assert_clean_exit("python client", &done);
    let want: Vec<String> = (0..50)
        .map(|i| {
            if i % 2 == 0 {
                format!("ok=true flags=0 payload=p{i}")
            } else {
                format!("ok=true flags=5 payload=P{i}")
            }
        })
        .collect();
    assert_eq!(responses(&done), want);
    let order = done
        .stdout
        .iter()
        .find_map(|l| l.strip_prefix("order="))
        .expect("an order line");
    let order: Vec<usize> = order.split(',').map(|i| i.parse().unwrap()).collect();
    assert_eq!(order.len(), 50);
    let first_slow = order.iter().position(|&i| i == 0).unwrap();
    assert!(
        order[..first_slow].iter().any(|i| i % 2 == 1),
        "responses overtake each other: {order:?}"
    );

    let done = server.kill();
    assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
    assert_eq!(
        done.stderr.matches("connection closed").count(),
        3,
        "{}",
        done.stderr
    );
}

/// Our server ends first while the Python client waits for a SLOW
/// response: ERQ, the response after it, EOF; Python sees them, closes in
/// turn, and exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_server_closes_first() {
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let inner = demo::handler();
    let handler: Arc<dyn Handler> = Arc::new(move |req: Request| {
        let _ = seen_tx.send(req.tag);
        inner.handle(req)
    });
    let server = PacketServer::bind("127.0.0.1:0", Config::default(), handler)
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.serve();
    let mut py = tokio::task::block_in_place(|| {
        let mut cmd = py_driver("packetstream_peer.py");
        cmd.args([
            "call",
            "--server",
            &addr.to_string(),
            "--wait-peer-close",
            "2",
            "slowpoke",
        ]);
        Proc::spawn("python packetstream client", &mut cmd)
    });
    let tag = within(LIMIT, "request seen", seen.recv()).await;
    assert_eq!(tag, Some(2));
    let summaries = within(LIMIT, "server shutdown", handle.shutdown()).await;
    assert_eq!(summaries.len(), 1);
    let s = &summaries[0];
    assert!(s.is_clean(), "{s:?}");
    assert!(
        s.stats.peer_erq && s.stats.peer_eof,
        "python answered ERQ/EOF: {s:?}"
    );
    let done = tokio::task::block_in_place(|| py.finish(LIMIT));
    assert_clean_exit("python client", &done);
    let lines: Vec<&String> = done
        .stdout
        .iter()
        .filter(|l| l.starts_with("ok=") || *l == "peer closed")
        .collect();
    assert_eq!(lines, ["ok=true flags=0 payload=slowpoke", "peer closed"]);
}

/// A failing handler in our server becomes a failure response for the
/// Python client, and a Python-side handler failure the same for ours.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_handler_failure_reason_reaches_python() {
    let handler: Arc<dyn Handler> = Arc::new(|req: Request| async move {
        if req.payload.is_empty() {
            Err(Failure::from("empty payload"))
        } else {
            Ok(Reply::new(req.rq_type, req.payload))
        }
    });
    let server = PacketServer::bind("127.0.0.1:0", Config::default(), handler)
        .await
        .unwrap();
    let addr = server.local_addr().unwrap();
    let handle = server.serve();
    let done = tokio::task::block_in_place(|| {
        let mut cmd = py_driver("packetstream_peer.py");
        cmd.args(["call", "--server", &addr.to_string(), "7", "abc", ""]);
        Proc::spawn("python packetstream client", &mut cmd).finish(LIMIT)
    });
    assert_eq!(done.status.code(), Some(1), "{done:?}");
    assert_eq!(
        support::interop::unexpected_tracebacks(&done.stderr),
        0,
        "{}",
        done.stderr
    );
    let lines: Vec<&String> = done
        .stdout
        .iter()
        .filter(|l| l.starts_with("ok="))
        .collect();
    assert_eq!(
        lines,
        [
            "ok=true flags=7 payload=abc",
            "ok=false flags=0 payload=empty payload"
        ]
    );
    let summaries = within(LIMIT, "server shutdown", handle.shutdown()).await;
    assert!(summaries.iter().all(|s| s.is_clean()), "{summaries:?}");
}
