//! The engines' tests: blobs and uploads on disk, reads never stale, the
//! write-ahead log across crashes, I/O failures, and the two engines
//! agreeing.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use redb::{Database, ReadableTable, ReadableTableMetadata};

use super::faults::Faults;
use super::schema::{CHUNKS, INLINE};
use super::wal;
use super::writer::WalLimits;
use super::{Change, Db, Meta};
use crate::storage::protocol::CHUNK;

/// Opens the file directly once the service's threads have let go.
fn open_direct(path: &Path) -> Database {
    let mut tries = 0;
    loop {
        match Database::create(path) {
            Ok(db) => break db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) if tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// The chunks in the file.
fn chunk_count(path: &Path) -> usize {
    let db = open_direct(path);
    let tx = db.begin_read().unwrap();
    let chunks = tx.open_table(CHUNKS).unwrap();
    chunks.iter().unwrap().count()
}

/// An upload cut off (never committed) leaves its chunks behind until
/// the database is opened again, which collects them from the
/// `uploads` list; committed values keep theirs.
#[tokio::test]
async fn unfinished_uploads_are_collected_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    {
        let db = Db::open(Some(&path), |_| {}).unwrap();
        db.store("kept".into(), vec![1; 10]).await.unwrap();
        let done = db.new_blob().await.unwrap();
        db.put_chunk(done, 0, vec![2; 10]).await.unwrap();
        db.commit("uploaded".into(), done, 10).await.unwrap();
        let cut = db.new_blob().await.unwrap();
        db.put_chunk(cut, 0, vec![3; CHUNK]).await.unwrap();
        db.put_chunk(cut, 1, vec![3; 5]).await.unwrap();
        // A durable write after the chunks makes them durable too.
        db.store("later".into(), vec![4; 3]).await.unwrap();
        db.close().await;
    }
    assert_eq!(
        chunk_count(&path),
        3,
        "the uploaded value's chunk and the two orphan chunks (small stores are inline)"
    );
    {
        let db = Db::open(Some(&path), |_| {}).unwrap();
        assert_eq!(
            db.fetch("uploaded", 100).await.unwrap(),
            Some(Ok(vec![2; 10].into()))
        );
        db.close().await;
    }
    assert_eq!(chunk_count(&path), 1, "the orphan chunks are gone");
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8 ^ seed).collect()
}

/// Overwriting an inline value with a chunked one and back (by store,
/// upload and delete) reads right at every step and leaves no chunk
/// behind once nothing points at it.
#[tokio::test]
async fn inline_and_chunked_overwrites_leave_no_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    {
        let db = Db::open(Some(&path), |_| {}).unwrap();
        let all = u64::MAX;
        let small = pattern(100, 1);
        let edge = pattern(INLINE, 2);
        let big = pattern(INLINE.max(CHUNK) + 10, 3);
        for value in [&small, &big, &edge, &big, &small, &Vec::new()] {
            db.store("k".into(), value.clone()).await.unwrap();
            assert_eq!(
                db.fetch("k", all).await.unwrap(),
                Some(Ok(value.clone().into()))
            );
            let (m, first) = db.chunk("k", 0).await.unwrap().unwrap();
            assert_eq!(m.size, value.len() as u64);
            assert_eq!(first, value[..value.len().min(CHUNK)]);
            let (_, second) = db.chunk("k", CHUNK as u64).await.unwrap().unwrap();
            assert_eq!(second, value[value.len().min(CHUNK)..]);
        }
        // An upload over an inline value, then an inline store over it.
        let blob = db.new_blob().await.unwrap();
        db.put_chunk(blob, 0, small.clone()).await.unwrap();
        db.commit("k".into(), blob, small.len() as u64)
            .await
            .unwrap();
        assert_eq!(
            db.fetch("k", all).await.unwrap(),
            Some(Ok(small.clone().into()))
        );
        db.store("k".into(), edge.clone()).await.unwrap();
        assert_eq!(
            db.fetch("k", all).await.unwrap(),
            Some(Ok(edge.clone().into()))
        );
        // A chunked value deleted, an inline one deleted.
        db.store("big".into(), big.clone()).await.unwrap();
        assert!(db.delete("big".into()).await.unwrap().is_some());
        assert!(db.delete("k".into()).await.unwrap().is_some());
        assert_eq!(db.fetch("k", all).await.unwrap(), None);
        db.close().await;
    }
    assert_eq!(chunk_count(&path), 0, "no chunk outlives its value");
}

/// Reads never go back in time, whether the read cache or a reader
/// thread answers: a fetch after a store's acknowledgement sees it (or
/// a later value), and values read concurrently never decrease, while
/// the key flips between inline, chunked and deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_never_stale() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(Some(&dir.path().join("db.redb")), |_| {}).unwrap();
    let value = |n: u64| {
        let len = match n % 3 {
            0 => 8,
            1 => INLINE + 1,
            _ => 100,
        };
        let mut v = vec![0; len];
        v[..8].copy_from_slice(&n.to_le_bytes());
        v
    };
    let read = |db: Db| async move {
        match db.fetch("k", u64::MAX).await.unwrap() {
            Some(Ok(v)) => Some(u64::from_le_bytes(v[..8].try_into().unwrap())),
            None => None,
            Some(Err(size)) => panic!("{size} bytes over no limit"),
        }
    };
    /// Stops the readers however the test ends (a failed assertion
    /// must not leave them spinning).
    struct Stop(Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let guard = Stop(Arc::clone(&stop));
    let mut readers = Vec::new();
    for _ in 0..3 {
        let (db, stop) = (db.clone(), Arc::clone(&stop));
        readers.push(tokio::spawn(async move {
            let mut seen = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(n) = read(db.clone()).await {
                    assert!(n >= seen, "read {n} after {seen}");
                    seen = n;
                }
                // A cached read does not wait: let others run.
                tokio::task::yield_now().await;
            }
        }));
    }
    for n in 1..400u64 {
        if n % 7 == 0 {
            db.delete("k".into()).await.unwrap();
            assert_eq!(read(db.clone()).await, None, "deleted");
        }
        db.store("k".into(), value(n)).await.unwrap();
        assert_eq!(read(db.clone()).await, Some(n), "acknowledged store");
    }
    drop(guard);
    for r in readers {
        r.await.unwrap();
    }
    db.close().await;
}

/// What a SIGKILL at this moment would leave on disk: the database
/// file and its log, copied while the writer is idle (the writes since
/// the last checkpoint are in the log and in memory only).
fn crash_image(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    for (from, to) in wal::paths_for(from).iter().zip(wal::paths_for(to)) {
        std::fs::copy(from, to).unwrap();
    }
}

/// Opens `path` once the threads of its last opening have let go.
fn reopen(path: &Path) -> Db {
    for _ in 0..100 {
        match Db::open(Some(path), |_| {}) {
            Err(e) if e.0.contains("already open") => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other.unwrap(),
        }
    }
    panic!("{} stays open", path.display());
}

/// Checkpoints only when closing (or when told to by a test).
const NO_CHECKPOINTS: WalLimits = WalLimits {
    bytes: u64::MAX,
    age: Duration::from_secs(3600),
};

async fn value_of(db: &Db, name: &str) -> Option<(u64, Vec<u8>)> {
    let meta = db.meta(name.into()).await.unwrap()?;
    match db.fetch(name, u64::MAX).await.unwrap() {
        Some(Ok(v)) => Some((meta.version, v.to_vec())),
        other => panic!("{name}: {other:?}"),
    }
}

/// Stores and deletes acknowledged through the log, never
/// checkpointed, survive a crash: the reopened database has every one
/// with its version, and the next version follows on. Without the log
/// the same image has none of them (so the log is what kept them).
/// Replaying again a log whose records were already checkpointed (the
/// emptying lost in a crash) changes nothing.
#[tokio::test]
async fn acknowledged_writes_survive_a_crash_before_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.redb");
    let db = Db::open_with(Some(&live), |_| {}, NO_CHECKPOINTS).unwrap();
    let mut want = std::collections::BTreeMap::new();
    let mut last_version = 0;
    for i in 0..200u32 {
        let name = format!("k{}", i % 37);
        if i % 11 == 5 {
            if let Some(v) = db.delete(name.clone()).await.unwrap() {
                want.remove(&name);
                last_version = v;
            }
        } else {
            let data = pattern((i as usize * 97) % (INLINE + 1), i as u8);
            let m = db.store(name.clone(), data.clone()).await.unwrap();
            last_version = m.version;
            want.insert(name, (m.version, data));
        }
    }
    assert!(wal::logged_bytes(&wal::path_for(&live)) > 0);
    let image = dir.path().join("image.redb");
    crash_image(&live, &image);
    let bare = dir.path().join("bare.redb");
    std::fs::copy(&live, &bare).unwrap();
    db.close().await;

    let names: Vec<String> = (0..37).map(|i| format!("k{i}")).collect();
    {
        let db = Db::open(Some(&bare), |_| {}).unwrap();
        for name in &names {
            assert_eq!(
                db.meta(name.clone()).await.unwrap(),
                None,
                "{name} without the log"
            );
        }
        db.close().await;
    }
    let kept_log = std::fs::read(wal::path_for(&image)).unwrap();
    for round in 0..2 {
        let db = reopen(&image);
        for name in &names {
            assert_eq!(
                value_of(&db, name).await,
                want.get(name).cloned(),
                "{name}, round {round}"
            );
        }
        db.close().await;
        assert_eq!(wal::logged_bytes(&wal::path_for(&image)), 0, "checkpointed");
        assert_eq!(
            std::fs::metadata(wal::path_for(&image)).unwrap().len(),
            wal::HEADER,
            "cut to its header by the clean close"
        );
        // The emptying of the log is lost: its records come back.
        std::fs::write(wal::path_for(&image), &kept_log).unwrap();
    }
    let db = reopen(&image);
    let m = db.store("next".into(), vec![1]).await.unwrap();
    assert_eq!(
        m.version,
        last_version + 1,
        "versions follow on, none replayed twice"
    );
    db.close().await;
}

/// A log cut anywhere inside its last record, or with any byte of that
/// record flipped, reopens with every earlier write and without the
/// last one; the file is cut back to the whole records.
#[tokio::test]
async fn a_torn_last_record_is_dropped_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.redb");
    let db = Db::open_with(Some(&live), |_| {}, NO_CHECKPOINTS).unwrap();
    let mut metas = Vec::new();
    for i in 0..5u8 {
        metas.push(db.store(format!("k{i}"), vec![i; 10]).await.unwrap());
    }
    db.store("last".into(), b"torn".to_vec()).await.unwrap();
    let image = dir.path().join("image.redb");
    crash_image(&live, &image);
    db.close().await;
    let log = std::fs::read(wal::path_for(&image)).unwrap();
    let records = wal::scan_file(&log);
    let end = records.valid;
    assert_eq!(records.records.len(), 6);
    let before = wal::scan_file(&log[..end - 1]).valid;
    let mut images = Vec::new();
    for cut in before..end {
        images.push((format!("cut at {cut}"), log[..cut].to_vec()));
    }
    for at in before..end {
        let mut bad = log.clone();
        bad[at] ^= 0x20;
        images.push((format!("byte {at} flipped"), bad));
    }
    for (i, (what, bytes)) in images.into_iter().enumerate() {
        let path = dir.path().join(format!("torn{i}.redb"));
        std::fs::copy(&image, &path).unwrap();
        std::fs::write(wal::path_for(&path), &bytes).unwrap();
        let db = Db::open(Some(&path), |_| {}).unwrap();
        for (n, m) in metas.iter().enumerate() {
            let n = n as u8;
            assert_eq!(
                value_of(&db, &format!("k{n}")).await,
                Some((m.version, vec![n; 10])),
                "{what}"
            );
        }
        assert_eq!(db.meta("last".into()).await.unwrap(), None, "{what}");
        db.close().await;
        drop(db);
        std::fs::remove_file(&path).ok();
    }
}

/// The log stays small under a long run of writes: a checkpoint
/// empties each of its files after it passes its size (a file passes it
/// by what arrives while the previous checkpoint finishes), and when its
/// oldest record passes its age while the writer is idle.
#[tokio::test]
async fn the_log_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let limits = WalLimits {
        bytes: 64 << 10,
        age: Duration::from_millis(100),
    };
    let db = Db::open_with(Some(&path), |_| {}, limits).unwrap();
    let files = wal::paths_for(&path);
    let file = |i: usize| std::fs::metadata(&files[i]).map_or(0, |m| m.len());
    let logged = |i: usize| wal::logged_bytes(&files[i]);
    let log = || logged(0) + logged(1);
    let (mut largest, mut longest) = (0, 0);
    for i in 0..3000u32 {
        db.store(format!("k{}", i % 50), pattern(1000, i as u8))
            .await
            .unwrap();
        longest = longest.max(file(0)).max(file(1));
        if i % 10 == 0 {
            largest = largest.max(logged(0)).max(logged(1));
        }
    }
    assert!(
        largest > 0 && largest < 2 * (64 << 10),
        "a log file held {largest} bytes of records"
    );
    // Kept at most twice the limit, plus one step of growth.
    assert!(
        longest <= 2 * (64 << 10) + wal::GROW,
        "a log file reached {longest} bytes"
    );
    // 3 MB overwritten in 50 keys: the database reuses its pages.
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 16 << 20, "database file of {size} bytes");
    db.store("idle".into(), vec![1]).await.unwrap();
    assert!(log() > 0);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(log(), 0, "checkpointed when idle");
    db.close().await;
}

/// Everything a caller can observe of a database.
async fn observe(db: &Db, names: &[&str]) -> Vec<String> {
    let mut seen = Vec::new();
    for name in names {
        let meta = db.meta((*name).into()).await.unwrap();
        let whole = db.fetch(name, u64::MAX).await.unwrap();
        let small = db.fetch(name, 50).await.unwrap();
        let mut chunks = Vec::new();
        for i in 0..3 {
            chunks.push(db.chunk(name, i * CHUNK as u64).await.unwrap());
        }
        let m = meta.map(|m| (m.version, m.size));
        let c: Vec<_> = chunks
            .into_iter()
            .map(|c| c.map(|(m, d)| (m.version, m.size, d)))
            .collect();
        seen.push(format!("{name}: {m:?} {whole:?} {small:?} {c:?}"));
    }
    for prefix in ["", "a", "b/"] {
        let mut after = String::new();
        loop {
            let (entries, more) = db.list(prefix.into(), after.clone(), 2).await.unwrap();
            seen.push(format!(
                "list {prefix:?} after {after:?}: {entries:?} {more}"
            ));
            match entries.last() {
                Some(e) if more => after = e.name.clone(),
                _ => break,
            }
        }
    }
    seen
}

/// The in-memory engine and the redb engine agree on what a random
/// sequence of stores, deletes, uploads and abandoned uploads leaves,
/// on every version, and on the changes reported, in order.
#[tokio::test]
async fn memory_and_redb_engines_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let log = |sink: Arc<std::sync::Mutex<Vec<Change>>>| {
        move |changes: &[Change]| sink.lock().unwrap().extend_from_slice(changes)
    };
    let (mem_log, redb_log) = (Arc::default(), Arc::default());
    let mem = Db::open(None, log(Arc::clone(&mem_log))).unwrap();
    let disk = Db::open(Some(&path), log(Arc::clone(&redb_log))).unwrap();
    let names = ["a", "a/1", "ab", "b/x", "b/y", "c"];
    let sizes = [
        0,
        1,
        50,
        51,
        INLINE,
        INLINE + 1,
        CHUNK,
        CHUNK + 7,
        2 * CHUNK + 1,
    ];
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = |n: usize| {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        (rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    };
    for step in 0..300 {
        let name = names[next(names.len())].to_string();
        let value = pattern(sizes[next(sizes.len())], step as u8);
        match next(4) {
            0 | 1 => {
                let a = mem.store(name.clone(), value.clone()).await.unwrap();
                let b = disk.store(name, value).await.unwrap();
                assert_eq!((a.version, a.size), (b.version, b.size));
            }
            2 => {
                let a = mem.delete(name.clone()).await.unwrap();
                let b = disk.delete(name).await.unwrap();
                assert_eq!(a, b);
            }
            _ => {
                let abandon = next(3) == 0;
                let mut metas = Vec::new();
                for db in [&mem, &disk] {
                    let blob = db.new_blob().await.unwrap();
                    for (i, part) in value.chunks(CHUNK).enumerate() {
                        db.put_chunk(blob, i as u64, part.to_vec()).await.unwrap();
                    }
                    if abandon {
                        db.drop_blob(blob);
                    } else {
                        let m = db
                            .commit(name.clone(), blob, value.len() as u64)
                            .await
                            .unwrap();
                        metas.push((m.version, m.size));
                    }
                }
                if let [a, b] = metas[..] {
                    assert_eq!(a, b);
                }
            }
        }
        if step % 50 == 49 {
            assert_eq!(observe(&mem, &names).await, observe(&disk, &names).await);
        }
    }
    assert_eq!(observe(&mem, &names).await, observe(&disk, &names).await);
    assert_eq!(*mem_log.lock().unwrap(), *redb_log.lock().unwrap());
    mem.close().await;
    disk.close().await;
    assert!(mem.store("a".into(), vec![1]).await.is_err(), "closed");
    assert!(disk.store("a".into(), vec![1]).await.is_err(), "closed");
}

/// `errno`s of the failures the tests inject.
const ENOSPC: i32 = 28;
const EIO: i32 = 5;

/// Opens `path` with its files failing as `faults` say; checkpoints only
/// when closing.
fn open_faulty(path: &Path, faults: &Arc<Faults>) -> Db {
    Db::open_faulty(Some(path), |_| {}, NO_CHECKPOINTS, Some(Arc::clone(faults))).unwrap()
}

/// Every name in `want` has its value and version; every name in `gone`
/// has none.
async fn assert_holds(db: &Db, want: &[(String, u64, Vec<u8>)], gone: &[String], when: &str) {
    for (name, version, data) in want {
        assert_eq!(
            value_of(db, name).await,
            Some((*version, data.clone())),
            "{name} {when}"
        );
    }
    for name in gone {
        assert_eq!(db.meta(name.clone()).await.unwrap(), None, "{name} {when}");
    }
}

/// The disk fills up (every write that would make a file longer fails
/// with ENOSPC; the log's after writing half its record): stores are
/// answered with an error, and the log is cut back to its whole records,
/// so a crash image taken then holds exactly the acknowledged writes and
/// replays nothing past the failed appends. A value too large for the log
/// goes through redb, which fails too, closes itself and is reopened.
/// Reads go on throughout (values in redb and values only in the log);
/// once space returns, stores work again and their versions follow the
/// last acknowledged one. A crash image taken afterwards, and the
/// database closed normally, hold every acknowledged store and none of
/// the refused ones.
#[tokio::test]
async fn a_full_disk_refuses_stores_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.redb");
    let faults = Arc::new(Faults::default());
    let (db, mut want) = seed(&live, &faults, 20).await;
    let last = want.last().unwrap().1;
    let log_len = wal::logged_bytes(&wal::path_for(&live));
    assert!(log_len > 0);

    faults.fail_writes(ENOSPC);
    let mut refused: Vec<String> = (0..5).map(|i| format!("lost{i}")).collect();
    for name in &refused {
        let e = db.store(name.clone(), vec![7; 32]).await.unwrap_err();
        assert!(e.0.contains("No space left"), "{e:?}");
    }
    assert_eq!(
        wal::logged_bytes(&wal::path_for(&live)),
        log_len,
        "the failed appends are cut off"
    );
    let during = dir.path().join("during.redb");
    crash_image(&live, &during);
    assert_holds(&db, &want, &refused, "while the disk is full").await;
    let big = pattern(4 << 20, 3);
    let e = db.store("big".into(), big.clone()).await.unwrap_err();
    assert!(e.0.contains("No space left"), "{e:?}");
    refused.push("big".into());
    assert_holds(&db, &want, &refused, "after redb failed").await;
    assert!(faults.failures() >= 6);

    faults.fail_writes(0);
    let m = db.store("after".into(), vec![1; 32]).await.unwrap();
    assert!(m.version > last, "versions go on");
    want.push(("after".into(), m.version, vec![1; 32]));
    let m = db.store("big".into(), big.clone()).await.unwrap();
    want.push(("big".into(), m.version, big));
    refused.pop();
    let later = dir.path().join("later.redb");
    crash_image(&live, &later);
    db.close().await;
    drop(db);

    let (before, after) = want.split_at(40);
    let mut gone = refused.clone();
    gone.extend(["after".to_string(), "big".to_string()]);
    let db = reopen(&during);
    assert_holds(&db, before, &gone, "in the image taken while full").await;
    db.close().await;
    drop(db);
    for image in [&later, &live] {
        let db = reopen(image);
        assert_holds(&db, before, &refused, "after space returned").await;
        assert_holds(&db, after, &[], "after space returned").await;
        db.close().await;
    }
}

/// Stores `n` values (`old0`, `old1`, ...) into a new database at
/// `path` and closes it, so they are in redb; reopens it with `faults`
/// and stores `n` more (`new0`, ...), which stay in the log. Returns the
/// database and the name, version and value of each store.
async fn seed(path: &Path, faults: &Arc<Faults>, n: u8) -> (Db, Vec<(String, u64, Vec<u8>)>) {
    async fn store_n(db: &Db, prefix: &str, n: u8, out: &mut Vec<(String, u64, Vec<u8>)>) {
        for i in 0..n {
            let (name, data) = (format!("{prefix}{i}"), pattern(32 + usize::from(i), i));
            let m = db.store(name.clone(), data.clone()).await.unwrap();
            out.push((name, m.version, data));
        }
    }
    let mut stored = Vec::new();
    let db = open_faulty(path, faults);
    store_n(&db, "old", n, &mut stored).await;
    db.close().await;
    drop(db);
    let db = reopen_faulty(path, faults);
    store_n(&db, "new", n, &mut stored).await;
    (db, stored)
}

/// Opens `path` with `faults` once the threads of its last opening have
/// let go.
fn reopen_faulty(path: &Path, faults: &Arc<Faults>) -> Db {
    for _ in 0..100 {
        match Db::open_faulty(Some(path), |_| {}, NO_CHECKPOINTS, Some(Arc::clone(faults))) {
            Err(e) if e.0.contains("already open") => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other.unwrap(),
        }
    }
    panic!("{} stays open", path.display());
}

/// Each of `paths`, reopened, holds `want` and not `gone`.
async fn assert_each_reopened(paths: &[&Path], want: &[(String, u64, Vec<u8>)], gone: &[String]) {
    for path in paths {
        let db = reopen(path);
        assert_holds(&db, want, gone, "reopened").await;
        db.close().await;
    }
}

/// Stores `data` under `name` once the database is reopened after an
/// I/O error (it is reopened every 100 ms): within 5 s.
async fn store_once_reopened(db: &Db, name: &str, data: Vec<u8>) -> Meta {
    for _ in 0..250 {
        match db.store(name.into(), data.clone()).await {
            Ok(m) => return m,
            Err(e) if e.0.contains("closed") => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(e) => panic!("{e:?}"),
        }
    }
    panic!("the database does not reopen within 5 s of syncs working");
}

/// `fdatasync` fails (EIO) under the log, once, then for a while: each
/// time the store is answered with an error; a single failure is
/// repaired at once (the log cut back, or the database reopened) and
/// every read is served; while syncs keep failing, the values in the log
/// are still read, and those only in redb once it can be reopened. Once
/// syncs work, stores succeed again, and the database reopened after a
/// crash holds every acknowledged store and none of the refused ones.
#[tokio::test]
async fn a_failed_fsync_refuses_the_store_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.redb");
    let faults = Arc::new(Faults::default());
    let (db, mut want) = seed(&live, &faults, 10).await;
    let mut gone = vec!["lost".to_string()];
    faults.fail_next_sync(EIO);
    let e = db.store("lost".into(), vec![9; 32]).await.unwrap_err();
    assert!(e.0.contains("Input/output error"), "{e:?}");
    assert_eq!(faults.failures(), 1);
    assert_holds(&db, &want, &gone, "after one failed sync").await;
    let m = db.store("again".into(), vec![4; 32]).await.unwrap();
    want.push(("again".into(), m.version, vec![4; 32]));

    faults.fail_syncs(EIO);
    for i in 0..3 {
        let name = format!("lost{i}");
        let e = db.store(name.clone(), vec![9; 32]).await.unwrap_err();
        assert!(
            e.0.contains("Input/output error") || e.0.contains("closed"),
            "{e:?}"
        );
        gone.push(name);
    }
    let in_log = &want[10..];
    for (name, version, data) in in_log {
        assert_eq!(
            value_of(&db, name).await,
            Some((*version, data.clone())),
            "{name}"
        );
    }
    faults.fail_syncs(0);
    // The first store after the failures may find the database still
    // closed (it is reopened every 100 ms).
    let m = store_once_reopened(&db, "after", vec![3; 32]).await;
    want.push(("after".into(), m.version, vec![3; 32]));
    assert_holds(&db, &want, &gone, "once syncs work").await;
    let image = dir.path().join("image.redb");
    crash_image(&live, &image);
    db.close().await;
    drop(db);
    assert_each_reopened(&[&image, &live], &want, &gone).await;
}

/// A checkpoint in progress never holds up a store: with the database
/// file's fsync held (a checkpoint stuck in its durable commit), stores
/// go on being acknowledged through the log, each well within a second,
/// and are read back, as are those the stuck checkpoint is applying.
/// Once released, the checkpoints complete and empty the log, and the
/// database reopened after a crash, and after a clean close, holds every
/// store.
#[tokio::test]
async fn stores_never_wait_for_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.redb");
    let faults = Arc::new(Faults::default());
    let limits = WalLimits {
        bytes: 4 << 10,
        age: Duration::from_millis(20),
    };
    let db = Db::open_faulty(Some(&live), |_| {}, limits, Some(Arc::clone(&faults))).unwrap();
    faults.hold_db_syncs(true);
    let mut want = Vec::new();
    let mut i = 0u32;
    // Store until a checkpoint is stuck in its sync.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while faults.held_syncs() == 0 {
        assert!(std::time::Instant::now() < deadline, "no checkpoint began");
        let (name, data) = (format!("k{}", i % 40), pattern(300, i as u8));
        let m = db.store(name.clone(), data.clone()).await.unwrap();
        want.push((name, m.version, data));
        i += 1;
    }
    for _ in 0..200 {
        let (name, data) = (format!("k{}", i % 40), pattern(300, i as u8));
        let stored =
            tokio::time::timeout(Duration::from_secs(1), db.store(name.clone(), data.clone()))
                .await
                .expect("a store waited for the stuck checkpoint")
                .unwrap();
        want.push((name, stored.version, data));
        i += 1;
    }
    assert!(faults.held_syncs() > 0, "the checkpoint is still stuck");
    let last: std::collections::BTreeMap<_, _> = want
        .iter()
        .map(|(n, v, d)| (n.clone(), (*v, d.clone())))
        .collect();
    let last: Vec<(String, u64, Vec<u8>)> = last.into_iter().map(|(n, (v, d))| (n, v, d)).collect();
    assert_holds(&db, &last, &[], "while a checkpoint is stuck").await;
    let image = dir.path().join("image.redb");
    crash_image(&live, &image);

    faults.hold_db_syncs(false);
    let files = wal::paths_for(&live);
    let log = || files.iter().map(|p| wal::logged_bytes(p)).sum::<u64>();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while log() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the log is never emptied"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_holds(&db, &last, &[], "after the checkpoints").await;
    db.close().await;
    drop(db);
    assert_each_reopened(&[&image, &live], &last, &[]).await;
}

/// While `fdatasync` keeps failing, redb cannot be reopened (it writes
/// and syncs its header on open), yet every read is served: the values
/// only in redb from its last durable state, those only in the log from
/// the pending writes, at every moment from the first failure on. Once
/// syncs work, the database is reopened for real and takes stores again.
#[tokio::test]
async fn reads_are_served_while_fsync_keeps_failing() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.redb");
    let faults = Arc::new(Faults::default());
    let (db, mut want) = seed(&live, &faults, 10).await;
    faults.fail_syncs(EIO);
    // Through redb: its commit fails, and redb closes.
    let e = db
        .store("big".into(), pattern(INLINE + 1, 1))
        .await
        .unwrap_err();
    assert!(e.0.contains("Input/output error"), "{e:?}");
    for i in 0..3 {
        let e = db.store(format!("lost{i}"), vec![9; 32]).await.unwrap_err();
        assert!(
            e.0.contains("Input/output error") || e.0.contains("closed"),
            "{e:?}"
        );
    }
    let gone: Vec<String> = ["big", "lost0", "lost1", "lost2"]
        .map(String::from)
        .to_vec();
    for round in 0..3 {
        assert_holds(
            &db,
            &want,
            &gone,
            &format!("while syncs fail, round {round}"),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(faults.failures() >= 4);
    faults.fail_syncs(0);
    let m = store_once_reopened(&db, "after", vec![3; 32]).await;
    want.push(("after".into(), m.version, vec![3; 32]));
    assert_holds(&db, &want, &gone, "once syncs work").await;
    db.close().await;
    drop(db);
    let db = reopen(&live);
    assert_holds(&db, &want, &gone, "reopened").await;
    db.close().await;
}

/// A file left mostly free (large values stored, then deleted) shrinks
/// with [`Db::compact`], and is compacted on its own when the database is
/// opened again; what is left is kept.
#[tokio::test]
async fn compaction_gives_free_space_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let size = || std::fs::metadata(&path).unwrap().len();
    let keep = pattern(100, 9);
    for round in 0..2 {
        {
            let db = reopen(&path);
            db.store("keep".into(), keep.clone()).await.unwrap();
            for i in 0..24 {
                db.store(format!("big{i}"), pattern(1 << 20, i as u8))
                    .await
                    .unwrap();
            }
            for i in 0..24 {
                db.delete(format!("big{i}")).await.unwrap();
            }
            db.close().await;
        }
        let full = size();
        assert!(full > 24 << 20, "{full}");
        if round == 0 {
            let c = Db::compact(&path).await.unwrap();
            let (before, after) = (c.before, c.after);
            assert_eq!((before, after), (full, size()));
            assert!(after < full / 4, "compact: {full} -> {after}");
        } else {
            let db = reopen(&path);
            let after = size();
            assert!(after < full / 4, "open: {full} -> {after}");
            db.close().await;
        }
        let db = reopen(&path);
        assert_eq!(value_of(&db, "keep").await.map(|v| v.1), Some(keep.clone()));
        db.close().await;
    }
}

/// A database written with the previous row layout (`meta2`: three
/// little-endian u64s, then the inline bytes) opens with every value and
/// version, its rows moved to the compact layout and the old table gone.
#[tokio::test]
async fn rows_of_the_previous_layout_are_moved() {
    use super::schema::{META, META_V2, SEQ};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    {
        let db = Database::create(&path).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut old = tx.open_table(META_V2).unwrap();
            for i in 0..50u64 {
                let mut row = Vec::new();
                let data = pattern(32, i as u8);
                for word in [i + 1, data.len() as u64, 0] {
                    row.extend_from_slice(&word.to_le_bytes());
                }
                row.extend_from_slice(&data);
                old.insert(format!("k{i}").as_str(), row.as_slice())
                    .unwrap();
            }
            tx.open_table(SEQ).unwrap().insert("version", 50).unwrap();
        }
        tx.commit().unwrap();
    }
    let db = reopen(&path);
    for i in 0..50u64 {
        let want = Some((i + 1, pattern(32, i as u8)));
        assert_eq!(value_of(&db, &format!("k{i}")).await, want, "k{i}");
    }
    assert_eq!(db.store("next".into(), vec![1]).await.unwrap().version, 51);
    db.close().await;
    drop(db);
    let db = open_direct(&path);
    let tx = db.begin_read().unwrap();
    assert_eq!(tx.open_table(META).unwrap().len().unwrap(), 51);
    assert!(tx.open_table(META_V2).is_err(), "the old table is gone");
}

/// The log appends made on the runtime's thread while a wave of `n`
/// stores, all submitted in one poll, is settled.
async fn inline_appends_for_wave(db: &Db, n: usize, round: u8) -> u64 {
    let before = db.stats().await.unwrap().inline_appends;
    let stores = (0..n).map(|i| db.store(format!("w{i}"), vec![round]));
    for r in futures::future::join_all(stores).await {
        r.unwrap();
    }
    db.stats().await.unwrap().inline_appends - before
}

/// Waves of up to 16 small stores are settled on the runtime's thread (no
/// thread to wake); after a larger wave the writer thread takes them (its
/// `fdatasync` overlaps the runtime reading the next wave), and once two
/// batches were small again the runtime takes them back.
#[tokio::test(flavor = "current_thread")]
async fn small_waves_settle_on_the_runtime_large_ones_on_the_writer_thread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let db = Db::open_with(Some(&path), |_| {}, NO_CHECKPOINTS).unwrap();
    assert_eq!(inline_appends_for_wave(&db, 4, 0).await, 1);
    // The first wave of 200 is settled inline (the batches before it were
    // small); after it the writer thread takes them. The writer may take
    // a wave in pieces, so a few waves are allowed for the switch.
    let mut round = 1;
    while inline_appends_for_wave(&db, 200, round).await > 0 {
        round += 1;
        assert!(round <= 6, "every wave of 200 was settled on the runtime");
    }
    let mut back = false;
    for r in 0..6u8 {
        if inline_appends_for_wave(&db, 4, 100 + r).await > 0 {
            back = true;
            break;
        }
    }
    assert!(back, "small waves stayed on the writer thread");
    let (_, v) = value_of(&db, "w199").await.unwrap();
    assert_eq!(v, [round]);
    db.close().await;
}

/// The stores a connection decodes from one read (a pipelined burst) are
/// made durable together: one `fdatasync` for the burst, however long the
/// decoding of the rest takes after the first store is submitted (here
/// 20 ms, the runtime's thread held as a slow reader would hold it).
/// Redis, reading a burst, does one AOF `fsync` for it; a writer that
/// starts on the first store as soon as it is submitted does two.
#[tokio::test(flavor = "current_thread")]
async fn a_burst_from_one_read_costs_one_fsync() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let db = Db::open_with(Some(&path), |_| {}, NO_CHECKPOINTS).unwrap();
    db.store("warm".into(), vec![0]).await.unwrap();
    for round in 0..3u8 {
        let before = db.stats().await.unwrap().fsyncs;
        let mut stores: Vec<_> = (0..16u8)
            .map(|i| Box::pin(db.store(format!("k{i}"), vec![round, i])))
            .collect();
        // Submit every store in one poll of this task, as the session
        // does with the frames of one read, the first well before the
        // others.
        let mut started = false;
        std::future::poll_fn(|cx| {
            for (i, s) in stores.iter_mut().enumerate() {
                assert!(
                    std::future::Future::poll(s.as_mut(), cx).is_pending(),
                    "store {i} answered at once"
                );
                if !started {
                    started = true;
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            std::task::Poll::Ready(())
        })
        .await;
        for s in stores {
            s.await.unwrap();
        }
        let fsyncs = db.stats().await.unwrap().fsyncs - before;
        assert_eq!(
            fsyncs, 1,
            "round {round}: {fsyncs} fsyncs for a burst of 16"
        );
        for i in 0..16u8 {
            let (_, v) = value_of(&db, &format!("k{i}")).await.unwrap();
            assert_eq!(v, [round, i]);
        }
    }
    db.close().await;
}

/// Logged writes reach the read cache when a checkpoint lets them go, at
/// every checkpoint: a value read from the cache after the first
/// checkpoint is replaced by the next one's (a stale cache would answer
/// the old value once the pending writes are let go), a delete takes the
/// name out, and the checkpoint a through-redb store forces does the same
/// for the writes it clears.
#[tokio::test]
async fn checkpoints_leave_the_newest_values_in_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let limits = WalLimits {
        bytes: u64::MAX,
        age: Duration::from_millis(20),
    };
    let db = Db::open_with(Some(&path), |_| {}, limits).unwrap();
    let files = wal::paths_for(&path);
    let checkpointed = || async {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while files.iter().map(|f| wal::logged_bytes(f)).sum::<u64>() > 0 {
            assert!(std::time::Instant::now() < deadline, "never checkpointed");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // The checkpoint's end (the cache filled, the layer let go) follows
        // the emptying of the log on the writer's next pass.
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let fetch = |name: &'static str| {
        let db = &db;
        async move {
            db.fetch(name, u64::MAX)
                .await
                .unwrap()
                .map(|v| v.unwrap().to_vec())
        }
    };

    db.store("k".into(), b"one".to_vec()).await.unwrap();
    checkpointed().await;
    let before = db.stats().await.unwrap().cache_hits;
    assert_eq!(fetch("k").await.as_deref(), Some(&b"one"[..]));
    let after = db.stats().await.unwrap().cache_hits;
    assert_eq!(after, before + 1, "served from the cache");

    db.store("k".into(), b"two".to_vec()).await.unwrap();
    db.store("gone".into(), b"x".to_vec()).await.unwrap();
    checkpointed().await;
    assert_eq!(fetch("k").await.as_deref(), Some(&b"two"[..]));
    assert_eq!(fetch("gone").await.as_deref(), Some(&b"x"[..]));
    db.delete("gone".into()).await.unwrap();
    checkpointed().await;
    assert_eq!(fetch("gone").await, None);

    db.store("k".into(), b"three".to_vec()).await.unwrap();
    db.store("big".into(), pattern(INLINE + 1, 9))
        .await
        .unwrap();
    assert_eq!(fetch("k").await.as_deref(), Some(&b"three"[..]));
    assert_eq!(fetch("big").await, Some(pattern(INLINE + 1, 9)));
    db.close().await;
}

/// [`Db::store_then`] through its three ends: a store made durable calls
/// its function with the new version (and the value is there), a failed
/// `fdatasync` calls it with the error (and the value is not), and a
/// store sent after the writer stopped is called with "stopped" rather
/// than never.
#[tokio::test]
async fn store_then_is_called_once_with_each_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("live.redb");
    let faults = Arc::new(Faults::default());
    let (db, _) = seed(&live, &faults, 2).await;
    let store = |name: &str| {
        let (tx, rx) = tokio::sync::oneshot::channel();
        db.store_then(name.into(), vec![7; 32], move |r| tx.send(r).unwrap());
        rx
    };
    let m = store("then").await.unwrap().unwrap();
    assert_eq!(value_of(&db, "then").await, Some((m.version, vec![7; 32])));

    faults.fail_next_sync(EIO);
    let e = store("refused").await.unwrap().unwrap_err();
    assert!(e.0.contains("Input/output error"), "{e:?}");
    assert_eq!(value_of(&db, "refused").await, None);

    db.close().await;
    let e = store("late").await.unwrap().unwrap_err();
    assert!(e.0.contains("stopped"), "{e:?}");
}
