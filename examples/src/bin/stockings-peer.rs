//! `stockings-peer`: Stockings echo server, sender and receiver, for
//! interop with the Python original (see `stockings-peer --help`).
//!
//! ```text
//! stockings-peer serve --listen 127.0.0.1:0
//! listening on 127.0.0.1:40124
//! stockings-peer send --server 127.0.0.1:40124 hi
//! type=str len=2 payload=hi
//! ```

use std::io::Write;
use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use codec_examples::stockings::{connect_blocking, BlockingStockings, Stockings, StockingsStream};

/// A Stockings peer: an echo server (tokio), a sender and a receiver
/// (blocking).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a Wireshark dissector (Lua) for Stockings on the TCP PORTs,
    /// generated from the layouts:
    /// `stockings-peer dissector --port 9000 > stockings.lua`.
    Dissector {
        /// TCP ports to register it for (any byte can start a header, so
        /// there is no heuristic).
        #[arg(long = "port", value_name = "PORT", required = true)]
        ports: Vec<u16>,
    },
    /// Echo every message back with its type, on every connection, until
    /// killed. A `str` message that is not UTF-8 is answered with the str
    /// message `error: ...` and the connection goes on.
    Serve {
        /// Address to listen on; port 0 picks one. Prints
        /// `listening on IP:PORT` once bound.
        #[arg(long)]
        listen: String,
        /// Largest message accepted.
        #[arg(long, default_value_t = codec::frame::DEFAULT_MAX_FRAME_LEN)]
        max_frame_len: usize,
    },
    /// Send each MSG, wait for one reply per message and print it as
    /// `type=str len=N payload=...`. Exit status 0 when every reply came.
    Send {
        /// The server's address.
        #[arg(long)]
        server: String,
        /// Send `bytes` messages instead of `str`.
        #[arg(long)]
        bytes: bool,
        /// Print a digest of each reply instead of its payload.
        #[arg(long)]
        digest: bool,
        /// The messages.
        #[arg(required = true)]
        messages: Vec<String>,
    },
    /// Accept one connection and print every message received (as `send`
    /// prints replies) until the peer closes or COUNT messages came.
    Recv {
        /// Address to listen on; port 0 picks one. Prints
        /// `listening on IP:PORT` once bound.
        #[arg(long)]
        listen: String,
        /// Stop after this many messages.
        #[arg(long)]
        count: Option<usize>,
        /// Print a digest of each message instead of its payload.
        #[arg(long)]
        digest: bool,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Dissector { ports } => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match out
                .write_all(codec_examples::stockings::dissector::lua(&ports).as_bytes())
                .and_then(|()| out.flush())
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot write the dissector: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Serve {
            listen,
            max_frame_len,
        } => serve(&listen, max_frame_len),
        Command::Send {
            server,
            bytes,
            digest,
            messages,
        } => send(&server, bytes, digest, &messages),
        Command::Recv {
            listen,
            count,
            digest,
        } => recv(&listen, count, digest),
    }
}

fn serve(listen: &str, max_frame_len: usize) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {listen}: {e}");
                return ExitCode::from(2);
            }
        };
        if let Ok(addr) = listener.local_addr() {
            println!("listening on {addr}");
            let _ = std::io::stdout().flush();
        }
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(pair) => pair,
                Err(e) => {
                    eprintln!("accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let mut conn = StockingsStream::new(stream).with_max_frame_len(max_frame_len);
                let mut echoed = 0u64;
                let end = loop {
                    let reply = match conn.recv().await {
                        Ok(Some(msg)) => msg,
                        Ok(None) => break "closed".to_string(),
                        Err(e) if e.is_recoverable() => {
                            eprintln!("{peer}: bad message (skipped): {e}");
                            Stockings::text(format!("error: {e}"))
                        }
                        Err(e) => break format!("ended: {e}"),
                    };
                    if let Err(e) = conn.send(&reply).await {
                        break format!("ended: {e}");
                    }
                    echoed += 1;
                };
                eprintln!("{peer}: connection {end} after {echoed} replies");
            });
        }
    })
}

fn send(server: &str, bytes: bool, digest: bool, messages: &[String]) -> ExitCode {
    let mut conn = match connect_blocking(server) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot connect to {server}: {e}");
            return ExitCode::from(1);
        }
    };
    for m in messages {
        let msg = if bytes {
            Stockings::bytes(m.as_bytes())
        } else {
            Stockings::text(m.as_str())
        };
        if let Err(e) = conn.send(&msg) {
            eprintln!("error: cannot send: {e}");
            return ExitCode::from(1);
        }
        match conn.recv() {
            Ok(Some(reply)) => println!("{}", describe(&reply, digest)),
            Ok(None) => {
                eprintln!("error: server closed before replying");
                return ExitCode::from(1);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let _ = conn.get_ref().shutdown(std::net::Shutdown::Write);
    ExitCode::SUCCESS
}

fn recv(listen: &str, count: Option<usize>, digest: bool) -> ExitCode {
    let listener = match TcpListener::bind(listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            return ExitCode::from(2);
        }
    };
    if let Ok(addr) = listener.local_addr() {
        println!("listening on {addr}");
        let _ = std::io::stdout().flush();
    }
    let (stream, _) = match listener.accept() {
        Ok(pair) => pair,
        Err(e) => {
            eprintln!("error: accept failed: {e}");
            return ExitCode::from(1);
        }
    };
    let mut conn = BlockingStockings::new(stream);
    let mut seen = 0;
    let mut status = ExitCode::SUCCESS;
    while count.is_none_or(|c| seen < c) {
        match conn.recv() {
            Ok(Some(msg)) => println!("{}", describe(&msg, digest)),
            Ok(None) => break,
            Err(e) if e.is_recoverable() => {
                // The frame was consumed: the next one is readable.
                println!("error={e}");
                status = ExitCode::from(1);
            }
            Err(e) => {
                println!("error={e}");
                return ExitCode::from(1);
            }
        }
        let _ = std::io::stdout().flush();
        seen += 1;
    }
    status
}

/// `type=str len=2 payload=hi`, or with `digest`, `type=str len=2
/// fnv1a=...` (64-bit FNV-1a of the payload, as the Python driver prints).
fn describe(msg: &Stockings, digest: bool) -> String {
    let data = msg.as_bytes();
    let tail = if digest {
        format!("fnv1a={:016x}", fnv1a(data))
    } else {
        let mut p = String::with_capacity(data.len());
        for &b in data {
            if (0x20..0x7f).contains(&b) && b != b'\\' {
                p.push(b as char);
            } else {
                p.push_str(&format!("\\x{b:02x}"));
            }
        }
        format!("payload={p}")
    };
    format!("type={} len={} {tail}", msg.kind(), data.len())
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
