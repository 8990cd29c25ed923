//! End to end through the real `storage` binary: every subcommand, exit
//! statuses (0, 2 for a missing key, 1 for other errors, 64 for usage
//! errors, 141 for a closed stdout) and messages; a watch outliving the
//! server's idle limit.

mod support {
    pub mod storage;
}

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use codec_examples::storage::client::{Options, StorageClient};
use support::storage::*;

fn ok(r: &Run) {
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
}

#[test]
fn put_get_del_ls_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.redb");
    let db = db.to_str().unwrap();
    let mut server = ServerProc::start(&["--db", db]);
    let s = server.addr.clone();
    let srv = ["--server", s.as_str()];

    // put from a file, get to stdout and to a file.
    let small = dir.path().join("small.txt");
    std::fs::write(&small, b"hello, storage\n").unwrap();
    ok(&run(
        &["put", "k1", small.to_str().unwrap(), srv[0], srv[1]],
        None,
        &[],
    ));
    let r = run(&["get", "k1", srv[0], srv[1]], None, &[]);
    ok(&r);
    assert_eq!(r.stdout, b"hello, storage\n");
    let copy = dir.path().join("copy.txt");
    ok(&run(
        &["get", "k1", "-o", copy.to_str().unwrap(), srv[0], srv[1]],
        None,
        &[],
    ));
    assert_eq!(std::fs::read(&copy).unwrap(), b"hello, storage\n");

    // put from stdin: `-` and nothing; small and large (spooled, chunked).
    ok(&run(
        &["put", "k2", "-", srv[0], srv[1]],
        Some(b"from stdin"),
        &[],
    ));
    let big_stdin = pattern(7, 300_000);
    ok(&run(&["put", "k3", srv[0], srv[1]], Some(&big_stdin), &[]));
    let r = run(&["get", "k2", srv[0], srv[1]], None, &[]);
    assert_eq!(r.stdout, b"from stdin");
    // A chunked value streamed to stdout.
    let r = run(&["get", "k3", srv[0], srv[1]], None, &[]);
    ok(&r);
    assert!(r.stdout == big_stdin, "chunked get to stdout differs");

    // A 3 MiB file both ways through files.
    let big = dir.path().join("big.bin");
    write_pattern_file(&big, 42, 3 << 20);
    ok(&run(
        &["put", "big", big.to_str().unwrap(), srv[0], srv[1]],
        None,
        &[],
    ));
    let back = dir.path().join("big.back");
    ok(&run(
        &["get", "big", "-o", back.to_str().unwrap(), srv[0], srv[1]],
        None,
        &[],
    ));
    assert_eq!(hash_file(&big), hash_file(&back));

    // ls, with and without a prefix.
    let r = run(&["ls", srv[0], srv[1]], None, &[]);
    ok(&r);
    assert_eq!(
        r.out(),
        format!("big\t{}\nk1\t15\nk2\t10\nk3\t300000\n", 3 << 20)
    );
    let r = run(&["ls", "k", srv[0], srv[1]], None, &[]);
    assert_eq!(r.out(), "k1\t15\nk2\t10\nk3\t300000\n");
    let r = run(&["ls", "nothing/", srv[0], srv[1]], None, &[]);
    ok(&r);
    assert_eq!(r.out(), "");

    // del, then the missing key: exit 2 and one line on stderr.
    ok(&run(&["del", "k1", srv[0], srv[1]], None, &[]));
    let r = run(&["get", "k1", srv[0], srv[1]], None, &[]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr, "storage: no such key: \"k1\"\n");
    assert!(r.stdout.is_empty());
    let missing_out = dir.path().join("missing.out");
    let r = run(
        &[
            "get",
            "k1",
            "-o",
            missing_out.to_str().unwrap(),
            srv[0],
            srv[1],
        ],
        None,
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(!missing_out.exists(), "a failed get leaves no file");
    let r = run(&["del", "k1", srv[0], srv[1]], None, &[]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr, "storage: no such key: \"k1\"\n");

    // Other errors: exit 1 with a message.
    let r = run(
        &["put", "x", "/nonexistent/file", srv[0], srv[1]],
        None,
        &[],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("storage: cannot open /nonexistent/file"),
        "{}",
        r.stderr
    );
    let long = "n".repeat(300);
    let r = run(&["put", &long, "-", srv[0], srv[1]], Some(b"v"), &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("invalid key"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1);

    // SIGTERM: clean exit 0; the data is there after a restart.
    let status = server.terminate();
    assert_eq!(status.code(), Some(0), "stderr: {}", server.stderr());
    assert!(
        server.stderr().contains("database closed"),
        "{}",
        server.stderr()
    );
    let server = ServerProc::start(&["--db", db]);
    let s = server.addr.clone();
    let r = run(&["get", "k2", "--server", &s], None, &[]);
    assert_eq!(r.stdout, b"from stdin");
    let back2 = dir.path().join("big.back2");
    ok(&run(
        &["get", "big", "-o", back2.to_str().unwrap(), "--server", &s],
        None,
        &[],
    ));
    assert_eq!(hash_file(&big), hash_file(&back2));
    // The server address can also come from the environment.
    let r = run(&["get", "k2"], None, &[("STORAGE_SERVER", s.as_str())]);
    assert_eq!(r.stdout, b"from stdin");
}

#[test]
fn unreachable_server_is_exit_1() {
    // Bind and drop: a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    for args in [
        vec!["get", "k"],
        vec!["del", "k"],
        vec!["ls"],
        vec!["watch", "k"],
        vec!["put", "k", "-"],
    ] {
        let mut all = args.clone();
        all.extend(["--server", addr.as_str()]);
        let r = run(&all, Some(b"x"), &[]);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr
                .starts_with(&format!("storage: cannot connect to {addr}")),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
}

#[test]
fn usage_errors_are_exit_64_and_help_is_exit_0() {
    let r = run(&["get"], None, &[]);
    assert_eq!(r.code, 64, "{}", r.stderr);
    assert!(r.stderr.contains("<NAME>"), "{}", r.stderr);
    let r = run(&["frobnicate"], None, &[]);
    assert_eq!(r.code, 64);
    let r = run(&["ls", "--no-such-option"], None, &[]);
    assert_eq!(r.code, 64);
    let r = run(&["serve", "--idle-timeout", "soon"], None, &[]);
    assert_eq!(r.code, 64);
    let r = run(&["--help"], None, &[]);
    assert_eq!(r.code, 0);
    for cmd in [
        "serve",
        "put",
        "get",
        "del",
        "ls",
        "watch",
        "explain",
        "bench",
        "demo",
        "completions",
    ] {
        assert!(r.out().contains(cmd), "{cmd} missing from --help");
    }
}

/// `--help` documents the exit statuses, the environment and examples.
#[test]
fn help_lists_exit_statuses_environment_and_examples() {
    let r = run(&["--help"], None, &[]);
    ok(&r);
    let help = r.out();
    for needle in [
        "Exit status:",
        "  0 ",
        "  1 ",
        "  2    no such key",
        "  64   usage error",
        "  141  standard output was closed",
        "Environment:",
        "STORAGE_SERVER",
        "STORAGE_TOKEN",
        "RUST_LOG",
        "Examples:",
        "storage completions bash",
    ] {
        assert!(
            help.contains(needle),
            "{needle:?} missing from --help:\n{help}"
        );
    }
}

/// `ls` into a pipe whose reader is gone: nothing on stderr, status 141.
#[test]
fn a_closed_stdout_ends_quietly_with_141() {
    let server = ServerProc::start(&["--memory"]);
    let s = server.addr.clone();
    for i in 0..50 {
        ok(&run(
            &["put", &format!("k{i:02}"), "-", "--server", &s],
            Some(b"v"),
            &[],
        ));
    }
    for args in [
        vec!["ls", "--server", &s],
        vec!["get", "k00", "--server", &s],
        vec!["completions", "bash"],
        vec!["bench", "--duration", "0.2", "--keys", "5"],
    ] {
        let mut child = command()
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the command writes anything.
        drop(child.stdout.take());
        let mut err = child.stderr.take().unwrap();
        let status = wait_bounded(&mut child, Duration::from_secs(20)).expect("exits");
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut err, &mut stderr).unwrap();
        assert_eq!(status.code(), Some(141), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}

/// `--server`, `--token-file` and `--timeout` go before or after the
/// command, `serve`'s `--token-file` too.
#[test]
fn connection_flags_go_before_or_after_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "sesame\n").unwrap();
    let token = token.to_str().unwrap();
    // `--token-file` before `serve`: the server requires it.
    let mut child = command()
        .args(["--token-file", token, "serve", "--memory"])
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let s = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    let before = [
        "--server",
        s.as_str(),
        "--token-file",
        token,
        "--timeout",
        "5",
    ];
    let mut put: Vec<&str> = before.to_vec();
    put.extend(["put", "k", "-"]);
    ok(&run(&put, Some(b"flags first"), &[]));
    let mut get: Vec<&str> = before.to_vec();
    get.extend(["get", "k"]);
    let r = run(&get, None, &[]);
    ok(&r);
    assert_eq!(r.stdout, b"flags first");
    // After the command, and mixed.
    let r = run(
        &["get", "k", "--server", &s, "--token-file", token],
        None,
        &[],
    );
    assert_eq!(r.stdout, b"flags first");
    let r = run(&["--server", &s, "ls", "--token-file", token], None, &[]);
    ok(&r);
    assert_eq!(r.out(), "k\t11\n");
    // Without the token the server refuses.
    let r = run(&["--server", &s, "get", "k"], None, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let _ = child.kill();
    let _ = child.wait();
}

/// `completions bash` prints a script bash accepts; an unknown shell is a
/// usage error.
#[test]
fn completions_print_a_valid_bash_script() {
    let r = run(&["completions", "bash"], None, &[]);
    ok(&r);
    let script = r.out();
    assert!(script.contains("_storage"), "{script}");
    assert!(script.contains("--token-file"), "{script}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("storage.bash");
    std::fs::write(&path, &script).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("run bash");
    assert!(
        check.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    for shell in ["zsh", "fish"] {
        ok(&run(&["completions", shell], None, &[]));
    }
    assert_eq!(run(&["completions", "tcsh"], None, &[]).code, 64);
}

#[test]
fn ls_pages_through_many_keys() {
    let server = ServerProc::start(&["--memory"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = StorageClient::connect(server.addr.as_str(), Options::default())
            .await
            .unwrap();
        let mut calls = Vec::new();
        for i in 0..600 {
            let c = c.clone();
            calls.push(tokio::spawn(async move {
                c.put_bytes(&format!("p/{i:04}"), &[1, 2, 3]).await.unwrap();
            }));
        }
        for call in calls {
            call.await.unwrap();
        }
        c.put_bytes("q", b"other prefix").await.unwrap();
        c.close().await;
    });
    let r = run(&["ls", "p/", "--server", &server.addr], None, &[]);
    ok(&r);
    let expected: String = (0..600).map(|i| format!("p/{i:04}\t3\n")).collect();
    assert_eq!(r.out(), expected);
}

/// Starts `storage watch NAMES... --server S`; its lines arrive on the
/// receiver as they are printed, stderr's prefixed with `err: `.
fn spawn_watch(s: &str, names: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = command()
        .arg("watch")
        .args(names)
        .args(["--server", s])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let _ = tx2.send(format!("err: {line}"));
        }
    });
    let out = child.stdout.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, rx)
}

/// SIGINT to a `watch`: it exits 0.
fn interrupt(child: &mut Child) {
    let pid = child.id().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = wait_bounded(child, Duration::from_secs(10)).expect("watch stops on SIGINT");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn watch_prints_each_change_until_interrupted() {
    let server = ServerProc::start(&["--memory"]);
    let s = server.addr.clone();
    let (mut child, rx) = spawn_watch(&s, &["w1", "w2"]);
    let next = |what: &str| {
        rx.recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no line while waiting for {what}"))
    };
    assert_eq!(next("the watching line"), "err: watching w1, w2");

    ok(&run(&["put", "w1", "-", "--server", &s], Some(b"one"), &[]));
    ok(&run(
        &["put", "other", "-", "--server", &s],
        Some(b"unwatched"),
        &[],
    ));
    ok(&run(
        &["put", "w2", "-", "--server", &s],
        Some(b"second"),
        &[],
    ));
    ok(&run(&["del", "w1", "--server", &s], None, &[]));
    let lines: Vec<String> = (0..3).map(|_| next("a change")).collect();
    let parse = |l: &str| -> (String, String, u64) {
        let parts: Vec<&str> = l.split(' ').collect();
        let version = parts[2].strip_prefix("version=").unwrap().parse().unwrap();
        (parts[0].to_string(), parts[1].to_string(), version)
    };
    let seen: Vec<_> = lines.iter().map(|l| parse(l)).collect();
    assert_eq!(seen[0].0, "stored");
    assert_eq!(seen[0].1, "w1");
    assert!(lines[0].ends_with(" size=3"), "{}", lines[0]);
    assert_eq!((seen[1].0.as_str(), seen[1].1.as_str()), ("stored", "w2"));
    assert!(lines[1].ends_with(" size=6"), "{}", lines[1]);
    assert_eq!((seen[2].0.as_str(), seen[2].1.as_str()), ("deleted", "w1"));
    assert!(seen[0].2 < seen[1].2 && seen[1].2 < seen[2].2, "{lines:?}");

    // Interrupted: exits 0.
    interrupt(&mut child);
}

#[test]
fn explain_dumps_a_frame() {
    let spaced = "01 00 0c 07 03 6b 65 79 00 05 68 65 6c 6c 6f";
    let r = run(&["explain", spaced], None, &[]);
    ok(&r);
    let text = r.out();
    assert!(text.contains("header.id = 0x01 (StoreRequest)"), "{text}");
    assert!(text.contains("StoreRequest.trans = 7"), "{text}");
    assert!(text.contains("StoreRequest.name = \"key\""), "{text}");
    // Without spaces, as separate arguments, and from stdin: the same.
    let compact = run(&["explain", &spaced.replace(' ', "")], None, &[]);
    assert_eq!(compact.out(), text);
    let args: Vec<&str> = std::iter::once("explain")
        .chain(spaced.split(' '))
        .collect();
    assert_eq!(run(&args, None, &[]).out(), text);
    let stdin = run(
        &["explain", "-"],
        Some(format!("{spaced}\n").as_bytes()),
        &[],
    );
    ok(&stdin);
    assert_eq!(stdin.out(), text);
    // A tutorial FetchResponse for a missing key.
    let r = run(&["explain", "04 00 08 09 02 03 6b 65 79 00 00"], None, &[]);
    ok(&r);
    assert!(r.out().contains("FetchResponse"), "{}", r.out());
    // A frame that does not decode is still explained, up to the error,
    // and the command fails with the reason: an incomplete frame, an
    // unknown id, a payload that does not decode, bytes after the frame.
    let trailing = format!("{spaced} 00");
    for (hex, shown, reason) in [
        (
            "01 00 05 07 09 6b",
            "error",
            "incomplete frame: 2 more bytes needed",
        ),
        ("01ff", "incomplete header", "incomplete frame"),
        (
            "ee 00 00",
            "unknown message id 0xee",
            "invalid frame: unknown message id 0xee",
        ),
        ("01 00 03 07 03 6b", "error", "invalid frame"),
        (
            &trailing,
            "StoreRequest.data",
            "1 bytes after the end of the frame",
        ),
    ] {
        let r = run(&["explain", hex], None, &[]);
        assert_eq!(r.code, 1, "{hex}");
        assert!(r.out().contains(shown), "{hex}: {}", r.out());
        assert!(
            r.stderr.starts_with(&format!("storage: {reason}")),
            "{hex}: {}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1, "{hex}: {}", r.stderr);
    }
    // Not hex: exit 1.
    let r = run(&["explain", "zz"], None, &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("storage: bad hex"), "{}", r.stderr);
    let r = run(&["explain", "abc"], None, &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("odd number"), "{}", r.stderr);
}

#[test]
fn bench_runs_in_process_and_against_a_server() {
    let r = run(
        &[
            "bench",
            "--duration",
            "0.5",
            "--conns",
            "2",
            "--depth",
            "2",
            "--keys",
            "50",
        ],
        None,
        &[],
    );
    ok(&r);
    let out = r.out();
    assert!(out.contains("in-process, memory"), "{out}");
    assert!(out.contains("ops/s") && out.contains("p999"), "{out}");
    assert!(out.contains("errors 0"), "{out}");

    let server = ServerProc::start(&["--memory"]);
    let r = run(
        &[
            "bench",
            "--server",
            &server.addr,
            "--duration",
            "0.5",
            "--size",
            "100000",
            "--keys",
            "10",
            "--mix",
            "0.8",
        ],
        None,
        &[],
    );
    ok(&r);
    assert!(r.out().contains("errors 0"), "{}", r.out());
    let r = run(&["bench", "--mix", "2"], None, &[]);
    assert_eq!(r.code, 1);
}

#[test]
fn demo_runs_the_scripted_conversation() {
    let r = run(&["demo"], None, &[]);
    ok(&r);
    let out = r.out();
    for expected in [
        "listening on 127.0.0.1:",
        "status=SUCCESS",
        "data=\"hello, world\"",
        "status=EKEY",
        "Changed 0x16 Stored \"config\"",
        "Changed 0x16 Deleted \"config\"",
        "status=FAIL (too large for one frame)",
        "identical",
        "header.id = 0x01 (StoreRequest)",
        "done",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn serve_refuses_a_public_address_without_a_token() {
    let err = match ServerProc::start_on("0.0.0.0:0", &["--memory"]) {
        Ok(_) => panic!("listened on 0.0.0.0 without a token"),
        Err(e) => e,
    };
    assert!(err.contains("exit status: 1"), "{err}");
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0 without a token"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "t0ken\n").unwrap();
    let server = ServerProc::start_on(
        "0.0.0.0:0",
        &["--memory", "--token-file", token.to_str().unwrap()],
    )
    .unwrap();
    assert!(server.addr.starts_with("0.0.0.0:"), "{}", server.addr);

    // A database that cannot be opened: exit 1 with the reason.
    let err = ServerProc::start_on("127.0.0.1:0", &["--db", "/nonexistent/dir/db.redb"])
        .err()
        .expect("no database, no server");
    assert!(
        err.contains("cannot open /nonexistent/dir/db.redb"),
        "{err}"
    );
}

/// Watches stay alive: with `serve --idle-timeout 2`, a `storage watch`
/// on a quiet key is still there after 10 s and prints the change that
/// then comes, while a connection that sends nothing is closed as idle.
#[test]
fn a_watch_outlives_the_idle_limit_and_an_idle_socket_does_not() {
    let server = ServerProc::start(&["--memory", "--idle-timeout", "2"]);
    let s = server.addr.clone();

    let (mut watch, rx) = spawn_watch(&s, &["quietkey"]);
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

    interrupt(&mut watch);
}
