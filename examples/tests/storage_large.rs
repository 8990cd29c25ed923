//! A 100 MiB value through `storage put` and `storage get`: the same bytes
//! come back, and neither the server nor the client ever holds the value
//! (their peak resident memory stays far under its size).

mod support {
    pub mod storage;
}

use support::storage::*;

const SIZE: u64 = 100 << 20;
/// Peak resident memory allowed to each process, in KiB.
const LIMIT_KIB: u64 = 60 << 10;

#[test]
fn a_100_mib_value_streams_through_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.redb");
    let src = dir.path().join("src.bin");
    let dst = dir.path().join("dst.bin");
    write_pattern_file(&src, 0x5EED, SIZE);

    let server = ServerProc::start(&["--db", db.to_str().unwrap()]);
    let s = server.addr.clone();
    let idle = server.peak_rss_kib();

    let put = run(
        &["put", "big", src.to_str().unwrap(), "--server", &s],
        None,
        &[],
    );
    assert_eq!(put.code, 0, "{}", put.stderr);
    let after_put = server.peak_rss_kib();

    let get = run(
        &["get", "big", "-o", dst.to_str().unwrap(), "--server", &s],
        None,
        &[],
    );
    assert_eq!(get.code, 0, "{}", get.stderr);
    let after_get = server.peak_rss_kib();

    let r = run(&["ls", "--server", &s], None, &[]);
    assert_eq!(r.out(), format!("big\t{SIZE}\n"));

    eprintln!(
        "server peak RSS: idle {idle} KiB, after put {after_put} KiB, after get {after_get} KiB; \
         client peak: put {} KiB, get {} KiB",
        put.peak_kib, get.peak_kib
    );
    assert_eq!(hash_file(&src), hash_file(&dst), "the bytes differ");
    assert!(after_get < LIMIT_KIB, "server peaked at {after_get} KiB");
    assert!(
        put.peak_kib < LIMIT_KIB,
        "put peaked at {} KiB",
        put.peak_kib
    );
    assert!(
        get.peak_kib < LIMIT_KIB,
        "get peaked at {} KiB",
        get.peak_kib
    );
    // Nothing was buffered whole in the database file's place either: the
    // file holds the value once (plus pages), not several copies.
    let db_size = std::fs::metadata(&db).unwrap().len();
    assert!(db_size < 2 * SIZE, "database file is {db_size} bytes");
}
