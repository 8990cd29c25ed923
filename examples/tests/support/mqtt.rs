//! Shared by the MQTT interop tests: our broker and a real mosquitto
//! (installed when missing) on ephemeral loopback ports.
//!
//! No silent skip: without the packages (and root to install them) the
//! tests fail and say what is missing.

#![allow(
    dead_code,
    reason = "each interop_mqtt* test binary uses a part of this"
)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use super::capture::require;
use super::interop::Proc;

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
