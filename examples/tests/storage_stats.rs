//! Stats and metrics through the real `storage` binary: `storage stats`
//! after known requests shows their exact counts, `serve --metrics` is
//! scraped over plain HTTP, and the counter summary is logged at shutdown.

mod support {
    pub mod storage;
}

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use support::storage::*;

/// `storage serve --listen 127.0.0.1:0 --metrics 127.0.0.1:0 ARGS...`
/// and the metrics address it printed.
fn start(args: &[&str]) -> (ServerProc, String) {
    let mut all = vec!["--metrics", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let server = ServerProc::start(&all);
    let metrics = server
        .before
        .iter()
        .find_map(|l| l.strip_prefix("metrics on "))
        .unwrap_or_else(|| {
            panic!(
                "no `metrics on` line before `listening on`: {:?}",
                server.before
            )
        })
        .trim()
        .to_string();
    (server, metrics)
}

fn named(trans: u8, name: &str) -> Vec<u8> {
    let mut p = vec![trans, name.len() as u8];
    p.extend_from_slice(name.as_bytes());
    p
}

fn store(trans: u8, name: &str, data: &[u8]) -> Vec<u8> {
    let mut p = named(trans, name);
    p.extend_from_slice(&(data.len() as u16).to_be_bytes());
    p.extend_from_slice(data);
    frame(0x01, &p)
}

/// Sends `frame` and returns the reply's id and status byte (at
/// `status_at` in the payload).
fn call(s: &mut TcpStream, frame: &[u8], status_at: usize) -> (u8, u8) {
    s.write_all(frame).unwrap();
    let (id, payload) = read_frame(s).unwrap();
    (id, payload[status_at])
}

/// Known requests over one raw connection: two stores, a fetch that hits,
/// one that misses (`Ekey`: not an error), a delete, and a commit of an
/// upload that does not exist (`Einval`: the one error). One key is left.
fn known_requests(addr: &str) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    // StoreResponse: trans | name.len | name | status.
    assert_eq!(call(&mut s, &store(1, "a", b"apple"), 3), (0x02, 0));
    assert_eq!(call(&mut s, &store(2, "b", b"banana"), 3), (0x02, 0));
    // FetchResponse: trans | status | ...
    assert_eq!(call(&mut s, &frame(0x03, &named(3, "a")), 1), (0x04, 0));
    assert_eq!(call(&mut s, &frame(0x03, &named(4, "nope")), 1), (0x04, 2));
    // DeleteResponse: trans | name.len | name | status.
    assert_eq!(call(&mut s, &frame(0x10, &named(5, "b")), 3), (0x11, 0));
    // PutCommit of upload 99: a StoreResponse with an empty name, Einval.
    assert_eq!(call(&mut s, &frame(0x24, &[6, 99]), 2), (0x02, 3));
}

/// The value of `name` in `storage stats` output.
fn stat(out: &str, name: &str) -> Option<String> {
    out.lines().find_map(|l| {
        let mut parts = l.split_whitespace();
        (parts.next() == Some(name)).then(|| parts.next().unwrap_or("").to_string())
    })
}

/// GET /metrics over a plain TcpStream; the status line and the body.
fn scrape(addr: &str, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/plain\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").expect("a head and a body");
    let status = head.lines().next().unwrap().to_string();
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    (status, body.to_string())
}

#[test]
fn stats_metrics_and_the_shutdown_summary() {
    let (mut server, metrics) = start(&["--memory"]);
    known_requests(&server.addr);

    let r = run(&["--server", &server.addr, "stats"], None, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.out();
    for (name, value) in [
        // The raw connection and this command's.
        ("connections", "2"),
        ("requests.StoreRequest", "2"),
        ("requests.FetchRequest", "2"),
        ("requests.DeleteRequest", "1"),
        ("requests.PutCommit", "1"),
        ("errors.PutCommit", "1"),
        ("keys", "1"),
        // In memory: each store and delete is a commit.
        ("commits", "3"),
        ("db_bytes", "5"),
        ("cache_hit_rate", "-"),
    ] {
        assert_eq!(stat(&out, name).as_deref(), Some(value), "{name} in\n{out}");
    }
    // No other errors, and the stats request does not count itself.
    assert_eq!(out.matches("errors.").count(), 1, "{out}");
    assert_eq!(stat(&out, "requests.StatsRequest"), None, "{out}");
    assert!(stat(&out, "bytes_in").unwrap().parse::<u64>().unwrap() > 0);

    let (status, body) = scrape(&metrics, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK");
    for line in [
        "# TYPE storage_connections_total counter",
        "storage_connections_total 2",
        "# TYPE storage_requests_total counter",
        "storage_requests_total{message=\"StoreRequest\"} 2",
        "storage_requests_total{message=\"FetchRequest\"} 2",
        "storage_requests_total{message=\"DeleteRequest\"} 1",
        "storage_requests_total{message=\"PutCommit\"} 1",
        // `storage stats` is counted once its reply has gone.
        "storage_requests_total{message=\"StatsRequest\"} 1",
        "# TYPE storage_errors_total counter",
        "storage_errors_total{message=\"PutCommit\"} 1",
        "# TYPE storage_commits_total counter",
        "storage_commits_total 3",
        "# TYPE storage_keys gauge",
        "storage_keys 1",
        "# HELP storage_keys Keys stored.",
    ] {
        assert!(
            body.lines().any(|l| l == line),
            "{line:?} missing from\n{body}"
        );
    }
    // Every sample's family has exactly one `# TYPE` line.
    for sample in body.lines().filter(|l| !l.starts_with('#')) {
        let metric = sample.split(['{', ' ']).next().unwrap();
        let ty = format!("# TYPE {metric} ");
        assert_eq!(body.matches(&ty).count(), 1, "{metric} in\n{body}");
    }
    assert_eq!(scrape(&metrics, "/nothing").0, "HTTP/1.1 404 Not Found");

    assert!(server.terminate().success(), "{}", server.stderr());
    // The last log lines, written just before the exit.
    thread::sleep(Duration::from_millis(100));
    let log = server.stderr();
    let line = log
        .lines()
        .find(|l| l.contains("counters at shutdown"))
        .unwrap_or_else(|| panic!("no summary in\n{log}"));
    for field in [
        "connections=2",
        "requests=7",
        "errors=1",
        "commits=3",
        "keys=1",
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
}

/// The handler hears of no disconnection, so a watcher whose connection
/// ended is dropped at the next watch request: `watchers` counts live
/// subscriptions only, and a quiet key's departed watchers do not pile up.
#[test]
fn watchers_of_closed_connections_are_dropped() {
    let (mut server, _) = start(&["--memory"]);
    let watch = |name: &str| {
        let mut p = vec![1, 1, name.len() as u8];
        p.extend_from_slice(name.as_bytes());
        frame(0x14, &p)
    };
    let watchers = |addr: &str| {
        let r = run(&["--server", addr, "stats"], None, &[]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        stat(&r.out(), "watchers").expect("a watchers line")
    };
    let mut gone = TcpStream::connect(&server.addr).unwrap();
    assert_eq!(call(&mut gone, &watch("quiet"), 7), (0x15, 0));
    let mut live = TcpStream::connect(&server.addr).unwrap();
    assert_eq!(call(&mut live, &watch("other"), 7), (0x15, 0));
    assert_eq!(watchers(&server.addr), "2");

    drop(gone);
    // The server notices the closed socket on its own time: watch again
    // (idempotent) until the departed watcher is gone, within 10 s.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        assert_eq!(call(&mut live, &watch("other"), 7), (0x15, 0));
        if watchers(&server.addr) == "1" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the closed connection's watcher is still counted"
        );
        thread::sleep(Duration::from_millis(50));
    }
    assert!(server.terminate().success(), "{}", server.stderr());
}

#[test]
fn the_redb_engine_counts_keys_commits_and_cache_hits() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.redb");
    let (server, _) = start(&["--db", db.to_str().unwrap()]);
    known_requests(&server.addr);

    let r = run(&["--server", &server.addr, "stats"], None, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.out();
    // Counted through the logged writes not yet checkpointed, or after.
    assert_eq!(stat(&out, "keys").as_deref(), Some("1"), "{out}");
    // The fetch of `a` is answered from memory (its logged write, or the
    // read cache after a checkpoint), the fetch of `nope` is not.
    assert_eq!(stat(&out, "cache_hits").as_deref(), Some("1"), "{out}");
    assert_eq!(stat(&out, "cache_misses").as_deref(), Some("1"), "{out}");
    assert_eq!(
        stat(&out, "cache_hit_rate").as_deref(),
        Some("0.500"),
        "{out}"
    );
    // Three logged writes at least, each with its fdatasync.
    let num = |n| stat(&out, n).unwrap().parse::<u64>().unwrap();
    assert!(num("commits") >= 3 && num("fsyncs") >= 3, "{out}");
    assert!(num("db_bytes") > 0, "{out}");
}
