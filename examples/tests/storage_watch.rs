//! Watches stay alive: with `serve --idle-timeout 2`, a `storage watch`
//! on a quiet key is still there after 10 s and prints the change that
//! then comes, while a connection that sends nothing is closed as idle.

mod support {
    pub mod storage;
}

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use support::storage::*;

#[test]
fn a_watch_outlives_the_idle_limit_and_an_idle_socket_does_not() {
    let server = ServerProc::start(&["--memory", "--idle-timeout", "2"]);
    let s = server.addr.clone();

    let mut watch = command()
        .args(["watch", "quietkey", "--server", &s])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let err = watch.stderr.take().unwrap();
    let tx2 = tx.clone();
    thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx2.send(format!("err: {line}"));
        }
    });
    let out = watch.stdout.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).expect("watching"),
        "err: watching quietkey"
    );

    // A plain connection that sends nothing: closed within a few seconds
    // (the limit is 2 s).
    let mut idle = TcpStream::connect(&s).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    let opened = Instant::now();
    let mut byte = [0u8; 1];
    match idle.read(&mut byte) {
        Ok(0) => {}
        other => panic!("the idle socket should be closed, got {other:?}"),
    }
    let took = opened.elapsed();
    assert!(
        took >= Duration::from_millis(1_500) && took < Duration::from_secs(6),
        "closed after {took:?}"
    );

    // Five idle limits of silence on the watch.
    let quiet = Duration::from_secs(10).saturating_sub(opened.elapsed());
    match rx.recv_timeout(quiet) {
        Err(mpsc::RecvTimeoutError::Timeout) => {}
        other => panic!("the watch should be silent, got {other:?}"),
    }
    assert!(
        watch.try_wait().unwrap().is_none(),
        "the watch ended: {}",
        server.stderr()
    );

    // The change arrives.
    let r = run(
        &["put", "quietkey", "-", "--server", &s],
        Some(b"at last"),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the change is printed");
    assert!(
        line.starts_with("stored quietkey version=") && line.ends_with(" size=7"),
        "{line}"
    );

    let log = server.stderr();
    assert_eq!(
        log.matches("idle limit hit").count(),
        1,
        "only the plain connection is closed as idle:\n{log}"
    );

    let pid = watch.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = wait_bounded(&mut watch, Duration::from_secs(10)).expect("watch stops on SIGINT");
    assert_eq!(status.code(), Some(0));
}
