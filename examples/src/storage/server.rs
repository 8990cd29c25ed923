//! The storage server: the protocol's handlers over [`Db`], watchers, and
//! the token handshake.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;
use codec::rpc::{
    BoxFuture, CounterSnapshot, Dispatcher, Handler, Handshake, HandshakeConn, IdleHold, Later,
    Peer,
};
use codec::{Message, Protocol};

use super::db::{Change, Db};
use super::protocol::*;
use super::stats::{self, MessageCounters};

/// An upload in progress.
#[derive(Debug)]
struct Upload {
    name: String,
    size: u64,
    /// The connection that started it; only it may send chunks.
    owner: u64,
    /// Chunk indexes received.
    received: BTreeSet<u64>,
    /// When it last received a chunk (or began).
    touched: Instant,
}

impl Upload {
    fn chunks(&self) -> u64 {
        self.size.div_ceil(CHUNK as u64)
    }
}

/// One connection watching one key: it is notified of each change, and
/// held open (exempt from the idle limit) while it watches.
#[derive(Debug)]
struct Watcher {
    peer: Peer<Storage>,
    /// Released when the watch ends (unwatched, or the peer gone).
    _hold: IdleHold,
}

/// Watchers by key: peer id to watcher.
type Watchers = HashMap<String, HashMap<u64, Watcher>>;

/// The service behind every connection.
pub struct Service {
    db: Db,
    uploads: Mutex<HashMap<u64, Upload>>,
    watchers: Arc<Mutex<Watchers>>,
    token: Option<Vec<u8>>,
    /// Requests and errors by message (relaxed atomics).
    messages: MessageCounters,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

/// Uploads in progress at once, across all connections.
const MAX_UPLOADS: usize = 1024;

/// Uploads in progress at once on one connection.
const MAX_UPLOADS_PER_CONN: usize = 64;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Handlers never leave these maps half-updated, so a poisoned lock
    // (a panic elsewhere while holding it) is still consistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Service {
    /// Opens the database (`None`: in memory) and builds the service;
    /// `token` is the shared secret clients must present, if any.
    ///
    /// # Errors
    ///
    /// The database cannot be opened.
    pub fn open(
        path: Option<&std::path::Path>,
        token: Option<Vec<u8>>,
    ) -> Result<Arc<Service>, super::db::DbError> {
        let watchers: Arc<Mutex<Watchers>> = Arc::default();
        let notify = Arc::clone(&watchers);
        let db = Db::open(path, move |changes| notify_watchers(&notify, changes))?;
        Ok(Arc::new(Service {
            db,
            uploads: Mutex::default(),
            watchers,
            token,
            messages: MessageCounters::default(),
        }))
    }

    /// What serves the protocol's requests: each to its method of the
    /// service ([`StorageService`]), but a durable store, which is
    /// answered when its log sync completes, with no future per request
    /// ([`Later`]).
    pub fn handler(self: &Arc<Self>) -> impl Handler<Storage> {
        Served(Dispatcher(Arc::clone(self)))
    }

    /// The database, for shutdown.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The handshake clients must pass, when the server has a token.
    pub fn handshake(&self) -> Option<TokenHandshake> {
        self.token
            .as_ref()
            .map(|t| TokenHandshake { token: t.clone() })
    }

    /// The named counters: `server`'s (the connections'), the requests and
    /// errors by message, and the engine's (see [`stats`]).
    ///
    /// # Errors
    ///
    /// The database could not be measured.
    pub async fn stats(&self, server: &CounterSnapshot) -> Result<Vec<Stat>, super::db::DbError> {
        let engine = self.db.stats().await?;
        let watchers = lock(&self.watchers)
            .values()
            .map(HashMap::len)
            .sum::<usize>();
        Ok(stats::collect(
            server,
            &self.messages,
            &engine,
            watchers as u64,
        ))
    }

    /// Whether `peer` may begin another upload: at most
    /// [`MAX_UPLOADS_PER_CONN`] each. When [`MAX_UPLOADS`] are in progress,
    /// the one idle the longest is dropped: the handler hears of no
    /// disconnection, so uploads abandoned by clients that went away must
    /// not lock everyone else out (an active upload touches its entry with
    /// every chunk, so it is the last to go).
    fn make_room(&self, peer: u64) -> bool {
        let mut uploads = lock(&self.uploads);
        if uploads.values().filter(|u| u.owner == peer).count() >= MAX_UPLOADS_PER_CONN {
            return false;
        }
        if uploads.len() < MAX_UPLOADS {
            return true;
        }
        let oldest = uploads
            .iter()
            .min_by_key(|(_, u)| u.touched)
            .map(|(id, u)| (*id, u.touched));
        match oldest {
            Some((id, touched)) => {
                uploads.remove(&id);
                drop(uploads);
                self.db.drop_blob(id);
                tracing::info!(upload = id, idle = ?touched.elapsed(), "upload table full: dropped the upload idle the longest");
                true
            }
            None => false,
        }
    }

    /// Checks a chunk against its upload; the chunk's index if it belongs.
    fn chunk_index(&self, r: &PutChunk, peer: &Peer<Storage>) -> Option<u64> {
        let uploads = lock(&self.uploads);
        let up = uploads.get(&r.upload).filter(|u| u.owner == peer.id())?;
        let index = r.offset / CHUNK as u64;
        let expected = (up.size - (index * CHUNK as u64).min(up.size)).min(CHUNK as u64);
        let aligned = r.offset.is_multiple_of(CHUNK as u64) && index < up.chunks();
        (aligned && r.data.len() as u64 == expected).then_some(index)
    }

    /// The counters as they are before this request is counted.
    async fn stats_reply(&self, r: StatsRequest, peer: &Peer<Storage>) -> StatsResponse {
        let (status, stats) = match self.stats(&peer.server_counters()).await {
            Ok(stats) => (Status::Success, stats),
            Err(e) => (eio(&e), Vec::new()),
        };
        StatsResponse {
            trans: r.trans,
            status,
            stats,
        }
    }
}

/// [`Service::handler`].
struct Served(Dispatcher<Service>);

impl Handler<Storage> for Served {
    #[inline]
    fn handle(
        &self,
        req: Storage,
        peer: &Peer<Storage>,
    ) -> impl Future<Output = Option<Storage>> + Send {
        self.0.handle(req, peer)
    }

    /// A durable store waits for its log's sync; the other requests (and
    /// every store of the in-memory engine) are answered at once or wait
    /// on reads.
    #[inline]
    fn answers_later(&self, req: &Storage) -> bool {
        matches!(req, Storage::StoreRequest(_)) && self.0 .0.db.is_durable()
    }

    fn handle_later(&self, req: Storage, _: &Peer<Storage>, later: Later<Storage>) {
        let Storage::StoreRequest(StoreRequest { trans, name, data }) = req else {
            unreachable!("only stores are answered later")
        };
        let key = valid_name(&name).then(|| name.clone());
        let service = Arc::clone(&self.0 .0);
        let answer = move |status| {
            let reply = Storage::from(StoreResponse {
                trans,
                name,
                status,
            });
            service
                .messages
                .count(StoreRequest::ID, stats::failed(Some(&reply)));
            later.answer(reply);
        };
        let Some(key) = key else {
            return answer(Status::Einval);
        };
        self.0
             .0
            .db
            .store_then(key, data, move |stored| answer(status(&stored)));
    }
}

/// The protocol's requests, each answered by its typed method; the
/// generated [`Dispatch`](codec::Dispatch) routes every message here (no
/// `match` over the variants), and `replied` counts each by message.
impl StorageService<Peer<Storage>> for Service {
    /// The in-memory engine's stores (a durable store is answered later,
    /// by `Served::handle_later`).
    async fn store_request(&self, r: StoreRequest, _: &Peer<Storage>) -> StoreResponse {
        let status = if !valid_name(&r.name) {
            Status::Einval
        } else {
            status(&self.db.store(r.name.clone(), r.data).await)
        };
        StoreResponse {
            trans: r.trans,
            name: r.name,
            status,
        }
    }

    async fn fetch_request(&self, r: FetchRequest, _: &Peer<Storage>) -> FetchResponse {
        // What fits in one frame: trans, status, name.len, name, data.len.
        let limit = (MAX_PAYLOAD - 5 - r.name.len()) as u64;
        let (status, data) = match self.db.fetch(&r.name, limit).await {
            Ok(Some(Ok(data))) => (Status::Success, data),
            Ok(Some(Err(_too_big))) => (Status::Fail, Bytes::new()),
            Ok(None) => (Status::Ekey, Bytes::new()),
            Err(e) => (eio(&e), Bytes::new()),
        };
        FetchResponse {
            trans: r.trans,
            status,
            name: r.name,
            data,
        }
    }

    async fn delete_request(&self, r: DeleteRequest, _: &Peer<Storage>) -> DeleteResponse {
        let status = match self.db.delete(r.name.clone()).await {
            Ok(Some(_)) => Status::Success,
            Ok(None) => Status::Ekey,
            Err(e) => eio(&e),
        };
        DeleteResponse {
            trans: r.trans,
            name: r.name,
            status,
        }
    }

    async fn list_request(&self, r: ListRequest, _: &Peer<Storage>) -> ListResponse {
        // An entry takes at most 1 + 255 + 10 bytes: 240 fit in one frame.
        let limit = usize::from(r.limit).clamp(1, 240);
        match self.db.list(r.prefix, r.after, limit).await {
            Ok((entries, more)) => ListResponse {
                trans: r.trans,
                status: Status::Success,
                more,
                entries,
            },
            Err(e) => ListResponse {
                trans: r.trans,
                status: eio(&e),
                more: false,
                entries: Vec::new(),
            },
        }
    }

    async fn put_begin(&self, r: PutBegin, peer: &Peer<Storage>) -> PutBeginResponse {
        let refuse = |status| PutBeginResponse {
            trans: r.trans,
            status,
            upload: 0,
        };
        if !valid_name(&r.name) || r.size > MAX_VALUE || !self.make_room(peer.id()) {
            return refuse(Status::Einval);
        }
        match self.db.new_blob().await {
            Ok(blob) => {
                let upload = Upload {
                    name: r.name,
                    size: r.size,
                    owner: peer.id(),
                    received: BTreeSet::new(),
                    touched: Instant::now(),
                };
                lock(&self.uploads).insert(blob, upload);
                PutBeginResponse {
                    trans: r.trans,
                    status: Status::Success,
                    upload: blob,
                }
            }
            Err(e) => refuse(eio(&e)),
        }
    }

    async fn put_chunk(&self, r: PutChunk, peer: &Peer<Storage>) -> ChunkAck {
        let Some(index) = self.chunk_index(&r, peer) else {
            return ChunkAck {
                trans: r.trans,
                status: Status::Einval,
            };
        };
        let status = match self.db.put_chunk(r.upload, index, r.data).await {
            Ok(()) => {
                if let Some(up) = lock(&self.uploads).get_mut(&r.upload) {
                    up.received.insert(index);
                    up.touched = Instant::now();
                }
                Status::Success
            }
            Err(e) => eio(&e),
        };
        ChunkAck {
            trans: r.trans,
            status,
        }
    }

    async fn put_commit(&self, r: PutCommit, peer: &Peer<Storage>) -> StoreResponse {
        let ready = {
            let mut uploads = lock(&self.uploads);
            match uploads.get(&r.upload) {
                Some(up) if up.owner == peer.id() && up.received.len() as u64 == up.chunks() => {
                    uploads.remove(&r.upload)
                }
                Some(up) if up.owner == peer.id() => {
                    return StoreResponse {
                        trans: r.trans,
                        name: up.name.clone(),
                        status: Status::Einval,
                    };
                }
                _ => None,
            }
        };
        let Some(up) = ready else {
            return StoreResponse {
                trans: r.trans,
                name: String::new(),
                status: Status::Einval,
            };
        };
        let status = status(&self.db.commit(up.name.clone(), r.upload, up.size).await);
        StoreResponse {
            trans: r.trans,
            name: up.name,
            status,
        }
    }

    async fn get_chunk(&self, r: GetChunk, _: &Peer<Storage>) -> GetChunkResponse {
        let reply = |status, version, size, data| GetChunkResponse {
            trans: r.trans,
            status,
            version,
            size,
            data,
        };
        match self.db.chunk(&r.name, r.offset).await {
            Ok(Some((meta, _))) if r.version != 0 && meta.version != r.version => {
                reply(Status::Echanged, meta.version, meta.size, Bytes::new())
            }
            Ok(Some((meta, data))) => reply(Status::Success, meta.version, meta.size, data),
            Ok(None) => reply(Status::Ekey, 0, 0, Bytes::new()),
            Err(e) => reply(eio(&e), 0, 0, Bytes::new()),
        }
    }

    async fn watch_request(&self, r: WatchRequest, peer: &Peer<Storage>) -> WatchResponse {
        let mut watchers = lock(&self.watchers);
        if r.watch {
            // The handler hears of no disconnection: watchers of quiet keys
            // whose connection ended go here, so the map holds at most the
            // live watchers plus those gone since the last watch request.
            for peers in watchers.values_mut() {
                peers.retain(|_, w| !w.peer.is_closed());
            }
            watchers.retain(|_, peers| !peers.is_empty());
            watchers
                .entry(r.name.clone())
                .or_default()
                .entry(peer.id())
                .or_insert_with(|| Watcher {
                    peer: peer.clone(),
                    _hold: peer.hold_open(),
                });
        } else if let Some(peers) = watchers.get_mut(&r.name) {
            peers.remove(&peer.id());
            if peers.is_empty() {
                watchers.remove(&r.name);
            }
        }
        WatchResponse {
            trans: r.trans,
            name: r.name,
            status: Status::Success,
        }
    }

    async fn put_abort(&self, r: PutAbort, peer: &Peer<Storage>) -> ChunkAck {
        let mut uploads = lock(&self.uploads);
        let status = match uploads.get(&r.upload) {
            Some(up) if up.owner == peer.id() => {
                uploads.remove(&r.upload);
                self.db.drop_blob(r.upload);
                Status::Success
            }
            _ => Status::Einval,
        };
        ChunkAck {
            trans: r.trans,
            status,
        }
    }

    /// Boxed: rare, and its future would otherwise size every request's.
    fn stats_request(
        &self,
        r: StatsRequest,
        peer: &Peer<Storage>,
    ) -> impl Future<Output = StatsResponse> + Send {
        Box::pin(self.stats_reply(r, peer))
    }

    /// A client that says hello to a server without a token is welcome:
    /// there is nothing to check. (With a token, the handshake took the
    /// connection's only `Hello`.)
    fn hello(
        &self,
        m: Hello,
        peer: &Peer<Storage>,
    ) -> impl Future<Output = Option<Storage>> + Send {
        std::future::ready(match self.token {
            None => Some(
                Welcome {
                    status: Status::Success,
                }
                .into(),
            ),
            Some(_) => self.unexpected(m.into(), peer),
        })
    }

    /// Replies and notifications sent to a server answer nothing.
    fn unexpected(&self, msg: Storage, peer: &Peer<Storage>) -> Option<Storage> {
        tracing::debug!(peer = %peer.addr(), message = msg.name(), "ignored message a client should not send");
        None
    }

    /// Counts every message, by id, with its outcome: inside the one
    /// dispatch future (a second async fn wrapping each request cost 15 %
    /// more server CPU on pipelined in-memory stores).
    fn replied(&self, id: u64, reply: Option<Storage>, _: &Peer<Storage>) -> Option<Storage> {
        self.messages.count(id, stats::failed(reply.as_ref()));
        reply
    }
}

/// A write's status: SUCCESS, or EIO (logged).
fn status<T>(stored: &Result<T, super::db::DbError>) -> Status {
    match stored {
        Ok(_) => Status::Success,
        Err(e) => eio(e),
    }
}

fn eio(e: &super::db::DbError) -> Status {
    tracing::error!(error = %e, "answering EIO");
    Status::Eio
}

/// Sends each committed change to the key's watchers, in commit order
/// (this runs on the database's writer thread).
fn notify_watchers(watchers: &Mutex<Watchers>, changes: &[Change]) {
    let mut watchers = lock(watchers);
    for c in changes {
        let Some(peers) = watchers.get_mut(&c.name) else {
            continue;
        };
        let note = Storage::from(Changed {
            kind: c.kind,
            name: c.name.clone(),
            version: c.version,
            size: c.size,
        });
        peers.retain(|_, w| matches!(w.peer.notify(&note), Ok(true)));
    }
    watchers.retain(|_, peers| !peers.is_empty());
}

/// The shared-token handshake: the client sends [`Hello`] with the token,
/// the server answers [`Welcome`]; a wrong token is refused before any
/// request is read.
#[derive(Clone)]
pub struct TokenHandshake {
    /// The shared secret.
    pub token: Vec<u8>,
}

impl std::fmt::Debug for TokenHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHandshake { token: <hidden> }")
    }
}

/// Compares without leaking through timing where the first byte differs.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Handshake<Storage> for TokenHandshake {
    fn client<'a>(
        &'a self,
        conn: &'a mut HandshakeConn<'_, Storage>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            conn.send(
                &Hello {
                    version: VERSION,
                    token: self.token.clone(),
                }
                .into(),
            )
            .await?;
            match conn.recv().await? {
                Storage::Welcome(Welcome {
                    status: Status::Success,
                }) => Ok(()),
                Storage::Welcome(_) => Err("the server refused the token".into()),
                other => Err(format!("expected a Welcome, got {}", other.name())),
            }
        })
    }

    fn server<'a>(
        &'a self,
        conn: &'a mut HandshakeConn<'_, Storage>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let ok = match conn.recv().await? {
                Storage::Hello(h) => h.version == VERSION && same_secret(&h.token, &self.token),
                _ => false,
            };
            let status = if ok { Status::Success } else { Status::Einval };
            conn.send(&Welcome { status }.into()).await?;
            if ok {
                Ok(())
            } else {
                Err("wrong or missing token".into())
            }
        })
    }
}
