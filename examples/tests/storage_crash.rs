//! Crash safety: 20 rounds of "4 clients stream stores (small ones and
//! chunked ones), the server is SIGKILLed at a random moment, and restarts
//! on the same file". Every store acknowledged SUCCESS before the kill is
//! there with the right bytes after the restart; a store that was not
//! acknowledged is either absent or complete, never partial.

mod support {
    pub mod storage;
}

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codec_examples::storage::client::{Error, Options, StorageClient};
use futures::stream::{self, StreamExt};
use support::storage::*;

const ROUNDS: u32 = 20;
const CLIENTS: usize = 4;
/// Stores in flight per client.
const LANES: usize = 4;

fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The value stored under `key`: mostly small, one in eight chunked.
fn value(key: &str) -> Vec<u8> {
    let h = key_hash(key);
    let size = if h.is_multiple_of(8) {
        70_000 + (h >> 8) % 200_000
    } else {
        (h >> 8) % 4_000
    };
    pattern(h, size as usize)
}

async fn connect(addr: &str) -> StorageClient {
    let opts = Options {
        timeout: Some(Duration::from_secs(20)),
        ..Options::default()
    };
    StorageClient::connect(addr, opts).await.unwrap()
}

/// Checks `acked` keys are present and right, `unacked` ones absent or
/// right.
async fn verify(addr: &str, acked: &[String], unacked: &[String]) {
    let client = connect(addr).await;
    let checks = acked
        .iter()
        .map(|k| (k, true))
        .chain(unacked.iter().map(|k| (k, false)));
    let failures: Vec<String> = stream::iter(checks)
        .map(|(key, must)| {
            let client = client.clone();
            async move {
                match client.get_bytes(key).await {
                    Ok(v) if v == value(key) => None,
                    Ok(v) => Some(format!("{key}: wrong bytes ({} bytes)", v.len())),
                    Err(Error::NotFound(_)) if !must => None,
                    Err(e) => Some(format!("{key}: {e}")),
                }
            }
        })
        .buffer_unordered(32)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    client.close().await;
    assert!(
        failures.is_empty(),
        "{} of {} acknowledged keys lost or wrong: {:?}",
        failures.len(),
        acked.len(),
        &failures[..failures.len().min(10)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_stores_survive_sigkill() {
    let started = Instant::now();
    let mut rng = Rng(seed());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.redb");
    let db = db.to_str().unwrap().to_string();
    let mut all_acked: Vec<String> = Vec::new();
    let (mut last_acked, mut last_unacked) = (Vec::new(), Vec::new());
    let mut chunked_acked = 0;
    for round in 0..ROUNDS {
        let mut server = ServerProc::start(&["--db", &db]);
        // What the previous round's kill interrupted.
        verify(&server.addr, &last_acked, &last_unacked).await;

        let acked = Arc::new(Mutex::new(Vec::new()));
        let attempted = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..CLIENTS {
            let client = connect(&server.addr).await;
            for lane in 0..LANES {
                let (client, acked, attempted) =
                    (client.clone(), Arc::clone(&acked), Arc::clone(&attempted));
                tasks.spawn(async move {
                    for n in 0.. {
                        let key = format!("r{round}/c{c}/l{lane}/{n}");
                        attempted.lock().unwrap().push(key.clone());
                        if client.put_bytes(&key, &value(&key)).await.is_err() {
                            break;
                        }
                        acked.lock().unwrap().push(key);
                    }
                });
            }
        }
        let kill_after = Duration::from_millis(30 + rng.below(400));
        tokio::time::sleep(kill_after).await;
        server.sigkill();
        let drained = tokio::time::timeout(Duration::from_secs(20), async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        assert!(drained.is_ok(), "clients did not notice the kill");

        let acked = std::mem::take(&mut *acked.lock().unwrap());
        let attempted = std::mem::take(&mut *attempted.lock().unwrap());
        chunked_acked += acked.iter().filter(|k| value(k).len() > 65_000).count();
        eprintln!(
            "round {round}: killed after {kill_after:?}, {} stores acknowledged of {} begun",
            acked.len(),
            attempted.len()
        );
        last_unacked = attempted
            .into_iter()
            .filter(|k| !acked.contains(k))
            .collect();
        all_acked.extend(acked.iter().cloned());
        last_acked = acked;
    }
    // Everything ever acknowledged, after the last kill.
    let server = ServerProc::start(&["--db", &db]);
    verify(&server.addr, &all_acked, &last_unacked).await;
    eprintln!(
        "{} stores acknowledged over {ROUNDS} kills ({chunked_acked} chunked), all present, in {:?}",
        all_acked.len(),
        started.elapsed()
    );
    assert!(
        all_acked.len() > ROUNDS as usize,
        "too few stores to mean anything"
    );
}
