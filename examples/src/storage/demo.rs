//! `storage demo`: one process starts a server on an ephemeral loopback
//! port with a temporary database and runs a short scripted conversation,
//! printing each step.

use std::io::Write as _;
use std::time::{Duration, Instant};

use codec::rpc::{Chain, Server, ServerConfig};
use codec::Encode;
use tokio::io::AsyncWriteExt;

use super::cli::{byte_bar, Failure};
use super::client::{Options, StorageClient};
use super::protocol::*;
use super::server::Service;

/// Size of the streamed value.
const BIG: usize = 5 << 20;

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// FNV-1a, enough to show two 5 MiB files are the same.
fn fnv(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

async fn hash_file(path: &std::path::Path) -> Result<u64, Failure> {
    let data = tokio::fs::read(path).await?;
    Ok(fnv(FNV_START, &data))
}

/// Prints a line; a closed stdout (`demo | head`) is not an error.
fn say(line: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(line);
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

fn step(n: u32, what: &str) {
    say(format_args!("\n[{n}] {what}"));
}

fn show(line: impl std::fmt::Display) {
    say(format_args!("    {line}"));
}

fn err(e: impl std::error::Error + 'static) -> Failure {
    Failure::other(format!("demo failed: {}", Chain(&e)))
}

fn failed(why: &str) -> Failure {
    Failure::other(format!("demo failed: {why}"))
}

/// Runs the demo.
///
/// # Errors
///
/// A step did not go as scripted.
pub async fn run() -> Result<(), Failure> {
    say(format_args!(
        "storage demo: a server and two clients in one process"
    ));
    let dir = tempfile::tempdir()?;
    let db_path = dir.path().join("demo.redb");

    step(1, "start a server on an ephemeral loopback port");
    let path = db_path.clone();
    let service = tokio::task::spawn_blocking(move || Service::open(Some(&path), None))
        .await
        .map_err(err)?
        .map_err(err)?;
    let server = Server::<Storage>::bind_with("127.0.0.1:0", ServerConfig::default()).await?;
    let addr = server.local_addr()?;
    let handle = server.serve(service.handler());
    show(format!(
        "listening on {addr}, database {}",
        db_path.display()
    ));
    let client = StorageClient::connect(addr, Options::default())
        .await
        .map_err(err)?;

    step(
        2,
        "store \"greeting\" = \"hello, world\" (tutorial StoreRequest 0x01)",
    );
    let store = StoreRequest {
        trans: 0,
        name: "greeting".into(),
        data: b"hello, world".to_vec(),
    };
    let reply = client.rpc().call(store.clone()).await.map_err(err)?;
    // The client filled in `trans`; the reply echoes it.
    let frame = Storage::from(StoreRequest {
        trans: reply.trans,
        ..store
    })
    .to_bytes()
    .map_err(err)?;
    show(format!("-> {}", hex(&frame)));
    show(format!(
        "<- StoreResponse trans={} name={:?} status={} (sent once the value is durable)",
        reply.trans, reply.name, reply.status
    ));

    step(3, "fetch \"greeting\" (FetchRequest 0x03)");
    let reply = client
        .rpc()
        .call(FetchRequest {
            trans: 0,
            name: "greeting".into(),
        })
        .await
        .map_err(err)?;
    show(format!(
        "<- FetchResponse trans={} status={} data={:?}",
        reply.trans,
        reply.status,
        String::from_utf8_lossy(&reply.data)
    ));

    step(4, "fetch \"nothing-here\", which does not exist");
    let reply = client
        .rpc()
        .call(FetchRequest {
            trans: 0,
            name: "nothing-here".into(),
        })
        .await
        .map_err(err)?;
    show(format!(
        "<- FetchResponse trans={} status={} name={:?} data={} bytes",
        reply.trans,
        reply.status,
        reply.name,
        reply.data.len()
    ));
    if reply.status != Status::Ekey {
        return Err(failed("a missing key should answer EKEY"));
    }

    step(
        5,
        "a second connection watches \"config\"; the first one changes it",
    );
    let watcher = StorageClient::connect(addr, Options::default())
        .await
        .map_err(err)?;
    let mut changes = watcher
        .changes()
        .ok_or_else(|| failed("no notifications"))?;
    watcher.watch("config").await.map_err(err)?;
    show("watcher: WatchRequest 0x14 -> SUCCESS");
    client
        .put_bytes("config", b"mode=fast")
        .await
        .map_err(err)?;
    show("client:  store config = \"mode=fast\"");
    client
        .put_bytes("config", b"mode=safe")
        .await
        .map_err(err)?;
    show("client:  store config = \"mode=safe\"");
    client.delete("config").await.map_err(err)?;
    show("client:  delete config");
    for _ in 0..3 {
        let c = tokio::time::timeout(Duration::from_secs(5), changes.next())
            .await
            .map_err(|_| failed("no notification within 5 s"))?
            .ok_or_else(|| failed("watcher disconnected"))?;
        show(format!(
            "watcher: <- Changed 0x16 {:?} {:?} version={} size={}",
            c.kind, c.name, c.version, c.size
        ));
    }
    watcher.close().await;

    step(
        6,
        &format!(
            "stream a {} MiB file in {} KiB chunks (PutBegin/PutChunk/PutCommit), then read it back (GetChunk)",
            BIG >> 20,
            CHUNK >> 10
        ),
    );
    let src = dir.path().join("big.bin");
    {
        let mut f = tokio::fs::File::create(&src).await?;
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut buf = vec![0u8; CHUNK];
        let mut left = BIG;
        while left > 0 {
            for b in &mut buf {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            let n = left.min(buf.len());
            f.write_all(&buf[..n]).await?;
            left -= n;
        }
        f.flush().await?;
    }
    let started = Instant::now();
    let bar = byte_bar("put big.bin");
    client
        .put_file("big.bin", &src, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await
        .map_err(err)?;
    bar.finish();
    show(format!(
        "put: {} bytes in {} chunks, committed in {:.0} ms",
        BIG,
        BIG.div_ceil(CHUNK),
        started.elapsed().as_secs_f64() * 1e3
    ));
    let reply = client
        .rpc()
        .call(FetchRequest {
            trans: 0,
            name: "big.bin".into(),
        })
        .await
        .map_err(err)?;
    show(format!(
        "a tutorial FetchRequest for it answers status={} (too large for one frame)",
        reply.status
    ));
    let dst = dir.path().join("big.copy");
    let started = Instant::now();
    let bar = byte_bar("get big.bin");
    let size = client
        .get_file("big.bin", &dst, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await
        .map_err(err)?;
    bar.finish();
    let (a, b) = (hash_file(&src).await?, hash_file(&dst).await?);
    show(format!(
        "get: {size} bytes in {:.0} ms; fnv64 {a:016x} vs {b:016x}: {}",
        started.elapsed().as_secs_f64() * 1e3,
        if a == b { "identical" } else { "DIFFERENT" }
    ));
    if a != b {
        return Err(failed("the copy differs"));
    }

    step(7, "list the keys (ListRequest 0x12)");
    for e in client.list("").await.map_err(err)? {
        show(format!("{:<10} {:>8} bytes", e.name, e.size));
    }

    step(8, "one frame, explained: the StoreRequest of step 2");
    for line in codec::explain::<Storage>(&frame).lines() {
        show(line);
    }

    step(9, "shut down: drain the connections, close the database");
    client.close().await;
    handle.shutdown().await;
    service.db().close().await;
    show("done");
    Ok(())
}
