//! Stats and metrics through the real `storage` binary: `storage stats`
//! after known requests shows their exact counts, `serve --metrics` is
//! scraped over plain HTTP, and the counter summary is logged at shutdown.

mod support {
    pub mod storage;
}

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use support::storage::*;

/// `storage serve --listen 127.0.0.1:0 --metrics 127.0.0.1:0 ARGS...`,
/// with both addresses it printed; killed when dropped.
struct Served {
    child: Child,
    addr: String,
    metrics: String,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut child = command()
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--metrics",
                "127.0.0.1:0",
            ])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start storage serve");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = err.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let (mut addr, mut metrics) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(20);
        while addr.is_none() || metrics.is_none() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .expect("server prints `listening on` and `metrics on` within 20 s");
            if let Some(a) = line.strip_prefix("listening on ") {
                addr = Some(a.trim().to_string());
            } else if let Some(a) = line.strip_prefix("metrics on ") {
                metrics = Some(a.trim().to_string());
            }
        }
        Served {
            child,
            addr: addr.unwrap(),
            metrics: metrics.unwrap(),
            stderr,
        }
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// SIGTERM, then waits (at most 20 s) for the exit and its last logs.
    fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success());
        let status = wait_bounded(&mut self.child, Duration::from_secs(20)).expect("server stops");
        assert!(status.success(), "{status}: {}", self.stderr());
        thread::sleep(Duration::from_millis(100));
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
    let mut server = Served::start(&["--memory"]);
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

    let (status, body) = scrape(&server.metrics, "/metrics");
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
    assert_eq!(
        scrape(&server.metrics, "/nothing").0,
        "HTTP/1.1 404 Not Found"
    );

    server.terminate();
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

#[test]
fn the_redb_engine_counts_keys_commits_and_cache_hits() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.redb");
    let server = Served::start(&["--db", db.to_str().unwrap()]);
    known_requests(&server.addr);

    let r = run(&["--server", &server.addr, "stats"], None, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = r.out();
    // Counted through the logged writes not yet checkpointed, or after.
    assert_eq!(stat(&out, "keys").as_deref(), Some("1"), "{out}");
    // The fetch of `a` is answered by the read cache (the writer put the
    // value there), the fetch of `nope` is not.
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
