//! Memory per connection of the real storage server: 1,000 idle
//! connections, then 1,000 more each holding a half-sent frame (a header
//! that claims a near-maximal payload, then a few bytes). The server's RSS
//! is read from /proc before and after each step; the figures are printed
//! (`cargo test -p codec-examples --test memory_bounds -- --nocapture`),
//! and a bound is asserted so that a regression (buffering a whole claimed
//! frame up front, say) fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONNS: usize = 1000;

/// Kills the server on every way out of the test.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("server is running");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS line")
}

/// Waits until the server's RSS stops moving (connections are accepted
/// and their first reads done), then returns it.
fn settled_rss(pid: u32) -> u64 {
    let mut last = rss_kib(pid);
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(150));
        let now = rss_kib(pid);
        if now == last {
            return now;
        }
        last = now;
    }
    last
}

/// A tutorial StoreRequest round trip on a fresh connection.
fn store_and_fetch(addr: &str) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // 01 | 00 07 | trans 05 | name 01 'k' | data 00 02 'h' 'i'
    s.write_all(&[0x01, 0x00, 0x07, 0x05, 0x01, b'k', 0x00, 0x02, b'h', b'i'])
        .unwrap();
    let mut reply = [0u8; 7];
    s.read_exact(&mut reply).unwrap();
    // 02 | 00 04 | trans 05 | name 01 'k' | status 00
    assert_eq!(reply, [0x02, 0x00, 0x04, 0x05, 0x01, b'k', 0x00]);
}

#[test]
fn idle_and_half_sent_connections_cost_little_memory() {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut child = Command::new(env!("CARGO_BIN_EXE_storage"))
        .args(["serve", "--memory", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the storage server");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let pid = server.0.id();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();

    store_and_fetch(&addr);
    let base = settled_rss(pid);

    let idle: Vec<TcpStream> = (0..CONNS)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    let with_idle = settled_rss(pid);

    // A StoreRequest header claiming 65,000 payload bytes, then 10 of them.
    let mut half = vec![0x01, 0xFD, 0xE8];
    half.extend_from_slice(&[0x07, 0x03, b'k', b'e', b'y', 0xFD, 0xE0, 0, 0, 0]);
    let halves: Vec<TcpStream> = (0..CONNS)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(&half).unwrap();
            s
        })
        .collect();
    let with_halves = settled_rss(pid);

    // Well-behaved clients are still served.
    store_and_fetch(&addr);
    assert!(Instant::now() < deadline, "the test took too long");

    let per_idle = (with_idle.saturating_sub(base)) as f64 / CONNS as f64;
    let per_half = (with_halves.saturating_sub(with_idle)) as f64 / CONNS as f64;
    println!(
        "server RSS: {base} KiB at rest, {with_idle} KiB with {CONNS} idle connections \
         ({per_idle:.1} KiB each), {with_halves} KiB with {CONNS} more holding half-sent frames \
         ({per_half:.1} KiB each)"
    );
    // A claimed 64 KiB frame must not be buffered up front: each half-sent
    // frame may cost its read buffer (8 KiB), its read-ahead (16 KiB) and
    // its task, far less than the 64 KiB it claims.
    assert!(per_idle < 32.0, "{per_idle:.1} KiB per idle connection");
    assert!(per_half < 48.0, "{per_half:.1} KiB per half-sent frame");
    drop(idle);
    drop(halves);
}
