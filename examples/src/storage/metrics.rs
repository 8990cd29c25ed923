//! `storage serve --metrics ADDR`: the counters of [`stats`]
//! in the Prometheus text format, over a small HTTP/1.1 listener.
//!
//! Hand-written rather than `metrics-exporter-prometheus` or the
//! `prometheus` crate: the counters already live in atomics the server
//! owns, so a registry would only copy them, and the exporter would pull
//! hyper (or protobuf) into a binary whose point is its own small stack.
//! The text format is a line per sample, and a scraper sends one `GET`
//! per connection: answering it is a few dozen lines.
//!
//! ```text
//! GET /metrics  200, text/plain; version=0.0.4  (also at /)
//! GET other     404
//! not GET       405
//! ```

use std::sync::Arc;
use std::time::Duration;

use codec::rpc::CounterSnapshot;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::server::Service;
use super::stats;

/// The longest request head read (a scraper's is a few hundred bytes).
const MAX_HEAD: usize = 8 * 1024;

/// How long a scraper may take to send its request and read the reply.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the server's connection counters come from (the server's
/// handle, which exists only once serving has begun).
pub type ServerCounters = Arc<dyn Fn() -> CounterSnapshot + Send + Sync>;

/// Serves scrapes on `listener` until the returned task is aborted: each
/// connection is answered in a task of its own, then closed.
pub fn spawn(
    listener: TcpListener,
    service: Arc<Service>,
    server: ServerCounters,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let (service, server) = (Arc::clone(&service), Arc::clone(&server));
            tokio::spawn(async move {
                let scrape = answer(stream, &service, &server);
                match tokio::time::timeout(SCRAPE_TIMEOUT, scrape).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::debug!(error = %e, "metrics: scrape failed"),
                    Err(_) => tracing::debug!("metrics: scrape timed out"),
                }
            });
        }
    })
}

/// Reads one request head and answers it.
async fn answer(
    mut stream: TcpStream,
    service: &Service,
    server: &ServerCounters,
) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > MAX_HEAD {
            return respond(&mut stream, "431 Request Header Fields Too Large", "").await;
        }
    }
    let line = head
        .split(|b| *b == b'\r' || *b == b'\n')
        .next()
        .unwrap_or(&[]);
    let mut parts = line.split(|b| *b == b' ');
    let (method, target) = (parts.next().unwrap_or(&[]), parts.next().unwrap_or(&[]));
    if method != b"GET" {
        return respond(&mut stream, "405 Method Not Allowed", "").await;
    }
    let path = target.split(|b| *b == b'?').next().unwrap_or(&[]);
    if path != b"/metrics" && path != b"/" {
        return respond(&mut stream, "404 Not Found", "").await;
    }
    match service.stats(&server()).await {
        Ok(stats) => respond(&mut stream, "200 OK", &stats::render_prometheus(&stats)).await,
        Err(e) => {
            tracing::error!(error = %e, "metrics: cannot measure the database");
            respond(&mut stream, "500 Internal Server Error", "").await
        }
    }
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}
