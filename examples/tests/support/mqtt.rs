//! Shared by the MQTT interop tests: Debian packages installed when
//! missing, our broker and a real mosquitto on ephemeral loopback ports,
//! and a loopback capture for tshark.
//!
//! No silent skip: without the packages (and root to install them) the
//! tests fail and say what is missing.

#![allow(
    dead_code,
    reason = "each interop_mqtt* test binary uses a part of this"
)]

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::interop::Proc;

/// Whether `tool` starts (from `PATH`, or /usr/sbin where Debian puts
/// mosquitto); any exit status will do.
fn runs(tool: &str) -> bool {
    let start = |path: &Path| {
        Command::new(path)
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    start(Path::new(tool)) || start(&Path::new("/usr/sbin").join(tool))
}

/// Installs Debian package `package` once if `tool` is missing (as root);
/// fails, never skips, when it cannot.
pub fn require(tool: &str, package: &str) {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if runs(tool) {
        return;
    }
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let installed = apt(&["update", "-qq"]) && apt(&["install", "-y", "-qq", package]);
    assert!(
        installed && runs(tool),
        "`{tool}` is missing and `apt-get install -y {package}` failed \
         (it needs root and the Debian package registry): install Debian's {package} package"
    );
}

/// Which broker a test talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Our `mqtt-broker`.
    Ours,
    /// Debian's mosquitto 2.
    Mosquitto,
}

/// A running broker on 127.0.0.1; killed when dropped.
pub struct Broker {
    pub kind: Kind,
    pub addr: SocketAddr,
    proc: Proc,
    _dir: tempfile::TempDir,
}

impl Broker {
    /// Starts one of the two brokers.
    pub fn start(kind: Kind) -> Broker {
        match kind {
            Kind::Ours => Broker::ours(&[]),
            Kind::Mosquitto => Broker::mosquitto(""),
        }
    }

    /// Our broker, with extra arguments.
    pub fn ours(args: &[&str]) -> Broker {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mqtt-broker"));
        cmd.args(["--listen", "127.0.0.1:0"]).args(args);
        cmd.env("RUST_LOG", "debug");
        let mut proc = Proc::spawn("mqtt-broker", &mut cmd);
        let addr = proc.listening_addr();
        Broker {
            kind: Kind::Ours,
            addr,
            proc,
            _dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// mosquitto with its own configuration file on a free loopback port
    /// (`extra`: more configuration lines).
    pub fn mosquitto(extra: &str) -> Broker {
        require("mosquitto", "mosquitto");
        let dir = tempfile::tempdir().expect("temp dir");
        // mosquitto cannot print the port it got for 0: take a free one
        // from the OS and retry if another process grabs it first.
        for _ in 0..10 {
            let port = free_port();
            let conf = dir.path().join("mosquitto.conf");
            std::fs::write(
                &conf,
                format!(
                    "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                     log_dest stderr\nlog_type error\nlog_type warning\n{extra}\n"
                ),
            )
            .expect("write mosquitto.conf");
            let mut cmd = Command::new(mosquitto_bin());
            cmd.arg("-c").arg(&conf);
            let proc = Proc::spawn("mosquitto", &mut cmd);
            let addr: SocketAddr = ([127, 0, 0, 1], port).into();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if TcpStream::connect(addr).is_ok() {
                    return Broker {
                        kind: Kind::Mosquitto,
                        addr,
                        proc,
                        _dir: dir,
                    };
                }
                thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("mosquitto did not start listening");
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Stops the broker; its stderr.
    pub fn stop(mut self) -> String {
        self.proc.kill().stderr
    }
}

/// mosquitto lives in /usr/sbin on Debian.
fn mosquitto_bin() -> PathBuf {
    let sbin = Path::new("/usr/sbin/mosquitto");
    if sbin.exists() {
        sbin.to_path_buf()
    } else {
        PathBuf::from("mosquitto")
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// `dumpcap` capturing `tcp port PORT` on `lo` into a file; killed when
/// dropped.
pub struct Capture {
    child: Child,
}

impl Capture {
    /// Starts capturing and returns once dumpcap says it captures.
    pub fn start(port: u16, file: &Path) -> Capture {
        require("dumpcap", "tshark");
        let mut child = Command::new("dumpcap")
            .args(["-i", "lo", "-P", "-q", "-f"])
            .arg(format!("tcp port {port}"))
            .arg("-w")
            .arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start dumpcap");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut seen = Vec::new();
            let mut buf = [0u8; 256];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                if String::from_utf8_lossy(&seen).contains("Capturing on") {
                    let _ = tx.send(Ok(()));
                }
            }
            let _ = tx.send(Err(String::from_utf8_lossy(&seen).into_owned()));
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Ok(())) => Capture { child },
            Ok(Err(e)) => panic!("dumpcap cannot capture on lo (root needed): {e}"),
            Err(_) => {
                let _ = child.kill();
                panic!("dumpcap did not start capturing within 20 s");
            }
        }
    }

    /// Stops the capture, after giving the last segments time to land.
    pub fn stop(mut self) {
        thread::sleep(Duration::from_millis(500));
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
