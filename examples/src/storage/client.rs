//! A typed client for the storage service, over [`codec::rpc::Client`].
//!
//! Small values travel in one message each way (the tutorial's
//! `StoreRequest` / `FetchRequest`); larger ones stream in [`CHUNK`]-sized
//! pieces with a window of calls in flight, so neither side ever holds a
//! whole large value in memory.
//!
//! ```no_run
//! # async fn demo() -> Result<(), codec_examples::storage::client::Error> {
//! use codec_examples::storage::client::{Options, StorageClient};
//!
//! let client = StorageClient::connect("127.0.0.1:7070", Options::default()).await?;
//! client.put_bytes("greeting", b"hello").await?;
//! assert_eq!(client.get_bytes("greeting").await?, b"hello");
//! client.delete("greeting").await?;
//! client.close().await;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use codec::rpc::{CallError, Client, ClientConfig, Notifications};
use codec::{Protocol, Request};
use futures::stream::{FuturesOrdered, FuturesUnordered, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt};
use tokio::net::ToSocketAddrs;

use super::protocol::*;
use super::server::TokenHandshake;

/// Chunks in flight per transfer unless [`Options::depth`] says otherwise
/// (16 x 60 KiB: about 1 MiB on the wire at a time).
pub const DEFAULT_DEPTH: usize = 16;

/// How many times a chunked read starts over when the value changes under
/// it before giving up.
pub const MAX_RESTARTS: u32 = 8;

/// The largest value that travels in a single `StoreRequest` or
/// `FetchResponse` for this key (larger ones are chunked).
pub fn inline_limit(name: &str) -> usize {
    // FetchResponse: trans, status, name.len, name, data.len, data.
    MAX_PAYLOAD.saturating_sub(5 + name.len())
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Success => f.write_str("SUCCESS"),
            Status::Eio => f.write_str("EIO (database error)"),
            Status::Ekey => f.write_str("EKEY (no such key)"),
            Status::Einval => f.write_str("EINVAL (invalid request)"),
            Status::Echanged => f.write_str("ECHANGED (value changed)"),
            Status::Fail => f.write_str("FAIL"),
            Status::Other(b) => write!(f, "unknown status 0x{b:02X}"),
        }
    }
}

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key does not exist.
    #[error("no such key: {0:?}")]
    NotFound(String),
    /// The key is not 1 to 255 bytes of UTF-8.
    #[error("invalid key {0:?}: a key is 1 to 255 bytes of UTF-8")]
    InvalidName(String),
    /// The value is over [`MAX_VALUE`].
    #[error("value of {0} bytes is over the limit of {MAX_VALUE} bytes")]
    TooLarge(u64),
    /// The server answered with an error status.
    #[error("{op} {name:?}: the server answered {status}")]
    Status {
        /// What was being done.
        op: &'static str,
        /// The key.
        name: String,
        /// The server's answer.
        status: Status,
    },
    /// The value changed during every attempt at a chunked read.
    #[error("{0:?} kept changing during the transfer ({MAX_RESTARTS} attempts)")]
    Changing(String),
    /// The value changed during a chunked read, and the output it was
    /// going to cannot be rewound to start over.
    #[error("{0:?} changed during the transfer; the output is incomplete")]
    ChangedMidway(String),
    /// The source of a put had another size than announced.
    #[error("the input changed size while it was read ({0})")]
    InputChanged(&'static str),
    /// The server's reply broke the protocol.
    #[error("unexpected reply from the server: {0}")]
    Protocol(String),
    /// The call failed (connection, timeout, handshake).
    #[error(transparent)]
    Call(#[from] CallError),
    /// Reading the input or writing the output failed.
    #[error("cannot read the input or write the output")]
    Io(#[from] io::Error),
}

fn status(op: &'static str, name: &str, status: Status) -> Error {
    match status {
        Status::Ekey => Error::NotFound(name.to_string()),
        status => Error::Status {
            op,
            name: name.to_string(),
            status,
        },
    }
}

fn check_name(name: &str) -> Result<(), Error> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidName(name.to_string()))
    }
}

/// How to connect.
#[derive(Clone)]
pub struct Options {
    /// The server's shared secret, when it has one.
    pub token: Option<Vec<u8>>,
    /// Deadline for each call (`None`: wait forever).
    pub timeout: Option<Duration>,
    /// Chunks in flight per chunked transfer.
    pub depth: usize,
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .field("timeout", &self.timeout)
            .field("depth", &self.depth)
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            token: None,
            timeout: Some(Duration::from_secs(60)),
            depth: DEFAULT_DEPTH,
        }
    }
}

impl Options {
    /// Default options with a token.
    pub fn with_token(token: Option<Vec<u8>>) -> Self {
        Options {
            token,
            ..Options::default()
        }
    }
}

/// Where a chunked read writes. If the value changes in the middle of the
/// transfer the read starts over, so the output must be able to throw
/// away what it has received.
pub trait Sink: AsyncWrite + Unpin + Send {
    /// Discards everything written so far; `Ok(false)` if it cannot.
    fn restart(&mut self) -> impl Future<Output = io::Result<bool>> + Send;
}

impl Sink for Vec<u8> {
    async fn restart(&mut self) -> io::Result<bool> {
        self.clear();
        Ok(true)
    }
}

impl Sink for tokio::fs::File {
    async fn restart(&mut self) -> io::Result<bool> {
        self.flush().await?;
        self.seek(io::SeekFrom::Start(0)).await?;
        self.set_len(0).await?;
        Ok(true)
    }
}

/// An output that cannot be rewound (a pipe, stdout): a chunked read into
/// it fails with [`Error::ChangedMidway`] if the value changes after the
/// first bytes were written.
#[derive(Debug)]
pub struct Forward<W>(pub W);

impl<W: AsyncWrite + Unpin + Send> AsyncWrite for Forward<W> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<W: AsyncWrite + Unpin + Send> Sink for Forward<W> {
    async fn restart(&mut self) -> io::Result<bool> {
        Ok(false)
    }
}

/// The change notifications of the keys this client watches.
#[derive(Debug)]
pub struct Changes {
    rx: Notifications<Storage>,
}

impl Changes {
    /// The next change, in commit order; `None` once the connection ended.
    pub async fn next(&mut self) -> Option<Changed> {
        loop {
            match self.rx.recv().await? {
                Storage::Changed(c) => return Some(c),
                other => tracing::debug!(message = other.name(), "ignored notification"),
            }
        }
    }
}

/// A connection to a storage server. Cheap to clone: clones share the
/// connection, and calls from all of them are pipelined on it.
#[derive(Debug, Clone)]
pub struct StorageClient {
    rpc: Client<Storage>,
    depth: usize,
}

impl StorageClient {
    /// Connects to `addr`. With a token, the handshake runs before the
    /// first call (which fails with [`CallError::Handshake`] if the server
    /// refuses it).
    ///
    /// # Errors
    ///
    /// The TCP connection fails.
    pub async fn connect(addr: impl ToSocketAddrs, opts: Options) -> Result<Self, Error> {
        let mut config = ClientConfig::default().with_default_timeout(opts.timeout);
        if let Some(token) = opts.token {
            config = config.with_handshake(TokenHandshake { token });
        }
        let rpc = Client::connect_with(addr, config).await?;
        Ok(StorageClient {
            rpc,
            depth: opts.depth.max(1),
        })
    }

    /// Wraps a connection made elsewhere.
    pub fn from_rpc(rpc: Client<Storage>) -> Self {
        StorageClient {
            rpc,
            depth: DEFAULT_DEPTH,
        }
    }

    /// The underlying connection, for raw calls.
    pub fn rpc(&self) -> &Client<Storage> {
        &self.rpc
    }

    async fn call<R>(&self, req: R) -> Result<R::Response, Error>
    where
        R: Request + Into<Storage>,
        R::Response: TryFrom<Storage, Error = Storage>,
    {
        Ok(self.rpc.call(req).await?)
    }

    /// Stores a value that fits one message ([`inline_limit`]) with the
    /// tutorial's `StoreRequest`; returns once it is durable.
    ///
    /// # Errors
    ///
    /// The server refused it, or the call failed.
    pub async fn store(&self, name: &str, data: Vec<u8>) -> Result<(), Error> {
        check_name(name)?;
        if data.len() > inline_limit(name) {
            return Err(Error::Protocol(format!(
                "{} bytes do not fit one StoreRequest; use put",
                data.len()
            )));
        }
        let reply = self
            .call(StoreRequest {
                trans: 0,
                name: name.to_string(),
                data,
            })
            .await?;
        match reply.status {
            Status::Success => Ok(()),
            s => Err(status("store", name, s)),
        }
    }

    /// Stores `data`, in one message or chunked as its size requires.
    ///
    /// # Errors
    ///
    /// As [`StorageClient::put_reader`].
    pub async fn put_bytes(&self, name: &str, data: &[u8]) -> Result<(), Error> {
        self.put_reader(name, data, data.len() as u64, |_, _| {})
            .await
    }

    /// Stores the file at `path`, streaming it in chunks when it is large;
    /// `progress(done, total)` follows the upload.
    ///
    /// # Errors
    ///
    /// As [`StorageClient::put_reader`], or the file cannot be read.
    pub async fn put_file(
        &self,
        name: &str,
        path: &Path,
        progress: impl FnMut(u64, u64) + Send,
    ) -> Result<(), Error> {
        let file = tokio::fs::File::open(path).await?;
        let size = file.metadata().await?.len();
        self.put_reader(name, file, size, progress).await
    }

    /// Stores `size` bytes read from `reader`: in one `StoreRequest` when
    /// they fit, else as a chunked upload (`PutBegin`, pipelined
    /// `PutChunk`s, `PutCommit`) that holds at most the window of chunks in
    /// memory. `progress(done, total)` is called as chunks are
    /// acknowledged. Returns once the value is durable.
    ///
    /// # Errors
    ///
    /// The key is invalid, the value too large, the reader failed or had
    /// another size, the server refused (the upload is then abandoned), or
    /// the call failed.
    pub async fn put_reader<R, F>(
        &self,
        name: &str,
        mut reader: R,
        size: u64,
        mut progress: F,
    ) -> Result<(), Error>
    where
        R: AsyncRead + Unpin + Send,
        F: FnMut(u64, u64) + Send,
    {
        check_name(name)?;
        if size > MAX_VALUE {
            return Err(Error::TooLarge(size));
        }
        if size <= inline_limit(name) as u64 {
            let mut data = Vec::with_capacity(size as usize);
            (&mut reader).take(size).read_to_end(&mut data).await?;
            if data.len() as u64 != size {
                return Err(Error::InputChanged("it ended early"));
            }
            ensure_end(&mut reader).await?;
            self.store(name, data).await?;
            progress(size, size);
            return Ok(());
        }
        let begin = self
            .call(PutBegin {
                trans: 0,
                name: name.to_string(),
                size,
            })
            .await?;
        if begin.status != Status::Success {
            return Err(status("put", name, begin.status));
        }
        let upload = begin.upload;
        if let Err(e) = self
            .upload(name, upload, &mut reader, size, &mut progress)
            .await
        {
            // Best effort: the server also drops it when we disconnect.
            let _ = self.rpc.call(PutAbort { trans: 0, upload }).await;
            return Err(e);
        }
        let reply = self.call(PutCommit { trans: 0, upload }).await?;
        match reply.status {
            Status::Success => Ok(()),
            s => Err(status("put", name, s)),
        }
    }

    async fn upload<R, F>(
        &self,
        name: &str,
        upload: u64,
        reader: &mut R,
        size: u64,
        progress: &mut F,
    ) -> Result<(), Error>
    where
        R: AsyncRead + Unpin + Send,
        F: FnMut(u64, u64) + Send,
    {
        let mut window = FuturesUnordered::new();
        let (mut offset, mut done) = (0u64, 0u64);
        progress(0, size);
        while offset < size || !window.is_empty() {
            if offset < size && window.len() < self.depth {
                let len = (size - offset).min(CHUNK as u64) as usize;
                let mut data = vec![0; len];
                reader.read_exact(&mut data).await.map_err(|e| {
                    if e.kind() == io::ErrorKind::UnexpectedEof {
                        Error::InputChanged("it ended early")
                    } else {
                        Error::Io(e)
                    }
                })?;
                let call = self.call(PutChunk {
                    trans: 0,
                    upload,
                    offset,
                    data,
                });
                window.push(async move { (len, call.await) });
                offset += len as u64;
                continue;
            }
            let Some((len, ack)) = window.next().await else {
                break;
            };
            let ack = ack?;
            if ack.status != Status::Success {
                return Err(status("put", name, ack.status));
            }
            done += len as u64;
            progress(done, size);
        }
        ensure_end(reader).await
    }

    /// The value of `name`, in memory.
    ///
    /// # Errors
    ///
    /// As [`StorageClient::get_to`].
    pub async fn get_bytes(&self, name: &str) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.get_to(name, &mut out, |_, _| {}).await?;
        Ok(out)
    }

    /// Writes the value of `name` to the file at `path` (through a
    /// temporary file beside it, renamed into place once complete, so a
    /// failed read leaves no partial file). Returns the size.
    ///
    /// # Errors
    ///
    /// As [`StorageClient::get_to`], or the file cannot be written.
    pub async fn get_file(
        &self,
        name: &str,
        path: &Path,
        progress: impl FnMut(u64, u64) + Send,
    ) -> Result<u64, Error> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".storage-get-")
            .tempfile_in(&dir)?;
        let mut file = tokio::fs::File::from_std(tmp.as_file().try_clone()?);
        let size = self.get_to(name, &mut file, progress).await?;
        file.sync_all().await?;
        drop(file);
        tmp.persist(path).map_err(|e| Error::Io(e.error))?;
        Ok(size)
    }

    /// Writes the value of `name` to `sink`: asks with the tutorial's
    /// `FetchRequest` first, and if the value is too large for one message
    /// (`FAIL`), reads it chunk by chunk (see
    /// [`StorageClient::get_chunked`]). Returns the size.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`], a failed call, an error status, or the sink
    /// failed.
    pub async fn get_to<S, F>(
        &self,
        name: &str,
        sink: &mut S,
        mut progress: F,
    ) -> Result<u64, Error>
    where
        S: Sink,
        F: FnMut(u64, u64) + Send,
    {
        check_name(name)?;
        let reply = self
            .call(FetchRequest {
                trans: 0,
                name: name.to_string(),
            })
            .await?;
        match reply.status {
            Status::Success => {
                let n = reply.data.len() as u64;
                sink.write_all(&reply.data).await?;
                sink.flush().await?;
                progress(n, n);
                Ok(n)
            }
            Status::Fail => self.get_chunked(name, sink, progress).await,
            s => Err(status("get", name, s)),
        }
    }

    /// Reads the value of `name` with `GetChunk`s: the first reply gives
    /// the value's version and size, then a window of chunk requests of
    /// that version is kept in flight and written in order. If the value
    /// changes meanwhile (`ECHANGED`), the sink is rewound and the read
    /// starts over, up to [`MAX_RESTARTS`] times. Returns the size.
    ///
    /// # Errors
    ///
    /// As [`StorageClient::get_to`], [`Error::Changing`] or
    /// [`Error::ChangedMidway`].
    pub async fn get_chunked<S, F>(
        &self,
        name: &str,
        sink: &mut S,
        mut progress: F,
    ) -> Result<u64, Error>
    where
        S: Sink,
        F: FnMut(u64, u64) + Send,
    {
        check_name(name)?;
        for attempt in 0..MAX_RESTARTS {
            if attempt > 0 {
                tracing::debug!(
                    name,
                    attempt,
                    "value changed during the read; starting over"
                );
                if !sink.restart().await? {
                    return Err(Error::ChangedMidway(name.to_string()));
                }
            }
            if let Some(size) = self.try_chunked(name, sink, &mut progress).await? {
                return Ok(size);
            }
        }
        Err(Error::Changing(name.to_string()))
    }

    async fn get_chunk(
        &self,
        name: &str,
        version: u64,
        offset: u64,
    ) -> Result<GetChunkResponse, Error> {
        self.call(GetChunk {
            trans: 0,
            name: name.to_string(),
            version,
            offset,
        })
        .await
    }

    /// One attempt at a chunked read: `None` if the value changed.
    async fn try_chunked<S, F>(
        &self,
        name: &str,
        sink: &mut S,
        progress: &mut F,
    ) -> Result<Option<u64>, Error>
    where
        S: Sink,
        F: FnMut(u64, u64) + Send,
    {
        let first = self.get_chunk(name, 0, 0).await?;
        if first.status != Status::Success {
            return Err(status("get", name, first.status));
        }
        let (version, size) = (first.version, first.size);
        check_chunk(&first, 0, size)?;
        sink.write_all(&first.data).await?;
        let mut done = first.data.len() as u64;
        progress(done, size);
        let mut next = done;
        let mut window = FuturesOrdered::new();
        loop {
            while next < size && window.len() < self.depth {
                let offset = next;
                let call = self.get_chunk(name, version, offset);
                window.push_back(async move { (offset, call.await) });
                next += CHUNK as u64;
            }
            let Some((offset, reply)) = window.next().await else {
                break;
            };
            let reply = reply?;
            match reply.status {
                Status::Success if reply.version == version => {}
                // Replaced or deleted since the first chunk.
                Status::Success | Status::Echanged | Status::Ekey => return Ok(None),
                s => return Err(status("get", name, s)),
            }
            check_chunk(&reply, offset, size)?;
            sink.write_all(&reply.data).await?;
            done += reply.data.len() as u64;
            progress(done, size);
        }
        sink.flush().await?;
        Ok(Some(size))
    }

    /// Deletes `name`; returns once the deletion is durable.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`], an error status, or the call failed.
    pub async fn delete(&self, name: &str) -> Result<(), Error> {
        check_name(name)?;
        let reply = self
            .call(DeleteRequest {
                trans: 0,
                name: name.to_string(),
            })
            .await?;
        match reply.status {
            Status::Success => Ok(()),
            s => Err(status("delete", name, s)),
        }
    }

    /// The server's counters, like Redis's `INFO`: connections, requests
    /// and errors by message, bytes, commits, fsyncs, the read cache, keys
    /// and sizes (the names are listed in [`stats`](super::stats)).
    ///
    /// # Errors
    ///
    /// An error status, or the call failed.
    pub async fn stats(&self) -> Result<Vec<Stat>, Error> {
        let reply = self.call(StatsRequest { trans: 0 }).await?;
        match reply.status {
            Status::Success => Ok(reply.stats),
            s => Err(status("stats", "", s)),
        }
    }

    /// One page of the keys starting with `prefix` that sort after
    /// `after`, with their sizes; and whether more follow.
    ///
    /// # Errors
    ///
    /// An error status, or the call failed.
    pub async fn list_page(
        &self,
        prefix: &str,
        after: &str,
        limit: u16,
    ) -> Result<(Vec<Entry>, bool), Error> {
        let reply = self
            .call(ListRequest {
                trans: 0,
                prefix: prefix.to_string(),
                after: after.to_string(),
                limit,
            })
            .await?;
        match reply.status {
            Status::Success => Ok((reply.entries, reply.more)),
            s => Err(status("list", prefix, s)),
        }
    }

    /// Every key starting with `prefix`, in order, page by page.
    ///
    /// # Errors
    ///
    /// As [`StorageClient::list_page`].
    pub async fn list(&self, prefix: &str) -> Result<Vec<Entry>, Error> {
        let mut all: Vec<Entry> = Vec::new();
        loop {
            let after = all.last().map_or("", |e| e.name.as_str()).to_string();
            let (page, more) = self.list_page(prefix, &after, u16::MAX).await?;
            let empty = page.is_empty();
            all.extend(page);
            if !more || empty {
                return Ok(all);
            }
        }
    }

    /// The stream of change notifications; it can be taken once per
    /// connection. Until it is taken, notifications queue up (and a full
    /// queue stalls the connection), so take it before watching.
    pub fn changes(&self) -> Option<Changes> {
        self.rpc.notifications().map(|rx| Changes { rx })
    }

    /// Asks for a [`Changed`] notification each time `name` changes.
    ///
    /// A watching connection may stay silent for as long as it likes: the
    /// server exempts it from its idle limit while it watches, so the
    /// client sends no pings; TCP keepalive (on by default, both ends)
    /// keeps middleboxes' state alive and finds a peer that went away.
    ///
    /// # Errors
    ///
    /// An error status, or the call failed.
    pub async fn watch(&self, name: &str) -> Result<(), Error> {
        self.set_watch(name, true).await
    }

    /// Stops the notifications for `name`.
    ///
    /// # Errors
    ///
    /// An error status, or the call failed.
    pub async fn unwatch(&self, name: &str) -> Result<(), Error> {
        self.set_watch(name, false).await
    }

    async fn set_watch(&self, name: &str, watch: bool) -> Result<(), Error> {
        check_name(name)?;
        let reply = self
            .call(WatchRequest {
                trans: 0,
                watch,
                name: name.to_string(),
            })
            .await?;
        match reply.status {
            Status::Success => Ok(()),
            s => Err(status("watch", name, s)),
        }
    }

    /// Waits for the calls in flight and closes the connection.
    pub async fn close(&self) {
        let _ = self.rpc.close().await;
    }
}

/// Checks a chunk's length against the value's size.
fn check_chunk(reply: &GetChunkResponse, offset: u64, size: u64) -> Result<(), Error> {
    let expected = size.saturating_sub(offset).min(CHUNK as u64);
    if reply.data.len() as u64 == expected {
        Ok(())
    } else {
        Err(Error::Protocol(format!(
            "chunk at {offset} has {} bytes, expected {expected}",
            reply.data.len()
        )))
    }
}

/// Fails if the reader has bytes past the announced size.
async fn ensure_end<R: AsyncRead + Unpin>(reader: &mut R) -> Result<(), Error> {
    let mut byte = [0u8; 1];
    match reader.read(&mut byte).await? {
        0 => Ok(()),
        _ => Err(Error::InputChanged("it grew")),
    }
}
