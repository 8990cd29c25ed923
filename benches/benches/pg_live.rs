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
//! Deciding a difference of 1-3 %: the first table also gives the
//! paired ratios, codec / tokio-postgres of each two adjacent timings
//! (A1/B1 and A2/B2 of every A-B-B-A round, taken within a second of each
//! other, so that a change in the machine's load hits both): their median,
//! its distribution-free 95 % interval (order statistics of the binomial
//! distribution) and in how many pairs codec was the faster. An interval
//! that excludes 1.00 decides; one that straddles it does not.
//!
//! The third table reads `/proc` for the backend serving each side (when
//! the server runs on this machine) and for the benchmark's thread:
//! their time on a CPU, time runnable but waiting for one, blocking
//! (voluntary) and preempting (involuntary) switches and CPU migrations,
//! medians per timing, and the backend's on-CPU time as paired ratios. On
//! the fetch and COPY rows the wall time is the backend's, so that is
//! where a client that slows the server shows.
//!
//! `BENCH_ROWS=copy` (or a comma-separated list of `select1`, `pipelined`,
//! `fetch`, `fetch-text`, `copy`) runs only those rows. `CALIBRATE=1`
//! adds two COPY rows on a second connection of each client: codec with
//! against codec without its receive low-water mark
//! (`Config::bulk_read_mark = 0`), and tokio-postgres against itself, the
//! spread that two connections to two backend processes show when the
//! client is the same.
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
    /// The `/proc` names of the backends serving each side, when they run
    /// on this machine.
    ours_backend: Option<String>,
    theirs_backend: Option<String>,
    /// `CALIBRATE=1`: a second connection of each client (codec's with
    /// `bulk_read_mark = 0`: the low-water mark off), and their backends,
    /// for the rows that run a client against itself.
    calibration: Option<(Client, tokio_postgres::Client)>,
    ours2_backend: Option<String>,
    theirs2_backend: Option<String>,
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
        Self::copy_with(&mut self.ours, self.copy_sums).await;
    }

    /// The same COPY on the second codec connection, the low-water mark
    /// off.
    async fn ours2_copy(&mut self) {
        let c = &mut self.calibration.as_mut().expect("CALIBRATE=1").0;
        Self::copy_with(c, self.copy_sums).await;
    }

    /// The calibration side: the same COPY on the second tokio-postgres
    /// connection.
    async fn theirs2_copy(&mut self) {
        let c = &self.calibration.as_ref().expect("CALIBRATE=1").1;
        Self::theirs_copy_with(c, self.copy_sums).await;
    }

    async fn copy_with(client: &mut Client, expected: (i64, i64)) {
        let mut copy = client.copy_out(COPY_SQL).await.unwrap();
        let (mut rows, mut bytes) = (0i64, 0i64);
        while let Some(chunk) = copy.next().await.unwrap() {
            rows += i64::from(chunk.ends_with(b"\n"));
            bytes += chunk.len() as i64;
        }
        assert_eq!((rows, bytes), expected);
    }

    async fn theirs_copy(&mut self) {
        Self::theirs_copy_with(&self.theirs, self.copy_sums).await;
    }

    async fn theirs_copy_with(client: &tokio_postgres::Client, expected: (i64, i64)) {
        let stream = client.copy_out(COPY_SQL).await.unwrap();
        let sums = stream
            .try_fold((0i64, 0i64), |(rows, bytes), chunk| async move {
                Ok((
                    rows + i64::from(chunk.ends_with(b"\n")),
                    bytes + chunk.len() as i64,
                ))
            })
            .await
            .unwrap();
        assert_eq!(sums, expected);
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

/// A task's scheduler counters from `/proc` (Linux): the backend serving
/// one side, or the benchmark's own thread. Where the client's CPU time
/// (`getrusage`) says what the client costs, these say what happened to
/// the server's process during the same timing: its CPU time, how long
/// it was runnable but waited for a CPU (the 2-core machine is shared with
/// the client), how often it blocked (a full socket: the client had not
/// read yet) and how often it moved between CPUs.
#[derive(Debug, Clone, Copy, Default)]
struct Sched {
    /// Time on a CPU (`schedstat` field 1).
    run: Duration,
    /// Time runnable, waiting for a CPU (`schedstat` field 2).
    waited: Duration,
    /// Voluntary context switches: the task blocked.
    voluntary: u64,
    /// Involuntary context switches: the task was preempted.
    involuntary: u64,
    /// CPU migrations (`se.nr_migrations` of `/proc/PID/sched`, a
    /// `CONFIG_SCHED_DEBUG` file: 0 where the kernel lacks it).
    migrations: u64,
}

impl Sched {
    /// The counters of `/proc/{task}` (`thread-self`, or a process ID);
    /// `None` where `/proc` does not have them.
    fn read(task: &str) -> Option<Sched> {
        let schedstat = std::fs::read_to_string(format!("/proc/{task}/schedstat")).ok()?;
        let mut ns = schedstat.split_whitespace().map(|v| v.parse::<u64>().ok());
        let (run, waited) = (ns.next()??, ns.next()??);
        let status = std::fs::read_to_string(format!("/proc/{task}/status")).ok()?;
        let field = |text: &str, name: &str| -> Option<u64> {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim_start_matches([' ', '\t', ':']).trim().parse().ok())
        };
        let migrations = std::fs::read_to_string(format!("/proc/{task}/sched"))
            .ok()
            .and_then(|t| field(&t, "se.nr_migrations"))
            .unwrap_or(0);
        Some(Sched {
            run: Duration::from_nanos(run),
            waited: Duration::from_nanos(waited),
            voluntary: field(&status, "voluntary_ctxt_switches")?,
            involuntary: field(&status, "nonvoluntary_ctxt_switches")?,
            migrations,
        })
    }

    /// The counts from `before` to `self`.
    fn since(self, before: Sched) -> Sched {
        Sched {
            run: self.run.saturating_sub(before.run),
            waited: self.waited.saturating_sub(before.waited),
            voluntary: self.voluntary.saturating_sub(before.voluntary),
            involuntary: self.involuntary.saturating_sub(before.involuntary),
            migrations: self.migrations.saturating_sub(before.migrations),
        }
    }
}

/// The backend process serving `pid`'s connection when it runs on this
/// machine: its `/proc` entry exists and is a `postgres` process (a
/// remote server's process ID would name some local process or none).
fn local_backend(pid: i32) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    (comm.trim() == "postgres" || cmdline.starts_with(b"postgres:")).then(|| pid.to_string())
}

/// One timing: wall time, and the process's CPU time and context
/// switches over it.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: Duration,
    cpu: Duration,
    voluntary: i64,
    involuntary: i64,
    /// The benchmark thread's scheduler counters over the timing.
    client: Option<Sched>,
    /// The serving backend's, when it runs on this machine.
    backend: Option<Sched>,
}

/// Times `$sides.$f()`; `$backend` is the `/proc` name of the backend
/// serving that side (`Option<String>`). The `/proc` files are read
/// outside the timed span.
macro_rules! timed {
    ($sides:expr, $f:ident, $backend:expr) => {{
        let backend = $backend.clone();
        let (c0, b0) = (
            Sched::read("thread-self"),
            backend.as_deref().and_then(Sched::read),
        );
        let u = Usage::now();
        let t = Instant::now();
        $sides.$f().await;
        let wall = t.elapsed();
        let v = Usage::now();
        let (c1, b1) = (
            Sched::read("thread-self"),
            backend.as_deref().and_then(Sched::read),
        );
        Sample {
            wall,
            cpu: v.cpu - u.cpu,
            voluntary: v.voluntary - u.voluntary,
            involuntary: v.involuntary - u.involuntary,
            client: c1.zip(c0).map(|(c1, c0)| c1.since(c0)),
            backend: b1.zip(b0).map(|(b1, b0)| b1.since(b0)),
        }
    }};
}

fn median<T: PartialOrd + Copy>(mut v: Vec<T>) -> T {
    v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
    v[v.len() / 2]
}

/// The ranks (1-based, `k` and `n + 1 - k`) of the sorted values that
/// bound a distribution-free 95 % confidence interval of the median of
/// `n` values: the largest `k` with P(Binomial(n, 1/2) < k) <= 2.5 %.
/// `None` below 6 values, where no such `k` exists.
fn median_ci_rank(n: usize) -> Option<usize> {
    // P(X = i) for X ~ Binomial(n, 1/2), summed from i = 0 upwards.
    let mut p = 0.5f64.powi(n as i32);
    let mut below = 0.0;
    let mut k = 0;
    for i in 0..n {
        below += p;
        if below > 0.025 {
            break;
        }
        k = i + 1;
        p *= (n - i) as f64 / (i + 1) as f64;
    }
    (k >= 1).then_some(k)
}

/// The ratios of adjacent timings of an A-B-B-A run, codec / tokio-
/// postgres: (A1, B1) and (B2, A2) of every round, each pair taken
/// within a second or so, so that a drift in the machine's load hits
/// both of its timings alike.
struct Paired {
    ratios: Vec<f64>,
}

impl Paired {
    fn of(a: &[Sample], b: &[Sample]) -> Paired {
        Paired::by(a, b, |s| Some(s.wall)).expect("wall times")
    }

    /// The ratios of one measure, `None` where a timing lacks it.
    fn by(a: &[Sample], b: &[Sample], f: impl Fn(&Sample) -> Option<Duration>) -> Option<Paired> {
        let ratios = a
            .iter()
            .zip(b)
            .map(|(a, b)| Some(f(a)?.as_secs_f64() / f(b)?.as_secs_f64()))
            .collect::<Option<Vec<f64>>>()?;
        Some(Paired { ratios })
    }

    /// `median [low, high] (k/n)`: the median ratio, its 95 % interval,
    /// and in how many pairs codec was the faster.
    fn summary(&self) -> String {
        let mut r = self.ratios.clone();
        r.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
        let n = r.len();
        let med = if n % 2 == 1 {
            r[n / 2]
        } else {
            (r[n / 2 - 1] + r[n / 2]) / 2.0
        };
        let faster = r.iter().filter(|&&x| x < 1.0).count();
        match median_ci_rank(n) {
            Some(k) => format!("{med:.3} [{:.3}, {:.3}] ({faster}/{n})", r[k - 1], r[n - k]),
            None => format!("{med:.3} ({faster}/{n})"),
        }
    }
}

/// The medians of one side's `/proc` scheduler counters, per timing
/// (`None` where they could not be read).
struct SchedMedians {
    run_ms: f64,
    waited_ms: f64,
    voluntary: u64,
    involuntary: u64,
    migrations: u64,
}

impl SchedMedians {
    fn of(samples: &[Sample], pick: impl Fn(&Sample) -> Option<Sched>) -> Option<SchedMedians> {
        let v: Option<Vec<Sched>> = samples.iter().map(pick).collect();
        let v = v?;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        Some(SchedMedians {
            run_ms: median(v.iter().map(|s| ms(s.run)).collect()),
            waited_ms: median(v.iter().map(|s| ms(s.waited)).collect()),
            voluntary: median(v.iter().map(|s| s.voluntary).collect()),
            involuntary: median(v.iter().map(|s| s.involuntary).collect()),
            migrations: median(v.iter().map(|s| s.migrations).collect()),
        })
    }

    /// `codec / tokio-postgres` cells of one counter, or `n/a`.
    fn cells(a: &Option<SchedMedians>, b: &Option<SchedMedians>) -> String {
        match (a, b) {
            (Some(a), Some(b)) => format!(
                "{:.1} / {:.1} | {:.2} | {:.1} / {:.1} | {} / {} | {} / {} | {} / {}",
                a.run_ms,
                b.run_ms,
                a.run_ms / b.run_ms,
                a.waited_ms,
                b.waited_ms,
                a.voluntary,
                b.voluntary,
                a.involuntary,
                b.involuntary,
                a.migrations,
                b.migrations
            ),
            _ => "n/a | n/a | n/a | n/a | n/a | n/a".into(),
        }
    }
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

/// A tokio-postgres connection, its connection task spawned on the
/// benchmark's runtime (as a user of the driver runs it).
async fn theirs_connect(conninfo: &str) -> (tokio_postgres::Client, tokio::task::JoinHandle<()>) {
    let (client, conn) = tokio_postgres::connect(conninfo, tokio_postgres::NoTls)
        .await
        .expect("tokio-postgres connects");
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    (client, driver)
}

/// The `/proc` name of the backend serving a tokio-postgres connection,
/// when it runs on this machine.
async fn backend_of(client: &tokio_postgres::Client) -> Option<String> {
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pg_backend_pid()")
        .get(0);
    local_backend(pid)
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
        let (theirs, driver) = theirs_connect(&conninfo).await;
        let ours_backend = ours
            .backend_key()
            .and_then(|k| local_backend(k.process_id));
        let theirs_backend = backend_of(&theirs).await;
        let (calibration, ours2_backend, theirs2_backend) =
            if std::env::var("CALIBRATE").is_ok_and(|v| v == "1") {
                let mut unmarked = config.clone();
                unmarked.bulk_read_mark = 0;
                let ours2 = Client::connect(&unmarked)
                    .await
                    .expect("codec client connects");
                let (theirs2, _driver) = theirs_connect(&conninfo).await;
                let b = ours2
                    .backend_key()
                    .and_then(|k| local_backend(k.process_id));
                let tb = backend_of(&theirs2).await;
                (Some((ours2, theirs2)), b, tb)
            } else {
                (None, None, None)
            };
        let mut s = Sides {
            ours,
            theirs,
            fetch_sums: FetchSums::expected(),
            copy_sums: copy_expected(),
            ours_backend,
            theirs_backend,
            calibration,
            ours2_backend,
            theirs2_backend,
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
        // `BENCH_ROWS=copy` (or a comma-separated list of `select1`,
        // `pipelined`, `fetch`, `fetch-text`, `copy`) runs only those rows:
        // more rounds of one row in the same time.
        let only = std::env::var("BENCH_ROWS").ok();
        let wanted = |key: &str| {
            only.as_deref()
                .is_none_or(|o| o.split(',').any(|k| k.trim() == key))
        };
        // Warm both connections and the server's caches.
        s.ours_fetch().await;
        s.theirs_fetch().await;

        let mut cpu_table = Vec::new();
        let mut sched_table = Vec::new();
        println!(
            "| row | codec median | tokio-postgres median | ratio of medians | \
             paired ratio: median [95 % interval] (codec faster) |"
        );
        println!("| --- | --- | --- | --- | --- |");
        macro_rules! row {
            ($key:expr, $name:expr, $units:expr, $unit:expr, $ours:ident, $theirs:ident) => {
                row!($key, $name, $units, $unit, $ours, $theirs, ours_backend, theirs_backend)
            };
            ($key:expr, $name:expr, $units:expr, $unit:expr, $ours:ident, $theirs:ident,
             $ob:ident, $tb:ident) => {{
                if wanted($key) {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    for _ in 0..rounds {
                        a.push(timed!(s, $ours, s.$ob));
                        b.push(timed!(s, $theirs, s.$tb));
                        b.push(timed!(s, $theirs, s.$tb));
                        a.push(timed!(s, $ours, s.$ob));
                    }
                    let (ma, mb) = (Medians::of(&a, $units), Medians::of(&b, $units));
                    println!(
                        "| {} | {:.2} ms | {:.2} ms | {:.3} | {} |",
                        $name,
                        ma.wall.as_secs_f64() * 1e3,
                        mb.wall.as_secs_f64() * 1e3,
                        ma.wall.as_secs_f64() / mb.wall.as_secs_f64(),
                        Paired::of(&a, &b).summary(),
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
                    let (ba, bb) = (
                        SchedMedians::of(&a, |x| x.backend),
                        SchedMedians::of(&b, |x| x.backend),
                    );
                    let (ca, cb) = (
                        SchedMedians::of(&a, |x| x.client),
                        SchedMedians::of(&b, |x| x.client),
                    );
                    let backend_paired = Paired::by(&a, &b, |x| x.backend.map(|b| b.run))
                        .map_or_else(|| "n/a".into(), |p| p.summary());
                    sched_table.push(format!(
                        "| {} | backend | {} | {} |\n| {} | client thread | {} | |",
                        $name,
                        SchedMedians::cells(&ba, &bb),
                        backend_paired,
                        $name,
                        SchedMedians::cells(&ca, &cb),
                    ));
                }
            }};
        }
        row!(
            "select1",
            format!("`SELECT 1` x {ROUND_TRIPS}, one at a time"),
            ROUND_TRIPS,
            "query",
            ours_round_trips,
            theirs_round_trips
        );
        row!(
            "pipelined",
            format!("`SELECT 1` x {PIPELINED}, pipelined"),
            PIPELINED,
            "query",
            ours_pipelined,
            theirs_pipelined
        );
        row!(
            "fetch",
            "fetch 100,000 rows (3 columns), binary",
            FETCH_ROWS as usize,
            "row",
            ours_fetch,
            theirs_fetch
        );
        row!(
            "fetch-text",
            "fetch 100,000 rows, codec text / tokio-postgres binary",
            FETCH_ROWS as usize,
            "row",
            ours_fetch_text,
            theirs_fetch
        );
        row!(
            "copy",
            "COPY OUT 1,000,000 rows",
            COPY_ROWS as usize,
            "row",
            ours_copy,
            theirs_copy
        );
        if s.calibration.is_some() {
            // The same client on two connections: codec with and without
            // its low-water mark (the mark's own effect, in one run), then
            // tokio-postgres against itself: what the comparison shows
            // when nothing differs but the connection and its backend
            // process (in the codec / tokio-postgres columns).
            row!(
                "copy",
                "COPY OUT 1,000,000 rows, codec / codec with the low-water mark off",
                COPY_ROWS as usize,
                "row",
                ours_copy,
                ours2_copy,
                ours_backend,
                ours2_backend
            );
            row!(
                "copy",
                "COPY OUT 1,000,000 rows, tokio-postgres / tokio-postgres on another connection",
                COPY_ROWS as usize,
                "row",
                theirs_copy,
                theirs2_copy,
                theirs_backend,
                theirs2_backend
            );
        }
        println!();
        println!(
            "| row | per | codec CPU µs | tokio-postgres CPU µs | CPU ratio | \
             codec wake-ups | tokio-postgres wake-ups | codec preempted | tokio-postgres preempted |"
        );
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for line in cpu_table {
            println!("{line}");
        }
        println!();
        println!(
            "| row | task | on CPU ms codec / tokio-postgres | ratio | \
             runnable, waiting for a CPU, ms | blocked (voluntary switches) | \
             preempted | CPU migrations | backend on-CPU paired ratio |"
        );
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for line in sched_table {
            println!("{line}");
        }
        drop(s);
        let _ = driver.await;
    });
}
