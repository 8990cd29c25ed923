//! The client against fake backends on loopback that lie: lengths that
//! disagree with the body, a 2 GiB length claim, messages cut short,
//! unknown message types, an authentication that never finishes, odd
//! SSLRequest answers, a server that requires TLS. Each ends in a clear
//! error, without a panic, within a bounded time, and allocating nothing
//! near what a header claims (the counting allocator sees every request
//! of the test's thread, where the client and the fake server both run).

use std::future::Future;
use std::time::{Duration, Instant};

use codec_examples::pg::client::{Client, Config, SslMode};
use codec_examples::pg::Error;
use codec_tests::alloc::{largest_during, Counting};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A typed backend frame.
fn msg(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![kind];
    v.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// AuthenticationOk, then ReadyForQuery (idle).
fn ready() -> Vec<u8> {
    [msg(b'R', &[0, 0, 0, 0]), msg(b'Z', b"I")].concat()
}

/// Reads one untyped frontend packet (SSLRequest or StartupMessage).
async fn read_packet(s: &mut TcpStream) -> Vec<u8> {
    let len = s.read_u32().await.unwrap() as usize;
    let mut body = vec![0; len - 4];
    s.read_exact(&mut body).await.unwrap();
    body
}

/// Answers the SSLRequest with `N`, reads the StartupMessage.
async fn handshake(s: &mut TcpStream) {
    let ssl = read_packet(s).await;
    assert_eq!(ssl, 80877103u32.to_be_bytes());
    s.write_all(b"N").await.unwrap();
    let startup = read_packet(s).await;
    assert_eq!(&startup[..4], &196608u32.to_be_bytes());
}

/// Runs `client` against a fake backend that runs `script` on each
/// accepted connection, in one current-thread runtime, and returns the
/// client's result, how long it took and the largest allocation.
fn against<S, F, C, T>(script: S, client: impl FnOnce(Config) -> C) -> (T, Duration, usize)
where
    S: Fn(TcpStream) -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
    C: Future<Output = T>,
{
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let (result, largest) = largest_during(|| {
        rt.block_on(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = l.local_addr().unwrap().port();
            let server = tokio::spawn(async move {
                loop {
                    let (s, _) = l.accept().await.unwrap();
                    tokio::spawn(script(s));
                }
            });
            let mut config = Config::new("127.0.0.1", port, "u", "db");
            config.connect_timeout = Some(Duration::from_secs(2));
            config.password = Some("pw".into());
            let r = tokio::time::timeout(Duration::from_secs(20), client(config))
                .await
                .expect("the client gave up within 20 s");
            server.abort();
            r
        })
    });
    (result, started.elapsed(), largest)
}

/// Connects, then runs one simple query.
async fn connect_and_query(config: Config) -> Result<(), Error> {
    let mut c = Client::connect(&config).await?;
    c.simple_query("SELECT 1").await.map(drop)
}

/// A fake backend's script for one connection.
type Script = Box<dyn Fn(TcpStream) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Handshake; when `query`, AuthenticationOk, ReadyForQuery and the
/// client's query read; then `bytes`, and the connection kept open for a
/// while.
fn scripted(query: bool, bytes: Vec<u8>) -> Script {
    Box::new(move |mut s| {
        let bytes = bytes.clone();
        Box::pin(async move {
            handshake(&mut s).await;
            if query {
                s.write_all(&ready()).await.unwrap();
                let mut q = [0u8; 64];
                let _ = s.read(&mut q).await;
            }
            let _ = s.write_all(&bytes).await;
            let _ = s.flush().await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        })
    })
}

/// The answer to the client's first query is `bytes`.
fn after_query(bytes: Vec<u8>) -> Script {
    scripted(true, bytes)
}

/// The answer to the StartupMessage is `bytes`.
fn after_startup(bytes: Vec<u8>) -> Script {
    scripted(false, bytes)
}

fn protocol_error(r: Result<(), Error>) -> String {
    match r {
        Err(e @ Error::Protocol(_)) => e.to_string(),
        other => panic!("not a protocol error: {other:?}"),
    }
}

#[test]
fn a_two_gib_length_claim_is_refused_from_the_header() {
    let claim = [&b"D"[..], &0x8000_0000u32.to_be_bytes(), &[0, 1]].concat();
    let (r, took, largest) = against(after_query(claim), connect_and_query);
    let e = protocol_error(r);
    assert!(e.contains("over the limit"), "{e}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(largest < 1 << 20, "largest allocation {largest}");
}

#[test]
fn a_large_claim_then_silence_allocates_only_what_arrived() {
    // 512 MiB claimed (under the 1 GiB limit), 1 KiB sent, then the
    // server closes: truncated, and nothing near 512 MiB reserved.
    let mut bytes = [&b"D"[..], &(512u32 << 20).to_be_bytes()].concat();
    bytes.extend(std::iter::repeat_n(0u8, 1024));
    let (r, _, largest) = against(after_query(bytes), connect_and_query);
    let e = match r {
        Err(e @ (Error::Protocol(_) | Error::Io(_))) => e.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(
        e.contains("stream ended inside a frame") || e.contains("closed"),
        "{e}"
    );
    assert!(largest < 1 << 20, "largest allocation {largest}");
}

#[test]
fn lying_lengths_inside_a_message() {
    // A DataRow whose column claims 1000 bytes in a 16-byte body.
    let row = msg(b'D', &[0, 1, 0, 0, 0x03, 0xE8, b'x', b'y']);
    let e = protocol_error(against(after_query(row), connect_and_query).0);
    assert!(e.contains("DataRow.columns[0].value"), "{e}");
    // A length below its own four bytes.
    let e = protocol_error(against(after_query(b"Z\0\0\0\x02".to_vec()), connect_and_query).0);
    assert!(e.contains("below the minimum 4"), "{e}");
    // A RowDescription claiming 30,000 fields in 2 bytes.
    let e = protocol_error(against(after_query(msg(b'T', &[0x75, 0x30])), connect_and_query).0);
    assert!(e.contains("RowDescription.fields"), "{e}");
    // A string without its NUL.
    let e = protocol_error(against(after_query(msg(b'C', b"SELECT 1")), connect_and_query).0);
    assert!(e.contains("CommandComplete.tag"), "{e}");
}

#[test]
fn truncated_messages_and_unknown_types() {
    // Half a header, then the server closes.
    let e = protocol_error(against(after_query(b"D\0\0".to_vec()), connect_and_query).0);
    assert!(e.contains("stream ended inside a frame"), "{e}");
    // An unknown type byte.
    let e = protocol_error(against(after_query(msg(b'@', b"")), connect_and_query).0);
    assert!(e.contains("unknown message id 0x40"), "{e}");
    // A known message where it makes no sense.
    let r = against(after_query(msg(b'1', b"")), connect_and_query).0;
    assert!(matches!(r, Err(Error::Unexpected(_))), "{r:?}");
    // The connection closed before any answer.
    let r = against(
        |mut s: TcpStream| async move {
            handshake(&mut s).await;
        },
        connect_and_query,
    )
    .0;
    assert!(matches!(r, Err(Error::Io(_))), "{r:?}");
}

#[test]
fn an_authentication_that_never_finishes_times_out() {
    // SASL offered, the client's first message read, then silence.
    let (r, took, _) = against(
        |mut s: TcpStream| async move {
            handshake(&mut s).await;
            s.write_all(&msg(b'R', b"\0\0\0\x0aSCRAM-SHA-256\0\0"))
                .await
                .unwrap();
            let mut buf = [0u8; 256];
            while s.read(&mut buf).await.unwrap_or(0) > 0 {}
        },
        connect_and_query,
    );
    assert!(matches!(r, Err(Error::Timeout(_))), "{r:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // An endless stream of ParameterStatus instead of ReadyForQuery.
    let (r, took, largest) = against(
        |mut s: TcpStream| async move {
            handshake(&mut s).await;
            s.write_all(&msg(b'R', &[0, 0, 0, 0])).await.unwrap();
            let p = msg(b'S', b"name\0value\0").repeat(100);
            while s.write_all(&p).await.is_ok() {}
        },
        connect_and_query,
    );
    assert!(matches!(r, Err(Error::Timeout(_))), "{r:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(largest < 1 << 20, "largest allocation {largest}");
    // A SCRAM challenge asking for 2^31 iterations: refused at once.
    let (r, took, _) = against(
        |mut s: TcpStream| async move {
            handshake(&mut s).await;
            s.write_all(&msg(b'R', b"\0\0\0\x0aSCRAM-SHA-256\0\0"))
                .await
                .unwrap();
            let mut buf = [0u8; 256];
            let n = s.read(&mut buf).await.unwrap();
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            let nonce = &text[text.find("r=").unwrap() + 2..];
            let first = format!("r={nonce}xyz,s=QUJD,i=2147483648");
            let body = [&11u32.to_be_bytes()[..], first.as_bytes()].concat();
            s.write_all(&msg(b'R', &body)).await.unwrap();
            while s.read(&mut buf).await.unwrap_or(0) > 0 {}
        },
        connect_and_query,
    );
    assert!(
        matches!(&r, Err(Error::Auth(m)) if m.contains("iteration")),
        "{r:?}"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    // A method this client does not speak (GSSAPI).
    let r = against(after_startup(msg(b'R', b"\0\0\0\x07")), connect_and_query).0;
    assert!(
        matches!(&r, Err(Error::Auth(m)) if m.contains("unsupported")),
        "{r:?}"
    );
}

#[test]
fn ssl_request_answers() {
    // 'S' then a server that takes plain text on the second connection:
    // `prefer` reconnects without asking.
    let script = |mut s: TcpStream| async move {
        let first = read_packet(&mut s).await;
        if first == 80877103u32.to_be_bytes() {
            s.write_all(b"S").await.unwrap();
            let mut buf = [0u8; 16];
            let _ = s.read(&mut buf).await;
            return;
        }
        s.write_all(&ready()).await.unwrap();
        let mut q = [0u8; 64];
        let _ = s.read(&mut q).await;
        s.write_all(&[msg(b'I', b""), msg(b'Z', b"I")].concat())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let r = against(script, connect_and_query).0;
    assert!(r.is_ok(), "{r:?}");
    // The same server with `require`: refused, naming the reason.
    let r = against(script, |mut c| async move {
        c.ssl_mode = SslMode::Require;
        connect_and_query(c).await
    })
    .0;
    assert!(
        matches!(&r, Err(Error::Tls(m)) if m.contains("does not speak TLS")),
        "{r:?}"
    );
    // A server that requires TLS (pg_hba `hostssl` only): its refusal of
    // the plain connection becomes a TLS error.
    let refusal = msg(
        b'E',
        b"SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host \"127.0.0.1\", user \"u\", database \"db\", no encryption\0\0",
    );
    let r = against(after_startup(refusal), connect_and_query).0;
    assert!(
        matches!(&r, Err(Error::Tls(m)) if m.contains("requires TLS")),
        "{r:?}"
    );
    // An answer that is neither.
    let r = against(
        |mut s: TcpStream| async move {
            read_packet(&mut s).await;
            s.write_all(b"E").await.unwrap();
        },
        connect_and_query,
    )
    .0;
    assert!(
        matches!(&r, Err(Error::Protocol(m)) if m.contains("SSLRequest")),
        "{r:?}"
    );
}

/// pg-peer against a lying server: exit 2 and the reason, no panic.
#[test]
fn pg_peer_exits_2_on_a_hostile_server() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let l = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = l.local_addr().unwrap().port();
    rt.spawn(async move {
        loop {
            let (s, _) = l.accept().await.unwrap();
            tokio::spawn(after_query(
                [&b"D"[..], &0x8000_0000u32.to_be_bytes()].concat(),
            )(s));
        }
    });
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pg-peer"))
        .args([
            "query",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "u",
            "-c",
            "SELECT 1",
        ])
        .env_clear()
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("over the limit") && !err.contains("panicked"),
        "{err}"
    );
}
