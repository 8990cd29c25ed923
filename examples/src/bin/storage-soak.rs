//! Load and verification for the soak test (`scripts/soak.sh`).
//!
//! `storage-soak load --server ADDR --log FILE --duration SECS` stores
//! values under fresh keys from several connections for the given time,
//! riding through server restarts, and appends every key acknowledged
//! `SUCCESS` to the log. `storage-soak verify --server ADDR --log FILE`
//! fetches every logged key and checks its bytes: an acknowledged store
//! must survive a SIGKILL of the server.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use codec::rpc::{CallOptions, Client, ClientConfig, ReconnectPolicy};
use codec_examples::storage::protocol::{FetchRequest, Status, Storage, StoreRequest};

#[derive(Parser)]
#[command(about = "Soak-test load and verification for the storage server")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Store values under fresh keys, logging every acknowledged key.
    Load {
        /// Server address.
        #[arg(long)]
        server: String,
        /// Where acknowledged keys are appended, one per line.
        #[arg(long)]
        log: PathBuf,
        /// How long to run, in seconds.
        #[arg(long, default_value_t = 60)]
        duration: u64,
        /// Connections.
        #[arg(long, default_value_t = 4)]
        conns: usize,
        /// Calls in flight per connection.
        #[arg(long, default_value_t = 8)]
        depth: usize,
    },
    /// Check that every logged key holds its value.
    Verify {
        /// Server address.
        #[arg(long)]
        server: String,
        /// The log written by `load`.
        #[arg(long)]
        log: PathBuf,
    },
}

/// The value stored under `key`: derived from it, so the verifier needs
/// nothing but the key.
fn value_of(key: &str) -> Vec<u8> {
    key.bytes().cycle().take(200).collect()
}

fn config() -> ClientConfig<Storage> {
    ClientConfig::default()
        .with_default_timeout(Duration::from_secs(10))
        .with_reconnect(
            ReconnectPolicy::default()
                .with_initial_backoff(Duration::from_millis(20))
                .with_max_backoff(Duration::from_millis(500))
                .with_max_attempts(None),
        )
}

async fn load(
    server: String,
    log: PathBuf,
    duration: u64,
    conns: usize,
    depth: usize,
) -> Result<(), String> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let end = Instant::now() + Duration::from_secs(duration);
    let mut workers = tokio::task::JoinSet::new();
    for c in 0..conns {
        let client = Client::connect_with(server.as_str(), config())
            .await
            .map_err(|e| e.to_string())?;
        for d in 0..depth {
            let (client, tx) = (client.clone(), tx.clone());
            workers.spawn(async move {
                let mut seq = 0u64;
                while Instant::now() < end {
                    let key = format!("soak-{}-{c}-{d}-{seq}", std::process::id());
                    seq += 1;
                    let req = StoreRequest {
                        trans: 0,
                        name: key.clone(),
                        data: value_of(&key),
                    };
                    // A store of a fresh key is safe to send twice.
                    match client
                        .call_with(req, CallOptions::default().idempotent())
                        .await
                    {
                        Ok(resp) if resp.status == Status::Success => {
                            let _ = tx.send(key);
                        }
                        Ok(_) | Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                    }
                }
            });
        }
    }
    drop(tx);
    let mut file = std::io::BufWriter::new(std::fs::File::create(&log).map_err(|e| e.to_string())?);
    let mut acked = 0u64;
    while let Some(key) = rx.recv().await {
        writeln!(file, "{key}").map_err(|e| e.to_string())?;
        acked += 1;
    }
    file.flush().map_err(|e| e.to_string())?;
    while workers.join_next().await.is_some() {}
    println!("acknowledged {acked} stores");
    Ok(())
}

async fn verify(server: String, log: PathBuf) -> Result<(), String> {
    let client = Client::<Storage>::connect(server.as_str())
        .await
        .map_err(|e| e.to_string())?;
    let file = std::fs::File::open(&log).map_err(|e| e.to_string())?;
    let (mut checked, mut missing, mut wrong) = (0u64, 0u64, 0u64);
    for line in BufReader::new(file).lines() {
        let key = line.map_err(|e| e.to_string())?;
        let resp = client
            .call(FetchRequest {
                trans: 0,
                name: key.clone(),
            })
            .await
            .map_err(|e| e.to_string())?;
        checked += 1;
        match resp.status {
            Status::Success if resp.data == value_of(&key) => {}
            Status::Success => {
                wrong += 1;
                eprintln!("wrong bytes under {key}");
            }
            status => {
                missing += 1;
                eprintln!("acknowledged key {key} is missing ({status:?})");
            }
        }
    }
    let _ = client.close().await;
    println!("verified {checked} acknowledged stores: {missing} missing, {wrong} wrong");
    if missing + wrong == 0 {
        Ok(())
    } else {
        Err(format!(
            "{missing} acknowledged stores missing, {wrong} with wrong bytes"
        ))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match Cli::parse().cmd {
        Cmd::Load {
            server,
            log,
            duration,
            conns,
            depth,
        } => load(server, log, duration, conns, depth).await,
        Cmd::Verify { server, log } => verify(server, log).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("storage-soak: {e}");
            ExitCode::FAILURE
        }
    }
}
