//! The broker: shared state (sessions, subscriptions, retained messages)
//! behind one lock, and one task per connection that reads frames with
//! the framework's [`FrameDecoder`], runs the packet rules, and feeds the
//! session's state machine ([`Session`]).
//!
//! ```text
//! accept → Conn::run: CONNECT → CONNACK → loop {
//!     frame in  → handle(packet)  → Session / State::route → frames out
//!     event in  (Deliver, TakenOver)  → Session::pump      → frames out
//!     keepalive × 1.5 without a frame → close
//! } → will (now or after its delay), session kept (expiry) or dropped
//! ```
//!
//! Routing asks the subscription index ([`SubIndex`]) which sessions
//! hold a matching filter. A connection whose PUBLISHes went somewhere
//! yields after its write when its last read filled the read buffer, so
//! a flooding publisher does not starve the subscribers (the broker runs
//! on one thread by default).
//!
//! A delivery to a connected client goes through its channel; to an
//! offline persistent session, straight into its queue under the lock. A
//! connection leaving drains its channel into the session under the same
//! lock, so no message is lost between the two.
//!
//! Back-pressure: each connected session counts its backlog (deliveries
//! in its channel or queue, not yet in flight). A publisher whose
//! PUBLISH reached a session over 1,000 reads nothing more until that
//! backlog is under 250 (or 250 ms have passed, so two clients feeding
//! each other cannot deadlock): a fan-in flood slows its publishers
//! instead of filling a queue until it drops. The counter `backlog_peak`
//! records the largest backlog seen; `tests/interop_mqtt_backpressure.rs`
//! stalls a subscriber under a flood and checks the bound, the slowed
//! publisher, the undisturbed bystander and the delivery of everything.
//!
//! Why the connection loop is its own and not `codec::rpc`'s server side
//! (the client, `client.rs`, is on `codec::rpc`): four things the broker
//! needs are outside what an rpc connection owns. The decode context is
//! set by the first packet: the protocol level of CONNECT decides whether
//! every later frame is a `Packet` (5.0) or a `Packet311`, where an rpc
//! connection decodes one protocol type for its whole life. Closing is
//! part of the protocol: a 5.0 client gets a DISCONNECT with the reason
//! code of what went wrong (malformed, protocol error, packet too large,
//! keepalive, session taken over) before the close, a 3.1.1 one only the
//! close. The packet identifiers in flight belong to the session, not to
//! the connection: an unacknowledged QoS 1 or 2 delivery outlives its
//! connection and goes out again with DUP on the client's next one, where
//! rpc's pending calls belong to their connection (resent only by a
//! client that reconnects). And another connection closes this one from
//! outside: a CONNECT with the same client identifier takes the session
//! over, the old connection sends DISCONNECT 0x8E and hands its session
//! state (`Event::TakenOver`) to the new one. The back-pressure above
//! also reaches across connections (a publisher's reads wait for its
//! subscribers' backlogs).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use codec::frame::{FrameDecoder, FrameError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, Notify};

use super::index::SubIndex;
use super::packet::*;
use super::props::{self, Property, Props};
use super::reason;
use super::session::{Delivery, Message, Session};
use super::topic::{matches, shared, valid_subscription};

/// Broker limits and options.
#[derive(Debug, Clone)]
pub struct Config {
    /// The largest packet accepted (advertised to 5.0 clients in CONNACK).
    pub max_packet: u32,
    /// Our receive maximum: unreleased QoS 2 publications a client may
    /// have (advertised to 5.0 clients).
    pub receive_max: u16,
    /// The highest topic alias a 5.0 client may use.
    pub topic_alias_max: u16,
    /// Send topic aliases to 5.0 clients whose CONNECT accepts them (a
    /// Topic Alias Maximum over 0). Off by default, as in mosquitto:
    /// mosquitto_sub 2.0.11 and paho-mqtt 2.2.0 advertise a maximum when
    /// told to but do not resolve what arrives.
    pub aliases_out: bool,
    /// The in-flight window toward 3.1.1 clients (5.0 ones say theirs).
    pub window_311: u16,
    /// Messages a session queues at most.
    pub max_queued: usize,
    /// How long a new connection has to send CONNECT.
    pub connect_timeout: Duration,
    /// Publish the counters as retained `$SYS/broker/NAME` messages this
    /// often (none: never).
    pub sys_interval: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_packet: 1 << 20,
            receive_max: 100,
            topic_alias_max: 16,
            aliases_out: false,
            window_311: 20,
            max_queued: 10_000,
            connect_timeout: Duration::from_secs(10),
            sys_interval: Some(Duration::from_secs(10)),
        }
    }
}

macro_rules! counters {
    ($($name:ident: $doc:literal,)*) => {
        /// The broker's counters, since start.
        #[derive(Debug, Default)]
        pub struct Counters {
            $(#[doc = $doc] pub $name: AtomicU64,)*
        }

        impl Counters {
            /// Every counter as `(name, value)`.
            pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($name), self.$name.load(Ordering::Relaxed)),)*]
            }
        }
    };
}

counters! {
    connections: "Connections accepted.",
    clients_connected: "Clients connected now.",
    packets_in: "Packets received.",
    packets_out: "Packets sent.",
    bytes_in: "Bytes received.",
    bytes_out: "Bytes sent.",
    publish_in: "PUBLISH packets received.",
    publish_out: "PUBLISH packets sent.",
    malformed: "Connections closed for a malformed packet.",
    protocol_errors: "Connections closed for a protocol error.",
    dropped: "Messages dropped (expired, too large, queue full).",
    wills: "Will messages published.",
    backlog_peak: "The most deliveries one connected session has had waiting at once \
                   (in its channel and queue, not yet written), since start: what the \
                   back-pressure bounds.",
}

fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

/// A subscription of one session.
#[derive(Debug, Clone)]
struct Sub {
    filter: String,
    group: Option<String>,
    qos: u8,
    no_local: bool,
    retain_as_published: bool,
    id: Option<u32>,
}

/// What a connection's task receives from the rest of the broker.
#[derive(Debug)]
enum Event {
    Deliver(Delivery),
    /// Another connection took the client id: hand the session over.
    TakenOver(oneshot::Sender<Session>),
}

#[derive(Debug)]
struct Live {
    id: u64,
    tx: mpsc::UnboundedSender<Event>,
    backlog: Arc<Backlog>,
}

/// A publisher that reached a session with a backlog over this many
/// deliveries waits before reading on (below the default queue limit of
/// 10,000, so a flood slows down before anything is dropped).
const HIGH_WATER: usize = 1_000;

/// The backlog a waiting publisher waits for.
const LOW_WATER: usize = 250;

/// How long a publisher waits for congested sessions at most per pause.
const CONGESTION_WAIT: Duration = Duration::from_millis(250);

/// A connected session's deliveries not yet in flight: sent through its
/// channel and not yet taken, plus its queue. Publishers add, the
/// session's connection takes away and wakes them when it drains.
#[derive(Debug, Default)]
struct Backlog {
    channel: AtomicUsize,
    queued: AtomicUsize,
    /// The connection is gone: nothing will drain it, nobody waits on it.
    closed: AtomicBool,
    drained: Notify,
}

impl Backlog {
    fn len(&self) -> usize {
        if self.closed.load(Ordering::Relaxed) {
            return 0;
        }
        self.channel.load(Ordering::Relaxed) + self.queued.load(Ordering::Relaxed)
    }

    /// Records the session's queue after a change; wakes the waiting
    /// publishers once the backlog is low.
    fn set_queued(&self, queued: usize) {
        self.queued.store(queued, Ordering::Relaxed);
        if self.len() < LOW_WATER {
            self.drained.notify_waiters();
        }
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.drained.notify_waiters();
    }
}

/// One client identifier's entry.
#[derive(Debug)]
struct Entry {
    /// The session while no connection holds it.
    session: Option<Session>,
    conn: Option<Live>,
    subs: HashMap<String, Sub>,
    /// Seconds the session outlives its connection (`u32::MAX`: forever).
    expiry: u32,
    /// Bumped on each connection, so a session expiry knows whether the
    /// client came back.
    generation: u64,
    /// A will waiting for its delay; a new connection cancels it, the
    /// session ending publishes it at once.
    will: Option<Will>,
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<Arc<str>, Entry>,
    /// The sessions by their subscriptions' filters: every `Sub` in every
    /// entry's `subs` is in it once (kept by `subscribe`, `unsubscribe`,
    /// `clear_subs` and `remove_session`).
    index: SubIndex,
    /// Scratch for `route`'s candidates (kept to spare an allocation per
    /// message).
    candidates: Vec<Arc<str>>,
    retained: BTreeMap<String, Arc<Message>>,
    shared_turn: HashMap<String, usize>,
}

impl State {
    /// Adds or replaces `client`'s subscription under `key` (the filter as
    /// subscribed, `$share/` prefix included); true if it replaced one.
    fn subscribe(&mut self, client: &Arc<str>, key: &str, sub: Sub) -> bool {
        let Some(entry) = self.sessions.get_mut(client) else {
            return false;
        };
        let filter = sub.filter.clone();
        match entry.subs.insert(key.to_string(), sub) {
            Some(old) => {
                self.index.remove(&old.filter, client);
                self.index.add(&filter, client);
                true
            }
            None => {
                self.index.add(&filter, client);
                false
            }
        }
    }

    /// Removes `client`'s subscription under `key`; true if it had one.
    fn unsubscribe(&mut self, client: &str, key: &str) -> bool {
        let Some(sub) = self
            .sessions
            .get_mut(client)
            .and_then(|e| e.subs.remove(key))
        else {
            return false;
        };
        self.index.remove(&sub.filter, client);
        true
    }

    /// Removes every subscription of `client`.
    fn clear_subs(&mut self, client: &str) {
        if let Some(e) = self.sessions.get_mut(client) {
            for (_, sub) in e.subs.drain() {
                self.index.remove(&sub.filter, client);
            }
        }
    }

    /// Removes `client`'s entry and its subscriptions.
    fn remove_session(&mut self, client: &str) -> Option<Entry> {
        self.clear_subs(client);
        self.sessions.remove(client)
    }

    /// Routes a message to every matching subscription; the number of
    /// sessions it went to.
    /// Delivers `msg` to every matching session; the number reached. The
    /// connected sessions it left over [`HIGH_WATER`] are pushed onto
    /// `congested`.
    fn route(
        &mut self,
        msg: Arc<Message>,
        counters: &Counters,
        congested: &mut Vec<Arc<Backlog>>,
    ) -> usize {
        if msg.retain {
            if msg.payload.is_empty() {
                self.retained.remove(&msg.topic);
            } else {
                self.retained.insert(msg.topic.clone(), Arc::clone(&msg));
            }
        }
        let mut groups: BTreeMap<String, Vec<(Arc<str>, Sub)>> = BTreeMap::new();
        let mut n = 0;
        // Only the sessions the index names: each holds a filter matching
        // the topic.
        let mut candidates = std::mem::take(&mut self.candidates);
        candidates.clear();
        self.index.candidates(&msg.topic, &mut candidates);
        for client in candidates.drain(..) {
            let Some(entry) = self.sessions.get_mut(&client) else {
                continue;
            };
            let mut best: Option<Delivery> = None;
            for sub in entry.subs.values() {
                if !matches(&sub.filter, &msg.topic) {
                    continue;
                }
                if let Some(g) = &sub.group {
                    groups
                        .entry(format!("{g}\0{}", sub.filter))
                        .or_default()
                        .push((Arc::clone(&client), sub.clone()));
                    continue;
                }
                if sub.no_local && *msg.from == *client {
                    continue;
                }
                let d = best.get_or_insert_with(|| Delivery {
                    msg: Arc::clone(&msg),
                    qos: 0,
                    retain: false,
                    sub_ids: Vec::new(),
                });
                d.qos = d.qos.max(sub.qos.min(msg.qos));
                d.retain |= sub.retain_as_published && msg.retain;
                d.sub_ids.extend(sub.id);
            }
            if let Some(d) = best {
                n += 1;
                congested.extend(hand(entry, d, counters));
            }
        }
        self.candidates = candidates;
        // Shared subscriptions: one member of each group, in turn,
        // preferring connected ones.
        for (key, mut members) in groups {
            members.sort_by(|a, b| a.0.cmp(&b.0));
            let online: Vec<_> = members
                .iter()
                .filter(|(c, _)| self.sessions.get(c).is_some_and(|e| e.conn.is_some()))
                .cloned()
                .collect();
            let pool = if online.is_empty() { members } else { online };
            let turn = self.shared_turn.entry(key).or_default();
            let (client, sub) = pool[*turn % pool.len()].clone();
            *turn = turn.wrapping_add(1);
            let d = Delivery {
                msg: Arc::clone(&msg),
                qos: sub.qos.min(msg.qos),
                retain: false,
                sub_ids: sub.id.into_iter().collect(),
            };
            if let Some(entry) = self.sessions.get_mut(&client) {
                congested.extend(hand(entry, d, counters));
            }
            n += 1;
        }
        n
    }
}

/// Gives a delivery to a session: through its connection, or into its
/// queue while offline. The connection's backlog when it is over
/// [`HIGH_WATER`].
fn hand(entry: &mut Entry, d: Delivery, counters: &Counters) -> Option<Arc<Backlog>> {
    if let Some(live) = &entry.conn {
        // The receiver lives until `Conn::leave` clears `conn` under this
        // lock, so the send cannot fail while `conn` is set.
        live.backlog.channel.fetch_add(1, Ordering::Relaxed);
        let _ = live.tx.send(Event::Deliver(d));
        let len = live.backlog.len();
        // A plain load first: the peak rarely moves, the read-modify-write
        // only when it does.
        if len as u64 > counters.backlog_peak.load(Ordering::Relaxed) {
            counters
                .backlog_peak
                .fetch_max(len as u64, Ordering::Relaxed);
        }
        if len > HIGH_WATER {
            return Some(Arc::clone(&live.backlog));
        }
    } else if let Some(s) = &mut entry.session {
        let before = s.dropped;
        s.deliver(d, false);
        add(&counters.dropped, s.dropped - before);
    }
    None
}

/// The broker: shared by every connection task.
#[derive(Debug)]
pub struct Broker {
    state: Mutex<State>,
    config: Config,
    counters: Counters,
    next_conn: AtomicU64,
}

impl Broker {
    /// A broker with this configuration.
    pub fn new(config: Config) -> Arc<Broker> {
        Arc::new(Broker {
            state: Mutex::new(State::default()),
            config,
            counters: Counters::default(),
            next_conn: AtomicU64::new(1),
        })
    }

    /// The counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not stop the broker: the state stays usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes a message as if a client had (used for wills and `$SYS`).
    pub fn publish(&self, msg: Message) -> usize {
        self.lock()
            .route(Arc::new(msg), &self.counters, &mut Vec::new())
    }

    /// Accepts connections until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        if let Some(every) = self.config.sys_interval {
            let me = Arc::downgrade(&self);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(every);
                loop {
                    tick.tick().await;
                    let Some(b) = me.upgrade() else { return };
                    for (name, value) in b.counters.snapshot() {
                        b.publish(Message {
                            topic: format!("$SYS/broker/{name}"),
                            payload: value.to_string().into(),
                            qos: 0,
                            retain: true,
                            properties: vec![],
                            expires: None,
                            from: "$SYS".into(),
                        });
                    }
                }
            });
        }
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            add(&self.counters.connections, 1);
            let _ = stream.set_nodelay(true);
            let broker = Arc::clone(&self);
            tokio::spawn(async move {
                let id = broker.next_conn.fetch_add(1, Ordering::Relaxed);
                let mut conn = Conn::new(broker, stream, peer, id);
                conn.run().await;
            });
        }
    }
}

/// Why a connection ended.
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    /// DISCONNECT with reason 0: no will.
    Normal,
    /// DISCONNECT 0x04: publish the will.
    WithWill,
    /// Socket closed, keepalive, bad input: publish the will.
    Abnormal,
    /// Another connection took the session.
    TakenOver,
}

/// One connection's task state.
struct Conn {
    broker: Arc<Broker>,
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    frames: FrameDecoder<FixedHeader>,
    /// The socket's bytes land here before the frame decoder (one buffer
    /// for the connection's life, not one per read).
    rbuf: Box<[u8]>,
    out: Vec<Packet>,
    wbuf: Vec<u8>,
    v5: bool,
    client: Arc<str>,
    aliases: HashMap<u16, String>,
    keep_alive: u16,
    /// A PUBLISH handled since the last write went to some session.
    routed: bool,
    /// The last read filled the read buffer: more is likely waiting.
    read_full: bool,
    /// This connection's session's backlog (publishers add to it).
    backlog: Arc<Backlog>,
    /// Sessions this connection's PUBLISHes left over [`HIGH_WATER`]:
    /// waited for before the next read.
    congested: Vec<Arc<Backlog>>,
}

/// Deliveries a connection takes from its channel before it writes and
/// looks at its socket again (where PUBACKs open the window).
const DELIVERY_BATCH: usize = 256;

/// Bytes a connection reads from its socket at most at once.
const READ_BUF: usize = 16 * 1024;

/// The result of handling a packet: go on, or end the connection.
type Flow = Result<(), End>;

impl Conn {
    fn new(broker: Arc<Broker>, stream: TcpStream, peer: SocketAddr, id: u64) -> Conn {
        let max = broker.config.max_packet.saturating_sub(2) as usize;
        Conn {
            broker,
            stream,
            peer,
            id,
            frames: FrameDecoder::new().with_max_frame_len(max),
            rbuf: vec![0; READ_BUF].into_boxed_slice(),
            out: Vec::new(),
            wbuf: Vec::new(),
            v5: false,
            client: "".into(),
            aliases: HashMap::new(),
            keep_alive: 0,
            routed: false,
            read_full: false,
            backlog: Arc::default(),
            congested: Vec::new(),
        }
    }

    /// Waits until every session this connection's PUBLISHes congested
    /// is under [`LOW_WATER`], for [`CONGESTION_WAIT`] at most.
    async fn ease_congestion(&mut self) {
        let deadline = tokio::time::Instant::now() + CONGESTION_WAIT;
        for b in std::mem::take(&mut self.congested) {
            // Its own session drains only when this task runs.
            if Arc::ptr_eq(&b, &self.backlog) {
                continue;
            }
            loop {
                let notified = b.drained.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if b.len() < LOW_WATER {
                    break;
                }
                if tokio::time::timeout_at(deadline, notified).await.is_err() {
                    return;
                }
            }
        }
    }

    fn counters(&self) -> &Counters {
        &self.broker.counters
    }

    /// Reads the next packet, with a deadline. `Ok(None)`: the peer
    /// closed cleanly or the deadline passed.
    async fn read(&mut self, deadline: Option<Instant>) -> Result<Option<Packet>, u8> {
        loop {
            if let Some(p) = self.buffered()? {
                return Ok(Some(p));
            }
            let read = self.stream.read(&mut self.rbuf);
            let n = match deadline {
                Some(d) => match tokio::time::timeout_at(d.into(), read).await {
                    Ok(r) => r,
                    Err(_) => return Ok(None),
                },
                None => read.await,
            };
            match n {
                Ok(0) | Err(_) => return Ok(None),
                Ok(n) => {
                    self.read_full = n == self.rbuf.len();
                    add(&self.counters().bytes_in, n as u64);
                    self.frames.push(&self.rbuf[..n]);
                }
            }
        }
    }

    /// The next packet already read from the socket, if a whole one is
    /// there. `Err`: the reason code to close with.
    fn buffered(&mut self) -> Result<Option<Packet>, u8> {
        // Nothing buffered: no frame, and no header parse that builds an
        // "incomplete" error to say so (most calls, one after each packet
        // and each read, find the buffer empty).
        if self.frames.buffered() == 0 {
            return Ok(None);
        }
        let max = self.broker.config.max_packet as usize;
        match next_packet(&mut self.frames, self.v5) {
            Ok(Some(p)) => {
                add(&self.counters().packets_in, 1);
                if codec::frame::frame_len(&p) > max {
                    return Err(reason::PACKET_TOO_LARGE);
                }
                Ok(Some(p))
            }
            Ok(None) => Ok(None),
            Err(FrameError::TooLarge { .. }) => Err(reason::PACKET_TOO_LARGE),
            Err(e) => {
                tracing::debug!(peer = %self.peer, error = %e, "malformed packet");
                Err(reason::MALFORMED)
            }
        }
    }

    /// Writes every queued packet in one write.
    async fn flush(&mut self) -> std::io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        self.wbuf.clear();
        for p in self.out.drain(..) {
            if matches!(p, Packet::Publish(_)) {
                add(&self.broker.counters.publish_out, 1);
            }
            add(&self.broker.counters.packets_out, 1);
            if let Err(e) = encode_packet(p, self.v5, &mut self.wbuf) {
                tracing::warn!(peer = %self.peer, error = %e, "packet not encoded");
            }
        }
        add(&self.broker.counters.bytes_out, self.wbuf.len() as u64);
        self.stream.write_all(&self.wbuf).await
    }

    /// Sends a 5.0 DISCONNECT with `code` (nothing in 3.1.1) and flushes.
    async fn disconnect(&mut self, code: u8) {
        if code == reason::MALFORMED {
            add(&self.broker.counters.malformed, 1);
        } else if code == reason::PROTOCOL_ERROR {
            add(&self.broker.counters.protocol_errors, 1);
        }
        if self.v5 {
            self.out
                .push(Packet::Disconnect(Disconnect::new(true, code, vec![])));
        }
        let _ = self.flush().await;
    }

    async fn run(&mut self) {
        let deadline = Instant::now() + self.broker.config.connect_timeout;
        let connect = match self.read(Some(deadline)).await {
            Ok(Some(Packet::Connect(c))) => c,
            Ok(Some(other)) => {
                tracing::debug!(peer = %self.peer, packet = ?other, "first packet not CONNECT");
                add(&self.broker.counters.protocol_errors, 1);
                return;
            }
            Ok(None) => return,
            Err(_) => {
                add(&self.broker.counters.malformed, 1);
                return;
            }
        };
        let Some((session, rx, will, expiry)) = self.connect(connect).await else {
            return;
        };
        add(&self.broker.counters.clients_connected, 1);
        let (session, end, rx) = self.serve(session, rx).await;
        self.broker
            .counters
            .clients_connected
            .fetch_sub(1, Ordering::Relaxed);
        self.leave(session, rx, end, will, expiry);
    }

    /// Answers CONNECT: takes over or creates the session, sends CONNACK
    /// and what was in flight.
    async fn connect(
        &mut self,
        c: Connect,
    ) -> Option<(Session, mpsc::UnboundedReceiver<Event>, Option<Will>, u32)> {
        let cfg = self.broker.config.clone();
        if c.level != 4 && c.level != 5 {
            // 3.1.1 §3.1.2.2: CONNACK 0x01 then close (in the 3.1.1 form,
            // which a client of another level can read).
            self.out.push(Packet::ConnAck(ConnAck {
                reserved: 0,
                session_present: false,
                code: reason::V3_BAD_VERSION,
                properties: None,
            }));
            let _ = self.flush().await;
            return None;
        }
        self.v5 = c.level == 5;
        let refuse = |code: u8| {
            Packet::ConnAck(ConnAck {
                reserved: 0,
                session_present: false,
                code,
                properties: Some(vec![]),
            })
        };
        let props = c.properties.clone().unwrap_or_default();
        if props::check(&props, false).is_err()
            || c.will_properties
                .as_deref()
                .is_some_and(|w| props::check(w, false).is_err())
        {
            self.out.push(refuse(reason::PROTOCOL_ERROR));
            let _ = self.flush().await;
            return None;
        }
        if props
            .find(|p| matches!(p, Property::AuthMethod(_)).then_some(()))
            .is_some()
        {
            self.out.push(refuse(reason::BAD_AUTH_METHOD));
            let _ = self.flush().await;
            return None;
        }
        let mut assigned = None;
        let client: Arc<str> = if c.client_id.is_empty() {
            if !self.v5 && !c.clean_start {
                self.out.push(refuse(reason::V3_ID_REJECTED));
                let _ = self.flush().await;
                return None;
            }
            let id = format!("auto-{}", self.id);
            assigned = Some(id.clone());
            id.into()
        } else {
            c.client_id.as_str().into()
        };
        self.client = Arc::clone(&client);
        self.keep_alive = c.keep_alive;
        let expiry = if self.v5 {
            props
                .find(|p| match p {
                    Property::SessionExpiry(s) => Some(*s),
                    _ => None,
                })
                .unwrap_or(0)
        } else if c.clean_start {
            0
        } else {
            u32::MAX
        };
        let window = if self.v5 {
            props
                .find(|p| match p {
                    Property::ReceiveMaximum(n) => Some(*n),
                    _ => None,
                })
                .unwrap_or(u16::MAX)
        } else {
            cfg.window_311
        };
        // 5.0 §3.1.2.11.5: the aliases the client accepts from us.
        let alias_max = props
            .find(|p| match p {
                Property::TopicAliasMaximum(n) => Some(*n),
                _ => None,
            })
            .unwrap_or(0);
        let max_packet = props
            .find(|p| match p {
                Property::MaximumPacketSize(n) => Some(*n),
                _ => None,
            })
            .unwrap_or(u32::MAX);
        let will = c.will_flag.then(|| Will::from_connect(&c, &client));

        let (tx, rx) = mpsc::unbounded_channel();
        let (present, takeover, held) = {
            let mut state = self.broker.lock();
            let entry = state
                .sessions
                .entry(Arc::clone(&client))
                .or_insert_with(|| Entry {
                    session: None,
                    conn: None,
                    subs: HashMap::new(),
                    expiry,
                    generation: 0,
                    will: None,
                });
            entry.generation += 1;
            // 5.0 §3.1.3.2.2: a delayed will is not sent if the client
            // comes back before the delay ends.
            entry.will = None;
            let takeover = entry.conn.take().map(|old| {
                let (stx, srx) = oneshot::channel();
                let _ = old.tx.send(Event::TakenOver(stx));
                srx
            });
            entry.conn = Some(Live {
                id: self.id,
                tx,
                backlog: Arc::clone(&self.backlog),
            });
            let held = entry.session.take();
            let present = !c.clean_start && (held.is_some() || takeover.is_some());
            entry.expiry = expiry;
            if c.clean_start {
                state.clear_subs(&client);
            }
            (present, takeover, held)
        };
        let mut old = held;
        if let Some(srx) = takeover {
            if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_secs(5), srx).await {
                old = Some(s);
            }
        }
        let mut session = match old {
            Some(s) if !c.clean_start => s,
            _ => Session::new(self.v5, window, cfg.receive_max),
        };
        session.set_version(self.v5);
        session.window = window.max(1);
        session.max_packet = max_packet;
        session.alias_max = if self.v5 && cfg.aliases_out {
            alias_max
        } else {
            0
        };
        session.receive_max = cfg.receive_max;
        session.max_queued = cfg.max_queued;

        let properties = self.v5.then(|| {
            let mut p = vec![
                Property::ReceiveMaximum(cfg.receive_max),
                Property::MaximumPacketSize(cfg.max_packet),
                Property::TopicAliasMaximum(cfg.topic_alias_max),
            ];
            if let Some(id) = assigned {
                p.push(Property::AssignedClientId(id.into()));
            }
            p
        });
        self.out.push(Packet::ConnAck(ConnAck {
            reserved: 0,
            session_present: present,
            code: 0,
            properties,
        }));
        session.resume(Instant::now(), &mut self.out);
        tracing::debug!(peer = %self.peer, client = %client, v5 = self.v5, present, "connected");
        // A write that fails shows up as the first read ending the loop.
        let _ = self.flush().await;
        Some((session, rx, will, expiry))
    }

    /// The connected loop.
    async fn serve(
        &mut self,
        mut session: Session,
        mut rx: mpsc::UnboundedReceiver<Event>,
    ) -> (Session, End, mpsc::UnboundedReceiver<Event>) {
        // Keepalive: one timer for the connection, pushed back to 1.5 ×
        // the keepalive after the last packet when it fires early (cheaper
        // than a timer per read).
        let grace = Duration::from_millis(u64::from(self.keep_alive) * 1500);
        let mut last = Instant::now();
        let keepalive = tokio::time::sleep_until((last + grace).into());
        tokio::pin!(keepalive);
        let end = 'conn: loop {
            tokio::select! {
                ev = rx.recv() => {
                    // This delivery and up to a batch more that are
                    // waiting, each through the window at once (so a flood
                    // never piles up past the session's queue limit), then
                    // one write.
                    let mut next = ev;
                    for taken in 1..=DELIVERY_BATCH {
                        match next {
                            Some(Event::Deliver(d)) => {
                                self.backlog.channel.fetch_sub(1, Ordering::Relaxed);
                                session.deliver(d, true);
                                session.pump(Instant::now(), &mut self.out);
                            }
                            Some(Event::TakenOver(reply)) => {
                                self.disconnect(reason::SESSION_TAKEN_OVER).await;
                                let _ = reply.send(session);
                                self.backlog.close();
                                return (Session::new(self.v5, 1, 1), End::TakenOver, rx);
                            }
                            None => break 'conn End::Abnormal,
                        }
                        if taken == DELIVERY_BATCH {
                            break;
                        }
                        match rx.try_recv() {
                            Ok(ev) => next = Some(ev),
                            Err(_) => break,
                        }
                    }
                }
                p = self.read(None) => match p {
                    Ok(Some(p)) => {
                        last = Instant::now();
                        // This packet and every whole one already read,
                        // then one write for all the answers.
                        let mut next = Some(p);
                        while let Some(p) = next {
                            if let Err(end) = self.handle(p, &mut session).await {
                                break 'conn end;
                            }
                            next = match self.buffered() {
                                Ok(p) => p,
                                Err(code) => {
                                    self.disconnect(code).await;
                                    break 'conn End::Abnormal;
                                }
                            };
                        }
                    }
                    Ok(None) => break End::Abnormal,
                    Err(code) => {
                        self.disconnect(code).await;
                        break End::Abnormal;
                    }
                },
                () = &mut keepalive, if !grace.is_zero() => {
                    let due = last + grace;
                    if Instant::now() >= due {
                        tracing::debug!(client = %self.client, "keepalive expired");
                        self.disconnect(reason::KEEP_ALIVE_TIMEOUT).await;
                        break End::Abnormal;
                    }
                    keepalive.as_mut().reset(due.into());
                }
            }
            if self.flush().await.is_err() {
                break End::Abnormal;
            }
            if std::mem::take(&mut self.routed) && self.read_full {
                // A publisher whose socket is always ready (a QoS 0 flood)
                // lets the subscribers, just woken, run after each read
                // instead of ingesting until its budget runs out (50 such
                // publishers starved the one subscriber for over 500 ms
                // on one thread). After the write, so a PUBACK does not
                // wait for the deliveries' writes. Only after a read that
                // filled the buffer: after a shorter one the socket was
                // drained (tokio then clears its readiness), so the next
                // read returns pending without a syscall and the
                // subscribers run anyway; a yield there only cost a pass
                // through the driver (an `epoll_wait` with no timeout) per
                // message, in every one-in-flight round trip.
                tokio::task::yield_now().await;
            }
            self.backlog.set_queued(session.queued());
            if !self.congested.is_empty() {
                self.ease_congestion().await;
            }
        };
        self.backlog.close();
        (session, end, rx)
    }

    async fn handle(&mut self, p: Packet, session: &mut Session) -> Flow {
        let now = Instant::now();
        match p {
            Packet::Publish(p) => return self.on_publish(p, session).await,
            Packet::PubAck(a) => {
                session.on_puback(a.packet_id);
            }
            Packet::PubRec(r) => {
                if let Some(rel) = session.on_pubrec(r.packet_id, r.code()) {
                    self.out.push(Packet::PubRel(rel));
                }
            }
            Packet::PubComp(c) => {
                session.on_pubcomp(c.packet_id);
            }
            Packet::PubRel(r) => {
                let comp = session.on_pubrel(r.packet_id);
                self.out.push(Packet::PubComp(comp));
            }
            Packet::Subscribe(s) => return self.on_subscribe(s, session).await,
            Packet::Unsubscribe(u) => {
                let mut codes = Vec::new();
                {
                    let mut state = self.broker.lock();
                    if state.sessions.contains_key(&self.client) {
                        for f in &u.filters {
                            codes.push(match state.unsubscribe(&self.client, &f.filter) {
                                true => reason::SUCCESS,
                                false => reason::NO_SUBSCRIPTION_EXISTED,
                            });
                        }
                    }
                }
                self.out.push(Packet::UnsubAck(UnsubAck {
                    packet_id: u.packet_id,
                    properties: Some(vec![]),
                    codes,
                }));
            }
            Packet::PingReq(_) => self.out.push(Packet::PingResp(PingResp)),
            Packet::Disconnect(d) => {
                let new_expiry = d.properties.find(|p| match p {
                    Property::SessionExpiry(s) => Some(*s),
                    _ => None,
                });
                if let Some(s) = new_expiry {
                    // 5.0 §3.14.2.2.2: a session expiry of 0 at CONNECT
                    // cannot be raised at DISCONNECT.
                    let refused = {
                        let mut state = self.broker.lock();
                        match state.sessions.get_mut(&self.client) {
                            Some(e) if e.expiry == 0 && s != 0 => true,
                            Some(e) => {
                                e.expiry = s;
                                false
                            }
                            None => false,
                        }
                    };
                    if refused {
                        self.disconnect(reason::PROTOCOL_ERROR).await;
                        return Err(End::Abnormal);
                    }
                }
                return Err(if d.code() == reason::DISCONNECT_WITH_WILL {
                    End::WithWill
                } else {
                    End::Normal
                });
            }
            other => {
                // A second CONNECT, AUTH without a method, or a packet only
                // a server sends.
                tracing::debug!(client = %self.client, packet = ?other, "protocol error");
                self.disconnect(reason::PROTOCOL_ERROR).await;
                return Err(End::Abnormal);
            }
        }
        session.pump(now, &mut self.out);
        Ok(())
    }

    async fn on_publish(&mut self, mut p: Publish, session: &mut Session) -> Flow {
        add(&self.broker.counters.publish_in, 1);
        let props = p.properties.take().unwrap_or_default();
        if props::check(&props, false).is_err() {
            self.disconnect(reason::PROTOCOL_ERROR).await;
            return Err(End::Abnormal);
        }
        let alias = props.find(|p| match p {
            Property::TopicAlias(a) => Some(*a),
            _ => None,
        });
        match alias {
            Some(a) if a == 0 || a > self.broker.config.topic_alias_max => {
                self.disconnect(reason::TOPIC_ALIAS_INVALID).await;
                return Err(End::Abnormal);
            }
            Some(a) if p.topic.is_empty() => match self.aliases.get(&a) {
                Some(t) => p.topic = t.clone(),
                None => {
                    self.disconnect(reason::PROTOCOL_ERROR).await;
                    return Err(End::Abnormal);
                }
            },
            Some(a) => {
                self.aliases.insert(a, p.topic.clone());
            }
            None if p.topic.is_empty() => {
                self.disconnect(reason::TOPIC_NAME_INVALID).await;
                return Err(End::Abnormal);
            }
            None => {}
        }
        let now = Instant::now();
        let expires = props.find(|p| match p {
            Property::MessageExpiry(s) => Some(now + Duration::from_secs(u64::from(*s))),
            _ => None,
        });
        let forwarded = props
            .into_iter()
            .filter(|p| {
                !matches!(
                    p,
                    Property::TopicAlias(_)
                        | Property::MessageExpiry(_)
                        | Property::SubscriptionId(_)
                )
            })
            .collect();
        let msg = Arc::new(Message {
            topic: p.topic,
            payload: p.payload,
            qos: p.qos,
            retain: p.retain,
            properties: forwarded,
            expires,
            from: Arc::clone(&self.client),
        });
        let route = |me: &mut Conn, msg: Arc<Message>| {
            let n = me
                .broker
                .lock()
                .route(msg, &me.broker.counters, &mut me.congested);
            me.routed |= n > 0;
            n
        };
        let id = p.packet_id.unwrap_or(0);
        match p.qos {
            0 => {
                route(self, msg);
            }
            1 => {
                let n = route(self, msg);
                let code = if n == 0 {
                    reason::NO_MATCHING_SUBSCRIBERS
                } else {
                    0
                };
                self.out
                    .push(Packet::PubAck(PubAck::new(id, self.v5, code, vec![])));
            }
            _ => match session.on_publish_qos2(id) {
                Ok(fresh) => {
                    let n = if fresh { route(self, msg) } else { 1 };
                    let code = if n == 0 {
                        reason::NO_MATCHING_SUBSCRIBERS
                    } else {
                        0
                    };
                    self.out.push(Packet::PubRec(session.pubrec(id, code)));
                }
                Err(_) => {
                    self.disconnect(reason::RECEIVE_MAXIMUM_EXCEEDED).await;
                    return Err(End::Abnormal);
                }
            },
        }
        session.pump(now, &mut self.out);
        Ok(())
    }

    async fn on_subscribe(&mut self, s: Subscribe, session: &mut Session) -> Flow {
        let props = s.properties.unwrap_or_default();
        let sub_id = props.find(|p| match p {
            Property::SubscriptionId(i) => Some(*i),
            _ => None,
        });
        if props::check(&props, false).is_err() {
            self.disconnect(reason::PROTOCOL_ERROR).await;
            return Err(End::Abnormal);
        }
        let mut codes = Vec::new();
        let mut retained = Vec::new();
        let mut shared_no_local = false;
        {
            let mut state = self.broker.lock();
            let state = &mut *state;
            if !state.sessions.contains_key(&self.client) {
                return Err(End::Abnormal);
            }
            for sub in &s.subscriptions {
                if !valid_subscription(&sub.filter, self.v5) {
                    codes.push(if self.v5 {
                        reason::TOPIC_FILTER_INVALID
                    } else {
                        reason::V3_SUB_FAILURE
                    });
                    continue;
                }
                let (group, filter) = match shared(&sub.filter) {
                    Some((g, f)) if self.v5 => (Some(g.to_string()), f.to_string()),
                    _ => (None, sub.filter.clone()),
                };
                if group.is_some() && sub.no_local {
                    // 5.0 §3.8.3.1: a protocol error.
                    shared_no_local = true;
                    break;
                }
                let existed = state.subscribe(
                    &self.client,
                    &sub.filter,
                    Sub {
                        filter: filter.clone(),
                        group: group.clone(),
                        qos: sub.qos,
                        no_local: sub.no_local,
                        retain_as_published: sub.retain_as_published,
                        id: sub_id,
                    },
                );
                codes.push(sub.qos);
                let send_retained = group.is_none()
                    && (sub.retain_handling == 0 || (sub.retain_handling == 1 && !existed));
                if send_retained {
                    for m in state.retained.values() {
                        if matches(&filter, &m.topic) && !m.expired(Instant::now()) {
                            retained.push(Delivery {
                                msg: Arc::clone(m),
                                qos: sub.qos.min(m.qos),
                                retain: true,
                                sub_ids: sub_id.into_iter().collect(),
                            });
                        }
                    }
                }
            }
        }
        if shared_no_local {
            self.disconnect(reason::PROTOCOL_ERROR).await;
            return Err(End::Abnormal);
        }
        self.out.push(Packet::SubAck(SubAck {
            packet_id: s.packet_id,
            properties: Some(vec![]),
            codes,
        }));
        for d in retained {
            session.deliver(d, true);
        }
        session.pump(Instant::now(), &mut self.out);
        Ok(())
    }

    /// After the connection: the session back into the broker (or gone),
    /// the will published or scheduled.
    fn leave(
        &mut self,
        mut session: Session,
        mut rx: mpsc::UnboundedReceiver<Event>,
        end: End,
        will: Option<Will>,
        _expiry: u32,
    ) {
        let broker = Arc::clone(&self.broker);
        let mut state = broker.lock();
        while let Ok(ev) = rx.try_recv() {
            match ev {
                Event::Deliver(d) => session.deliver(d, false),
                Event::TakenOver(reply) => {
                    let _ = reply.send(session);
                    return;
                }
            }
        }
        let will = will.filter(|_| matches!(end, End::WithWill | End::Abnormal | End::TakenOver));
        let Some(entry) = state.sessions.get_mut(&self.client) else {
            return;
        };
        let ours = entry.conn.as_ref().is_some_and(|c| c.id == self.id);
        let generation = entry.generation;
        let expiry = entry.expiry;
        // The will goes now, or waits in the entry for its delay (never
        // longer than the session lasts).
        let mut now_will = None;
        let mut delay = 0;
        if let Some(will) = will {
            delay = if ours { will.delay.min(expiry) } else { 0 };
            if delay == 0 {
                now_will = Some(will);
            } else {
                entry.will = Some(will);
            }
        }
        if ours {
            entry.conn = None;
            if expiry == 0 {
                state.remove_session(&self.client);
            } else {
                entry.session = Some(session);
            }
        }
        drop(state);
        if let Some(will) = now_will {
            add(&broker.counters.wills, 1);
            broker.publish(will.message());
        }
        if delay > 0 {
            let (broker, client) = (Arc::clone(&broker), Arc::clone(&self.client));
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(u64::from(delay))).await;
                let will = broker
                    .lock()
                    .sessions
                    .get_mut(&client)
                    .filter(|e| e.generation == generation)
                    .and_then(|e| e.will.take());
                if let Some(will) = will {
                    add(&broker.counters.wills, 1);
                    broker.publish(will.message());
                }
            });
        }
        if ours && expiry != 0 && expiry != u32::MAX {
            let (broker, client) = (Arc::clone(&broker), Arc::clone(&self.client));
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(u64::from(expiry))).await;
                let gone = {
                    let mut state = broker.lock();
                    let expired = state
                        .sessions
                        .get(&client)
                        .is_some_and(|e| e.generation == generation && e.conn.is_none());
                    if expired {
                        state.remove_session(&client).and_then(|e| e.will)
                    } else {
                        None
                    }
                };
                // The session ended: a will still waiting goes now.
                if let Some(will) = gone {
                    add(&broker.counters.wills, 1);
                    broker.publish(will.message());
                }
            });
        }
        tracing::debug!(client = %self.client, end = ?end, "disconnected");
    }
}

/// A will as CONNECT gave it.
#[derive(Debug, Clone)]
struct Will {
    topic: String,
    payload: bytes::Bytes,
    qos: u8,
    retain: bool,
    properties: Vec<Property>,
    delay: u32,
    from: Arc<str>,
}

impl Will {
    fn from_connect(c: &Connect, client: &Arc<str>) -> Will {
        let props = c.will_properties.clone().unwrap_or_default();
        let delay = props
            .find(|p| match p {
                Property::WillDelay(d) => Some(*d),
                _ => None,
            })
            .unwrap_or(0);
        Will {
            topic: c.will_topic.clone().unwrap_or_default(),
            payload: c.will_payload.clone().unwrap_or_default().into(),
            qos: c.will_qos,
            retain: c.will_retain,
            properties: props
                .into_iter()
                .filter(|p| !matches!(p, Property::WillDelay(_)))
                .collect(),
            delay,
            from: Arc::clone(client),
        }
    }

    fn message(&self) -> Message {
        let now = Instant::now();
        let expires = self.properties.find(|p| match p {
            Property::MessageExpiry(s) => Some(now + Duration::from_secs(u64::from(*s))),
            _ => None,
        });
        Message {
            topic: self.topic.clone(),
            payload: self.payload.clone(),
            qos: self.qos,
            retain: self.retain,
            properties: self
                .properties
                .iter()
                .filter(|p| !matches!(p, Property::MessageExpiry(_)))
                .cloned()
                .collect(),
            expires,
            from: Arc::clone(&self.from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raw 5.0 connection: CONNECT with `props`, CONNACK read.
    async fn raw(
        addr: SocketAddr,
        id: &str,
        props: Vec<Property>,
    ) -> (TcpStream, FrameDecoder<FixedHeader>) {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let mut c = Connect::new(5, id, 0, true);
        c.properties = Some(props);
        let mut buf = Vec::new();
        encode_packet(Packet::Connect(c), true, &mut buf).unwrap();
        s.write_all(&buf).await.unwrap();
        let mut frames = FrameDecoder::new();
        assert!(matches!(next(&mut s, &mut frames).await, Packet::ConnAck(a) if a.code == 0));
        (s, frames)
    }

    async fn send(s: &mut TcpStream, p: Packet) {
        let mut buf = Vec::new();
        encode_packet(p, true, &mut buf).unwrap();
        s.write_all(&buf).await.unwrap();
    }

    /// The next packet, within 5 s.
    async fn next(s: &mut TcpStream, frames: &mut FrameDecoder<FixedHeader>) -> Packet {
        let read = async {
            loop {
                if let Some(p) = next_packet(frames, true).unwrap() {
                    return p;
                }
                let mut buf = [0u8; 4096];
                let n = s.read(&mut buf).await.unwrap();
                assert!(n > 0, "closed");
                frames.push(&buf[..n]);
            }
        };
        tokio::time::timeout(Duration::from_secs(5), read)
            .await
            .unwrap()
    }

    /// A subscriber whose CONNECT takes 1 topic alias gets the first
    /// PUBLISH on a topic with the topic and alias 1, the next with alias
    /// 1 and an empty topic, a second topic in full without alias; one
    /// that takes none gets every topic in full.
    #[tokio::test]
    async fn outgoing_topic_aliases() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let config = Config {
            sys_interval: None,
            aliases_out: true,
            ..Config::default()
        };
        let server = tokio::spawn(Broker::new(config).serve(listener));
        let (mut sub, mut sf) = raw(addr, "alias-sub", vec![Property::TopicAliasMaximum(1)]).await;
        let (mut plain, mut pf) = raw(addr, "plain-sub", vec![]).await;
        for (s, f) in [(&mut sub, &mut sf), (&mut plain, &mut pf)] {
            send(
                s,
                Packet::Subscribe(Subscribe {
                    packet_id: 1,
                    properties: Some(vec![]),
                    subscriptions: vec![Subscription::new("t/#", 0)],
                }),
            )
            .await;
            assert!(matches!(next(s, f).await, Packet::SubAck(_)));
        }
        let (mut publisher, _) = raw(addr, "alias-pub", vec![]).await;
        for (topic, body) in [("t/a", "1"), ("t/a", "2"), ("t/b", "3"), ("t/a", "4")] {
            let p = Publish::new(topic, body.as_bytes(), 0, false, None, Some(vec![]));
            send(&mut publisher, Packet::Publish(p)).await;
        }
        let mut got = Vec::new();
        let mut full = Vec::new();
        for _ in 0..4 {
            let Packet::Publish(p) = next(&mut sub, &mut sf).await else {
                panic!("not a PUBLISH");
            };
            let alias = p.properties.unwrap_or_default().find(|p| match p {
                Property::TopicAlias(a) => Some(*a),
                _ => None,
            });
            got.push((
                p.topic,
                alias,
                String::from_utf8(p.payload.to_vec()).unwrap(),
            ));
            let Packet::Publish(p) = next(&mut plain, &mut pf).await else {
                panic!("not a PUBLISH");
            };
            assert_eq!(p.properties, Some(vec![]));
            full.push(p.topic);
        }
        let want = |t: &str, a, b: &str| (t.to_string(), a, b.to_string());
        assert_eq!(
            got,
            [
                want("t/a", Some(1), "1"),
                want("", Some(1), "2"),
                want("t/b", None, "3"),
                want("", Some(1), "4"),
            ]
        );
        assert_eq!(full, ["t/a", "t/a", "t/b", "t/a"]);
        server.abort();
    }
}
