//! An async PostgreSQL client on tokio and `codec`'s framing: the
//! backend's messages arrive through
//! [`ProtocolCodec`](codec::tokio::ProtocolCodec)`<`[`Backend`]`>` (the
//! derived [`PgHeader`]), except DataRows, which are checked in the read
//! buffer and kept as its bytes ([`Row`], no copy per value), and
//! CopyData, whose bytes are handed out as they are; the socket is read
//! into a 64 KiB buffer (see `Frames`); the frontend's are
//! written with `codec::frame::encode_frame`; the startup packet, which has
//! no type byte, goes out as a [`Startup`] frame.
//!
//! One [`Client`] is one session, used through `&mut self`. Messages the
//! server may send at any time are handled wherever they arrive:
//! NoticeResponse goes to the notice handler, NotificationResponse to the
//! queue read by [`Client::notifications`], ParameterStatus into
//! [`Client::parameter`].
//!
//! ```no_run
//! # async fn run() -> Result<(), codec_examples::pg::Error> {
//! use codec_examples::pg::client::{Client, Config, ExtendedQuery};
//!
//! let mut config = Config::new("127.0.0.1", 5432, "postgres", "postgres");
//! config.password = Some("secret".into());
//! let mut client = Client::connect(&config).await?;
//! let results = client.simple_query("SELECT 1 AS one; SELECT 'a' AS a").await?;
//! assert_eq!(results.len(), 2);
//! let r = client.query(&ExtendedQuery::new("SELECT $1::int + 1").param(Some("41"))).await?;
//! assert_eq!(r.rows[0].get(0), Some(&b"42"[..]));
//! client.close().await?;
//! # Ok(())
//! # }
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::{Bytes, BytesMut};

use codec::frame::encode_frame;
use codec::{Encode as _, Protocol as _};
use futures::{FutureExt as _, Stream};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio_util::codec::Decoder as _;

use super::auth::{md5_password, Scram};
use super::error::{Error, Notice};
use super::lowat::{self, LowWater};
use super::row::{BackendCodec, Received, Row};
use super::wire::*;

/// Whether to ask the server for TLS first (libpq's `sslmode`, the
/// subset that makes sense without TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// Never send an SSLRequest.
    Disable,
    /// Send an SSLRequest: `N` continues in plain text; `S` (the server
    /// would do TLS) reconnects without asking, as libpq's `prefer` falls
    /// back when TLS cannot be set up.
    #[default]
    Prefer,
    /// Demand TLS: since this client does not speak it, always an
    /// [`Error::Tls`] explaining which side lacks it.
    Require,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct Config {
    /// A host name or IP address, or a directory holding the server's Unix
    /// socket (starting with `/`).
    pub host: String,
    /// The TCP port, also the Unix socket's suffix.
    pub port: u16,
    /// The user name.
    pub user: String,
    /// The database.
    pub dbname: String,
    /// The password, for cleartext, md5 or SCRAM-SHA-256 authentication.
    pub password: Option<String>,
    /// `application_name` in the startup packet.
    pub application_name: Option<String>,
    /// More startup parameters (`options`, `DateStyle`, ...).
    pub params: Vec<(String, String)>,
    /// TLS negotiation.
    pub ssl_mode: SslMode,
    /// A deadline for connecting and the whole startup (authentication
    /// included); `None` waits as long as the server does.
    pub connect_timeout: Option<Duration>,
    /// The largest message accepted from the server; a header claiming
    /// more is refused before anything is allocated for it.
    pub max_message_len: usize,
    /// The socket's receive low-water mark (`SO_RCVLOWAT`, TCP on Linux
    /// 4.18 and later) while a long COPY TO STDOUT streams in (after its
    /// first 256 KiB): a read waits until this many bytes
    /// are queued, or 1-2 ms, instead of waking for each of the server's
    /// 8 KiB flushes. Fewer wake-ups of the client are fewer for the
    /// server's backend to make, which it pays for in its own time; the
    /// stream's last bytes wait the 1-2 ms once. 0 or 1: never raised.
    pub bulk_read_mark: usize,
}

/// The default [`Config::bulk_read_mark`]: four of PostgreSQL's 8 KiB
/// flushes per wake-up, half of the client's 64 KiB read buffer.
pub const DEFAULT_BULK_READ_MARK: usize = 32 * 1024;

/// The default [`Config::max_message_len`]: 1 GiB, PostgreSQL's own limit
/// for a field value.
pub const DEFAULT_MAX_MESSAGE_LEN: usize = 1 << 30;

/// Bytes of COPY FROM STDIN data sent per CopyData message.
const COPY_CHUNK: usize = 64 * 1024;

impl Config {
    /// A configuration with defaults: no password, `sslmode=prefer`, a
    /// 30-second startup deadline, the 1 GiB message limit, a 32 KiB
    /// low-water mark for long COPY reads.
    pub fn new(host: &str, port: u16, user: &str, dbname: &str) -> Config {
        Config {
            host: host.into(),
            port,
            user: user.into(),
            dbname: dbname.into(),
            password: None,
            application_name: None,
            params: Vec::new(),
            ssl_mode: SslMode::default(),
            connect_timeout: Some(Duration::from_secs(30)),
            max_message_len: DEFAULT_MAX_MESSAGE_LEN,
            bulk_read_mark: DEFAULT_BULK_READ_MARK,
        }
    }
}

/// A NOTIFY received on a channel the session listens to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The notifying backend's process ID.
    pub process_id: i32,
    /// The channel.
    pub channel: String,
    /// The payload.
    pub payload: String,
}

/// What a simple query produces, in order, for
/// [`Client::simple_query_with`].
#[derive(Debug)]
pub enum Event<'a> {
    /// A result set starts: its columns.
    Columns(&'a [FieldDescription]),
    /// A row of the current result set.
    Row(&'a Row),
    /// A statement finished with this command tag.
    Complete(&'a str),
    /// The query string was empty.
    EmptyQuery,
    /// COPY TO STDOUT starts: [`Event::CopyData`] follows.
    CopyOut,
    /// COPY TO STDOUT data.
    CopyData(&'a [u8]),
}

/// One statement's result from [`Client::simple_query`] or an extended
/// query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    /// The columns, empty for a statement that returns no rows.
    pub columns: Vec<FieldDescription>,
    /// The rows.
    pub rows: Vec<Row>,
    /// The command tag (`SELECT 2`); `None` for an empty query.
    pub tag: Option<String>,
    /// True when Execute's row limit stopped the portal (PortalSuspended).
    pub suspended: bool,
}

/// A statement for the extended query protocol: Parse, Bind, Describe,
/// Execute, Sync.
#[derive(Debug, Clone, Default)]
pub struct ExtendedQuery {
    /// The SQL, with `$1`, `$2`, ... for parameters.
    pub sql: String,
    /// Parameter type OIDs; 0 or missing lets the server infer.
    pub param_types: Vec<u32>,
    /// Parameter values, `None` for NULL.
    pub params: Vec<Option<Vec<u8>>>,
    /// One format code per parameter (0 text, 1 binary).
    pub param_formats: Vec<i16>,
    /// Result format codes: empty for text, `[1]` for all binary.
    pub result_formats: Vec<i16>,
    /// Execute's row limit, 0 for all rows.
    pub max_rows: i32,
}

impl ExtendedQuery {
    /// A statement without parameters, text results.
    pub fn new(sql: &str) -> ExtendedQuery {
        ExtendedQuery {
            sql: sql.into(),
            ..ExtendedQuery::default()
        }
    }

    /// Adds a text parameter (`None`: NULL) of a type the server infers.
    #[must_use]
    pub fn param(mut self, value: Option<&str>) -> ExtendedQuery {
        self.param_types.push(0);
        self.params.push(value.map(|v| v.as_bytes().to_vec()));
        self.param_formats.push(0);
        self
    }

    /// Adds a binary parameter of type `oid` (`None`: NULL).
    #[must_use]
    pub fn binary_param(mut self, oid: u32, value: Option<Vec<u8>>) -> ExtendedQuery {
        self.param_types.push(oid);
        self.params.push(value);
        self.param_formats.push(1);
        self
    }

    /// Asks for every result column in binary.
    #[must_use]
    pub fn binary_results(mut self) -> ExtendedQuery {
        self.result_formats = vec![1];
        self
    }
}

/// What [`Client::cancel_token`] returns: enough to send a CancelRequest
/// from anywhere while the session is busy.
#[derive(Debug, Clone)]
pub struct CancelToken {
    config: Config,
    key: BackendKeyData,
}

impl CancelToken {
    /// Opens a new connection and sends the CancelRequest; the server
    /// closes it without answering. Whether a query was running to be
    /// cancelled shows on the session itself (SQLSTATE 57014).
    ///
    /// # Errors
    ///
    /// When the connection cannot be made or written.
    pub async fn cancel(&self) -> Result<(), Error> {
        let (_, mut w, _) = open(&self.config).await?;
        let mut out = Vec::new();
        encode_frame(
            &Startup::from(CancelRequest {
                process_id: self.key.process_id,
                secret_key: self.key.secret_key,
            }),
            &mut out,
        )?;
        w.write_all(&out).await?;
        w.flush().await?;
        w.shutdown().await.ok();
        Ok(())
    }
}

type BoxRead = Box<dyn AsyncRead + Send + Unpin>;
type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

/// Bytes the read buffer is sized for: each read asks for what is free of
/// it. tokio-util's `FramedRead` (and so tokio-postgres) reads into 8
/// KiB; with 64 KiB a read takes everything the server has sent since the
/// last one (its 8 KiB flushes pile up while the client works), so a
/// result streams in with fewer `recvfrom` calls.
const READ_BUF: usize = 64 * 1024;

/// A read into less free room than this first makes room: a read is then
/// never a sliver. The room is made by moving the unread bytes (a partial
/// message) to the front when nothing else holds the buffer (COPY chunks
/// already dropped), or else in a new [`READ_BUF`] buffer (rows of a
/// result still hold the old one, which is freed with them).
const MIN_READ: usize = 8 * 1024;

/// The socket's messages: its bytes read into one buffer, cut into
/// messages by [`BackendCodec`] (what tokio-util's `FramedRead` did, with
/// a larger buffer and no `Stream` layer between the message loops and
/// the decoder).
struct Frames {
    io: BoxRead,
    buf: BytesMut,
    codec: BackendCodec,
    /// The server closed its side: what is left in `buf` is all there is.
    eof: bool,
    /// The socket's receive low-water mark, for a TCP socket on Linux.
    lowat: Option<LowWater>,
    /// A bulk stream is being read (a long COPY TO STDOUT): reads wait
    /// for `bulk_mark` bytes, or `tail_wait`.
    bulk: bool,
    /// [`Config::bulk_read_mark`].
    bulk_mark: usize,
    /// [`lowat::TAIL_WAIT`], longer in tests.
    tail_wait: Duration,
}

impl Frames {
    fn new(io: BoxRead, codec: BackendCodec, lowat: Option<LowWater>, bulk_mark: usize) -> Frames {
        Frames {
            io,
            buf: BytesMut::with_capacity(READ_BUF),
            codec,
            eof: false,
            lowat,
            bulk: false,
            bulk_mark,
            tail_wait: lowat::TAIL_WAIT,
        }
    }

    /// The next message, reading as needed. Cancel-safe: a message is
    /// taken out of the buffer only when it is returned.
    ///
    /// # Errors
    ///
    /// As [`Frames::try_next`] and [`Frames::fill`].
    async fn next(&mut self) -> Result<Received, Error> {
        loop {
            if let Some(msg) = self.try_next()? {
                return Ok(msg);
            }
            self.fill().await?;
        }
    }

    /// A whole CopyData already in the buffer, as its body.
    #[inline]
    fn copy_data(&mut self) -> Option<Bytes> {
        self.codec.copy_data(&mut self.buf)
    }

    /// A whole DataRow already in the buffer, as a [`Row`].
    #[inline]
    fn row(&mut self) -> Option<Row> {
        self.codec.row(&mut self.buf)
    }

    /// A message already in the buffer, without reading.
    ///
    /// # Errors
    ///
    /// Framing and decoding errors; after the server closed its side,
    /// [`FrameError::Truncated`] for a message cut short, and
    /// `UnexpectedEof` when nothing is left.
    ///
    /// [`FrameError::Truncated`]: codec::FrameError::Truncated
    #[inline]
    fn try_next(&mut self) -> Result<Option<Received>, Error> {
        if let Some(msg) = self.codec.decode(&mut self.buf)? {
            return Ok(Some(msg));
        }
        if self.eof {
            return match self.codec.decode_eof(&mut self.buf)? {
                Some(msg) => Ok(Some(msg)),
                None => Err(Error::Io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "server closed the connection",
                ))),
            };
        }
        Ok(None)
    }

    /// Reads once from the socket: whatever it has, up to the free room
    /// (at least [`MIN_READ`]).
    ///
    /// # Errors
    ///
    /// The socket's.
    async fn fill(&mut self) -> Result<(), Error> {
        if self.buf.capacity() - self.buf.len() < MIN_READ {
            self.buf
                .reserve(READ_BUF.saturating_sub(self.buf.len()).max(MIN_READ));
        }
        let n = match &mut self.lowat {
            Some(lw) if self.bulk && self.bulk_mark > 1 => {
                lw.set(self.bulk_mark)?;
                let mut read = std::pin::pin!(self.io.read_buf(&mut self.buf));
                match tokio::time::timeout(self.tail_wait, read.as_mut()).await {
                    Ok(n) => n?,
                    Err(_) => {
                        // The mark was not reached in time: take what is
                        // there (setting the mark to 1 signals it).
                        lw.set(1)?;
                        read.await?
                    }
                }
            }
            Some(lw) if lw.mark() > 1 => {
                lw.set(1)?;
                self.io.read_buf(&mut self.buf).await?
            }
            _ => self.io.read_buf(&mut self.buf).await?,
        };
        if n == 0 {
            self.eof = true;
        }
        Ok(())
    }
}

/// The receiving half: frames in, asynchronous messages handled.
struct Incoming {
    frames: Frames,
    params: BTreeMap<String, String>,
    notifications: VecDeque<Notification>,
    on_notice: Box<dyn FnMut(&Notice) + Send>,
    status: u8,
}

impl Incoming {
    /// The next message that is not asynchronous (notices, notifications
    /// and parameter changes are taken care of on the way).
    /// A DataRow comes as [`Backend::DataRow`], copied: for the places
    /// that do not expect rows.
    async fn recv(&mut self) -> Result<Backend, Error> {
        Ok(self.recv_row().await?.into_backend())
    }

    /// As [`Incoming::recv`], with a DataRow kept as a [`Row`] and a
    /// CopyData as its bytes.
    async fn recv_row(&mut self) -> Result<Received, Error> {
        loop {
            if let Some(msg) = self.buffered()? {
                return Ok(msg);
            }
            self.frames.fill().await?;
        }
    }

    /// As [`Incoming::recv_row`], for a message already read: `None` when
    /// the buffer holds no whole one. The message loops try this first and
    /// await [`Incoming::recv_row`] only when it is `None` (once per read,
    /// not once per message: an `async` call per row cost more than
    /// decoding the row). The rows and COPY chunks of a result go by
    /// [`Frames::row`] and [`Frames::copy_data`] before this.
    #[inline]
    fn buffered(&mut self) -> Result<Option<Received>, Error> {
        loop {
            match self.frames.try_next()? {
                Some(Received::Msg(msg)) => {
                    if let Some(msg) = self.absorb(msg) {
                        return Ok(Some(Received::Msg(msg)));
                    }
                }
                other => return Ok(other),
            }
        }
    }

    async fn recv_any(&mut self) -> Result<Received, Error> {
        self.frames.next().await
    }

    /// Handles an asynchronous message; gives back any other.
    fn absorb(&mut self, msg: Backend) -> Option<Backend> {
        match msg {
            Backend::NoticeResponse(n) => (self.on_notice)(&Notice::from_fields(n.fields)),
            Backend::NotificationResponse(n) => self.notifications.push_back(Notification {
                process_id: n.process_id,
                channel: n.channel,
                payload: n.payload,
            }),
            Backend::ParameterStatus(p) => {
                self.params.insert(p.name, p.value);
            }
            other => return Some(other),
        }
        None
    }

    /// Reads up to ReadyForQuery, keeping the first ErrorResponse.
    async fn until_ready(&mut self, mut error: Option<Notice>) -> Result<Option<Notice>, Error> {
        loop {
            match self.recv().await? {
                Backend::ReadyForQuery(z) => {
                    self.status = z.status;
                    return Ok(error);
                }
                Backend::ErrorResponse(e) => {
                    error.get_or_insert(Notice::from_fields(e.fields));
                }
                _ => {}
            }
        }
    }

    /// Reads one extended query's answer, up to its ReadyForQuery.
    async fn extended_result(&mut self) -> Result<Result<QueryResult, Notice>, Error> {
        let mut result = QueryResult::default();
        loop {
            if let Some(row) = self.frames.row() {
                result.rows.push(row);
                continue;
            }
            let msg = match self.buffered()? {
                Some(msg) => msg,
                None => self.recv_row().await?,
            };
            let msg = match msg {
                Received::Row(r) => {
                    result.rows.push(r);
                    continue;
                }
                other => other.into_backend(),
            };
            match msg {
                Backend::ParseComplete(_) | Backend::BindComplete(_) | Backend::NoData(_) => {}
                Backend::RowDescription(d) => result.columns = d.fields,
                Backend::CommandComplete(c) => result.tag = Some(c.tag),
                Backend::EmptyQueryResponse(_) => {}
                Backend::PortalSuspended(_) => result.suspended = true,
                Backend::ErrorResponse(e) => {
                    let err = self
                        .until_ready(Some(Notice::from_fields(e.fields)))
                        .await?;
                    return Ok(Err(err.unwrap_or_default()));
                }
                Backend::ReadyForQuery(z) => {
                    self.status = z.status;
                    return Ok(Ok(result));
                }
                other => return Err(Error::Unexpected(other.name().into())),
            }
        }
    }
}

/// The sending half: frames are encoded into `out`, then written.
struct Outgoing {
    stream: BoxWrite,
    out: Vec<u8>,
}

impl Outgoing {
    fn send(&mut self, msg: impl Into<Frontend>) -> Result<(), Error> {
        encode_frame(&msg.into(), &mut self.out)?;
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Error> {
        self.stream.write_all(&self.out).await?;
        self.out.clear();
        self.stream.flush().await?;
        Ok(())
    }

    fn send_extended(&mut self, q: &ExtendedQuery) -> Result<(), Error> {
        if q.params.len() > i16::MAX as usize {
            return Err(Error::Encode(format!(
                "{} parameters, the protocol allows {}",
                q.params.len(),
                i16::MAX
            )));
        }
        self.send(Parse {
            name: String::new(),
            query: q.sql.clone(),
            param_types: q.param_types.clone(),
        })?;
        self.send(Bind {
            portal: String::new(),
            statement: String::new(),
            param_formats: q.param_formats.clone(),
            params: q
                .params
                .iter()
                .map(|v| Column { value: v.clone() })
                .collect(),
            result_formats: q.result_formats.clone(),
        })?;
        self.send(Describe {
            kind: b'P',
            name: String::new(),
        })?;
        self.send(Execute {
            portal: String::new(),
            max_rows: q.max_rows,
        })?;
        self.send(Sync {})
    }
}

/// One session with a PostgreSQL server.
pub struct Client {
    rd: Incoming,
    wr: Outgoing,
    config: Config,
    key: Option<BackendKeyData>,
    /// A COPY was abandoned mid-way: read to ReadyForQuery first.
    busy: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.config.host)
            .field("port", &self.config.port)
            .field("status", &(self.rd.status as char))
            .finish()
    }
}

/// Connects a stream to the configured host: TCP, or the Unix socket in
/// the directory `host`; for TCP, the socket's low-water mark too (the
/// socket stays open as long as its halves do).
async fn open(config: &Config) -> Result<(BoxRead, BoxWrite, Option<LowWater>), Error> {
    if config.host.starts_with('/') {
        #[cfg(unix)]
        {
            let path = format!("{}/.s.PGSQL.{}", config.host, config.port);
            let s = tokio::net::UnixStream::connect(&path).await?;
            let (r, w) = s.into_split();
            return Ok((Box::new(r), Box::new(w), None));
        }
        #[cfg(not(unix))]
        return Err(Error::Io(std::io::Error::other("Unix sockets need Unix")));
    }
    let s = tokio::net::TcpStream::connect((config.host.as_str(), config.port)).await?;
    s.set_nodelay(true)?;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    let lowat = LowWater::new(std::os::fd::AsRawFd::as_raw_fd(&s));
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let lowat = LowWater::new(());
    let (r, w) = s.into_split();
    Ok((Box::new(r), Box::new(w), lowat))
}

impl Client {
    /// Connects, negotiates (no) TLS, sends the startup packet,
    /// authenticates and waits for the first ReadyForQuery, all within
    /// [`Config::connect_timeout`].
    ///
    /// # Errors
    ///
    /// [`Error::Server`] for the server's refusal (a wrong password, an
    /// unknown database), [`Error::Auth`] for a method this client cannot
    /// answer or a missing password, [`Error::Tls`] when TLS is required,
    /// [`Error::Timeout`], and I/O or protocol errors.
    pub async fn connect(config: &Config) -> Result<Client, Error> {
        match config.connect_timeout {
            Some(t) => tokio::time::timeout(t, Client::connect_now(config))
                .await
                .map_err(|_| Error::Timeout(t))?,
            None => Client::connect_now(config).await,
        }
    }

    async fn connect_now(config: &Config) -> Result<Client, Error> {
        let (mut r, mut w, mut lowat) = open(config).await?;
        if config.ssl_mode != SslMode::Disable {
            let mut out = Vec::new();
            encode_frame(&Startup::from(SslRequest {}), &mut out)?;
            w.write_all(&out).await?;
            let answer = r.read_u8().await?;
            match (answer, config.ssl_mode) {
                (b'N', SslMode::Require) => {
                    return Err(Error::Tls(
                        "server does not support TLS, and sslmode=require demands it".into(),
                    ))
                }
                (b'N', _) => {}
                (b'S', SslMode::Require) => {
                    return Err(Error::Tls(
                        "server accepts TLS, but this client does not speak TLS (sslmode=require)"
                            .into(),
                    ))
                }
                (b'S', _) => {
                    // The server would do TLS; we cannot. Start over in
                    // plain text, as libpq's `prefer` does when TLS fails.
                    drop((r, w));
                    (r, w, lowat) = open(config).await?;
                }
                (other, _) => {
                    return Err(Error::Protocol(format!(
                        "server answered SSLRequest with byte {other:#04x}, not 'S' or 'N'"
                    )))
                }
            }
        }
        let mut client = Client {
            rd: Incoming {
                frames: Frames::new(
                    r,
                    BackendCodec::new(config.max_message_len),
                    lowat,
                    config.bulk_read_mark,
                ),
                params: BTreeMap::new(),
                notifications: VecDeque::new(),
                on_notice: Box::new(|_| {}),
                status: b'I',
            },
            wr: Outgoing {
                stream: w,
                out: Vec::new(),
            },
            config: config.clone(),
            key: None,
            busy: false,
        };
        client.startup().await?;
        Ok(client)
    }

    async fn startup(&mut self) -> Result<(), Error> {
        let c = &self.config;
        let mut params = vec![
            ("user".to_string(), c.user.clone()),
            ("database".to_string(), c.dbname.clone()),
            ("client_encoding".to_string(), "UTF8".to_string()),
        ];
        if let Some(app) = &c.application_name {
            params.push(("application_name".into(), app.clone()));
        }
        params.extend(c.params.iter().cloned());
        let startup = Startup::from(StartupMessage {
            params: params
                .into_iter()
                .map(|(name, value)| Param { name, value })
                .collect(),
        });
        encode_frame(&startup, &mut self.wr.out)?;
        self.wr.flush().await?;

        let mut scram: Option<Scram> = None;
        loop {
            match self.rd.recv().await? {
                Backend::Authentication(a) => match a.auth {
                    Authentication::Ok => {}
                    Authentication::CleartextPassword => {
                        let pw = self.password()?.to_string();
                        self.send_auth(PasswordBody { password: pw }.to_bytes()?)
                            .await?;
                    }
                    Authentication::Md5Password { salt } => {
                        let pw = md5_password(&self.config.user, self.password()?, salt);
                        self.send_auth(PasswordBody { password: pw }.to_bytes()?)
                            .await?;
                    }
                    Authentication::Sasl { mechanisms } => {
                        if !mechanisms.iter().any(|m| m.name == "SCRAM-SHA-256") {
                            let names: Vec<_> = mechanisms.into_iter().map(|m| m.name).collect();
                            return Err(Error::Auth(format!(
                                "none of the server's SASL mechanisms is supported: {names:?}"
                            )));
                        }
                        let mut s = Scram::new(self.password()?).map_err(Error::Auth)?;
                        let first = s.client_first();
                        scram = Some(s);
                        self.send_auth(
                            SaslInitialResponse {
                                mechanism: "SCRAM-SHA-256".into(),
                                data: Some(first.into_bytes()),
                            }
                            .to_bytes()?,
                        )
                        .await?;
                    }
                    Authentication::SaslContinue { data } => {
                        let s = scram
                            .as_mut()
                            .ok_or_else(|| Error::Unexpected("SASLContinue before SASL".into()))?;
                        let fin = s.client_final(&data).map_err(Error::Auth)?;
                        self.send_auth(
                            SaslResponse {
                                data: fin.into_bytes(),
                            }
                            .to_bytes()?,
                        )
                        .await?;
                    }
                    Authentication::SaslFinal { data } => {
                        scram
                            .as_ref()
                            .ok_or_else(|| Error::Unexpected("SASLFinal before SASL".into()))?
                            .verify_server_final(&data)
                            .map_err(Error::Auth)?;
                    }
                    other => {
                        return Err(Error::Auth(format!(
                            "the server asks for an unsupported authentication method: {other:?}"
                        )))
                    }
                },
                Backend::BackendKeyData(k) => self.key = Some(k),
                Backend::NegotiateProtocolVersion(_) => {}
                Backend::ErrorResponse(e) => {
                    let notice = Notice::from_fields(e.fields);
                    if notice.code() == "28000" && notice.message().contains("no encryption") {
                        return Err(Error::Tls(format!(
                            "the server requires TLS, which this client does not speak: {}",
                            notice.message()
                        )));
                    }
                    return Err(Error::Server(notice));
                }
                Backend::ReadyForQuery(z) => {
                    self.rd.status = z.status;
                    return Ok(());
                }
                other => {
                    return Err(Error::Unexpected(format!(
                        "{} during startup",
                        other.name()
                    )))
                }
            }
        }
    }

    fn password(&self) -> Result<&str, Error> {
        self.config
            .password
            .as_deref()
            .ok_or_else(|| Error::Auth("no password supplied".into()))
    }

    async fn send_auth(&mut self, body: Vec<u8>) -> Result<(), Error> {
        self.wr.send(AuthResponse { body })?;
        self.wr.flush().await
    }

    /// Sets what happens to each NoticeResponse (by default: nothing).
    pub fn on_notice(&mut self, f: impl FnMut(&Notice) + Send + 'static) {
        self.rd.on_notice = Box::new(f);
    }

    /// A run-time parameter the server reported (`server_version`,
    /// `client_encoding`, `DateStyle`, ...).
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.rd.params.get(name).map(String::as_str)
    }

    /// Every parameter the server reported.
    pub fn parameters(&self) -> &BTreeMap<String, String> {
        &self.rd.params
    }

    /// The BackendKeyData, if the server sent one.
    pub fn backend_key(&self) -> Option<&BackendKeyData> {
        self.key.as_ref()
    }

    /// The transaction status of the last ReadyForQuery: `b'I'`, `b'T'`
    /// or `b'E'`.
    pub fn transaction_status(&self) -> u8 {
        self.rd.status
    }

    /// What a CancelRequest for this session needs, if the server sent
    /// BackendKeyData.
    pub fn cancel_token(&self) -> Option<CancelToken> {
        Some(CancelToken {
            config: self.config.clone(),
            key: self.key.clone()?,
        })
    }

    async fn settle(&mut self) -> Result<(), Error> {
        // A bulk COPY dropped early: its rest is read without the mark.
        self.rd.frames.bulk = false;
        if self.busy {
            self.rd.until_ready(None).await?;
            self.busy = false;
        }
        Ok(())
    }

    /// Runs a simple query (one or more statements), handing each result
    /// event to `f` as it arrives, so rows are never all held.
    ///
    /// # Errors
    ///
    /// [`Error::Server`] with the first ErrorResponse (the statements
    /// before it have produced their events); the first error `f`
    /// returned (the rest of the answer is still read, so the session
    /// stays usable); I/O and protocol errors.
    pub async fn simple_query_with(
        &mut self,
        sql: &str,
        mut f: impl FnMut(Event<'_>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.settle().await?;
        self.wr.send(Query { query: sql.into() })?;
        self.wr.flush().await?;
        let mut failed: Option<Error> = None;
        let mut server_error = None;
        let mut keep = |r: Result<(), Error>| {
            if let Err(e) = r {
                failed.get_or_insert(e);
            }
        };
        loop {
            if let Some(r) = self.rd.frames.row() {
                keep(f(Event::Row(&r)));
                continue;
            }
            let msg = match self.rd.buffered()? {
                Some(msg) => msg,
                None => self.rd.recv_row().await?,
            };
            let msg = match msg {
                Received::Row(r) => {
                    keep(f(Event::Row(&r)));
                    continue;
                }
                Received::CopyData(d) => {
                    keep(f(Event::CopyData(&d)));
                    continue;
                }
                Received::Msg(msg) => msg,
            };
            match msg {
                Backend::RowDescription(d) => keep(f(Event::Columns(&d.fields))),
                Backend::CommandComplete(c) => keep(f(Event::Complete(&c.tag))),
                Backend::EmptyQueryResponse(_) => keep(f(Event::EmptyQuery)),
                Backend::CopyOutResponse(_) => keep(f(Event::CopyOut)),
                Backend::CopyDone(_) => {}
                Backend::CopyInResponse(_) => {
                    self.wr.send(CopyFail {
                        message: "COPY FROM STDIN needs Client::copy_in".into(),
                    })?;
                    self.wr.flush().await?;
                }
                Backend::ErrorResponse(e) => {
                    server_error.get_or_insert(Notice::from_fields(e.fields));
                }
                Backend::ReadyForQuery(z) => {
                    self.rd.status = z.status;
                    break;
                }
                other => return Err(Error::Unexpected(other.name().into())),
            }
        }
        if let Some(e) = server_error {
            return Err(Error::Server(e));
        }
        failed.map_or(Ok(()), Err)
    }

    /// Runs a simple query and collects every statement's result.
    ///
    /// # Errors
    ///
    /// As [`Client::simple_query_with`].
    pub async fn simple_query(&mut self, sql: &str) -> Result<Vec<QueryResult>, Error> {
        let mut results: Vec<QueryResult> = Vec::new();
        let mut open = false;
        self.simple_query_with(sql, |ev| {
            match ev {
                Event::Columns(c) => {
                    results.push(QueryResult {
                        columns: c.to_vec(),
                        ..QueryResult::default()
                    });
                    open = true;
                }
                Event::Row(r) => {
                    if let Some(last) = results.last_mut() {
                        last.rows.push(r.clone());
                    }
                }
                Event::Complete(tag) => {
                    if !open {
                        results.push(QueryResult::default());
                    }
                    if let Some(last) = results.last_mut() {
                        last.tag = Some(tag.into());
                    }
                    open = false;
                }
                Event::EmptyQuery => results.push(QueryResult::default()),
                Event::CopyOut | Event::CopyData(_) => {}
            }
            Ok(())
        })
        .await?;
        Ok(results)
    }

    /// Runs one statement with the extended query protocol.
    ///
    /// # Errors
    ///
    /// [`Error::Server`] when the server refuses it; I/O and protocol
    /// errors.
    pub async fn query(&mut self, q: &ExtendedQuery) -> Result<QueryResult, Error> {
        let mut all = self.pipeline(std::slice::from_ref(q)).await?;
        all.pop()
            .expect("one result per query")
            .map_err(Error::Server)
    }

    /// Sends every statement at once (each Parse, Bind, Describe,
    /// Execute, Sync), writing while the answers are read, and returns one
    /// result per statement: a failed one does not stop the others.
    ///
    /// # Errors
    ///
    /// I/O and protocol errors (the server's errors are in the results).
    pub async fn pipeline(
        &mut self,
        queries: &[ExtendedQuery],
    ) -> Result<Vec<Result<QueryResult, Notice>>, Error> {
        self.settle().await?;
        for q in queries {
            self.wr.send_extended(q)?;
        }
        let (rd, wr) = (&mut self.rd, &mut self.wr);
        let read = async {
            let mut results = Vec::with_capacity(queries.len());
            for _ in queries {
                results.push(rd.extended_result().await?);
            }
            Ok::<_, Error>(results)
        };
        let (_, results) = tokio::try_join!(wr.flush(), read)?;
        Ok(results)
    }

    /// Sends a COPY statement and waits for CopyOutResponse (`out`) or
    /// CopyInResponse; from then on the session is busy until
    /// ReadyForQuery.
    async fn copy_start(&mut self, sql: &str, out: bool) -> Result<(), Error> {
        self.settle().await?;
        self.wr.send(Query { query: sql.into() })?;
        self.wr.flush().await?;
        let msg = self.rd.recv().await?;
        match msg {
            Backend::CopyOutResponse(_) if out => {}
            Backend::CopyInResponse(_) if !out => {}
            Backend::ErrorResponse(e) => {
                let e = self
                    .rd
                    .until_ready(Some(Notice::from_fields(e.fields)))
                    .await?;
                return Err(Error::Server(e.unwrap_or_default()));
            }
            other => {
                self.busy = true;
                let what = if out {
                    "COPY TO STDOUT data"
                } else {
                    "COPY FROM STDIN"
                };
                return Err(Error::Unexpected(format!(
                    "{} where {what} should start",
                    other.name()
                )));
            }
        }
        self.busy = true;
        Ok(())
    }

    /// Runs `COPY ... TO STDOUT` and returns the data as it streams in.
    ///
    /// # Errors
    ///
    /// [`Error::Server`] when the statement fails before data starts;
    /// [`Error::Unexpected`] when it is not a COPY TO STDOUT.
    pub async fn copy_out(&mut self, sql: &str) -> Result<CopyOut<'_>, Error> {
        self.copy_start(sql, true).await?;
        Ok(CopyOut {
            client: self,
            tag: None,
            received: 0,
        })
    }

    /// Runs `COPY ... FROM STDIN`, streaming `source` in 64 KiB CopyData
    /// messages, and returns the number of rows the server reports. An
    /// error the server sends mid-way stops the sending at once.
    ///
    /// # Errors
    ///
    /// [`Error::Server`] for the server's error; an I/O error of `source`
    /// (the copy is aborted with CopyFail); I/O and protocol errors.
    pub async fn copy_in(
        &mut self,
        sql: &str,
        mut source: impl AsyncRead + Unpin,
    ) -> Result<u64, Error> {
        self.copy_start(sql, false).await?;
        let mut early: Option<Notice> = None;
        loop {
            // An error already sent by the server (a bad row) ends the
            // sending: everything after it would be dropped anyway.
            if let Some(msg) = self.rd.frames.next().now_or_never() {
                match self.rd.absorb(msg?.into_backend()) {
                    Some(Backend::ErrorResponse(e)) => {
                        early = Some(Notice::from_fields(e.fields));
                        break;
                    }
                    Some(other) => {
                        return Err(Error::Unexpected(format!(
                            "{} during COPY FROM STDIN",
                            other.name()
                        )))
                    }
                    None => continue,
                }
            }
            let mut chunk = Vec::with_capacity(COPY_CHUNK);
            let n = match (&mut source)
                .take(COPY_CHUNK as u64)
                .read_to_end(&mut chunk)
                .await
            {
                Ok(n) => n,
                Err(e) => {
                    self.wr.send(CopyFail {
                        message: format!("client input failed: {e}"),
                    })?;
                    self.wr.flush().await?;
                    self.rd.until_ready(None).await?;
                    self.busy = false;
                    return Err(Error::Io(e));
                }
            };
            if n == 0 {
                self.wr.send(CopyDone {})?;
                self.wr.flush().await?;
                break;
            }
            self.wr.send(CopyData { data: chunk })?;
            self.wr.flush().await?;
        }
        let mut rows = 0;
        let error = loop {
            match self.rd.recv().await? {
                Backend::CommandComplete(c) => {
                    rows = c
                        .tag
                        .strip_prefix("COPY ")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                }
                Backend::ErrorResponse(e) => {
                    early.get_or_insert(Notice::from_fields(e.fields));
                }
                Backend::ReadyForQuery(z) => {
                    self.rd.status = z.status;
                    break early;
                }
                other => return Err(Error::Unexpected(other.name().into())),
            }
        };
        self.busy = false;
        match error {
            Some(e) => Err(Error::Server(e)),
            None => Ok(rows),
        }
    }

    /// The next notification: a queued one, or the next to arrive (the
    /// session should be idle, after `LISTEN`).
    ///
    /// # Errors
    ///
    /// I/O and protocol errors; [`Error::Unexpected`] for a message
    /// other than an asynchronous one.
    pub async fn next_notification(&mut self) -> Result<Notification, Error> {
        self.settle().await?;
        loop {
            if let Some(n) = self.rd.notifications.pop_front() {
                return Ok(n);
            }
            let msg = self.rd.recv_any().await?;
            if let Some(other) = self.rd.absorb(msg.into_backend()) {
                return Err(Error::Unexpected(format!(
                    "{} while waiting for notifications",
                    other.name()
                )));
            }
        }
    }

    /// Takes the notifications that arrived during commands and were not
    /// read yet.
    pub fn take_notifications(&mut self) -> Vec<Notification> {
        self.rd.notifications.drain(..).collect()
    }

    /// Notifications as a stream (queued ones first), ending after the
    /// first error.
    pub fn notifications(&mut self) -> impl Stream<Item = Result<Notification, Error>> + '_ {
        futures::stream::unfold(Some(self), |client| async move {
            let client = client?;
            match client.next_notification().await {
                Ok(n) => Some((Ok(n), Some(client))),
                Err(e) => Some((Err(e), None)),
            }
        })
    }

    /// Sends Terminate and closes the connection.
    ///
    /// # Errors
    ///
    /// When the socket cannot be written.
    pub async fn close(mut self) -> Result<(), Error> {
        self.wr.send(Terminate {})?;
        self.wr.flush().await?;
        self.wr.stream.shutdown().await?;
        Ok(())
    }
}

/// A COPY TO STDOUT in progress: [`CopyOut::next`] until `None`.
/// Dropping it early is allowed: the session reads the rest before its
/// next command.
#[derive(Debug)]
pub struct CopyOut<'a> {
    client: &'a mut Client,
    tag: Option<String>,
    /// Bytes of CopyData received so far, until [`BULK_AFTER`].
    received: usize,
}

/// A COPY TO STDOUT that has sent this many bytes is a bulk stream: its
/// reads wait for a raised low-water mark (see [`LowWater`]) until its
/// end, or until the next command when it is dropped early. A short copy
/// never waits for the mark, and a long one at most once for its last
/// bytes.
const BULK_AFTER: usize = 256 * 1024;

impl CopyOut<'_> {
    /// The next chunk of data (one CopyData: a row, in text and CSV
    /// formats), or `None` at the end. The chunk is the message's bytes
    /// as read, not a copy.
    ///
    /// # Errors
    ///
    /// [`Error::Server`] when the copy fails mid-way; I/O and protocol
    /// errors.
    pub async fn next(&mut self) -> Result<Option<Bytes>, Error> {
        if !self.client.busy {
            return Ok(None);
        }
        loop {
            if let Some(d) = self.client.rd.frames.copy_data() {
                return Ok(Some(self.counted(d)));
            }
            let msg = match self.client.rd.buffered()? {
                Some(msg) => msg,
                None => self.client.rd.recv_row().await?,
            };
            let msg = match msg {
                Received::CopyData(d) => return Ok(Some(self.counted(d))),
                other => other.into_backend(),
            };
            self.client.rd.frames.bulk = false;
            match msg {
                Backend::CopyDone(_) => {}
                Backend::CommandComplete(c) => self.tag = Some(c.tag),
                Backend::ErrorResponse(e) => {
                    let e = self
                        .client
                        .rd
                        .until_ready(Some(Notice::from_fields(e.fields)))
                        .await?;
                    self.client.busy = false;
                    return Err(Error::Server(e.unwrap_or_default()));
                }
                Backend::ReadyForQuery(z) => {
                    self.client.rd.status = z.status;
                    self.client.busy = false;
                    return Ok(None);
                }
                other => return Err(Error::Unexpected(other.name().into())),
            }
        }
    }

    /// Counts a chunk towards [`BULK_AFTER`].
    #[inline]
    fn counted(&mut self, d: Bytes) -> Bytes {
        if self.received < BULK_AFTER {
            self.received += d.len();
            self.client.rd.frames.bulk = self.received >= BULK_AFTER;
        }
        d
    }

    /// The command tag (`COPY 1000`), once the end was reached.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd as _;
    use std::time::Instant;

    /// A loopback pair: the server's end, and [`Frames`] over the
    /// client's with its low-water mark (`bulk_mark` 32 KiB) and the
    /// given tail wait; the client's write half, kept open.
    async fn pair(
        tail_wait: Duration,
    ) -> (
        tokio::net::TcpStream,
        Frames,
        tokio::net::tcp::OwnedWriteHalf,
    ) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let c = tokio::net::TcpStream::connect(l.local_addr().unwrap())
            .await
            .unwrap();
        let (s, _) = l.accept().await.unwrap();
        s.set_nodelay(true).unwrap();
        let lowat = LowWater::new(c.as_raw_fd());
        assert!(lowat.is_some(), "the kernel is 4.18 or newer");
        let (r, w) = c.into_split();
        let mut frames = Frames::new(
            Box::new(r),
            BackendCodec::new(DEFAULT_MAX_MESSAGE_LEN),
            lowat,
            32 * 1024,
        );
        frames.tail_wait = tail_wait;
        (s, frames, w)
    }

    /// Writes `n` flushes of 8 KiB, `gap` apart, the first after `gap`:
    /// the reader is waiting by then (bytes queued before a read raises
    /// the mark are taken at once, with no wake-up to save).
    fn flushes(
        mut s: tokio::net::TcpStream,
        n: usize,
        gap: Duration,
    ) -> tokio::task::JoinHandle<tokio::net::TcpStream> {
        tokio::spawn(async move {
            for _ in 0..n {
                tokio::time::sleep(gap).await;
                s.write_all(&[7u8; 8192]).await.unwrap();
            }
            s
        })
    }

    /// With the mark raised one read takes four 8 KiB flushes that come
    /// 40 ms apart (without it, it would wake for the first); the tail
    /// wait is long here, so only the mark can end the read.
    #[tokio::test]
    async fn a_bulk_read_waits_for_the_mark() {
        tokio::time::timeout(Duration::from_secs(20), async {
            let (s, mut frames, _w) = pair(Duration::from_secs(10)).await;
            frames.bulk = true;
            let t = Instant::now();
            let server = flushes(s, 4, Duration::from_millis(40));
            frames.fill().await.unwrap();
            assert_eq!(frames.buf.len(), 32 * 1024);
            assert!(
                t.elapsed() >= Duration::from_millis(150),
                "{:?}",
                t.elapsed()
            );
            assert_eq!(frames.lowat.as_ref().unwrap().mark(), 32 * 1024);
            server.await.unwrap();
        })
        .await
        .expect("bounded");
    }

    /// Bytes that never reach the mark (a stream's end) are read once the
    /// tail wait is over; a read outside a bulk stream puts the mark back
    /// to 1 and wakes for the first flush.
    #[tokio::test]
    async fn a_tail_below_the_mark_comes_after_the_tail_wait() {
        tokio::time::timeout(Duration::from_secs(20), async {
            let (s, mut frames, _w) = pair(Duration::from_millis(100)).await;
            frames.bulk = true;
            let t = Instant::now();
            let server = flushes(s, 1, Duration::from_millis(50));
            frames.fill().await.unwrap();
            assert_eq!(frames.buf.len(), 8192);
            // The bytes came at 50 ms; the read ended with its tail wait.
            assert!(
                t.elapsed() >= Duration::from_millis(100),
                "{:?}",
                t.elapsed()
            );
            let s = server.await.unwrap();

            frames.bulk = false;
            frames.buf.clear();
            let t = Instant::now();
            let server = flushes(s, 2, Duration::from_millis(300));
            frames.fill().await.unwrap();
            assert_eq!(frames.buf.len(), 8192);
            assert!(
                t.elapsed() < Duration::from_millis(550),
                "{:?}",
                t.elapsed()
            );
            assert_eq!(frames.lowat.as_ref().unwrap().mark(), 1);
            server.await.unwrap();
        })
        .await
        .expect("bounded");
    }
}
