//! `packetstream-peer`: a cs.packetstream server and client for interop
//! with the Python original (see `packetstream-peer --help`).
//!
//! ```text
//! packetstream-peer serve --listen 127.0.0.1:0
//! listening on 127.0.0.1:40123
//! packetstream-peer call --server 127.0.0.1:40123 0 hello world
//! ok=true flags=5 payload=HELLO
//! ok=true flags=5 payload=WORLD
//! ```

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use codec_examples::packetstream::{demo, Config, PacketConnection, PacketServer};

/// A cs.packetstream peer: serve the demo handlers or call a server.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a Wireshark dissector (Lua) for cs.packetstream on the TCP
    /// PORTs, generated from the layouts:
    /// `packetstream-peer dissector --port 9000 > packetstream.lua`.
    Dissector {
        /// TCP ports to register it for (the protocol has no header a
        /// heuristic could recognise).
        #[arg(long = "port", value_name = "PORT", required = true)]
        ports: Vec<u16>,
    },
    /// Serve one packet connection per TCP connection, until killed
    /// (SIGINT/SIGTERM close every connection in order first).
    ///
    /// Handlers (handler rq_type, the wire value minus one): 0 UPPER answers
    /// flags 5 and the payload upper-cased; 1 FAIL gives a failure
    /// response; 2 SLOW waits 0.3 s and echoes the payload.
    Serve {
        /// Address to listen on; port 0 picks one. Prints
        /// `listening on IP:PORT` once bound.
        #[arg(long)]
        listen: String,
        /// Largest packet body accepted.
        #[arg(long, default_value_t = codec::frame::DEFAULT_MAX_FRAME_LEN)]
        max_frame_len: usize,
    },
    /// Send one request per PAYLOAD (all pipelined before any response is
    /// read), print one line per response in request order, then close in
    /// order (ERQ, then EOF). Exit status 0 when every response is ok, 1
    /// otherwise (a failure response, or no clean connection).
    Call {
        /// The server's address.
        #[arg(long)]
        server: String,
        /// User flags sent with every request.
        #[arg(long, default_value_t = 0)]
        flags: u64,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// The handler rq_type (the wire value minus one).
        rq_type: u64,
        /// The request payloads (UTF-8).
        #[arg(required = true)]
        payloads: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Dissector { ports } = &cli.command {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        return match out
            .write_all(codec_examples::packetstream::dissector::lua(ports).as_bytes())
            .and_then(|()| out.flush())
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write the dissector: {e}");
                ExitCode::from(1)
            }
        };
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        match cli.command {
            Command::Serve {
                listen,
                max_frame_len,
            } => serve(&listen, max_frame_len).await,
            Command::Call {
                server,
                flags,
                timeout,
                rq_type,
                payloads,
            } => {
                let limit = Duration::from_secs(timeout);
                match tokio::time::timeout(limit, call(&server, flags, rq_type, &payloads)).await {
                    Ok(code) => code,
                    Err(_) => {
                        eprintln!("error: no answer within {limit:?}");
                        ExitCode::from(1)
                    }
                }
            }
            Command::Dissector { .. } => unreachable!("handled before the runtime starts"),
        }
    })
}

async fn serve(listen: &str, max_frame_len: usize) -> ExitCode {
    let config = Config::default().max_frame_len(max_frame_len);
    let server = match PacketServer::bind(listen, config, demo::handler()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            return ExitCode::from(2);
        }
    };
    match server.local_addr() {
        Ok(addr) => println!("listening on {addr}"),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    let handle = server.serve();
    shutdown_signal().await;
    tracing::info!("closing every connection");
    let summaries = handle.shutdown().await;
    tracing::info!(connections = summaries.len(), "stopped");
    ExitCode::SUCCESS
}

/// SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn call(server: &str, flags: u64, rq_type: u64, payloads: &[String]) -> ExitCode {
    let conn = match PacketConnection::connect(server, Config::default()).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot connect to {server}: {e}");
            return ExitCode::from(1);
        }
    };
    // Every request goes out before any response is read.
    let mut pending = Vec::with_capacity(payloads.len());
    for p in payloads {
        pending.push(conn.submit(rq_type, flags, p.as_bytes()));
    }
    let mut all_ok = true;
    for p in pending {
        let result = match p {
            Ok(p) => p.await,
            Err(e) => Err(e),
        };
        match result {
            Ok(r) => {
                all_ok &= r.ok;
                println!(
                    "ok={} flags={} payload={}",
                    r.ok,
                    r.flags,
                    printable(&r.payload)
                );
            }
            Err(e) => {
                all_ok = false;
                println!("error={e}");
            }
        }
    }
    let summary = conn.close().await;
    if let Some(e) = &summary.error {
        eprintln!("error: connection did not close in order: {e}");
        return ExitCode::from(1);
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Printable ASCII as is, everything else (and `\`) as `\xNN`.
fn printable(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}
