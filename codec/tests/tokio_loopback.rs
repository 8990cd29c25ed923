//! The tokio codec over a real loopback TCP connection: 10,000 messages
//! each way at once, bounded in time.
#![cfg(feature = "tokio")]

extern crate alloc;

mod support {
    #[allow(
        dead_code,
        reason = "the hand-written protocol also serves the codec unit tests, which use the rest"
    )]
    pub mod storage;
}

use std::time::Duration;

use codec::frame::FrameError;
use codec::tokio::ProtocolCodec;
use futures::{SinkExt, StreamExt};
use support::storage::{sample, Storage};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

const N: usize = 10_000;

/// Sends `N` messages starting at sample `first` while receiving `N`
/// messages that must start at sample `expect_first`; closes the write side
/// when done sending, and returns how many were received before the peer
/// closed.
async fn exchange(
    stream: TcpStream,
    first: usize,
    expect_first: usize,
) -> Result<usize, FrameError> {
    let (mut sink, mut source) = Framed::new(stream, ProtocolCodec::<Storage>::new()).split();
    let send = async move {
        for i in first..first + N {
            sink.feed(sample(i)).await?;
        }
        sink.close().await?;
        Ok::<_, FrameError>(())
    };
    let recv = async move {
        let mut n = 0;
        while let Some(msg) = source.next().await {
            let msg = msg?;
            assert!(msg == sample(expect_first + n), "message {n}: {msg:?}");
            n += 1;
        }
        Ok::<_, FrameError>(n)
    };
    let ((), n) = tokio::try_join!(send, recv)?;
    Ok(n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_messages_each_way() {
    let run = async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await?;
            exchange(stream, 5_000, 0).await
        });
        let client = exchange(TcpStream::connect(addr).await?, 0, 5_000).await?;
        let served = server.await.expect("server task panicked")?;
        Ok::<_, FrameError>((client, served))
    };
    let (client, served) = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("exchange timed out")
        .expect("exchange failed");
    assert_eq!((client, served), (N, N));
}

#[tokio::test]
async fn peer_closing_mid_frame_is_truncated() {
    use tokio::io::AsyncWriteExt;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let writer = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut frame = Vec::new();
        codec::frame::encode_frame(&sample(0), &mut frame).unwrap();
        stream.write_all(&frame).await.unwrap();
        stream.write_all(&frame[..frame.len() - 3]).await.unwrap();
        stream.shutdown().await.unwrap();
    });
    let (stream, _) = listener.accept().await.unwrap();
    let mut framed = Framed::new(stream, ProtocolCodec::<Storage>::new());
    let result = tokio::time::timeout(Duration::from_secs(30), async {
        let first = framed.next().await.unwrap().unwrap();
        assert!(first == sample(0));
        framed.next().await.unwrap()
    })
    .await
    .expect("timed out");
    assert!(
        matches!(result, Err(FrameError::Truncated { need: 3, .. })),
        "{result:?}"
    );
    writer.await.unwrap();
}
