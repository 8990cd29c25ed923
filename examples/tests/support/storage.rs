//! What the storage tests share: the real `storage` binary as a server
//! process or a one-shot command (always bounded in time, always killed),
//! deterministic values, and raw frames.

#![allow(dead_code, reason = "each test binary uses a part of this")]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_storage");

/// A `storage` command without the caller's environment leaking in.
pub fn command() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("STORAGE_TOKEN")
        .env_remove("STORAGE_SERVER")
        .env_remove("RUST_LOG");
    cmd
}

/// Collects a pipe in the background (the handle ends at end of file).
fn collect(mut r: impl Read + Send + 'static) -> (Arc<Mutex<Vec<u8>>>, thread::JoinHandle<()>) {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let out = Arc::clone(&buf);
    let done = thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            out.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    (buf, done)
}

/// A `storage serve` process; killed (SIGKILL) when dropped.
pub struct ServerProc {
    child: Child,
    /// The address it printed.
    pub addr: String,
    /// The lines it printed before `listening on` (`metrics on ADDR`).
    pub before: Vec<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl ServerProc {
    /// Starts `storage serve --listen 127.0.0.1:0 ARGS...` and waits for
    /// its `listening on` line.
    pub fn start(args: &[&str]) -> ServerProc {
        Self::start_on("127.0.0.1:0", args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts a server listening on `listen`; the error holds its stderr
    /// when it exits instead of listening.
    pub fn start_on(listen: &str, args: &[&str]) -> Result<ServerProc, String> {
        let mut child = command()
            .args(["serve", "--listen", listen])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start storage serve");
        let (stderr, _) = collect(child.stderr.take().unwrap());
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut before = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("listening on ") {
                        return Ok(ServerProc {
                            child,
                            addr: addr.trim().to_string(),
                            before,
                            stderr,
                        });
                    }
                    before.push(line);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().expect("wait");
                    thread::sleep(Duration::from_millis(50));
                    let err = String::from_utf8_lossy(&stderr.lock().unwrap()).into_owned();
                    return Err(format!("server exited with {status}: {err}"));
                }
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err("server did not print `listening on` within 20 s".into());
            }
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What it logged so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// SIGKILL, and reap.
    pub fn sigkill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM; waits (at most 20 s) for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        terminate(&mut self.child, Duration::from_secs(20)).expect("server stops after SIGTERM")
    }

    /// The peak resident memory so far, in KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        peak_rss_kib(self.child.id()).expect("server is running")
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `VmHWM` of a live process, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Sends a child SIGTERM and waits for it at most `limit` (killing it past
/// that: `None`).
pub fn terminate(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let pid = child.id().to_string();
    let ok = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(ok.success());
    wait_bounded(child, limit)
}

/// Waits for a child at most `limit`; kills it past that.
pub fn wait_bounded(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// What a finished command did.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: String,
    /// Its peak memory (KiB), sampled while it ran.
    pub peak_kib: u64,
}

impl Run {
    /// Standard output as text.
    pub fn out(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `storage ARGS...` with `stdin` and extra `env`, at most 60 s.
pub fn run(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Run {
    let mut cmd = command();
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start storage");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let out = collect(child.stdout.take().unwrap());
    let err = collect(child.stderr.take().unwrap());
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        peak = peak.max(peak_rss_kib(pid).unwrap_or(0));
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("storage {args:?} did not finish within 60 s");
        }
        thread::sleep(Duration::from_millis(5));
    };
    // The pipes end with the process.
    out.1.join().unwrap();
    err.1.join().unwrap();
    let stdout = out.0.lock().unwrap().clone();
    let stderr = String::from_utf8_lossy(&err.0.lock().unwrap()).into_owned();
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
        peak_kib: peak,
    }
}

/// Deterministic bytes for `seed` (xorshift).
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    fill(seed, 0, &mut out);
    out
}

/// The bytes of `pattern(seed, ..)` from byte `start` on (a multiple of 8).
fn fill(seed: u64, start: u64, out: &mut [u8]) {
    for (i, word) in out.chunks_mut(8).enumerate() {
        let mut x = seed ^ (start / 8 + i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        word.copy_from_slice(&x.to_le_bytes()[..word.len()]);
    }
}

/// Writes `pattern(seed, len)` to a file, 1 MiB at a time.
pub fn write_pattern_file(path: &Path, seed: u64, len: u64) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    while at < len {
        let n = (len - at).min(buf.len() as u64) as usize;
        fill(seed, at, &mut buf[..n]);
        f.write_all(&buf[..n]).unwrap();
        at += n as u64;
    }
    f.flush().unwrap();
}

/// FNV-1a 64 of a file, read 1 MiB at a time.
pub fn hash_file(path: &Path) -> (u64, u64) {
    let mut f = std::fs::File::open(path).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let (mut h, mut len) = (0xcbf2_9ce4_8422_2325u64, 0u64);
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            return (h, len);
        }
        for &b in &buf[..n] {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        len += n as u64;
    }
}

/// A hand-built tutorial frame: id, u16 big-endian length, payload.
pub fn frame(id: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![id];
    f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Reads one frame (id, payload) from a blocking stream.
pub fn read_frame(s: &mut impl Read) -> std::io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 3];
    s.read_exact(&mut head)?;
    let len = u16::from_be_bytes([head[1], head[2]]) as usize;
    let mut payload = vec![0u8; len];
    s.read_exact(&mut payload)?;
    Ok((head[0], payload))
}

/// A small generator for tests (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A seed for this run: `STORAGE_TEST_SEED`, else the clock (printed, so a
/// failure can be replayed).
pub fn seed() -> u64 {
    let seed = std::env::var("STORAGE_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("seed: {seed} (set STORAGE_TEST_SEED to replay)");
    seed
}
