//! 50 concurrent clients doing put/get/del on a dozen shared keys, checked
//! against a model; watchers see every committed change of their keys, in
//! commit order.
//!
//! How the model is exact: every put writes a value whose size names it
//! (a unique id), and a watcher of every key receives each committed change
//! with its version: that is the commit order. Replaying it gives each
//! key's timeline of states. Then:
//! - every acknowledged put appears exactly once, every acknowledged delete
//!   once, and nothing else;
//! - a delete only removes a present value;
//! - each client works on a key one operation at a time, so what it saw
//!   must move forward along the key's timeline: a put lands after what
//!   the client saw before; a get returns a state at or after it; a delete
//!   that succeeded is a later delete event; EKEY is an absent state at or
//!   after it;
//! - the final contents equal the end of every timeline;
//! - every watcher's sequence is increasing and equals the full watcher's
//!   for the same key.

mod support {
    pub mod storage;
}

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use codec_examples::storage::client::{Error, Options, StorageClient};
use codec_examples::storage::protocol::{ChangeKind, Changed};
use support::storage::*;

const CLIENTS: u64 = 50;
const KEYS: usize = 12;
/// Each client runs this many sequences concurrently, on disjoint keys.
const LANES: usize = 3;
const OPS_PER_LANE: u64 = 14;

fn key(i: usize) -> String {
    format!("m/{i:02}")
}

/// One put in sixteen is chunked.
fn size_of(id: u64) -> usize {
    if id % 16 == 5 {
        70_000 + id as usize
    } else {
        8 + id as usize
    }
}

fn id_of(size: u64) -> u64 {
    if size >= 70_000 {
        size - 70_000
    } else {
        size - 8
    }
}

fn value(id: u64) -> Vec<u8> {
    pattern(id, size_of(id))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    PutOk(u64),
    DelOk,
    DelMissing,
    Got(u64),
    GotMissing,
}

/// What one lane of one client did, in order: (key, outcome).
type History = Vec<(usize, Outcome)>;

async fn lane(client: StorageClient, seed: u64, c: u64, lane: usize) -> History {
    let mut rng = Rng(seed ^ (c << 8) ^ lane as u64);
    let keys: Vec<usize> = (0..KEYS).filter(|k| k % LANES == lane).collect();
    let mut history = Vec::new();
    for seq in 0..OPS_PER_LANE {
        let k = keys[rng.below(keys.len() as u64) as usize];
        let name = key(k);
        let roll = rng.below(4);
        let outcome = match roll {
            0 | 1 => {
                let id = c * 1000 + lane as u64 * 100 + seq + 1;
                client.put_bytes(&name, &value(id)).await.unwrap();
                Outcome::PutOk(id)
            }
            2 => match client.get_bytes(&name).await {
                Ok(v) => {
                    let id = id_of(v.len() as u64);
                    assert_eq!(v, value(id), "{name}: a value nobody wrote");
                    Outcome::Got(id)
                }
                Err(Error::NotFound(_)) => Outcome::GotMissing,
                Err(e) => panic!("get {name}: {e}"),
            },
            _ => match client.delete(&name).await {
                Ok(()) => Outcome::DelOk,
                Err(Error::NotFound(_)) => Outcome::DelMissing,
                Err(e) => panic!("del {name}: {e}"),
            },
        };
        history.push((k, outcome));
    }
    history
}

/// A watcher: subscribes to `keys`, then records every change.
async fn watcher(addr: &str, keys: Vec<usize>) -> (StorageClient, Arc<Mutex<Vec<Changed>>>) {
    let client = StorageClient::connect(addr, Options::default())
        .await
        .unwrap();
    let mut changes = client.changes().unwrap();
    for k in &keys {
        client.watch(&key(*k)).await.unwrap();
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Some(c) = changes.next().await {
            sink.lock().unwrap().push(c);
        }
    });
    (client, seen)
}

/// Each key's states in commit order: (version, value id or absent),
/// starting from (0, absent).
type Timeline = Vec<(u64, Option<u64>)>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_match_the_model() {
    let seed = seed();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.redb");
    let server = ServerProc::start(&["--db", db.to_str().unwrap()]);
    let addr = server.addr.clone();

    let watchers = [
        ("all", (0..KEYS).collect::<Vec<_>>()),
        ("even", (0..KEYS).filter(|k| k % 2 == 0).collect()),
        ("first four", (0..4).collect()),
    ];
    let mut watching = Vec::new();
    for (what, keys) in &watchers {
        let (client, seen) = watcher(&addr, keys.clone()).await;
        watching.push((*what, keys.clone(), client, seen));
    }

    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let client = StorageClient::connect(addr.as_str(), Options::default())
            .await
            .unwrap();
        for l in 0..LANES {
            let client = client.clone();
            tasks.spawn(async move { ((c, l), lane(client, seed, c, l).await) });
        }
    }
    let mut histories: BTreeMap<(u64, usize), History> = BTreeMap::new();
    let all_done = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(done) = tasks.join_next().await {
            let (who, history) = done.expect("a client failed");
            histories.insert(who, history);
        }
    })
    .await;
    assert!(all_done.is_ok(), "clients did not finish within 60 s");
    eprintln!(
        "{} operations by {CLIENTS} clients in {:?}",
        histories.values().map(Vec::len).sum::<usize>(),
        started.elapsed()
    );

    // What the watchers must see: one change per acknowledged put/delete.
    let mut puts: HashMap<usize, HashSet<u64>> = HashMap::new();
    let mut deletes: HashMap<usize, usize> = HashMap::new();
    for history in histories.values() {
        for (k, outcome) in history {
            match outcome {
                Outcome::PutOk(id) => assert!(puts.entry(*k).or_default().insert(*id)),
                Outcome::DelOk => *deletes.entry(*k).or_default() += 1,
                _ => {}
            }
        }
    }
    let expected = |keys: &[usize]| -> usize {
        keys.iter()
            .map(|k| puts.get(k).map_or(0, HashSet::len) + deletes.get(k).copied().unwrap_or(0))
            .sum()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    for (what, keys, _, seen) in &watching {
        while seen.lock().unwrap().len() < expected(keys) {
            assert!(
                Instant::now() < deadline,
                "watcher {what} saw {} of {} changes",
                seen.lock().unwrap().len(),
                expected(keys)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Every watcher: exactly the changes of its keys, in increasing versions.
    let full = watching[0].3.lock().unwrap().clone();
    for (what, keys, _, seen) in &watching {
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), expected(keys), "watcher {what}: extra changes");
        assert!(
            seen.windows(2).all(|w| w[0].version < w[1].version),
            "watcher {what}: versions not increasing"
        );
        let mine: Vec<&Changed> = full
            .iter()
            .filter(|c| keys.iter().any(|k| key(*k) == c.name))
            .collect();
        assert_eq!(seen.iter().collect::<Vec<_>>(), mine, "watcher {what}");
    }

    // The timelines, from the commit order.
    let mut timelines: HashMap<usize, Timeline> = (0..KEYS).map(|k| (k, vec![(0, None)])).collect();
    let mut stored_ids: HashMap<usize, HashSet<u64>> = HashMap::new();
    for c in &full {
        let k: usize = c.name[2..].parse().unwrap();
        let t = timelines.get_mut(&k).unwrap();
        match c.kind {
            ChangeKind::Stored => {
                let id = id_of(c.size);
                assert!(
                    stored_ids.entry(k).or_default().insert(id),
                    "{} stored twice",
                    c.name
                );
                t.push((c.version, Some(id)));
            }
            ChangeKind::Deleted => {
                assert!(
                    t.last().unwrap().1.is_some(),
                    "{}: deleted while absent",
                    c.name
                );
                t.push((c.version, None));
            }
        }
    }
    for k in 0..KEYS {
        assert_eq!(
            stored_ids.get(&k).cloned().unwrap_or_default(),
            puts.get(&k).cloned().unwrap_or_default(),
            "{}: committed puts differ from acknowledged ones",
            key(k)
        );
    }

    // Each client's view of each key moves forward along its timeline.
    for ((c, l), history) in &histories {
        let mut at: HashMap<usize, usize> = HashMap::new(); // key -> timeline index
        for (step, (k, outcome)) in history.iter().enumerate() {
            let t = &timelines[k];
            let from = at.get(k).copied().unwrap_or(0);
            let found = match outcome {
                Outcome::PutOk(id) => (from + 1..t.len()).find(|&i| t[i].1 == Some(*id)),
                Outcome::Got(id) => (from..t.len()).find(|&i| t[i].1 == Some(*id)),
                Outcome::DelOk => (from + 1..t.len()).find(|&i| t[i].1.is_none()),
                Outcome::DelMissing | Outcome::GotMissing => {
                    (from..t.len()).find(|&i| t[i].1.is_none())
                }
            };
            let i = found.unwrap_or_else(|| {
                panic!(
                    "client {c} lane {l} step {step}: {outcome:?} on {} impossible after timeline index {from}: {t:?}",
                    key(*k)
                )
            });
            at.insert(*k, i);
        }
    }

    // The final contents are the end of each timeline.
    let reader = StorageClient::connect(addr.as_str(), Options::default())
        .await
        .unwrap();
    for k in 0..KEYS {
        let expected = timelines[&k].last().unwrap().1;
        match (reader.get_bytes(&key(k)).await, expected) {
            (Ok(v), Some(id)) => assert_eq!(v, value(id), "{}", key(k)),
            (Err(Error::NotFound(_)), None) => {}
            (got, want) => panic!("{}: got {got:?}, model says {want:?}", key(k)),
        }
    }
    let listed = reader.list("m/").await.unwrap();
    let present: Vec<String> = (0..KEYS)
        .filter(|k| timelines[k].last().unwrap().1.is_some())
        .map(key)
        .collect();
    assert_eq!(
        listed.iter().map(|e| e.name.clone()).collect::<Vec<_>>(),
        present
    );
    eprintln!(
        "{} committed changes replayed; final state matches",
        full.len()
    );
}
