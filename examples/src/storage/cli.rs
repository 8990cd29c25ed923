//! The `storage` command line: `serve`, `put`, `get`, `del`, `ls`,
//! `watch`, `stats`, `explain`, `bench`, `demo` and `completions`.
//!
//! Exit statuses are in [`status`]: 0 on success, 1 when the command
//! failed, 2 when the key does not exist, 64 for a usage error, 141 when
//! standard output was closed; every failure but the last prints one line
//! on stderr.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use codec::rpc::{CallError, Chain, Server, ServerConfig};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::bench::{self, BenchArgs};
use super::client::{self, Forward, Options, StorageClient};
use super::metrics;
use super::protocol::Storage;
use super::server::Service;

/// The exit statuses of `storage`, as a shell script sees them.
///
/// Usage errors take 64, `EX_USAGE` of BSD's `sysexits.h`, rather than
/// clap's default 2, which here means "no such key". A closed standard
/// output (`storage ls | head -1`) ends the command quietly with 141, the
/// status a shell reports for a command killed by `SIGPIPE` (128 + 13), as
/// `cat` or `ls` are: a script with `set -o pipefail` sees that the
/// output was cut short, which `git`'s choice (0) would hide.
pub mod status {
    /// The command did what was asked.
    pub const OK: u8 = 0;
    /// The command failed: the request, the connection, the input.
    pub const FAILED: u8 = 1;
    /// The key does not exist (`get`, `del`).
    pub const NO_SUCH_KEY: u8 = 2;
    /// The command line is wrong (`EX_USAGE`).
    pub const USAGE: u8 = 64;
    /// Standard output was closed before everything was written.
    pub const CLOSED_STDOUT: u8 = 141;
}

/// What `storage --help` adds after the options.
const AFTER_HELP: &str = "\
Exit status:
  0    success
  1    the command failed (request refused, connection lost, bad input,
       a frame `explain` cannot decode)
  2    no such key (get, del)
  64   usage error (unknown command or option, missing argument)
  141  standard output was closed (e.g. `storage ls | head -1`); nothing
       is printed on stderr

Environment:
  STORAGE_SERVER  the server's address when --server is not given
  STORAGE_TOKEN   the token itself, when --token-file is not given (clients)
  RUST_LOG        what `serve` logs on stderr (default: info)

Connection options (--server, --token-file, --timeout) go before or after
the command.

Examples:
  storage serve --db ./storage.redb
  storage put notes.txt ./notes.txt
  echo hello | storage --server 10.0.0.5:7070 put greeting
  storage get greeting -o greeting.txt
  storage ls logs/ | head -1
  storage watch greeting notes.txt
  storage stats
  storage serve --memory --metrics 127.0.0.1:9100
  storage explain 01 00 0c 07 03 6b 65 79 00 05 68 65 6c 6c 6f
  storage completions bash > /etc/bash_completion.d/storage";

/// The storage service: a persistent key/value server and its client.
#[derive(Debug, Parser)]
#[command(name = "storage", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    /// Server options, accepted before or after the command.
    #[command(flatten)]
    pub conn: ConnArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the server is and how to get in: global options, accepted before
/// or after the command.
#[derive(Debug, Clone, Args)]
pub struct ConnArgs {
    /// The server's address.
    #[arg(
        long,
        global = true,
        value_name = "ADDR",
        env = "STORAGE_SERVER",
        default_value = "127.0.0.1:7070"
    )]
    pub server: String,
    /// A file holding the server's token (default: $STORAGE_TOKEN, if
    /// set). For `serve`: the token every client must present.
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Seconds to wait for each reply.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 60.0)]
    pub timeout: f64,
}

/// `serve`'s options.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7070")]
    pub listen: String,
    /// The database file (created if missing).
    #[arg(long, value_name = "PATH", default_value = "./storage.redb")]
    pub db: PathBuf,
    /// Keep the data in memory instead (lost on exit).
    #[arg(long, conflicts_with = "db")]
    pub memory: bool,
    /// Require every client to present the token in this file.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Close a connection that sends nothing for this long; 0: never.
    /// Connections watching keys are exempt.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub idle_timeout: u64,
    /// Threads serving connections (default: half the cores, at least
    /// one; the database has threads of its own). On a small machine one
    /// thread is fastest: requests and replies then never wake another
    /// thread.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Serve the counters in the Prometheus text format at
    /// http://ADDR/metrics (port 0: any free port; the address is printed
    /// as `metrics on ADDR`, before `listening on`).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the protocol over TCP until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Store a file (or standard input) under NAME.
    Put {
        /// The key.
        name: String,
        /// The file to store; `-` or nothing for standard input.
        file: Option<PathBuf>,
    },
    /// Write the value of NAME to standard output or a file.
    Get {
        /// The key.
        name: String,
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Delete NAME.
    Del {
        /// The key.
        name: String,
    },
    /// List keys (starting with PREFIX) and their sizes.
    Ls {
        /// Only keys starting with this.
        prefix: Option<String>,
    },
    /// Print each change of the NAMEs until interrupted.
    Watch {
        /// The keys to watch.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Print the server's counters: connections, requests and errors by
    /// message, bytes, commits, fsyncs, read-cache hit rate, keys, sizes.
    Stats,
    /// Annotated dump of a frame given in hex (spaces allowed), or `-` to
    /// read the hex from standard input.
    Explain {
        /// Hex digits (several arguments are joined), or `-`.
        #[arg(required = true, value_name = "HEX|-")]
        hex: Vec<String>,
    },
    /// Load generator: ops/s and latency percentiles.
    Bench(BenchArgs),
    /// Compact a database file (with no server running on it): replays
    /// its log, then moves every page to the front and cuts the file;
    /// prints the size before and after. (Opening a database compacts it
    /// on its own when more than half the file is free.)
    Compact {
        /// The database file.
        file: PathBuf,
    },
    /// Run a server and a scripted client conversation in one process.
    Demo,
    /// Print a completion script for SHELL (bash, zsh, fish, elvish,
    /// powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print a Wireshark dissector (Lua) for the protocol, generated from
    /// its layouts: `storage dissector > storage.lua`, then
    /// `tshark -X lua_script:storage.lua -r capture.pcap`.
    Dissector {
        /// TCP ports to register it for (a heuristic finds the protocol on
        /// other ports too).
        #[arg(long = "port", value_name = "PORT", default_value = "7070")]
        ports: Vec<u16>,
    },
}

/// How a command failed: the exit status and the one-line message.
#[derive(Debug)]
pub enum Failure {
    /// The key does not exist (exit status 2).
    Missing(String),
    /// The command line is wrong (exit status 64).
    Usage(String),
    /// Standard output was closed: no message, exit status 141.
    ClosedStdout,
    /// Anything else (exit status 1).
    Other(String),
}

impl Failure {
    /// A failure with exit status 1.
    pub fn other(msg: impl std::fmt::Display) -> Self {
        Failure::Other(msg.to_string())
    }

    /// A failure writing standard output: [`Failure::ClosedStdout`] when
    /// the reader went away, else exit status 1.
    pub fn stdout(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::ClosedStdout
        } else {
            Failure::other(format!("cannot write the output: {}", Chain(&e)))
        }
    }

    /// The exit status (see [`status`]).
    pub fn status(&self) -> u8 {
        match self {
            Failure::Missing(_) => status::NO_SUCH_KEY,
            Failure::Usage(_) => status::USAGE,
            Failure::ClosedStdout => status::CLOSED_STDOUT,
            Failure::Other(_) => status::FAILED,
        }
    }

    /// The line for stderr, if any.
    pub fn message(&self) -> Option<&str> {
        match self {
            Failure::Missing(m) | Failure::Usage(m) | Failure::Other(m) => Some(m),
            Failure::ClosedStdout => None,
        }
    }
}

impl From<client::Error> for Failure {
    fn from(e: client::Error) -> Self {
        match e {
            client::Error::NotFound(name) => Failure::Missing(format!("no such key: {name:?}")),
            client::Error::Call(CallError::ConnectionClosed) => Failure::other(
                "the server closed the connection (if it requires a token, \
                 pass --token-file FILE or set STORAGE_TOKEN)",
            ),
            client::Error::Call(CallError::Handshake(why)) => {
                Failure::other(format!("access refused: {why}"))
            }
            client::Error::Call(CallError::Timeout(d)) => {
                Failure::other(format!("no reply from the server within {d:?}"))
            }
            e => Failure::other(Chain(&e)),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::other(Chain(&e))
    }
}

/// Parses the command line, runs the command, and returns the exit
/// status (printing the failure, if any, on stderr).
pub fn main() -> ExitCode {
    tune_allocator();
    // Usage errors exit 64 (clap's own 2 means "no such key" here).
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let (mut cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(status::USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    cli.lift_global_options(&matches);
    init_tracing(matches!(cli.command, Command::Serve(_)));
    let threads = match &cli.command {
        Command::Serve(args) => {
            let half = std::thread::available_parallelism().map_or(1, |n| n.get() / 2);
            args.threads.unwrap_or(half).max(1)
        }
        _ => 0,
    };
    let mut builder = match threads {
        // All on the thread that runs `serve`: no worker to wake.
        1 => tokio::runtime::Builder::new_current_thread(),
        0 => tokio::runtime::Builder::new_multi_thread(),
        n => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(n);
            b
        }
    };
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("storage: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(run(&cli.conn, cli.command));
    // A blocked read of stdin must not keep the process alive.
    rt.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::from(status::OK),
        Err(failure) => {
            if let Some(msg) = failure.message() {
                eprintln!("storage: {msg}");
            }
            ExitCode::from(failure.status())
        }
    }
}

impl Cli {
    /// `serve` and `bench` have `--token-file` (and `bench` `--server`)
    /// of their own, so the global options do not reach them: given before
    /// the command, they are moved into it here. Only values typed on the
    /// command line move (`bench` without `--server` runs its own server
    /// even when `STORAGE_SERVER` is set).
    fn lift_global_options(&mut self, matches: &ArgMatches) {
        let typed = |id| matches.value_source(id) == Some(ValueSource::CommandLine);
        let token_file = self.conn.token_file.clone().filter(|_| typed("token_file"));
        match &mut self.command {
            Command::Serve(args) if args.token_file.is_none() => args.token_file = token_file,
            Command::Bench(args) => {
                if args.token_file.is_none() {
                    args.token_file = token_file;
                }
                // clap hands the global `--server`'s default (or
                // `STORAGE_SERVER`) down to `bench`'s own: only a typed
                // one counts.
                let bench_typed = matches
                    .subcommand_matches("bench")
                    .and_then(|m| m.value_source("server"))
                    == Some(ValueSource::CommandLine);
                if !bench_typed {
                    args.server = typed("server").then(|| self.conn.server.clone());
                }
            }
            _ => {}
        }
    }
}

/// Chunk buffers (60 KiB) are allocated on one thread and freed on
/// another; glibc would keep them in per-thread arenas, and a large
/// transfer would leave tens of MiB resident. Served from `mmap` instead,
/// they go back to the system when freed.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets an allocator parameter; it is called
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 * 1024);
    }
}

/// Logs go to stderr; `RUST_LOG` chooses what is shown (default: `info`
/// for `serve`, nothing but the one-line error for the client commands).
fn init_tracing(serving: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if serving { "info" } else { "off" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Runs one command; `conn` says where the server is, for the client
/// commands.
///
/// # Errors
///
/// What went wrong, with the exit status it calls for.
pub async fn run(conn: &ConnArgs, command: Command) -> Result<(), Failure> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Put { name, file } => put(conn, &name, file.as_deref()).await,
        Command::Get { name, output } => get(conn, &name, output.as_deref()).await,
        Command::Del { name } => {
            let client = connect(conn).await?;
            client.delete(&name).await?;
            client.close().await;
            Ok(())
        }
        Command::Ls { prefix } => ls(conn, prefix.as_deref().unwrap_or("")).await,
        Command::Watch { names } => watch(conn, &names).await,
        Command::Stats => {
            let client = connect(conn).await?;
            let stats = client.stats().await?;
            client.close().await;
            let mut out = std::io::stdout().lock();
            out.write_all(super::stats::render_text(&stats).as_bytes())
                .and_then(|()| out.flush())
                .map_err(Failure::stdout)
        }
        Command::Explain { hex } => explain(&hex).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Compact { file } => {
            let c = super::db::Db::compact(&file)
                .await
                .map_err(|e| Failure::other(format!("cannot compact {}: {e}", file.display())))?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "compacted {}: {} -> {} bytes\nbefore: {}\nafter:  {}",
                file.display(),
                c.before,
                c.after,
                c.use_before,
                c.use_after
            )
            .and_then(|()| out.flush())
            .map_err(Failure::stdout)
        }
        Command::Demo => super::demo::run().await,
        Command::Completions { shell } => completions(shell),
        Command::Dissector { ports } => {
            let mut out = std::io::stdout().lock();
            out.write_all(dissector_lua(&ports).as_bytes())
                .and_then(|()| out.flush())
                .map_err(Failure::stdout)
        }
    }
}

/// The storage protocol's Wireshark dissector, registered for `ports` and
/// found by a TCP heuristic elsewhere (`storage dissector`).
pub fn dissector_lua(ports: &[u16]) -> String {
    let d = codec::wireshark::Dissector::new("storage", "Storage service");
    let d = ports.iter().fold(d, |d, &p| d.port(p));
    d.lua::<super::protocol::Storage>()
}

/// Writes the completion script for `shell` to standard output.
fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    // Generated into memory: a closed stdout is then ours to report.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "storage", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script).map_err(Failure::stdout)?;
    out.flush().map_err(Failure::stdout)
}

/// Reads a token file: its contents without the trailing newline.
///
/// # Errors
///
/// The file cannot be read, or the token is empty or over 255 bytes.
pub fn read_token(path: &Path) -> Result<Vec<u8>, Failure> {
    let raw = std::fs::read(path).map_err(|e| {
        Failure::other(format!(
            "cannot read token file {}: {}",
            path.display(),
            Chain(&e)
        ))
    })?;
    check_token(trim_newline(raw), &format!("token file {}", path.display()))
}

fn trim_newline(mut raw: Vec<u8>) -> Vec<u8> {
    while raw.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        raw.pop();
    }
    raw
}

fn check_token(token: Vec<u8>, source: &str) -> Result<Vec<u8>, Failure> {
    if token.is_empty() {
        return Err(Failure::other(format!("{source}: the token is empty")));
    }
    if token.len() > usize::from(u8::MAX) {
        return Err(Failure::other(format!(
            "{source}: the token is over 255 bytes"
        )));
    }
    Ok(token)
}

/// The client's token: `--token-file`, else `$STORAGE_TOKEN`, else none.
///
/// # Errors
///
/// The file cannot be read or the token is invalid.
pub fn client_token(token_file: Option<&Path>) -> Result<Option<Vec<u8>>, Failure> {
    if let Some(path) = token_file {
        return read_token(path).map(Some);
    }
    match std::env::var_os("STORAGE_TOKEN") {
        Some(t) if !t.is_empty() => {
            let bytes = t.into_encoded_bytes();
            check_token(bytes, "STORAGE_TOKEN").map(Some)
        }
        _ => Ok(None),
    }
}

async fn connect(conn: &ConnArgs) -> Result<StorageClient, Failure> {
    let token = client_token(conn.token_file.as_deref())?;
    let timeout = (conn.timeout > 0.0).then(|| Duration::from_secs_f64(conn.timeout));
    let opts = Options {
        token,
        timeout,
        ..Options::default()
    };
    StorageClient::connect(conn.server.as_str(), opts)
        .await
        .map_err(|e| match e {
            client::Error::Call(CallError::Io(e)) => {
                Failure::other(format!("cannot connect to {}: {}", conn.server, Chain(&e)))
            }
            e => e.into(),
        })
}

/// A byte progress bar on stderr (hidden when stderr is not a terminal).
pub fn byte_bar(what: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

fn follow(bar: &ProgressBar) -> impl FnMut(u64, u64) + Send + '_ {
    move |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    }
}

async fn put(conn: &ConnArgs, name: &str, file: Option<&Path>) -> Result<(), Failure> {
    let client = connect(conn).await?;
    let bar = byte_bar(&format!("put {name}"));
    match file {
        Some(path) if path != Path::new("-") => {
            let f = tokio::fs::File::open(path).await.map_err(|e| {
                Failure::other(format!("cannot open {}: {}", path.display(), Chain(&e)))
            })?;
            let size = f.metadata().await?.len();
            client.put_reader(name, f, size, follow(&bar)).await?;
        }
        _ => put_stdin(&client, name, &bar).await?,
    }
    bar.finish_and_clear();
    client.close().await;
    Ok(())
}

/// Standard input has no size: a short input is stored in one message; a
/// longer one is spooled to a temporary file first, since a chunked upload
/// announces its size.
async fn put_stdin(client: &StorageClient, name: &str, bar: &ProgressBar) -> Result<(), Failure> {
    let mut stdin = tokio::io::stdin();
    let limit = client::inline_limit(name);
    let mut head = Vec::with_capacity(limit + 1);
    (&mut stdin)
        .take(limit as u64 + 1)
        .read_to_end(&mut head)
        .await?;
    if head.len() <= limit {
        client.store(name, head).await?;
        return Ok(());
    }
    let spool = tempfile::tempfile()?;
    let mut spool = tokio::fs::File::from_std(spool);
    spool.write_all(&head).await?;
    drop(head);
    tokio::io::copy(&mut stdin, &mut spool).await?;
    spool.flush().await?;
    let size = spool.metadata().await?.len();
    spool.rewind().await?;
    client.put_reader(name, spool, size, follow(bar)).await?;
    Ok(())
}

async fn get(conn: &ConnArgs, name: &str, output: Option<&Path>) -> Result<(), Failure> {
    let client = connect(conn).await?;
    let bar = byte_bar(&format!("get {name}"));
    match output {
        Some(path) if path != Path::new("-") => {
            client.get_file(name, path, follow(&bar)).await?;
        }
        _ => {
            let mut out = Forward(tokio::io::stdout());
            match client.get_to(name, &mut out, follow(&bar)).await {
                Err(client::Error::Io(e)) => return Err(Failure::stdout(e)),
                done => done?,
            };
            out.0.flush().await.map_err(Failure::stdout)?;
        }
    }
    bar.finish_and_clear();
    client.close().await;
    Ok(())
}

async fn ls(conn: &ConnArgs, prefix: &str) -> Result<(), Failure> {
    let client = connect(conn).await?;
    let mut after = String::new();
    let mut out = std::io::stdout().lock();
    loop {
        let (page, more) = client.list_page(prefix, &after, u16::MAX).await?;
        for e in &page {
            writeln!(out, "{}\t{}", e.name, e.size).map_err(Failure::stdout)?;
        }
        match page.last() {
            Some(last) if more => after.clone_from(&last.name),
            _ => break,
        }
    }
    out.flush().map_err(Failure::stdout)?;
    drop(out);
    client.close().await;
    Ok(())
}

async fn watch(conn: &ConnArgs, names: &[String]) -> Result<(), Failure> {
    let client = connect(conn).await?;
    let mut changes = client
        .changes()
        .ok_or_else(|| Failure::other("the notification stream was already taken"))?;
    for name in names {
        client.watch(name).await?;
    }
    let mut signals = Signals::install()?;
    eprintln!("watching {}", names.join(", "));
    loop {
        tokio::select! {
            () = signals.recv() => break,
            change = changes.next() => match change {
                Some(c) => {
                    let mut out = std::io::stdout().lock();
                    let line = match c.kind {
                        super::protocol::ChangeKind::Stored => {
                            format!("stored {} version={} size={}\n", c.name, c.version, c.size)
                        }
                        super::protocol::ChangeKind::Deleted => {
                            format!("deleted {} version={}\n", c.name, c.version)
                        }
                    };
                    out.write_all(line.as_bytes())
                        .and_then(|()| out.flush())
                        .map_err(Failure::stdout)?;
                }
                None => return Err(Failure::other("the connection to the server ended")),
            }
        }
    }
    client.close().await;
    Ok(())
}

/// Parses hex digits, ignoring whitespace, `:`/`,` separators and `0x`
/// prefixes.
///
/// # Errors
///
/// A character that is not a hex digit, or an odd number of digits.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let mut digits = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c == ',' || c == ':') {
        let word = word
            .strip_prefix("0x")
            .or_else(|| word.strip_prefix("0X"))
            .unwrap_or(word);
        for c in word.chars() {
            let d = c
                .to_digit(16)
                .ok_or_else(|| format!("not a hex digit: {c:?}"))?;
            digits.push(d as u8);
        }
    }
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    Ok(digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect())
}

async fn explain(hex: &[String]) -> Result<(), Failure> {
    let text = if hex.len() == 1 && hex[0] == "-" {
        let mut s = String::new();
        tokio::io::stdin().read_to_string(&mut s).await?;
        s
    } else {
        hex.join(" ")
    };
    let bytes = parse_hex(&text).map_err(|e| Failure::other(format!("bad hex: {e}")))?;
    if bytes.is_empty() {
        return Err(Failure::other("bad hex: no bytes given"));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(codec::explain::<Storage>(&bytes).as_bytes())
        .and_then(|()| out.flush())
        .map_err(Failure::stdout)?;
    check_frame(&bytes).map_err(Failure::Other)
}

/// Whether `bytes` is exactly one valid storage frame: the dump above
/// shows where it goes wrong; this says so in one line, for the exit
/// status.
///
/// # Errors
///
/// The frame is incomplete (with the bytes still needed), does not decode,
/// or is followed by more bytes.
pub fn check_frame(bytes: &[u8]) -> Result<(), String> {
    let mut r = codec::Reader::new(bytes);
    match codec::frame::decode_frame::<Storage>(&mut r) {
        Ok(_) if r.remaining() > 0 => Err(format!(
            "{} bytes after the end of the frame",
            r.remaining()
        )),
        Ok(_) => Ok(()),
        Err(e) => match e.bytes_needed() {
            Some(n) => Err(format!(
                "incomplete frame: {n} more bytes needed ({})",
                Chain(&e)
            )),
            None => Err(format!("invalid frame: {}", Chain(&e))),
        },
    }
}

/// SIGINT and SIGTERM, caught from the moment this is created (so a
/// signal sent right after `listening on` is printed is not missed).
#[derive(Debug)]
pub struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers.
    ///
    /// # Errors
    ///
    /// The handlers cannot be installed.
    pub fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    /// Completes at the next SIGINT or SIGTERM.
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => {}
                _ = self.term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), Failure> {
    let token = args.token_file.as_deref().map(read_token).transpose()?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(args.listen.as_str())
        .await
        .map_err(|e| Failure::other(format!("cannot resolve {}: {}", args.listen, Chain(&e))))?
        .collect();
    let Some(addr) = addrs.first().copied() else {
        return Err(Failure::other(format!(
            "{} resolves to no address",
            args.listen
        )));
    };
    if token.is_none() && !addr.ip().is_loopback() {
        return Err(Failure::other(format!(
            "refusing to listen on {addr} without a token: anyone who can reach it could \
             read and overwrite every value; pass --token-file FILE, or listen on 127.0.0.1"
        )));
    }
    let path = (!args.memory).then(|| args.db.clone());
    let opened = tokio::task::spawn_blocking(move || Service::open(path.as_deref(), token))
        .await
        .map_err(|e| Failure::other(Chain(&e)))?;
    let service = opened.map_err(|e| {
        let what = if args.memory {
            "the in-memory database".to_string()
        } else {
            args.db.display().to_string()
        };
        Failure::other(format!("cannot open {what}: {}", Chain(&e)))
    })?;
    let idle = (args.idle_timeout > 0).then(|| Duration::from_secs(args.idle_timeout));
    let config = ServerConfig::default()
        .with_shutdown_grace(Duration::from_secs(5))
        .with_idle_timeout(idle);
    let server = Server::<Storage>::bind_with(addr, config)
        .await
        .map_err(|e| Failure::other(format!("cannot listen on {addr}: {}", Chain(&e))))?;
    let server = match service.handshake() {
        Some(hs) => server.with_handshake(hs),
        None => server,
    };
    let metrics_listener = match &args.metrics {
        Some(at) => {
            let l = tokio::net::TcpListener::bind(at.as_str())
                .await
                .map_err(|e| Failure::other(format!("cannot listen on {at}: {}", Chain(&e))))?;
            Some(l)
        }
        None => None,
    };
    let mut signals = Signals::install()?;
    let local = server.local_addr()?;
    let handle = Arc::new(server.serve(service.handler()));
    let metrics = match metrics_listener {
        Some(l) => {
            let at = l.local_addr()?;
            let counters = Arc::downgrade(&handle);
            let counters: metrics::ServerCounters =
                Arc::new(move || counters.upgrade().map(|h| h.counters()).unwrap_or_default());
            Some((at, metrics::spawn(l, Arc::clone(&service), counters)))
        }
        None => None,
    };
    {
        let mut out = std::io::stdout().lock();
        // `listening on` last: once it is printed, everything listens.
        match &metrics {
            Some((at, _)) => writeln!(out, "metrics on {at}"),
            None => Ok(()),
        }
        .and_then(|()| writeln!(out, "listening on {local}"))
        .and_then(|()| out.flush())
        .map_err(Failure::stdout)?;
    }
    tracing::info!(
        addr = %local,
        db = %if args.memory { "memory".into() } else { args.db.display().to_string() },
        token = service.handshake().is_some(),
        "serving"
    );
    signals.recv().await;
    tracing::info!("signal received: finishing requests in flight");
    let stop = async {
        handle.shutdown().await;
        service.db().close().await;
    };
    tokio::select! {
        () = stop => {}
        () = signals.recv() => {
            return Err(Failure::other("second signal: stopped without finishing"));
        }
    }
    if let Some((_, task)) = metrics {
        task.abort();
    }
    match service.stats(&handle.counters()).await {
        Ok(stats) => super::stats::log_summary(&stats),
        Err(e) => tracing::warn!(error = %e, "cannot measure the database for the summary"),
    }
    drop(handle);
    drop(service);
    tracing::info!("database closed; bye");
    Ok(())
}
