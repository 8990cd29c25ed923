//! Shared by the interop tests: the pinned Python environment (created
//! once under the build directory), child processes that are always
//! killed, and the message generator the Python drivers use too.
//!
//! No silent skip: without python3, venv or pip the tests fail and say
//! what is missing.

#![allow(dead_code, reason = "each interop_* test binary uses a part of this")]

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// examples/peers: the pinned requirements and the Python drivers.
pub fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers")
}

/// The venv's python, creating the venv on first use (once per build
/// directory: a lock file keeps parallel test binaries from racing, and a
/// stamp holding the requirements marks it complete).
pub fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(setup_venv).clone()
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

fn setup_venv() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("codec-peers-venv");
    let requirements = peers_dir().join("requirements.txt");
    let wanted = fs::read_to_string(&requirements)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", requirements.display()));
    fs::create_dir_all(venv.parent().expect("venv has a parent")).expect("create target tmpdir");
    let lock = File::create(venv.with_extension("lock")).expect("create the venv lock file");
    lock.lock().expect("lock the venv lock file");

    let stamp = venv.join("codec-peers.stamp");
    let python = venv_python(&venv);
    if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) && python.exists() {
        return python;
    }

    let host_python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    match Command::new(&host_python).arg("--version").output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "interop tests need CPython 3 (with venv and pip): `{host_python} --version` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "interop tests need CPython 3 (with venv and pip) to run the original Python \
             libraries, but `{host_python}` cannot be run ({e}); install python3 \
             (Debian/Ubuntu: apt-get install python3 python3-venv python3-pip) or set PYTHON"
        ),
    }
    if venv.exists() {
        fs::remove_dir_all(&venv).expect("remove the incomplete venv");
    }
    let out = run_bounded(
        Command::new(&host_python).args(["-m", "venv"]).arg(&venv),
        Duration::from_secs(300),
    );
    assert!(
        out.status.success(),
        "`{host_python} -m venv` failed (Debian/Ubuntu: apt-get install python3-venv):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_bounded(
        Command::new(&python).args(["-m", "pip", "--version"]),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "pip is missing from the venv (Debian/Ubuntu: apt-get install python3-pip python3-venv):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // --no-deps: the pins are complete, and cs.buffer declares a dependency
    // no resolver can satisfy (see requirements.txt).
    let out = run_bounded(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
                "-r",
            ])
            .arg(&requirements),
        Duration::from_secs(900),
    );
    assert!(
        out.status.success(),
        "pip install --no-deps -r {} failed:\n{}{}",
        requirements.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_bounded(
        Command::new(&python).args(["-c", "import cs.packetstream, Stockings"]),
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "the pinned peers do not import:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::write(&stamp, wanted).expect("write the venv stamp");
    python
}

/// Runs `cmd` to completion, killing it after `limit`.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let mut proc = Proc::spawn("setup", cmd);
    let done = proc.finish(limit);
    Output {
        status: done.status,
        stdout: done.stdout.join("\n").into_bytes(),
        stderr: done.stderr.into_bytes(),
    }
}

/// Stderr kept per child process.
const STDERR_CAP: usize = 4 << 20;
/// Stdout lines kept per child process.
const STDOUT_LINES_CAP: usize = 100_000;

/// A child process with its output collected on threads; killed when
/// dropped (a failing test never leaves it behind).
pub struct Proc {
    name: String,
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
    stderr_thread: Option<thread::JoinHandle<()>>,
    finished: bool,
}

/// How a [`Proc`] ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl Proc {
    /// Starts `cmd` with stdin closed and stdout/stderr captured.
    pub fn spawn(name: &str, cmd: &mut Command) -> Proc {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        thread::spawn(move || {
            // Lines past the cap are read and dropped (a runaway child).
            for (i, line) in BufReader::new(stdout).lines().enumerate() {
                match line {
                    Ok(l) if i < STDOUT_LINES_CAP => {
                        if tx.send(l).is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        let stderr_thread = thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut text = sink.lock().unwrap_or_else(|e| e.into_inner());
                // A runaway child cannot exhaust the test's memory.
                if text.len() < STDERR_CAP {
                    text.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        Proc {
            name: name.to_string(),
            child,
            lines,
            seen: Vec::new(),
            stderr,
            stderr_thread: Some(stderr_thread),
            finished: false,
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits for the next stdout line starting with `prefix` (earlier lines
    /// are kept for [`Proc::finish`]).
    pub fn expect_line(&mut self, prefix: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "{}: no line starting with {prefix:?} within {limit:?}\nstdout so far: {:#?}\nstderr: {}",
                    self.name,
                    self.seen,
                    self.stderr()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!(
                    "{}: exited before printing {prefix:?}\nstdout: {:#?}\nstderr: {}",
                    self.name,
                    self.seen,
                    self.stderr()
                ),
            }
        }
    }

    /// Waits for `listening on IP:PORT` and returns the address.
    pub fn listening_addr(&mut self) -> SocketAddr {
        let line = self.expect_line("listening on ", Duration::from_secs(60));
        line["listening on ".len()..]
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{}: bad address in {line:?}: {e}", self.name))
    }

    /// Waits for the exit (killing the process after `limit` and failing)
    /// and returns its status and all its output.
    pub fn finish(&mut self, limit: Duration) -> Finished {
        let deadline = Instant::now() + limit;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    self.finished = true;
                    let stdout = self.drain_stdout();
                    panic!(
                        "{} did not exit within {limit:?} (killed)\nstdout: {stdout:#?}\nstderr: {}",
                        self.name,
                        self.stderr()
                    );
                }
                Err(e) => panic!("{}: wait failed: {e}", self.name),
            }
        };
        self.finished = true;
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
        Finished {
            status,
            stdout: self.drain_stdout(),
            stderr: self.stderr(),
        }
    }

    /// Kills the process (if still running) and returns what it printed.
    pub fn kill(&mut self) -> Finished {
        let _ = self.child.kill();
        self.finish(Duration::from_secs(10))
    }

    fn drain_stdout(&mut self) -> Vec<String> {
        // The reader thread ends at EOF, which follows the exit.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => break,
            }
        }
        self.seen.clone()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A Python driver from examples/peers, run with the venv's python.
pub fn py_driver(script: &str) -> Command {
    let mut cmd = Command::new(python());
    cmd.arg("-u").arg(peers_dir().join(script));
    cmd
}

/// Tracebacks in a Python peer's stderr other than those cs.packetstream
/// logs for the FAIL handler raising on purpose.
pub fn unexpected_tracebacks(stderr: &str) -> usize {
    let all = stderr.matches("Traceback (most recent call last)").count();
    let expected = stderr
        .lines()
        .filter(|l| l.starts_with("ValueError: FAIL always fails"))
        .count();
    all.saturating_sub(expected)
}

/// Fails if a Python peer did not end cleanly: exit status 0, no
/// unexpected traceback (a dead thread, a lost response).
pub fn assert_clean_exit(name: &str, done: &Finished) {
    assert!(
        done.status.success() && unexpected_tracebacks(&done.stderr) == 0,
        "{name} did not exit cleanly ({}):\nstdout: {:#?}\nstderr: {}",
        done.status,
        done.stdout,
        done.stderr
    );
}

/// Runs `f`, failing the test if it takes longer than `limit` (the hung
/// future is abandoned; child processes die with their `Proc`).
pub async fn within<F: std::future::Future>(limit: Duration, what: &str, f: F) -> F::Output {
    match tokio::time::timeout(limit, f).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: no result within {limit:?}"),
    }
}

/// Message `kind` ("str" or "bytes") of exactly `n` bytes, as
/// `stockings_peer.py`'s `gen_message` makes it: str mixes 1- to 4-byte
/// UTF-8 characters.
pub fn gen_message(kind: &str, n: usize) -> Vec<u8> {
    if kind == "bytes" {
        return (0..n).map(|i| ((i * 31 + 7) % 256) as u8).collect();
    }
    const UNITS: [&str; 4] = ["a", "\u{e9}", "\u{20ac}", "\u{1d11e}"];
    let mut out = String::with_capacity(n);
    let mut i = 0;
    while out.len() < n {
        let mut u = UNITS[i % 4];
        if u.len() > n - out.len() {
            u = "a";
        }
        out.push_str(u);
        i += 1;
    }
    out.into_bytes()
}

/// 64-bit FNV-1a, as the drivers print it.
pub fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `type=str len=N fnv1a=...`, as the drivers describe a message.
pub fn describe(kind: &str, data: &[u8]) -> String {
    format!("type={kind} len={} fnv1a={:016x}", data.len(), fnv1a(data))
}
