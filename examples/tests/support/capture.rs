//! Debian packages installed when missing (as root, the way the interop
//! tests set up their Python venv) and a `dumpcap` capture on `lo`, for
//! the tests that hand a capture to the real `tshark`
//! (examples/tests/wireshark.rs, interop_mqtt.rs).

#![allow(dead_code, reason = "each test binary uses a part of this")]

use std::io::Read;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use super::storage::terminate;

/// Whether `tool --version` starts (from `PATH`, or /usr/sbin where
/// Debian puts daemons such as mosquitto); any exit status will do.
fn runs(tool: &str) -> bool {
    let ok = |path: &std::path::Path| {
        Command::new(path)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    ok(std::path::Path::new(tool)) || ok(&std::path::Path::new("/usr/sbin").join(tool))
}

/// Installs Debian package `package` once if `tool` is missing (as root,
/// the way the interop tests set up their Python venv); fails, never
/// skips, when it cannot.
pub fn require(tool: &str, package: &str) {
    static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _once = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if runs(tool) {
        return;
    }
    let installed = super::apt::install(package);
    assert!(
        installed && runs(tool),
        "`{tool}` is missing and `apt-get install -y {package}` failed \
         (it needs root and the Debian package registry): install Debian's {package} package"
    );
}

/// `dumpcap` capturing `tcp port PORT` on `lo` into `file`; killed when
/// dropped.
pub struct Capture {
    child: std::process::Child,
}

impl Capture {
    /// Starts capturing; returns once packets reach the file.
    pub fn start(port: u16, file: &std::path::Path) -> Capture {
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
        // dumpcap says `Capturing on 'Loopback: lo'` once it captures.
        let mut stderr = child.stderr.take().unwrap();
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
            Ok(Ok(())) => {
                let capture = Capture { child };
                capture.wait_live(port, file);
                capture
            }
            Ok(Err(out)) => panic!(
                "dumpcap cannot capture on lo (it needs root or CAP_NET_RAW, as in CI): {out}"
            ),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("dumpcap did not start capturing within 20 s");
            }
        }
    }

    /// dumpcap announces itself before packets reach the file: probes the
    /// port (a connection that sends nothing) until the file grows.
    fn wait_live(&self, port: u16, file: &std::path::Path) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let empty = std::fs::metadata(file).map_or(0, |m| m.len());
        loop {
            drop(TcpStream::connect(("127.0.0.1", port)));
            thread::sleep(Duration::from_millis(200));
            if std::fs::metadata(file).is_ok_and(|m| m.len() > empty.max(24)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "dumpcap captured nothing on lo within 20 s"
            );
        }
    }

    /// SIGTERM (dumpcap then writes out what it has), bounded.
    pub fn stop(mut self) {
        let status = terminate(&mut self.child, Duration::from_secs(20))
            .expect("dumpcap stops after SIGTERM");
        assert!(status.success(), "dumpcap failed: {status}");
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
