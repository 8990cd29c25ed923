//! One PostgreSQL 15 server per test binary, on an ephemeral loopback
//! port, with users for each authentication method; and bounded runs of
//! `psql` and `pg-peer`.
//!
//! The server is initialised into a temporary directory by `initdb` run
//! as the `postgres` user (tests run as root, which PostgreSQL refuses),
//! started on first use and stopped when the test binary exits: a small
//! `sh` watchdog holds a pipe from this process and, when the pipe closes
//! (at exit, however it happens), stops the server and removes the
//! directory. Debian's `postgresql-15` is installed when missing.

#![allow(dead_code, reason = "each pg_* test binary uses a part of this")]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Output, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where Debian's postgresql-15 puts its programs.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// Users, each allowed in by one pg_hba.conf method: (name, password,
/// method).
pub const USERS: [(&str, &str, &str); 4] = [
    ("trust_user", "", "trust"),
    ("pw_user", "clear pw", "password"),
    ("md5_user", "md5:pw", "md5"),
    ("scram_user", "sc'r\"am pw", "scram-sha-256"),
];

/// The shared server.
pub struct Server {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Its directory (data, socket, log).
    pub dir: PathBuf,
    /// Held open until the process exits; its closing stops the server.
    _watchdog: Mutex<ChildStdin>,
}

/// The server, started on first use.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(start)
}

fn bin(name: &str) -> PathBuf {
    Path::new(PG_BIN).join(name)
}

/// Installs Debian's postgresql-15 when its programs are missing.
fn ensure_installed() {
    if bin("postgres").exists() && bin("psql").exists() && bin("initdb").exists() {
        return;
    }
    let installed = super::apt::install("postgresql-15");
    assert!(
        installed && bin("postgres").exists(),
        "PostgreSQL 15 is missing and `apt-get install -y postgresql-15` failed \
         (it needs root and the Debian package registry)"
    );
}

/// The postgres user's uid and gid.
fn postgres_ids() -> (u32, u32) {
    let out = Command::new("id")
        .args(["-u", "postgres"])
        .output()
        .unwrap();
    let uid = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a postgres user");
    let out = Command::new("id")
        .args(["-g", "postgres"])
        .output()
        .unwrap();
    let gid = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a postgres group");
    (uid, gid)
}

#[allow(
    clippy::zombie_processes,
    reason = "postgres and its watchdog outlive this process on purpose: the watchdog stops postgres when we exit"
)]
fn start() -> Server {
    ensure_installed();
    let (uid, gid) = postgres_ids();
    let dir = tempfile::Builder::new()
        .prefix("pg-test-")
        .tempdir()
        .unwrap()
        .keep();
    std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).unwrap();
    let data = dir.join("data");
    let out = run(
        Command::new(bin("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ])
            .current_dir(&dir)
            .uid(uid)
            .gid(gid),
        None,
        Duration::from_secs(120),
    );
    assert!(
        out.status.success(),
        "initdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut hba = String::from("local all all trust\nhost all postgres 127.0.0.1/32 trust\n");
    for (user, _, method) in USERS {
        hba.push_str(&format!("host all {user} 127.0.0.1/32 {method}\n"));
    }
    hba.push_str("host all all 127.0.0.1/32 scram-sha-256\n");
    std::fs::write(data.join("pg_hba.conf"), hba).unwrap();

    for _attempt in 0..5 {
        // A free port now; postgres fails to start if it is taken by then.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.join(format!("log.{port}"))).unwrap();
        let mut child = Command::new(bin("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(&dir)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=50",
            ])
            .current_dir(&dir)
            .uid(uid)
            .gid(gid)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        let pid = child.id();
        // The watchdog: when this process's end of the pipe closes, stop
        // postgres (fast shutdown, then kill) and remove the directory.
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "read _; kill -INT {pid}; i=0; while kill -0 {pid} 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL {pid} 2>/dev/null; rm -rf '{}'",
                dir.display()
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start the watchdog");
        let stdin = watchdog.stdin.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut up = false;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            let ready = Command::new(bin("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                up = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if !up {
            drop(stdin);
            let _ = child.kill();
            let _ = child.wait();
            continue;
        }
        let server = Server {
            port,
            dir: dir.clone(),
            _watchdog: Mutex::new(stdin),
        };
        server.setup_users();
        return server;
    }
    panic!("postgres did not start; logs in {}", dir.display());
}

impl Server {
    fn setup_users(&self) {
        let mut sql = String::new();
        for (user, password, method) in USERS {
            let enc = if method == "md5" {
                "md5"
            } else {
                "scram-sha-256"
            };
            sql.push_str(&format!(
                "SET password_encryption = '{enc}'; CREATE ROLE {user} LOGIN SUPERUSER PASSWORD '{}';",
                password.replace('\'', "''")
            ));
        }
        let out = self.psql("postgres", &["-v", "ON_ERROR_STOP=1", "-c", &sql], None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `psql --csv -X` as `user` on the server with `args`, `stdin` fed in.
    pub fn psql(&self, user: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
        self.psql_env(user, args, &[], stdin)
    }

    /// As [`Server::psql`], with more environment variables.
    pub fn psql_env(
        &self,
        user: &str,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&[u8]>,
    ) -> Output {
        run(
            Command::new(bin("psql"))
                .args(["-X", "--csv"])
                .args(conn_args(self.port, user))
                .args(args)
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("PGCONNECT_TIMEOUT", "10")
                .envs(env.iter().copied()),
            stdin,
            Duration::from_secs(120),
        )
    }

    /// `pg-peer SUBCOMMAND -h 127.0.0.1 -p PORT -U user -d postgres args`,
    /// with a clean environment plus `env`.
    pub fn peer(
        &self,
        sub: &str,
        user: &str,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&[u8]>,
    ) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pg-peer"));
        cmd.arg(sub)
            .args(conn_args(self.port, user))
            .args(args)
            .env_clear()
            .env("PGCONNECT_TIMEOUT", "10");
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(&mut cmd, stdin, Duration::from_secs(120))
    }
}

/// `-h 127.0.0.1 -p PORT -U USER -d postgres`, for psql and pg-peer.
pub fn conn_args(port: u16, user: &str) -> [String; 8] {
    [
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "-U",
        user,
        "-d",
        "postgres",
    ]
    .map(String::from)
}

/// Runs `cmd` with `stdin` fed in, killed after `limit`.
pub fn run(cmd: &mut Command, stdin: Option<&[u8]>, limit: Duration) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
    let pid = child.id();
    if let (Some(data), Some(mut pipe)) = (stdin.map(<[u8]>::to_vec), child.stdin.take()) {
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err_thread = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let status = match rx.recv_timeout(limit) {
        Ok(status) => status.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
    };
    Output {
        status,
        stdout: out_thread.join().unwrap(),
        stderr: err_thread.join().unwrap(),
    }
}
