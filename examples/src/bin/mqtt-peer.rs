//! `mqtt-peer`: an MQTT client whose flags are mosquitto_pub's and
//! mosquitto_sub's, built on `codec_examples::mqtt::client`.
//!
//! ```text
//! mqtt-peer pub -h HOST -p PORT -t TOPIC (-m MESSAGE | -n | -f FILE) [-q QOS] [-r] [-V 5|311] [-i ID]
//! mqtt-peer sub -h HOST -p PORT -t FILTER [-t FILTER...] [-q QOS] [-C COUNT] [-v] [-W SECONDS] [-V 5|311] [-i ID] [-c] [-k SECONDS]
//! mqtt-peer bench -h HOST -p PORT [--pubs N] [--subs M] [-q QOS] [--size BYTES] [--count N] [--warmup N] [-V 5|311]
//! ```
//!
//! Output and exit statuses follow mosquitto's tools: `sub` prints each
//! payload on a line (`-v`: `TOPIC PAYLOAD`); 0 on success, 1 on any
//! error (usage, connection, refusal), 27 when `-W` runs out.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use codec_examples::mqtt::client::{Client, ClientError, Options};

/// mosquitto's MOSQ_ERR_TIMEOUT, mosquitto_sub's status when `-W` expires.
const EXIT_TIMEOUT: u8 = 27;

/// An MQTT 3.1.1 / 5.0 client with mosquitto_pub's and mosquitto_sub's flags.
#[derive(Debug, Parser)]
#[command(name = "mqtt-peer", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Publish one message (mosquitto_pub).
    #[command(disable_help_flag = true)]
    Pub(PubArgs),
    /// Subscribe and print messages (mosquitto_sub).
    #[command(disable_help_flag = true)]
    Sub(SubArgs),
    /// Load a broker: publishers → subscribers, messages/s and latency.
    #[command(disable_help_flag = true)]
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
struct BenchArgs {
    #[command(flatten)]
    common: Common,
    /// Publishers.
    #[arg(long, default_value_t = 1)]
    pubs: usize,
    /// Subscribers.
    #[arg(long, default_value_t = 1)]
    subs: usize,
    /// Payload bytes (at least 8).
    #[arg(long, default_value_t = 32)]
    size: usize,
    /// Messages per publisher.
    #[arg(long, default_value_t = 10_000)]
    count: usize,
    /// Warm-up messages per publisher, sent first and not counted.
    #[arg(long, default_value_t = 100)]
    warmup: usize,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

/// Options both commands share.
#[derive(Debug, Args)]
struct Common {
    /// Broker host.
    #[arg(short = 'h', long = "host", default_value = "localhost")]
    host: String,
    /// Broker port.
    #[arg(short = 'p', long = "port", default_value_t = 1883)]
    port: u16,
    /// Protocol version: 5 (or mqttv5), 311 (or mqttv311).
    #[arg(short = 'V', long = "protocol-version", default_value = "311", value_parser = version)]
    version: u8,
    /// Client identifier (default: mosq-style random).
    #[arg(short = 'i', long = "id")]
    id: Option<String>,
    /// Keepalive in seconds.
    #[arg(short = 'k', long = "keepalive", default_value_t = 60)]
    keepalive: u16,
    /// QoS.
    #[arg(short = 'q', long = "qos", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=2))]
    qos: u8,
    /// Print help.
    #[arg(long = "help", action = clap::ArgAction::Help)]
    help: Option<bool>,
}

#[derive(Debug, Args)]
struct PubArgs {
    #[command(flatten)]
    common: Common,
    /// Topic to publish to.
    #[arg(short = 't', long = "topic")]
    topic: String,
    /// The message.
    #[arg(short = 'm', long = "message", conflicts_with_all = ["null", "file"])]
    message: Option<String>,
    /// Send an empty message.
    #[arg(short = 'n', long = "null-message")]
    null: bool,
    /// Send a file's contents.
    #[arg(short = 'f', long = "file")]
    file: Option<std::path::PathBuf>,
    /// Retain the message.
    #[arg(short = 'r', long = "retain")]
    retain: bool,
}

#[derive(Debug, Args)]
struct SubArgs {
    #[command(flatten)]
    common: Common,
    /// Topic filters (repeatable).
    #[arg(short = 't', long = "topic", required = true)]
    topics: Vec<String>,
    /// Exit after this many messages.
    #[arg(short = 'C', long = "count")]
    count: Option<u64>,
    /// Print the topic before the payload.
    #[arg(short = 'v', long = "verbose")]
    verbose: bool,
    /// Exit with status 27 after this many seconds.
    #[arg(short = 'W', long = "timeout")]
    timeout: Option<u64>,
    /// Keep the session (no clean session / clean start).
    #[arg(short = 'c', long = "disable-clean-session")]
    keep_session: bool,
}

fn version(s: &str) -> Result<u8, String> {
    match s {
        "5" | "mqttv5" => Ok(5),
        "311" | "mqttv311" => Ok(4),
        _ => Err(format!("unsupported protocol version {s:?} (5 or 311)")),
    }
}

fn options(c: &Common, tool: &str, clean: bool) -> Options {
    let id = c.id.clone().unwrap_or_else(|| {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("{tool}-{}-{n:x}", std::process::id())
    });
    Options {
        client_id: id,
        v5: c.version == 5,
        keep_alive: c.keepalive,
        clean_start: clean,
        session_expiry: if clean { 0 } else { u32::MAX },
        ..Options::new(&c.host, c.port)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e)
            if e.kind() == clap::error::ErrorKind::DisplayHelp
                || e.kind() == clap::error::ErrorKind::DisplayVersion =>
        {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // mosquitto's tools exit 1 on a usage error.
            let _ = e.print();
            return ExitCode::FAILURE;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Pub(a) => rt.block_on(publish(a)),
        Command::Sub(a) => rt.block_on(subscribe(a)),
        Command::Bench(a) => {
            // Many clients: a multi-threaded runtime of its own.
            let rt = match tokio::runtime::Runtime::new() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("Error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            rt.block_on(bench(a))
        }
    }
}

fn report(e: &ClientError) -> ExitCode {
    match e {
        ClientError::Refused(code) => {
            eprintln!(
                "Connection error: Connection Refused: {}.",
                codec_examples::mqtt::client::refusal(*code)
            );
        }
        ClientError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            eprintln!("Error: Connection refused");
        }
        e => eprintln!("Error: {e}"),
    }
    ExitCode::FAILURE
}

async fn bench(a: BenchArgs) -> ExitCode {
    let cfg = codec_examples::mqtt::bench::BenchConfig {
        host: a.common.host.clone(),
        port: a.common.port,
        pubs: a.pubs.max(1),
        subs: a.subs.max(1),
        qos: a.common.qos,
        size: a.size,
        count: a.count,
        warmup: a.warmup,
        v5: a.common.version == 5,
        timeout: Duration::from_secs(a.timeout),
    };
    match codec_examples::mqtt::bench::run(cfg).await {
        Ok(r) => {
            println!(
                "pubs {} subs {} qos {} size {} {r}",
                a.pubs, a.subs, a.common.qos, a.size
            );
            ExitCode::SUCCESS
        }
        Err(e) => report(&e),
    }
}

async fn publish(a: PubArgs) -> ExitCode {
    let payload = match (&a.message, &a.file) {
        (Some(m), _) => m.clone().into_bytes(),
        (None, Some(f)) => match std::fs::read(f) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("Error: Unable to read file \"{}\": {e}.", f.display());
                return ExitCode::FAILURE;
            }
        },
        (None, None) if a.null => Vec::new(),
        (None, None) => {
            eprintln!("Error: Both topic and message must be supplied.");
            return ExitCode::FAILURE;
        }
    };
    if !codec_examples::mqtt::topic::valid_topic_name(&a.topic) || a.topic.is_empty() {
        eprintln!(
            "Error: Invalid publish topic '{}', does it contain '+' or '#'?",
            a.topic
        );
        return ExitCode::FAILURE;
    }
    let run = async {
        let mut c = Client::connect(options(&a.common, "mqtt-pub", true)).await?;
        c.publish(&a.topic, &payload, a.common.qos, a.retain)
            .await?;
        c.disconnect().await
    };
    match run.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

async fn subscribe(a: SubArgs) -> ExitCode {
    for t in &a.topics {
        if !codec_examples::mqtt::topic::valid_subscription(t, a.common.version == 5) {
            eprintln!(
                "Error: Invalid subscription topic '{t}', are all '+' and '#' wildcards correct?"
            );
            return ExitCode::FAILURE;
        }
    }
    let run = async {
        let mut c = Client::connect(options(&a.common, "mqtt-sub", !a.keep_session)).await?;
        let filters: Vec<(&str, u8)> = a
            .topics
            .iter()
            .map(|t| (t.as_str(), a.common.qos))
            .collect();
        c.subscribe(&filters).await?;
        let mut seen = 0u64;
        let mut out = std::io::stdout().lock();
        while a.count.is_none_or(|n| seen < n) {
            let m = c.recv().await?;
            if a.verbose {
                let _ = out.write_all(m.topic.as_bytes());
                let _ = out.write_all(b" ");
            }
            let _ = out.write_all(&m.payload);
            let _ = out.write_all(b"\n");
            let _ = out.flush();
            seen += 1;
        }
        c.disconnect().await
    };
    let result = match a.timeout {
        Some(s) => match tokio::time::timeout(Duration::from_secs(s), run).await {
            Ok(r) => r,
            Err(_) => {
                eprintln!("Timed out");
                return ExitCode::from(EXIT_TIMEOUT);
            }
        },
        None => run.await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}
