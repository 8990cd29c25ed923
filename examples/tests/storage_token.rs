//! Access: with `--token-file`, a client with a wrong token or none is
//! refused before any request is executed and reads nothing; with the
//! right token it works.

mod support {
    pub mod storage;
}

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use codec::rpc::CallError;
use codec_examples::storage::client::{Error, Options, StorageClient};
use support::storage::*;

const TOKEN: &str = "correct horse battery staple";

/// The server's refusal: `Welcome { status: EINVAL }`.
const REFUSED: [u8; 4] = [0x31, 0x00, 0x01, 0x03];

/// Sends `bytes` on a fresh connection and reads until the server closes.
fn exchange(addr: &str, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(bytes).unwrap();
    let mut got = Vec::new();
    // The server closes after refusing (a reset if some of our bytes were
    // still unread: what arrived before it counts); a timeout fails.
    if let Err(e) = s.read_to_end(&mut got) {
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
    }
    got
}

fn hello(token: &[u8]) -> Vec<u8> {
    let mut p = vec![1, token.len() as u8];
    p.extend_from_slice(token);
    frame(0x30, &p)
}

fn fetch(trans: u8, name: &str) -> Vec<u8> {
    let mut p = vec![trans, name.len() as u8];
    p.extend_from_slice(name.as_bytes());
    frame(0x03, &p)
}

fn store(trans: u8, name: &str, data: &[u8]) -> Vec<u8> {
    let mut p = vec![trans, name.len() as u8];
    p.extend_from_slice(name.as_bytes());
    p.extend_from_slice(&(data.len() as u16).to_be_bytes());
    p.extend_from_slice(data);
    frame(0x01, &p)
}

#[test]
fn only_the_right_token_gets_in() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let tf = token_file.to_str().unwrap();
    let server = ServerProc::start(&["--memory", "--token-file", tf]);
    let addr = server.addr.clone();

    // The right token: the binary and the library work.
    let r = run(
        &["put", "secret", "-", "--server", &addr, "--token-file", tf],
        Some(b"the crown jewels"),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(
        &["get", "secret", "--server", &addr],
        None,
        &[("STORAGE_TOKEN", TOKEN)],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, b"the crown jewels");

    // Raw: no Hello, straight to a request: refused, nothing else read.
    let got = exchange(&addr, &[fetch(1, "secret"), fetch(2, "secret")].concat());
    assert_eq!(got, REFUSED);
    // A wrong token, then requests anyway: refused, nothing else.
    let got = exchange(&addr, &[hello(b"guess"), fetch(1, "secret")].concat());
    assert_eq!(got, REFUSED);
    // A store without the token changes nothing.
    let got = exchange(&addr, &store(1, "secret", b"overwritten"));
    assert_eq!(got, REFUSED);
    let got = exchange(
        &addr,
        &[hello(b"guess"), store(1, "planted", b"x")].concat(),
    );
    assert_eq!(got, REFUSED);

    // Raw with the token: Welcome SUCCESS, then the value.
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(&[hello(TOKEN.as_bytes()), fetch(9, "secret")].concat())
        .unwrap();
    assert_eq!(read_frame(&mut s).unwrap(), (0x31, vec![0x00]));
    let (id, p) = read_frame(&mut s).unwrap();
    assert_eq!(id, 0x04);
    assert_eq!(&p[..2], &[9, 0x00]);
    assert!(p.ends_with(b"the crown jewels"), "the value is unchanged");
    s.write_all(&fetch(10, "planted")).unwrap();
    let (id, p) = read_frame(&mut s).unwrap();
    assert_eq!((id, p[1]), (0x04, 0x02), "the refused store did not land");

    // The binary: no token, a wrong one: exit 1 with the reason.
    let r = run(&["get", "secret", "--server", &addr], None, &[]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("token"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    let r = run(
        &["get", "secret", "--server", &addr],
        None,
        &[("STORAGE_TOKEN", "guess")],
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    assert_eq!(
        r.stderr,
        "storage: access refused: the server refused the token\n"
    );
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "guess").unwrap();
    let r = run(
        &[
            "ls",
            "--server",
            &addr,
            "--token-file",
            wrong.to_str().unwrap(),
        ],
        None,
        &[],
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty(), "a refused ls lists nothing");

    // The library: the same.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let none = StorageClient::connect(addr.as_str(), Options::default())
            .await
            .unwrap();
        match none.get_bytes("secret").await {
            Err(Error::Call(CallError::ConnectionClosed)) => {}
            other => panic!("no token: {other:?}"),
        }
        let wrong =
            StorageClient::connect(addr.as_str(), Options::with_token(Some(b"guess".to_vec())))
                .await
                .unwrap();
        match wrong.get_bytes("secret").await {
            Err(Error::Call(CallError::Handshake(why))) => {
                assert!(why.contains("refused"), "{why}")
            }
            other => panic!("wrong token: {other:?}"),
        }
        let right = StorageClient::connect(
            addr.as_str(),
            Options::with_token(Some(TOKEN.as_bytes().to_vec())),
        )
        .await
        .unwrap();
        assert_eq!(
            right.get_bytes("secret").await.unwrap(),
            b"the crown jewels"
        );
        right.close().await;
    });
    let log = server.stderr();
    assert!(log.contains("handshake refused"), "{log}");
}
