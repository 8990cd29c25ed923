//! `mqtt-broker --listen ADDR`: an MQTT 3.1.1 and 5.0 broker built on
//! the codec's derived packets (see `codec_examples::mqtt`).

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use codec_examples::mqtt::broker::{Broker, Config};

/// An MQTT 3.1.1 and 5.0 broker.
#[derive(Debug, Parser)]
#[command(name = "mqtt-broker", version)]
struct Args {
    /// Address to listen on (`:0` picks a free port, printed on stdout).
    #[arg(long, default_value = "127.0.0.1:1883")]
    listen: String,
    /// The largest packet accepted, in bytes (advertised to 5.0 clients).
    #[arg(long, default_value_t = 1 << 20)]
    max_packet_size: u32,
    /// Unreleased QoS 2 publications a client may have (5.0 receive maximum).
    #[arg(long, default_value_t = 100)]
    receive_maximum: u16,
    /// The in-flight window toward 3.1.1 clients.
    #[arg(long, default_value_t = 20)]
    max_inflight: u16,
    /// Seconds between `$SYS/broker/...` counter updates (0: none).
    #[arg(long, default_value_t = 10)]
    sys_interval: u64,
    /// Threads serving connections (0: one per core). One thread, like
    /// mosquitto's, spares the hand-offs between threads that each
    /// message otherwise costs.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Send topic aliases to 5.0 clients whose CONNECT accepts them. Off
    /// by default, as in mosquitto: mosquitto_sub 2.0.11 and paho-mqtt
    /// 2.2.0 advertise a maximum when told to but cannot read them.
    #[arg(long)]
    outgoing_aliases: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let rt = match args.threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        0 => tokio::runtime::Runtime::new(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build(),
    };
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("mqtt-broker: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        let listener = match tokio::net::TcpListener::bind(&args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("mqtt-broker: cannot listen on {}: {e}", args.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("mqtt-broker: {e}");
                return ExitCode::FAILURE;
            }
        };
        let config = Config {
            max_packet: args.max_packet_size,
            receive_max: args.receive_maximum.max(1),
            window_311: args.max_inflight.max(1),
            aliases_out: args.outgoing_aliases,
            sys_interval: (args.sys_interval > 0).then(|| Duration::from_secs(args.sys_interval)),
            ..Config::default()
        };
        let broker = Broker::new(config);
        println!("listening on {addr}");
        tracing::info!(%addr, "listening");
        let serve = tokio::spawn(std::sync::Arc::clone(&broker).serve(listener));
        shutdown().await;
        serve.abort();
        let counters: Vec<String> = broker
            .counters()
            .snapshot()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        tracing::info!(counters = %counters.join(" "), "counters at shutdown");
        ExitCode::SUCCESS
    })
}

/// Waits for SIGINT or SIGTERM.
async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
