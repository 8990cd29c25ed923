//! The codec PostgreSQL client (`codec_examples::pg`) against
//! tokio-postgres on the same live server in the same run (issue 15,
//! item 5). Not a criterion suite: each row is timed in rounds of A-B-B-A
//! (codec, tokio-postgres, tokio-postgres, codec) so that drift in the
//! machine's load hits both sides alike; the medians and their ratio are
//! printed as a Markdown table.
//!
//! ```sh
//! scripts/bench-pg.sh            # starts a server, runs this, stops it
//! PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres cargo bench -p codec-benches --bench pg_live
//! ```
//!
//! Rows: `SELECT 1` round trips one at a time and pipelined, a
//! 100,000-row fetch (binary results on both sides, tokio-postgres's
//! only format, so the server does the same work for both; then codec's
//! text results against the same tokio-postgres binary fetch, where the
//! server's text output of the float column weighs in), and COPY OUT of
//! 1,000,000 rows. `ROUNDS` sets the rounds (default 10: 20 timings per
//! side and row).
//!
//! Both sides do the same work: the same SQL text, each client's usual
//! call (tokio-postgres's `query` and `copy_out` with the text prepare
//! it first, one more round trip; codec sends Parse/Bind/Describe/
//! Execute/Sync at once, and COPY as a simple query); every row's three
//! values are read as the types they are (`i32`, `&str`, `f64`) and
//! summed, every COPY chunk's bytes counted, and the sums checked against
//! the ones computed here; the result is dropped inside the timing on both
//! sides. The connections are made before any timing.
//!
//! Besides the wall time, each timing takes the process's CPU time and
//! context switches (`getrusage(RUSAGE_SELF)`: the benchmark is one
//! current-thread runtime, tokio-postgres's connection task included, so
//! that is the client's CPU; the server's backends are other processes).
//! The second table gives the medians per row (per query for the
//! `SELECT 1` rows): CPU in microseconds and voluntary context switches
//! (the times the client blocked waiting for the server: its wake-ups).
//! The wall time of the fetch and COPY rows is mostly the server's; the
//! CPU columns are the client's own cost.
//!
//! `PROFILE=codec`, `codec-text` or `tokio-postgres` runs only that side's
//! 100,000-row fetch, `PROFILE=codec-copy` or `tokio-postgres-copy` only
//! that side's COPY OUT, `ROUNDS` times, and prints nothing: for
//! `valgrind --tool=callgrind`, `perf stat`, `perf record` or `strace -c`
//! on one client.

use std::time::{Duration, Instant};

use codec_examples::pg::client::{Client, Config, ExtendedQuery, SslMode};
use futures::TryStreamExt as _;

const ROUND_TRIPS: usize = 2000;
const PIPELINED: usize = 2000;
const FETCH_SQL: &str =
    "SELECT g, 'row ' || g AS label, g * 1.5::float8 AS x FROM generate_series(1, 100000) g";
const FETCH_ROWS: i64 = 100_000;
const COPY_SQL: &str = "COPY (SELECT g, 'row ' || g FROM generate_series(1, 1000000) g) TO STDOUT";
const COPY_ROWS: i64 = 1_000_000;

/// What a fetch of [`FETCH_SQL`] must add up to: the sum of the `int4`
/// column, the total length of the labels, the sum of the `float8`
/// column (exact: every value is a multiple of 0.5 below 2^53).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct FetchSums {
    rows: i64,
    ints: i64,
    label_bytes: i64,
    floats: f64,
}

/// Decimal digits of `g > 0`, the length of `g.to_string()`.
fn digits(g: i64) -> i64 {
    i64::from(g.ilog10()) + 1
}

impl FetchSums {
    fn expected() -> FetchSums {
        let mut s = FetchSums::default();
        for g in 1..=FETCH_ROWS {
            // `'row ' || g`
            s.add_parts(g as i32, 4 + digits(g), g as f64 * 1.5);
        }
        s
    }

    fn add(&mut self, g: i32, label: &str, x: f64) {
        self.add_parts(g, label.len() as i64, x);
    }

    fn add_parts(&mut self, g: i32, label_bytes: i64, x: f64) {
        self.rows += 1;
        self.ints += i64::from(g);
        self.label_bytes += label_bytes;
        self.floats += x;
    }
}

/// What a COPY OUT of [`COPY_SQL`] must add up to: rows (chunks ending
/// in a newline) and bytes (`{g}\trow {g}\n` per row).
fn copy_expected() -> (i64, i64) {
    let bytes = (1..=COPY_ROWS).map(|g| 2 * digits(g) + 6).sum();
    (COPY_ROWS, bytes)
}

fn be4(v: Option<&[u8]>) -> [u8; 4] {
    v.expect("not NULL").try_into().expect("4 bytes")
}

fn be8(v: Option<&[u8]>) -> [u8; 8] {
    v.expect("not NULL").try_into().expect("8 bytes")
}

fn text(v: Option<&[u8]>) -> &str {
    std::str::from_utf8(v.expect("not NULL")).expect("UTF-8")
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.into())
}

struct Sides {
    ours: Client,
    theirs: tokio_postgres::Client,
    fetch_sums: FetchSums,
    copy_sums: (i64, i64),
}

impl Sides {
    async fn ours_round_trips(&mut self) {
        let q = ExtendedQuery::new("SELECT 1");
        for _ in 0..ROUND_TRIPS {
            let r = self.ours.query(&q).await.unwrap();
            assert_eq!(r.rows.len(), 1);
        }
    }

    async fn theirs_round_trips(&mut self) {
        for _ in 0..ROUND_TRIPS {
            let r = self.theirs.query("SELECT 1", &[]).await.unwrap();
            assert_eq!(r.len(), 1);
        }
    }

    async fn ours_pipelined(&mut self) {
        let qs = vec![ExtendedQuery::new("SELECT 1"); PIPELINED];
        let r = self.ours.pipeline(&qs).await.unwrap();
        assert_eq!(r.len(), PIPELINED);
    }

    async fn theirs_pipelined(&mut self) {
        let c = &self.theirs;
        let r: Vec<_> =
            futures::future::try_join_all((0..PIPELINED).map(|_| c.query("SELECT 1", &[])))
                .await
                .unwrap();
        assert_eq!(r.len(), PIPELINED);
    }

    async fn ours_fetch(&mut self) {
        let r = self
            .ours
            .query(&ExtendedQuery::new(FETCH_SQL).binary_results())
            .await
            .unwrap();
        let mut sums = FetchSums::default();
        for row in &r.rows {
            sums.add(
                i32::from_be_bytes(be4(row.get(0))),
                text(row.get(1)),
                f64::from_be_bytes(be8(row.get(2))),
            );
        }
        assert_eq!(sums, self.fetch_sums);
    }

    async fn ours_fetch_text(&mut self) {
        let r = self
            .ours
            .query(&ExtendedQuery::new(FETCH_SQL))
            .await
            .unwrap();
        let mut sums = FetchSums::default();
        for row in &r.rows {
            sums.add(
                text(row.get(0)).parse().unwrap(),
                text(row.get(1)),
                text(row.get(2)).parse().unwrap(),
            );
        }
        assert_eq!(sums, self.fetch_sums);
    }

    async fn theirs_fetch(&mut self) {
        let r = self.theirs.query(FETCH_SQL, &[]).await.unwrap();
        let mut sums = FetchSums::default();
        for row in &r {
            sums.add(row.get(0), row.get(1), row.get(2));
        }
        assert_eq!(sums, self.fetch_sums);
    }

    async fn ours_copy(&mut self) {
        let mut copy = self.ours.copy_out(COPY_SQL).await.unwrap();
        let (mut rows, mut bytes) = (0i64, 0i64);
        while let Some(chunk) = copy.next().await.unwrap() {
            rows += i64::from(chunk.ends_with(b"\n"));
            bytes += chunk.len() as i64;
        }
        assert_eq!((rows, bytes), self.copy_sums);
    }

    async fn theirs_copy(&mut self) {
        let stream = self.theirs.copy_out(COPY_SQL).await.unwrap();
        let sums = stream
            .try_fold((0i64, 0i64), |(rows, bytes), chunk| async move {
                Ok((
                    rows + i64::from(chunk.ends_with(b"\n")),
                    bytes + chunk.len() as i64,
                ))
            })
            .await
            .unwrap();
        assert_eq!(sums, self.copy_sums);
    }
}

/// The process's CPU time (user + system) and context switches so far.
#[derive(Debug, Clone, Copy)]
struct Usage {
    cpu: Duration,
    voluntary: i64,
    involuntary: i64,
}

impl Usage {
    fn now() -> Usage {
        // SAFETY: `getrusage` only writes the struct it is given, which is
        // plain data that may start zeroed.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a valid pointer to that struct.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
        assert_eq!(rc, 0, "getrusage");
        let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
        Usage {
            cpu: tv(u.ru_utime) + tv(u.ru_stime),
            voluntary: u.ru_nvcsw,
            involuntary: u.ru_nivcsw,
        }
    }
}

/// One timing: wall time, and the process's CPU time and context
/// switches over it.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: Duration,
    cpu: Duration,
    voluntary: i64,
    involuntary: i64,
}

macro_rules! timed {
    ($sides:expr, $f:ident) => {{
        let u = Usage::now();
        let t = Instant::now();
        $sides.$f().await;
        let wall = t.elapsed();
        let v = Usage::now();
        Sample {
            wall,
            cpu: v.cpu - u.cpu,
            voluntary: v.voluntary - u.voluntary,
            involuntary: v.involuntary - u.involuntary,
        }
    }};
}

fn median<T: PartialOrd + Copy>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

/// The medians of one side's samples, per unit of work where it says so.
struct Medians {
    wall: Duration,
    cpu_us_per_unit: f64,
    voluntary_per_unit: f64,
    involuntary_per_unit: f64,
}

impl Medians {
    fn of(samples: &[Sample], units: usize) -> Medians {
        let units = units as f64;
        Medians {
            wall: median(samples.iter().map(|s| s.wall).collect()),
            cpu_us_per_unit: median(samples.iter().map(|s| s.cpu.as_secs_f64()).collect()) * 1e6
                / units,
            voluntary_per_unit: median(samples.iter().map(|s| s.voluntary).collect()) as f64
                / units,
            involuntary_per_unit: median(samples.iter().map(|s| s.involuntary).collect()) as f64
                / units,
        }
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rounds: usize = env("ROUNDS", "10").parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (host, port, user, db) = (
            env("PGHOST", "127.0.0.1"),
            env("PGPORT", "5432"),
            env("PGUSER", "postgres"),
            env("PGDATABASE", "postgres"),
        );
        let mut config = Config::new(&host, port.parse().unwrap(), &user, &db);
        config.password = std::env::var("PGPASSWORD").ok();
        config.ssl_mode = SslMode::Disable;
        let ours = Client::connect(&config)
            .await
            .expect("codec client connects");
        let mut conninfo = format!("host={host} port={port} user={user} dbname={db}");
        if let Some(p) = &config.password {
            conninfo.push_str(&format!(" password={p}"));
        }
        let (theirs, conn) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
            .await
            .expect("tokio-postgres connects");
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut s = Sides {
            ours,
            theirs,
            fetch_sums: FetchSums::expected(),
            copy_sums: copy_expected(),
        };
        if let Ok(side) = std::env::var("PROFILE") {
            for _ in 0..rounds {
                match side.as_str() {
                    "codec" => s.ours_fetch().await,
                    "codec-text" => s.ours_fetch_text().await,
                    "tokio-postgres" => s.theirs_fetch().await,
                    "codec-copy" => s.ours_copy().await,
                    "tokio-postgres-copy" => s.theirs_copy().await,
                    other => panic!(
                        "PROFILE={other}: codec, codec-text, tokio-postgres, \
                         codec-copy or tokio-postgres-copy"
                    ),
                }
            }
            return;
        }
        // Warm both connections and the server's caches.
        s.ours_fetch().await;
        s.theirs_fetch().await;

        let mut cpu_table = Vec::new();
        println!("| row | codec median | tokio-postgres median | ratio (codec / tokio-postgres) |");
        println!("| --- | --- | --- | --- |");
        macro_rules! row {
            ($name:expr, $units:expr, $unit:expr, $ours:ident, $theirs:ident) => {{
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for _ in 0..rounds {
                    a.push(timed!(s, $ours));
                    b.push(timed!(s, $theirs));
                    b.push(timed!(s, $theirs));
                    a.push(timed!(s, $ours));
                }
                let (ma, mb) = (Medians::of(&a, $units), Medians::of(&b, $units));
                println!(
                    "| {} | {:.2} ms | {:.2} ms | {:.2} |",
                    $name,
                    ma.wall.as_secs_f64() * 1e3,
                    mb.wall.as_secs_f64() * 1e3,
                    ma.wall.as_secs_f64() / mb.wall.as_secs_f64()
                );
                cpu_table.push(format!(
                    "| {} | {} | {:.3} | {:.3} | {:.2} | {:.4} | {:.4} | {:.4} | {:.4} |",
                    $name,
                    $unit,
                    ma.cpu_us_per_unit,
                    mb.cpu_us_per_unit,
                    ma.cpu_us_per_unit / mb.cpu_us_per_unit,
                    ma.voluntary_per_unit,
                    mb.voluntary_per_unit,
                    ma.involuntary_per_unit,
                    mb.involuntary_per_unit,
                ));
            }};
        }
        row!(
            format!("`SELECT 1` x {ROUND_TRIPS}, one at a time"),
            ROUND_TRIPS,
            "query",
            ours_round_trips,
            theirs_round_trips
        );
        row!(
            format!("`SELECT 1` x {PIPELINED}, pipelined"),
            PIPELINED,
            "query",
            ours_pipelined,
            theirs_pipelined
        );
        row!(
            "fetch 100,000 rows (3 columns), binary",
            FETCH_ROWS as usize,
            "row",
            ours_fetch,
            theirs_fetch
        );
        row!(
            "fetch 100,000 rows, codec text / tokio-postgres binary",
            FETCH_ROWS as usize,
            "row",
            ours_fetch_text,
            theirs_fetch
        );
        row!(
            "COPY OUT 1,000,000 rows",
            COPY_ROWS as usize,
            "row",
            ours_copy,
            theirs_copy
        );
        println!();
        println!(
            "| row | per | codec CPU µs | tokio-postgres CPU µs | CPU ratio | \
             codec wake-ups | tokio-postgres wake-ups | codec preempted | tokio-postgres preempted |"
        );
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for line in cpu_table {
            println!("{line}");
        }
        drop(s);
        let _ = driver.await;
    });
}
