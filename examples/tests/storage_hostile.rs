//! Hostile clients (garbage, oversize and lying lengths, bad names,
//! trickled bytes, stalled frames, abrupt closes, abandoned uploads) run
//! in parallel with well-behaved ones, which see no errors; the server
//! stays up and keeps its data.

mod support {
    pub mod storage;
}

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use codec_examples::storage::client::{Error, Options, StorageClient};
use support::storage::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const RUN_FOR: Duration = Duration::from_secs(3);

fn store(trans: u8, name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut p = vec![trans, name.len() as u8];
    p.extend_from_slice(name);
    p.extend_from_slice(&(data.len() as u16).to_be_bytes());
    p.extend_from_slice(data);
    frame(0x01, &p)
}

fn fetch(trans: u8, name: &[u8]) -> Vec<u8> {
    let mut p = vec![trans, name.len() as u8];
    p.extend_from_slice(name);
    frame(0x03, &p)
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_begin(trans: u8, name: &[u8], size: u64) -> Vec<u8> {
    let mut p = vec![trans, name.len() as u8];
    p.extend_from_slice(name);
    varint(size, &mut p);
    frame(0x20, &p)
}

/// Sends `bytes`, reads whatever comes back for a moment, closes.
async fn hit(addr: &str, bytes: &[u8]) {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return;
    };
    let _ = s.write_all(bytes).await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_millis(20), s.read(&mut sink)).await;
}

/// One kind of hostility, repeated until `stop`.
async fn hostile(kind: usize, addr: String, stop: Arc<AtomicBool>, rounds: Arc<AtomicU64>) {
    let mut rng = Rng(0xBAD ^ kind as u64);
    while !stop.load(Ordering::Relaxed) {
        match kind {
            // Random garbage.
            0 => {
                let len = 1 + rng.below(3000) as usize;
                let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                hit(&addr, &junk).await;
            }
            // Lying and oversize lengths: a full-size frame whose name and
            // data lengths overrun it; a data length past the payload; an
            // unknown id; a chunk over CHUNK bytes; a PutBegin over 1 GiB;
            // then a header promising more than is ever sent.
            1 => {
                hit(&addr, &frame(0x01, &[0xFF; 65_535])).await;
                let mut lying = store(1, b"k", b"abc");
                lying[6] = 0xFF; // data.len says 0xFF03
                hit(&addr, &lying).await;
                hit(&addr, &frame(0x7F, b"who knows")).await;
                let mut chunk = vec![1];
                varint(1, &mut chunk);
                varint(0, &mut chunk);
                chunk.extend_from_slice(&(65_000u16).to_be_bytes());
                chunk.extend_from_slice(&[0u8; 65_000]);
                hit(&addr, &frame(0x22, &chunk)).await;
                hit(&addr, &put_begin(2, b"huge", u64::MAX)).await;
                hit(&addr, &[0x01, 0xFF, 0xFF, 0x00]).await;
            }
            // Bad names: not UTF-8, empty.
            2 => {
                hit(&addr, &store(3, &[0xFF, 0xFE, 0xFD], b"x")).await;
                hit(&addr, &store(4, b"", b"x")).await;
                hit(&addr, &fetch(5, &[0xC3])).await;
            }
            // Trickling: a request one byte at a time, then a frame that
            // stalls forever (the connection stays open until the end).
            3 => {
                let Ok(mut s) = TcpStream::connect(&addr).await else {
                    continue;
                };
                for b in fetch(6, b"trickle") {
                    if s.write_all(&[b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(15)).await;
                }
                let _ = s.write_all(&[0x01, 0x00, 0x40, 0x07]).await;
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    drop(s);
                });
            }
            // Abrupt closes: mid-frame, right after a request, after
            // beginning an upload and sending part of it.
            4 => {
                let f = store(7, b"abrupt", &[9; 100]);
                hit(&addr, &f[..f.len() / 2]).await;
                if let Ok(mut s) = TcpStream::connect(&addr).await {
                    let _ = s.write_all(&fetch(8, b"abrupt")).await;
                }
                if let Ok(mut s) = TcpStream::connect(&addr).await {
                    let _ = s.write_all(&put_begin(9, b"abandoned", 1 << 20)).await;
                    let mut reply = [0u8; 16];
                    let _ = s.read(&mut reply).await;
                }
            }
            // Pipelined bursts, then gone without reading the replies.
            // (Paced: an unpaced flood is a load test, and slows everyone
            // down as any saturated server would.)
            _ => {
                if let Ok(mut s) = TcpStream::connect(&addr).await {
                    let burst: Vec<u8> = (0..200u8).flat_map(|t| fetch(t, b"flood")).collect();
                    let _ = s.write_all(&burst).await;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        rounds.fetch_add(1, Ordering::Relaxed);
    }
}

/// A well-behaved client: its own keys, small and chunked values, every
/// answer checked.
async fn polite(id: u64, addr: String, stop: Arc<AtomicBool>, ops: Arc<AtomicU64>) {
    let client = StorageClient::connect(
        addr.as_str(),
        Options {
            timeout: Some(Duration::from_secs(20)),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let name = format!("polite/{id}/{}", n % 4);
        let size = if n % 5 == 4 {
            150_000
        } else {
            100 + n as usize
        };
        let v = pattern(id * 1_000_000 + n, size);
        client.put_bytes(&name, &v).await.unwrap();
        assert_eq!(client.get_bytes(&name).await.unwrap(), v, "{name}");
        let listed = client.list(&format!("polite/{id}/")).await.unwrap();
        assert!(listed
            .iter()
            .any(|e| e.name == name && e.size == size as u64));
        if n.is_multiple_of(3) {
            client.delete(&name).await.unwrap();
            assert!(matches!(
                client.get_bytes(&name).await,
                Err(Error::NotFound(_))
            ));
        }
        n += 1;
        ops.fetch_add(1, Ordering::Relaxed);
    }
    client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_clients_do_not_disturb_others() {
    let server = ServerProc::start(&["--memory"]);
    let addr = server.addr.clone();
    let keep = StorageClient::connect(addr.as_str(), Options::default())
        .await
        .unwrap();
    keep.put_bytes("kept", b"precious").await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let (ops, rounds) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut bad = tokio::task::JoinSet::new();
    for kind in 0..6 {
        for _ in 0..2 {
            bad.spawn(hostile(
                kind,
                addr.clone(),
                Arc::clone(&stop),
                Arc::clone(&rounds),
            ));
        }
    }
    let mut good = tokio::task::JoinSet::new();
    for id in 0..6 {
        good.spawn(polite(
            id,
            addr.clone(),
            Arc::clone(&stop),
            Arc::clone(&ops),
        ));
    }
    tokio::time::sleep(RUN_FOR).await;
    stop.store(true, Ordering::Relaxed);
    let finished = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(r) = good.join_next().await {
            r.expect("a well-behaved client saw an error");
        }
        while let Some(r) = bad.join_next().await {
            r.expect("hostile task");
        }
    })
    .await;
    assert!(finished.is_ok(), "clients did not finish");

    let ops = ops.load(Ordering::Relaxed);
    let rounds = rounds.load(Ordering::Relaxed);
    eprintln!("{ops} well-behaved rounds, {rounds} hostile rounds");
    assert!(ops >= 6, "the well-behaved clients barely ran: {ops}");
    assert!(rounds >= 50, "the hostile clients barely ran: {rounds}");
    // The server is up, the old connection still works, the data is there.
    assert_eq!(keep.get_bytes("kept").await.unwrap(), b"precious");
    let fresh = StorageClient::connect(addr.as_str(), Options::default())
        .await
        .unwrap();
    assert_eq!(fresh.get_bytes("kept").await.unwrap(), b"precious");
    let log = server.stderr();
    assert!(
        log.contains("closing"),
        "no connection was closed on error:\n{log}"
    );
}
