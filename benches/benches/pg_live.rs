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
//! 1,000,000 rows. `ROUNDS` sets the rounds (default 5).
//!
//! `PROFILE=codec`, `codec-text` or `tokio-postgres` runs only that side's
//! 100,000-row fetch, `ROUNDS` times, and prints nothing: for
//! `valgrind --tool=callgrind` or `perf record` on one client.

use std::time::{Duration, Instant};

use codec_examples::pg::client::{Client, Config, ExtendedQuery, SslMode};
use futures::TryStreamExt as _;

const ROUND_TRIPS: usize = 2000;
const PIPELINED: usize = 2000;
const FETCH_SQL: &str =
    "SELECT g, 'row ' || g AS label, g * 1.5::float8 AS x FROM generate_series(1, 100000) g";
const COPY_SQL: &str = "COPY (SELECT g, 'row ' || g FROM generate_series(1, 1000000) g) TO STDOUT";

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.into())
}

struct Sides {
    ours: Client,
    theirs: tokio_postgres::Client,
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
        assert_eq!(r.rows.len(), 100_000);
    }

    async fn ours_fetch_text(&mut self) {
        let r = self
            .ours
            .query(&ExtendedQuery::new(FETCH_SQL))
            .await
            .unwrap();
        assert_eq!(r.rows.len(), 100_000);
    }

    async fn theirs_fetch(&mut self) {
        let r = self.theirs.query(FETCH_SQL, &[]).await.unwrap();
        assert_eq!(r.len(), 100_000);
    }

    async fn ours_copy(&mut self) {
        let mut copy = self.ours.copy_out(COPY_SQL).await.unwrap();
        let mut rows = 0usize;
        while let Some(chunk) = copy.next().await.unwrap() {
            rows += usize::from(chunk.ends_with(b"\n"));
        }
        assert_eq!(rows, 1_000_000);
    }

    async fn theirs_copy(&mut self) {
        let stream = self.theirs.copy_out(COPY_SQL).await.unwrap();
        let rows = stream
            .try_fold(0usize, |n, chunk| async move {
                Ok(n + usize::from(chunk.ends_with(b"\n")))
            })
            .await
            .unwrap();
        assert_eq!(rows, 1_000_000);
    }
}

macro_rules! timed {
    ($sides:expr, $f:ident) => {{
        let t = Instant::now();
        $sides.$f().await;
        t.elapsed()
    }};
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rounds: usize = env("ROUNDS", "5").parse().unwrap();
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
        let mut s = Sides { ours, theirs };
        if let Ok(side) = std::env::var("PROFILE") {
            for _ in 0..rounds {
                match side.as_str() {
                    "codec" => s.ours_fetch().await,
                    "codec-text" => s.ours_fetch_text().await,
                    "tokio-postgres" => s.theirs_fetch().await,
                    other => panic!("PROFILE={other}: codec, codec-text or tokio-postgres"),
                }
            }
            return;
        }
        // Warm both connections and the server's caches.
        s.ours_fetch().await;
        s.theirs_fetch().await;

        println!("| row | codec median | tokio-postgres median | ratio (codec / tokio-postgres) |");
        println!("| --- | --- | --- | --- |");
        macro_rules! row {
            ($name:expr, $ours:ident, $theirs:ident) => {{
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for _ in 0..rounds {
                    a.push(timed!(s, $ours));
                    b.push(timed!(s, $theirs));
                    b.push(timed!(s, $theirs));
                    a.push(timed!(s, $ours));
                }
                let (ma, mb) = (median(a), median(b));
                println!(
                    "| {} | {:.2} ms | {:.2} ms | {:.2} |",
                    $name,
                    ma.as_secs_f64() * 1e3,
                    mb.as_secs_f64() * 1e3,
                    ma.as_secs_f64() / mb.as_secs_f64()
                );
            }};
        }
        row!(
            format!("`SELECT 1` x {ROUND_TRIPS}, one at a time"),
            ours_round_trips,
            theirs_round_trips
        );
        row!(
            format!("`SELECT 1` x {PIPELINED}, pipelined"),
            ours_pipelined,
            theirs_pipelined
        );
        row!(
            "fetch 100,000 rows (3 columns), binary",
            ours_fetch,
            theirs_fetch
        );
        row!(
            "fetch 100,000 rows, codec text / tokio-postgres binary",
            ours_fetch_text,
            theirs_fetch
        );
        row!("COPY OUT 1,000,000 rows", ours_copy, theirs_copy);
        drop(s);
        let _ = driver.await;
    });
}
