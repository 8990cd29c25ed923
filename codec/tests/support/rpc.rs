//! What the `rpc_*` loopback tests share: two small protocols (a `u8` tag
//! and a `u16` tag), a time bound, polling, a deterministic "random"
//! number, and raw-socket helpers for fake peers that hand-write frames.
#![allow(dead_code, reason = "each rpc_* test binary uses a part of this")]

use std::future::Future;
use std::time::Duration;

use codec::rpc::{Handshake, HandshakeConn};
use codec::tokio::ProtocolCodec;
use codec::{Decode, Encode, Message, Protocol};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::FramedRead;

/// A request with a `u8` tag: the tag space is 256 calls.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 1, response = Pong)]
pub struct Ping {
    #[codec(tag)]
    pub tag: u8,
    pub n: u32,
    #[codec(len = u16)]
    pub pad: Vec<u8>,
}

/// The reply to [`Ping`]: `n + 1`, and `n` in decimal.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 2)]
pub struct Pong {
    #[codec(tag)]
    pub tag: u8,
    pub n: u32,
    #[codec(len = u8)]
    pub text: String,
}

/// A notification: no tag.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 3)]
pub struct Note {
    pub seq: u32,
}

/// Handshake, client to server.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 4)]
pub struct Hello {
    #[codec(len = u8)]
    pub token: String,
}

/// Handshake, server to client.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 5)]
pub struct Welcome {
    pub ok: bool,
    #[codec(len = u8)]
    pub reason: String,
}

/// A failure reply: tagged, but not the [`Pong`] a typed call expects.
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 6)]
pub struct Fail {
    #[codec(tag)]
    pub tag: u8,
    pub code: u8,
}

#[derive(Debug, Clone, PartialEq, Protocol)]
pub enum Small {
    Ping(Ping),
    Pong(Pong),
    Note(Note),
    Hello(Hello),
    Welcome(Welcome),
    Fail(Fail),
}

pub fn ping(n: u32) -> Ping {
    Ping {
        tag: 0,
        n,
        pad: Vec::new(),
    }
}

/// The correct reply to `ping(n)` (tag left for the server to fill).
pub fn pong(n: u32) -> Pong {
    Pong {
        tag: 0,
        n: n.wrapping_add(1),
        text: n.to_string(),
    }
}

/// Checks `got` is the reply to `ping(n)`.
pub fn check_pong(n: u32, got: &Pong) {
    assert_eq!(
        (got.n, got.text.as_str()),
        (n.wrapping_add(1), n.to_string().as_str()),
        "wrong reply to ping({n}): {got:?}"
    );
}

/// The echo answer of the `Small` protocol: `Pong` for `Ping`, nothing
/// for anything else.
pub fn answer(req: Small) -> Option<Small> {
    match req {
        Small::Ping(p) => Some(Small::Pong(pong(p.n))),
        _ => None,
    }
}

/// A request with a `u16` tag (65,536 tags).
#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x10, response = Sum)]
pub struct Add {
    #[codec(tag)]
    pub tag: u16,
    pub n: u64,
}

#[derive(Debug, Clone, PartialEq, Encode, Decode, Message)]
#[codec(id = 0x11)]
pub struct Sum {
    #[codec(tag)]
    pub tag: u16,
    pub n: u64,
    #[codec(len = u8)]
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Protocol)]
pub enum Wide {
    Add(Add),
    Sum(Sum),
}

/// The whole test body must finish within `secs` seconds.
pub async fn bounded<F: Future>(secs: u64, body: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(secs), body).await {
        Ok(out) => out,
        Err(_) => panic!("test did not finish within {secs} s"),
    }
}

/// Polls `cond` every 5 ms until it holds; panics after `within`.
pub async fn eventually(what: &str, within: Duration, mut cond: impl FnMut() -> bool) {
    let start = tokio::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < within, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// splitmix64: a deterministic pseudo-random number for `n`.
pub fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A listener on 127.0.0.1 with an OS-chosen port.
pub async fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.expect("bind")
}

/// A fake peer's reading side: whole frames of `Small`, decoded by the
/// library's frame codec (the writing side is hand-written bytes).
pub type RawReader = FramedRead<OwnedReadHalf, ProtocolCodec<Small>>;

/// Accepts one connection and splits it for a fake server.
pub async fn accept_raw(l: &TcpListener) -> (RawReader, OwnedWriteHalf) {
    let (stream, _) = l.accept().await.expect("accept");
    split_raw(stream)
}

pub fn split_raw(stream: TcpStream) -> (RawReader, OwnedWriteHalf) {
    stream.set_nodelay(true).unwrap();
    let (rd, wr) = stream.into_split();
    (FramedRead::new(rd, ProtocolCodec::new()), wr)
}

/// The next frame a fake peer receives.
pub async fn read_msg(rd: &mut RawReader) -> Small {
    rd.next()
        .await
        .expect("peer closed")
        .expect("frame decodes")
}

/// Hand-writes `msg`'s frame (header and payload) to the socket.
pub async fn write_msg(wr: &mut OwnedWriteHalf, msg: impl Into<Small>) {
    let bytes = msg.into().to_bytes().expect("encodes");
    wr.write_all(&bytes).await.expect("write");
}

/// A shared-token handshake: the client sends `Hello { token }`; the server
/// (after `delay`) answers `Welcome { ok, reason }` and refuses a wrong
/// token. The same type serves both sides: `token` is what the client sends
/// and what the server expects.
pub struct TokenHandshake {
    pub token: String,
    pub delay: Duration,
    /// Reasons the server side refused, for the test to check.
    pub refused: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl TokenHandshake {
    pub fn new(token: &str, delay: Duration) -> Self {
        TokenHandshake {
            token: token.into(),
            delay,
            refused: Default::default(),
        }
    }
}

impl Handshake<Small> for TokenHandshake {
    fn client<'a>(
        &'a self,
        conn: &'a mut HandshakeConn<Small>,
    ) -> codec::rpc::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            conn.send(&Small::Hello(Hello {
                token: self.token.clone(),
            }))
            .await?;
            match conn.recv().await? {
                Small::Welcome(Welcome { ok: true, .. }) => Ok(()),
                Small::Welcome(Welcome { reason, .. }) => {
                    Err(format!("server refused the token: {reason}"))
                }
                other => Err(format!("expected Welcome, got {}", other.name())),
            }
        })
    }

    fn server<'a>(
        &'a self,
        conn: &'a mut HandshakeConn<Small>,
    ) -> codec::rpc::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let token = match conn.recv().await? {
                Small::Hello(h) => h.token,
                other => return Err(format!("expected Hello, got {}", other.name())),
            };
            tokio::time::sleep(self.delay).await;
            if token == self.token {
                conn.send(&Small::Welcome(Welcome {
                    ok: true,
                    reason: String::new(),
                }))
                .await?;
                Ok(())
            } else {
                let why = format!("bad token {token:?}");
                conn.send(&Small::Welcome(Welcome {
                    ok: false,
                    reason: why.clone(),
                }))
                .await?;
                self.refused.lock().unwrap().push(why.clone());
                Err(why)
            }
        })
    }
}
