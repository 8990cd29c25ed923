//! `storage bench`: a load generator. Opens `--conns` connections, keeps
//! `--depth` calls in flight on each, mixes gets and puts of `--size`-byte
//! values over pre-populated keys for `--duration`, and prints ops/s and
//! latency percentiles.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use codec::rpc::{Chain, Server, ServerConfig, ServerHandle};
use indicatif::{ProgressBar, ProgressStyle};

use super::cli::{client_token, Failure};
use super::client::{inline_limit, Options, StorageClient};
use super::protocol::{FetchRequest, Status, Storage, StoreRequest};
use super::server::Service;

/// `bench`'s options.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Server to load (default: start one in this process, in memory).
    #[arg(long, value_name = "ADDR")]
    pub server: Option<String>,
    /// For the in-process server: use a database file instead of memory.
    #[arg(long, value_name = "PATH", conflicts_with = "server")]
    pub db: Option<PathBuf>,
    /// A file holding the server's token (default: $STORAGE_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Connections.
    #[arg(long, default_value_t = 1)]
    pub conns: usize,
    /// Calls in flight per connection.
    #[arg(long, default_value_t = 1)]
    pub depth: usize,
    /// Value size in bytes.
    #[arg(long, default_value_t = 32)]
    pub size: usize,
    /// Fraction of gets (0.0: only puts, 1.0: only gets).
    #[arg(long, default_value_t = 0.5)]
    pub mix: f64,
    /// How long to run, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub duration: f64,
    /// Keys to spread the load over (all pre-populated).
    #[arg(long, default_value_t = 1000)]
    pub keys: usize,
    /// The protocol to speak: `resp` loads a Redis server at `--server`
    /// with the same code (same connections, batches and key choice) as
    /// the storage protocol.
    #[arg(long, value_enum, default_value_t = Wire::Storage, requires = "server")]
    pub protocol: Wire,
}

/// Latencies in log-linear buckets (32 per power of two: about 3%
/// precision), in nanoseconds.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

const SUB: u64 = 32;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; 64 * SUB as usize],
            total: 0,
            max: 0,
        }
    }
}

impl Histogram {
    fn bucket(v: u64) -> usize {
        if v < SUB {
            return v as usize;
        }
        let msb = 63 - u64::from(v.leading_zeros());
        let shift = msb - 5;
        let mantissa = (v >> shift) & (SUB - 1);
        ((shift + 1) * SUB + mantissa) as usize
    }

    fn lower_bound(b: usize) -> u64 {
        let b = b as u64;
        if b < SUB {
            return b;
        }
        let shift = b / SUB - 1;
        (SUB + b % SUB) << shift
    }

    /// Records one latency.
    pub fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.counts[Self::bucket(ns)] += 1;
        self.total += 1;
        self.max = self.max.max(ns);
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    /// The latency at quantile `q` (0..=1).
    pub fn quantile(&self, q: f64) -> Duration {
        if self.total == 0 {
            return Duration::ZERO;
        }
        let rank = ((self.total as f64 * q).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (b, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Duration::from_nanos(Self::lower_bound(b).min(self.max));
            }
        }
        Duration::from_nanos(self.max)
    }

    /// Recorded latencies.
    pub fn count(&self) -> u64 {
        self.total
    }
}

/// A small, fast generator (xorshift64*), one per worker.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn key(i: usize) -> String {
    format!("bench/{i:07}")
}

#[derive(Default)]
struct Totals {
    gets: AtomicU64,
    puts: AtomicU64,
    errors: AtomicU64,
}

/// One worker: calls back to back on a shared connection until `end`.
async fn worker(
    client: StorageClient,
    args: Arc<BenchArgs>,
    seed: u64,
    end: Instant,
    totals: Arc<Totals>,
) -> Histogram {
    let mut hist = Histogram::default();
    let mut rng = Rng(seed | 1);
    let value = vec![0xA5u8; args.size];
    let inline = args.size <= inline_limit(&key(0));
    while Instant::now() < end {
        let name = key((rng.next() % args.keys as u64) as usize);
        let get = rng.unit() < args.mix;
        let start = Instant::now();
        let ok = match (get, inline) {
            (true, true) => client
                .rpc()
                .call(FetchRequest { trans: 0, name })
                .await
                .is_ok_and(|r| r.status == Status::Success && r.data.len() == args.size),
            (false, true) => client
                .rpc()
                .call(StoreRequest {
                    trans: 0,
                    name,
                    data: value.clone(),
                })
                .await
                .is_ok_and(|r| r.status == Status::Success),
            (true, false) => client.get_bytes(&name).await.is_ok(),
            (false, false) => client.put_bytes(&name, &value).await.is_ok(),
        };
        hist.record(start.elapsed());
        let counter = match (ok, get) {
            (false, _) => &totals.errors,
            (true, true) => &totals.gets,
            (true, false) => &totals.puts,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
    hist
}

/// The protocol the load generator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Wire {
    /// The storage protocol (`StoreRequest` / `FetchRequest` frames).
    Storage,
    /// Redis's RESP (`SET key value` / `GET key`), to load a Redis server
    /// with the same client.
    Resp,
}

/// The fast path of the measured phase (no token, values that fit one
/// frame, depth up to 256; always for `--protocol resp`), redis-benchmark's
/// model: each connection is a plain socket that writes `depth` requests
/// (encoded into one reused buffer, written together), then reads until
/// all `depth` replies are in (parsed in place), and starts again; all
/// connections run on one thread, so the load generator takes at most one
/// core from the server. The two protocols share this code: only
/// [`push_request`] and [`parse_reply`] look at the bytes.
fn raw_ok(args: &BenchArgs, token: Option<&[u8]>) -> bool {
    args.protocol == Wire::Resp
        || (token.is_none() && args.depth <= 256 && args.size <= inline_limit(&key(args.keys)))
}

/// Appends `key(i)` without allocating.
fn push_key(out: &mut Vec<u8>, i: usize) {
    if i >= 10_000_000 {
        out.extend_from_slice(key(i).as_bytes());
        return;
    }
    out.extend_from_slice(b"bench/");
    let mut digits = [b'0'; 7];
    let mut n = i;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&digits);
}

/// Appends a decimal number without allocating.
fn push_decimal(out: &mut Vec<u8>, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Appends one request for key `i` in slot `trans`: a get, or a store of
/// `value`. Storage: a `StoreRequest` or `FetchRequest` frame with `trans`
/// as its transaction byte. RESP: `SET key value` or `GET key` as an
/// array of bulk strings (replies come in order, so there is no slot).
fn push_request(wire: Wire, out: &mut Vec<u8>, i: usize, get: bool, value: &[u8], trans: u8) {
    match wire {
        Wire::Storage => {
            let at = out.len();
            out.extend_from_slice(&[if get { 0x03 } else { 0x01 }, 0, 0, trans, 0]);
            push_key(out, i);
            let name_len = out.len() - at - 5;
            out[at + 4] = name_len as u8;
            if !get {
                out.extend_from_slice(&(value.len() as u16).to_be_bytes());
                out.extend_from_slice(value);
            }
            let payload = (out.len() - at - 3) as u16;
            out[at + 1..at + 3].copy_from_slice(&payload.to_be_bytes());
        }
        Wire::Resp => {
            let key_len = key(0).len();
            if get {
                out.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$");
            } else {
                out.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$");
            }
            push_decimal(out, key_len);
            out.extend_from_slice(b"\r\n");
            let at = out.len();
            push_key(out, i);
            debug_assert_eq!(out.len() - at, key_len, "keys under 10^7 have one length");
            out.extend_from_slice(b"\r\n");
            if !get {
                out.push(b'$');
                push_decimal(out, value.len());
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice(value);
                out.extend_from_slice(b"\r\n");
            }
        }
    }
}

/// One reply read from the front of a buffer.
#[derive(Debug, PartialEq, Eq)]
struct Reply {
    /// Bytes it takes.
    len: usize,
    /// Its slot (the storage protocol's transaction byte; RESP: none).
    slot: Option<usize>,
    /// Whether it is a success (of the right size, for a get).
    ok: bool,
}

/// The reply at the front of `buf`, `Ok(None)` if it is not all there yet;
/// an error for bytes that are no reply of `wire`.
fn parse_reply(wire: Wire, buf: &[u8], size: usize) -> std::io::Result<Option<Reply>> {
    match wire {
        Wire::Storage => {
            let Some(head) = buf.get(..3) else {
                return Ok(None);
            };
            let len = 3 + usize::from(u16::from_be_bytes([head[1], head[2]]));
            let Some(payload) = buf.get(3..len) else {
                return Ok(None);
            };
            let ok = match head[0] {
                // StoreResponse: trans | name.len | name | status
                0x02 => {
                    let nl = payload.get(1).map_or(0, |&n| usize::from(n));
                    payload.len() == 3 + nl && payload[2 + nl] == 0
                }
                // FetchResponse: trans | status | name.len | name | data.len | data
                0x04 => {
                    let nl = payload.get(2).map_or(0, |&n| usize::from(n));
                    payload.len() == 5 + nl + size && payload[1] == 0
                }
                _ => false,
            };
            let slot = payload.first().map(|&t| usize::from(t));
            Ok(Some(Reply { len, slot, ok }))
        }
        Wire::Resp => {
            let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else {
                return Ok(None);
            };
            let line = &buf[1..eol];
            let reply = |len, ok| {
                Ok(Some(Reply {
                    len,
                    slot: None,
                    ok,
                }))
            };
            match buf[0] {
                b'+' => reply(eol + 2, line == b"OK"),
                b'-' => reply(eol + 2, false),
                b'$' if line == b"-1" => reply(eol + 2, false),
                b'$' => {
                    let n: usize = std::str::from_utf8(line)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(|| std::io::Error::other("bad RESP bulk length"))?;
                    let len = eol + 2 + n + 2;
                    if buf.len() < len {
                        return Ok(None);
                    }
                    reply(len, n == size && &buf[len - 2..len] == b"\r\n")
                }
                _ => Err(std::io::Error::other("not a RESP reply to SET or GET")),
            }
        }
    }
}

/// One connection of the fast path: batches of `depth` requests until
/// `end` (`keys`: store every key once, in order, then stop).
async fn raw_worker(
    addr: String,
    args: Arc<BenchArgs>,
    seed: u64,
    end: Instant,
    totals: Arc<Totals>,
    populate: Option<std::ops::Range<usize>>,
) -> std::io::Result<Histogram> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(addr.as_str()).await?;
    sock.set_nodelay(true)?;
    let wire = args.protocol;
    let mut hist = Histogram::default();
    let mut rng = Rng(seed | 1);
    let value = vec![0xA5u8; args.size];
    let depth = args.depth.min(256);
    let mut gets = vec![false; depth];
    let mut answered = vec![false; depth];
    let mut out = Vec::with_capacity(depth * (args.size + 48));
    let mut buf = vec![0u8; (depth * (args.size + 48)).max(64 * 1024)];
    let mut filled = 0;
    let mut next_key = populate.as_ref().map(|r| r.start);
    loop {
        // One batch: `depth` requests, written together.
        out.clear();
        let mut batch = 0;
        for slot in 0..depth {
            let (i, get) = match (&populate, next_key.as_mut()) {
                (Some(range), Some(k)) if *k < range.end => {
                    *k += 1;
                    (*k - 1, false)
                }
                (Some(_), _) => break,
                (None, _) => (
                    (rng.next() % args.keys as u64) as usize,
                    rng.unit() < args.mix,
                ),
            };
            push_request(wire, &mut out, i, get, &value, slot as u8);
            gets[slot] = get;
            answered[slot] = false;
            batch += 1;
        }
        if batch == 0 {
            return Ok(hist);
        }
        let start = Instant::now();
        sock.write_all(&out).await?;
        // Its replies, all of them.
        let (mut n_gets, mut n_puts, mut errors) = (0, 0, 0);
        let mut got = 0;
        while got < batch {
            if filled == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            let n = sock.read(&mut buf[filled..]).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            filled += n;
            let now = Instant::now();
            let mut at = 0;
            while let Some(reply) = parse_reply(wire, &buf[at..filled], args.size)? {
                at += reply.len;
                let slot = reply.slot.unwrap_or(got);
                if slot >= batch || std::mem::replace(&mut answered[slot], true) {
                    return Err(std::io::Error::other("reply to no request"));
                }
                got += 1;
                hist.record(now - start);
                match (reply.ok, gets[slot]) {
                    (false, _) => errors += 1,
                    (true, true) => n_gets += 1,
                    (true, false) => n_puts += 1,
                }
                if got == batch {
                    break;
                }
            }
            buf.copy_within(at..filled, 0);
            filled -= at;
        }
        if filled != 0 {
            return Err(std::io::Error::other("more replies than requests"));
        }
        totals.gets.fetch_add(n_gets, Ordering::Relaxed);
        totals.puts.fetch_add(n_puts, Ordering::Relaxed);
        totals.errors.fetch_add(errors, Ordering::Relaxed);
        if populate.is_none() && Instant::now() >= end {
            return Ok(hist);
        }
    }
}

/// Runs the fast path's connections on one thread of their own; with
/// `populate`, each stores its share of the keys once instead.
fn raw_run(
    addr: &str,
    args: &Arc<BenchArgs>,
    end: Instant,
    totals: &Arc<Totals>,
    populate: bool,
) -> std::thread::JoinHandle<std::io::Result<Histogram>> {
    let (addr, args, totals) = (addr.to_string(), Arc::clone(args), Arc::clone(totals));
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        rt.block_on(async move {
            let mut tasks = tokio::task::JoinSet::new();
            let share = args.keys.div_ceil(args.conns);
            for c in 0..args.conns {
                let seed = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(c as u64 + 1);
                let range = populate.then(|| c * share..((c + 1) * share).min(args.keys));
                tasks.spawn(raw_worker(
                    addr.clone(),
                    Arc::clone(&args),
                    seed,
                    end,
                    Arc::clone(&totals),
                    range,
                ));
            }
            let mut hist = Histogram::default();
            while let Some(h) = tasks.join_next().await {
                hist.merge(&h.map_err(std::io::Error::other)??);
            }
            Ok(hist)
        })
    })
}

/// Starts the in-process server (memory, or `db`).
async fn local_server(
    db: Option<PathBuf>,
) -> Result<(String, ServerHandle<Storage>, Arc<Service>), Failure> {
    let service = tokio::task::spawn_blocking(move || Service::open(db.as_deref(), None))
        .await
        .map_err(|e| Failure::other(Chain(&e)))?
        .map_err(|e| Failure::other(Chain(&e)))?;
    let config = ServerConfig::default().with_max_in_flight(1024);
    let server = Server::<Storage>::bind_with("127.0.0.1:0", config).await?;
    let addr = server.local_addr()?.to_string();
    let handle = server.serve(service.handler());
    Ok((addr, handle, service))
}

/// Runs the benchmark and prints the results.
///
/// # Errors
///
/// Bad options, or the server cannot be reached or populated.
pub async fn run(args: BenchArgs) -> Result<(), Failure> {
    if args.conns == 0 || args.depth == 0 || args.keys == 0 {
        return Err(Failure::other(
            "--conns, --depth and --keys must be at least 1",
        ));
    }
    if !(0.0..=1.0).contains(&args.mix) {
        return Err(Failure::other("--mix is the fraction of gets, from 0 to 1"));
    }
    if !(args.duration > 0.0 && args.duration.is_finite()) {
        return Err(Failure::other(
            "--duration must be a positive number of seconds",
        ));
    }
    let token = match args.protocol {
        Wire::Storage => client_token(args.token_file.as_deref())?,
        Wire::Resp => None,
    };
    let (addr, local, what) = match &args.server {
        Some(addr) => (addr.clone(), None, "remote".to_string()),
        None => {
            let (addr, handle, service) = local_server(args.db.clone()).await?;
            let what = match &args.db {
                Some(p) => format!("in-process, {}", p.display()),
                None => "in-process, memory".to_string(),
            };
            (addr, Some((handle, service)), what)
        }
    };
    // RESP: the fast path's connections are the only ones.
    let typed = match args.protocol {
        Wire::Storage => args.conns,
        Wire::Resp => 0,
    };
    let mut clients = Vec::with_capacity(typed);
    for _ in 0..typed {
        let opts = Options {
            token: token.clone(),
            timeout: Some(Duration::from_secs(30)),
            ..Options::default()
        };
        let c = StorageClient::connect(addr.as_str(), opts)
            .await
            .map_err(|e| Failure::other(format!("cannot connect to {addr}: {}", Chain(&e))))?;
        clients.push(c);
    }
    print_line(format_args!(
        "bench: {} conns x depth {}, {}-byte values, {:.0}% gets, {} keys, {:.1} s, server {addr} ({what}, {})",
        args.conns,
        args.depth,
        args.size,
        args.mix * 100.0,
        args.keys,
        args.duration,
        match args.protocol {
            Wire::Storage => "storage protocol",
            Wire::Resp => "RESP",
        }
    ))?;
    let args = Arc::new(args);
    match args.protocol {
        Wire::Storage => populate(&clients, &args).await?,
        Wire::Resp => {
            let totals = Arc::new(Totals::default());
            let filler = raw_run(&addr, &args, Instant::now(), &totals, true);
            tokio::task::spawn_blocking(move || filler.join())
                .await
                .map_err(|e| Failure::other(Chain(&e)))?
                .map_err(|_| Failure::other("the load thread panicked"))?
                .map_err(|e| {
                    Failure::other(format!("populating the keys failed: {}", Chain(&e)))
                })?;
            let errors = totals.errors.load(Ordering::Relaxed);
            if errors > 0 {
                return Err(Failure::other(format!(
                    "populating the keys failed: {errors} stores refused"
                )));
            }
        }
    }

    let totals = Arc::new(Totals::default());
    let duration = Duration::from_secs_f64(args.duration);
    let start = Instant::now();
    let end = start + duration;
    let raw = raw_ok(&args, token.as_deref());
    if raw {
        // The fast path opens connections of its own.
        for c in &clients {
            c.close().await;
        }
    }
    let raw = raw.then(|| raw_run(&addr, &args, end, &totals, false));
    let mut tasks = tokio::task::JoinSet::new();
    for (c, client) in clients.iter().enumerate().filter(|_| raw.is_none()) {
        for d in 0..args.depth {
            let seed = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul((c * args.depth + d + 1) as u64);
            tasks.spawn(worker(
                client.clone(),
                Arc::clone(&args),
                seed,
                end,
                Arc::clone(&totals),
            ));
        }
    }
    let bar = ProgressBar::new(duration.as_millis() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {elapsed}/{duration} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let ticker = {
        let (bar, totals) = (bar.clone(), Arc::clone(&totals));
        tokio::spawn(async move {
            let mut last = (Instant::now(), 0u64);
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let now = Instant::now();
                let ops = totals.gets.load(Ordering::Relaxed) + totals.puts.load(Ordering::Relaxed);
                let rate = (ops - last.1) as f64 / (now - last.0).as_secs_f64();
                last = (now, ops);
                bar.set_position(now.duration_since(start).as_millis() as u64);
                bar.set_message(format!("{ops} ops, {rate:.0} ops/s"));
            }
        })
    };
    let mut hist = Histogram::default();
    while let Some(h) = tasks.join_next().await {
        hist.merge(&h.map_err(|e| Failure::other(Chain(&e)))?);
    }
    if let Some(raw) = raw {
        let h = tokio::task::spawn_blocking(move || raw.join())
            .await
            .map_err(|e| Failure::other(Chain(&e)))?
            .map_err(|_| Failure::other("the load thread panicked"))?
            .map_err(|e| Failure::other(format!("load connection failed: {}", Chain(&e))))?;
        hist.merge(&h);
    }
    let elapsed = start.elapsed();
    ticker.abort();
    bar.finish_and_clear();

    let gets = totals.gets.load(Ordering::Relaxed);
    let puts = totals.puts.load(Ordering::Relaxed);
    let errors = totals.errors.load(Ordering::Relaxed);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    print_line(format_args!(
        "ops: {} in {:.2} s = {:.0} ops/s (gets {gets}, puts {puts}, errors {errors})",
        hist.count(),
        elapsed.as_secs_f64(),
        (gets + puts) as f64 / elapsed.as_secs_f64()
    ))?;
    print_line(format_args!(
        "latency: p50 {:.3} ms  p99 {:.3} ms  p999 {:.3} ms  max {:.3} ms",
        ms(hist.quantile(0.50)),
        ms(hist.quantile(0.99)),
        ms(hist.quantile(0.999)),
        ms(Duration::from_nanos(hist.max))
    ))?;
    for c in &clients {
        c.close().await;
    }
    if let Some((handle, service)) = local {
        handle.shutdown().await;
        service.db().close().await;
    }
    if errors > 0 {
        return Err(Failure::other(format!("{errors} calls failed")));
    }
    Ok(())
}

/// Stores every key once, pipelined over all connections.
async fn populate(clients: &[StorageClient], args: &BenchArgs) -> Result<(), Failure> {
    let value = vec![0xA5u8; args.size];
    let mut tasks = tokio::task::JoinSet::new();
    let lanes = (clients.len() * 16).min(args.keys);
    for lane in 0..lanes {
        let client = clients[lane % clients.len()].clone();
        let (value, keys) = (value.clone(), args.keys);
        tasks.spawn(async move {
            for i in (lane..keys).step_by(lanes) {
                client.put_bytes(&key(i), &value).await?;
            }
            Ok::<(), super::client::Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.map_err(|e| Failure::other(Chain(&e)))?
            .map_err(|e| Failure::other(format!("populating the keys failed: {}", Chain(&e))))?;
    }
    Ok(())
}

/// Prints one line of the report; a closed stdout ends the command
/// quietly ([`Failure::ClosedStdout`]).
fn print_line(line: std::fmt::Arguments<'_>) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(Failure::stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in (0..1_000_000u64).step_by(7).chain([u64::MAX / 2]) {
            let b = Histogram::bucket(v);
            assert!(b >= last);
            last = b;
            let low = Histogram::lower_bound(b);
            assert!(low <= v, "{v} in bucket {b} starting at {low}");
            assert!(v - low <= v / 16 + 1, "{v} too far from {low}");
        }
    }

    /// A RESP SET and GET as redis-cli would send them.
    #[test]
    fn resp_requests() {
        let mut out = Vec::new();
        push_request(Wire::Resp, &mut out, 42, false, b"xyz", 7);
        push_request(Wire::Resp, &mut out, 9_999_999, true, b"", 8);
        let want: &[u8] = b"*3\r\n$3\r\nSET\r\n$13\r\nbench/0000042\r\n$3\r\nxyz\r\n\
                            *2\r\n$3\r\nGET\r\n$13\r\nbench/9999999\r\n";
        assert_eq!(out, want);
    }

    /// Replies of both protocols: whole ones read with their length, slot
    /// and outcome; every strict prefix reads as "not yet".
    #[test]
    fn replies() {
        let store_ok = [0x02, 0, 4, 5, 1, b'k', 0];
        let fetch_ok = [0x04, 0, 8, 6, 0, 1, b'k', 0, 2, b'a', b'b'];
        let fetch_short = [0x04, 0, 7, 6, 0, 1, b'k', 0, 1, b'a'];
        // protocol, bytes, value size, slot, success
        type Case<'a> = (Wire, &'a [u8], usize, Option<usize>, bool);
        let cases: [Case<'_>; 9] = [
            (Wire::Storage, &store_ok, 2, Some(5), true),
            (Wire::Storage, &fetch_ok, 2, Some(6), true),
            (Wire::Storage, &fetch_short, 2, Some(6), false),
            (Wire::Resp, b"+OK\r\n", 2, None, true),
            (Wire::Resp, b"$2\r\nab\r\n", 2, None, true),
            (Wire::Resp, b"$2\r\nab\r\n", 3, None, false),
            (Wire::Resp, b"$-1\r\n", 2, None, false),
            (Wire::Resp, b"-ERR no\r\n", 2, None, false),
            (Wire::Resp, b"$0\r\n\r\n", 0, None, true),
        ];
        for (wire, bytes, size, slot, ok) in cases {
            let mut more = bytes.to_vec();
            more.extend_from_slice(b"+OK\r\n");
            let want = Reply {
                len: bytes.len(),
                slot,
                ok,
            };
            assert_eq!(
                parse_reply(wire, &more, size).unwrap(),
                Some(want),
                "{bytes:?}"
            );
            for cut in 0..bytes.len() {
                assert_eq!(
                    parse_reply(wire, &bytes[..cut], size).unwrap(),
                    None,
                    "{cut}"
                );
            }
        }
        assert!(parse_reply(Wire::Resp, b":1\r\n", 0).is_err());
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::default();
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        let p50 = h.quantile(0.5).as_micros() as i64;
        assert!((p50 - 500).abs() <= 20, "{p50}");
        let p999 = h.quantile(0.999).as_micros() as i64;
        assert!((p999 - 999).abs() <= 40, "{p999}");
    }
}
