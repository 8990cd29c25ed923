//! A small MQTT client for Rust users: connect (3.1.1 or 5.0), publish at
//! any QoS (returning once acknowledged), subscribe, unsubscribe, receive.
//!
//! ```no_run
//! # async fn run() -> Result<(), codec_examples::mqtt::client::ClientError> {
//! use codec_examples::mqtt::client::{Client, Options};
//!
//! let mut c = Client::connect(Options::new("127.0.0.1", 1883).client_id("me")).await?;
//! c.subscribe(&[("a/#", 1)]).await?;
//! c.publish("a/b", b"hello", 1, false).await?;
//! let msg = c.recv().await?;
//! println!("{} {:?}", msg.topic, msg.payload);
//! c.disconnect().await?;
//! # Ok(())
//! # }
//! ```
//!
//! The connection is a [`codec::rpc`] client with MQTT's correlation
//! ([`Rules`](super::correlate::Rules)): CONNECT/CONNACK is its handshake,
//! a QoS 1 PUBLISH, a SUBSCRIBE or an UNSUBSCRIBE is a call answered by
//! PUBACK, SUBACK or UNSUBACK, a QoS 2 PUBLISH holds its packet
//! identifier for PUBLISH→PUBREC then PUBREL→PUBCOMP
//! ([`HeldTag`](codec::rpc::HeldTag)), the server's PUBLISHes (and
//! PUBRELs) are answered by the connection's handler and kept for
//! [`Client::recv`], and the layer sends PINGREQ when nothing was sent or
//! received for the keepalive (its untagged ping, answered by PINGRESP).

use std::sync::Mutex;
use std::time::Duration;

use codec::frame::FrameError;
use codec::rpc::{self, CallError, CallOptions, ClientConfig, Handler, HandshakeConn, Peer};
use codec::{DecodeProtocol, Message, Protocol};
use tokio::sync::{mpsc, oneshot};

use super::correlate::TAG_MAX;
use super::packet::*;
use super::props::Property;
use super::session::Session;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The socket failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The server sent bytes that are not an MQTT packet.
    #[error("malformed packet from the server: {0}")]
    Frame(#[from] FrameError),
    /// A packet could not be encoded (an invalid topic, a QoS over 2).
    #[error("{0}")]
    Encode(#[from] codec::EncodeError),
    /// The server refused the connection (CONNACK code).
    #[error("connection refused: {}", refusal(*.0))]
    Refused(u8),
    /// The server closed the connection (with a 5.0 reason code, if any).
    #[error("connection closed by the server{}", .0.map(|c| format!(" (reason {c:#04x})")).unwrap_or_default())]
    Closed(Option<u8>),
    /// The server answered with something unexpected.
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    /// The connection layer failed the exchange (a deadline, the
    /// connection ending mid-call).
    #[error("{0}")]
    Rpc(#[source] CallError),
}

impl From<CallError> for ClientError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Io(e) => ClientError::Io(e),
            CallError::Encode(e) => ClientError::Encode(e),
            CallError::ConnectionClosed | CallError::Closed => ClientError::Closed(None),
            e => ClientError::Rpc(e),
        }
    }
}

/// mosquitto's wording of a CONNACK refusal.
pub fn refusal(code: u8) -> &'static str {
    match code {
        1 => "unacceptable protocol version",
        2 => "identifier rejected",
        3 => "broker unavailable",
        4 => "bad user name or password",
        5 => "not authorised",
        0x84 => "unsupported protocol version",
        0x85 => "client identifier not valid",
        0x86 => "bad user name or password",
        0x87 => "not authorized",
        _ => "refused",
    }
}

/// Connection options.
#[derive(Debug, Clone)]
pub struct Options {
    /// Host name or address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The client identifier (empty: the server assigns one; 3.1.1 needs
    /// `clean_start` then).
    pub client_id: String,
    /// Speak 5.0 (else 3.1.1).
    pub v5: bool,
    /// Seconds; 0 turns keepalive off.
    pub keep_alive: u16,
    /// Clean session / clean start.
    pub clean_start: bool,
    /// 5.0 session expiry interval in seconds.
    pub session_expiry: u32,
    /// A will: topic, payload, QoS, retain.
    pub will: Option<(String, Vec<u8>, u8, bool)>,
}

impl Options {
    /// 5.0, clean start, keepalive 60 s, no client id.
    pub fn new(host: &str, port: u16) -> Options {
        Options {
            host: host.into(),
            port,
            client_id: String::new(),
            v5: true,
            keep_alive: 60,
            clean_start: true,
            session_expiry: 0,
            will: None,
        }
    }

    /// Sets the client identifier.
    pub fn client_id(mut self, id: &str) -> Options {
        self.client_id = id.into();
        self
    }

    /// Speaks 3.1.1 instead of 5.0.
    pub fn v311(mut self) -> Options {
        self.v5 = false;
        self
    }
}

/// A message received.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The topic.
    pub topic: String,
    /// The payload.
    pub payload: Vec<u8>,
    /// The QoS it arrived with.
    pub qos: u8,
    /// The RETAIN flag.
    pub retain: bool,
    /// 5.0 properties.
    pub properties: Vec<Property>,
}

/// A connected client.
#[derive(Debug)]
pub struct Client {
    conn: Conn,
    v5: bool,
    /// The server's PUBLISHes, as the handler takes them, and the end.
    inbox: mpsc::UnboundedReceiver<Event>,
    /// Once the connection has ended: the DISCONNECT reason, if any.
    closed: Option<Option<u8>>,
    /// CONNACK's session-present flag.
    pub session_present: bool,
    /// CONNACK's properties (5.0).
    pub connack_properties: Vec<Property>,
}

/// The connection, at its protocol level.
#[derive(Debug)]
enum Conn {
    V5(rpc::Client<Packet>),
    V311(rpc::Client<Packet311>),
}

/// What the handler hands to [`Client::recv`].
#[derive(Debug)]
enum Event {
    Message(Received),
    /// The server's DISCONNECT (its reason code), or the connection's end.
    Closed(Option<u8>),
}

/// One protocol level's packet enum: [`Packet`] (5.0) or [`Packet311`].
trait Level: Protocol + for<'de> DecodeProtocol<'de> + Into<Packet> + Send + Sync + 'static {
    /// `p` at this level (`None`: AUTH at 3.1.1).
    fn level(p: Packet) -> Option<Self>;
}

impl Level for Packet {
    fn level(p: Packet) -> Option<Self> {
        Some(p)
    }
}

impl Level for Packet311 {
    fn level(p: Packet) -> Option<Self> {
        p.downgrade()
    }
}

/// `p` at level `L`; AUTH, which 3.1.1 lacks, is a protocol error.
fn at<L: Level>(p: Packet) -> Result<L, ClientError> {
    L::level(p).ok_or(ClientError::Protocol("AUTH does not exist in MQTT 3.1.1"))
}

/// The handshake: CONNECT, then CONNACK, whose outcome goes to
/// [`Client::connect`].
struct Hello {
    connect: Packet,
    connack: Mutex<Option<oneshot::Sender<Result<ConnAck, ClientError>>>>,
}

impl Hello {
    fn answer(&self, r: Result<ConnAck, ClientError>) {
        let tx = self
            .connack
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(tx) = tx {
            let _ = tx.send(r);
        }
    }
}

impl<L: Level> rpc::Handshake<L> for Hello {
    fn client<'a>(
        &'a self,
        conn: &'a mut HandshakeConn<L>,
    ) -> rpc::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let connect = match at::<L>(self.connect.clone()) {
                Ok(c) => c,
                Err(e) => {
                    let why = e.to_string();
                    self.answer(Err(e));
                    return Err(why);
                }
            };
            conn.send(&connect).await?;
            let reply = conn.recv().await;
            match reply.map(Into::into) {
                Ok(Packet::ConnAck(a)) if a.code == 0 => {
                    self.answer(Ok(a));
                    Ok(())
                }
                Ok(Packet::ConnAck(a)) => {
                    let why = format!("connection refused: {}", refusal(a.code));
                    self.answer(Err(ClientError::Refused(a.code)));
                    Err(why)
                }
                Ok(_) => {
                    self.answer(Err(ClientError::Protocol("expected CONNACK")));
                    Err("expected CONNACK".into())
                }
                Err(why) => {
                    self.answer(Err(ClientError::Closed(None)));
                    Err(why)
                }
            }
        })
    }

    fn server<'a>(&'a self, _: &'a mut HandshakeConn<L>) -> rpc::BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Err("the MQTT client does not accept connections".into()) })
    }
}

/// Answers the server's requests: PUBLISH at QoS 1 (PUBACK) and 2
/// (PUBREC, delivering a packet identifier once until its PUBREL), PUBREL
/// (PUBCOMP); keeps every PUBLISH for [`Client::recv`]; DISCONNECT and
/// the connection's end close the inbox.
struct Inbound {
    v5: bool,
    tx: mpsc::UnboundedSender<Event>,
    /// The QoS 2 identifiers received and not yet released.
    qos2: Mutex<Session>,
}

impl Inbound {
    fn answer(&self, p: Packet) -> Option<Packet> {
        match p {
            Packet::Publish(p) => {
                let (keep, reply) = match (p.qos, p.packet_id) {
                    (1, Some(id)) => (
                        true,
                        Some(Packet::PubAck(PubAck::new(id, self.v5, 0, vec![]))),
                    ),
                    (2, Some(id)) => {
                        let mut s = self.qos2.lock().unwrap_or_else(|e| e.into_inner());
                        let fresh = s.on_publish_qos2(id).unwrap_or(false);
                        (fresh, Some(Packet::PubRec(s.pubrec(id, 0))))
                    }
                    _ => (true, None),
                };
                if keep {
                    let _ = self.tx.send(Event::Message(Received {
                        topic: p.topic,
                        payload: p.payload.into(),
                        qos: p.qos,
                        retain: p.retain,
                        properties: p.properties.unwrap_or_default(),
                    }));
                }
                reply
            }
            Packet::PubRel(r) => {
                let mut s = self.qos2.lock().unwrap_or_else(|e| e.into_inner());
                Some(Packet::PubComp(s.on_pubrel(r.packet_id)))
            }
            Packet::Disconnect(d) => {
                let _ = self.tx.send(Event::Closed(Some(d.code())));
                None
            }
            _ => None,
        }
    }
}

/// The handler of one protocol level.
struct Answer(Inbound);

impl<L: Level> Handler<L> for Answer {
    fn handle(&self, req: L, _: &Peer<L>) -> impl std::future::Future<Output = Option<L>> + Send {
        let reply = self.0.answer(req.into()).and_then(L::level);
        std::future::ready(reply)
    }

    fn ended(&self, _: &Peer<L>, _: Option<&rpc::ConnError>) {
        let _ = self.0.tx.send(Event::Closed(None));
    }
}

impl Client {
    /// Connects and waits for CONNACK.
    ///
    /// # Errors
    ///
    /// I/O errors, [`ClientError::Refused`] with the CONNACK code.
    pub async fn connect(o: Options) -> Result<Client, ClientError> {
        let mut connect = Connect::new(
            if o.v5 { 5 } else { 4 },
            &o.client_id,
            o.keep_alive,
            o.clean_start,
        );
        if o.v5 && o.session_expiry > 0 {
            connect.properties = Some(vec![Property::SessionExpiry(o.session_expiry)]);
        }
        if let Some((topic, payload, qos, retain)) = o.will.clone() {
            connect.will_flag = true;
            connect.will_qos = qos;
            connect.will_retain = retain;
            connect.will_topic = Some(topic);
            connect.will_payload = Some(payload);
            connect.will_properties = o.v5.then(Vec::new);
        }
        let (connack_tx, connack) = oneshot::channel();
        let hello = Hello {
            connect: Packet::Connect(connect),
            connack: Mutex::new(Some(connack_tx)),
        };
        let (tx, inbox) = mpsc::unbounded_channel();
        let inbound = Answer(Inbound {
            v5: o.v5,
            tx,
            qos2: Mutex::new(Session::new(o.v5, 1, u16::MAX)),
        });
        let addr = (o.host.as_str(), o.port);
        let conn = if o.v5 {
            Conn::V5(rpc::Client::connect_with(addr, config(&o, hello, inbound)).await?)
        } else {
            Conn::V311(rpc::Client::connect_with(addr, config(&o, hello, inbound)).await?)
        };
        let ack = connack.await.unwrap_or(Err(ClientError::Closed(None)))?;
        Ok(Client {
            conn,
            v5: o.v5,
            inbox,
            closed: None,
            session_present: ack.session_present,
            connack_properties: ack.properties.unwrap_or_default(),
        })
    }

    /// Publishes and, at QoS 1 and 2, waits for the acknowledgement; the
    /// reason code (5.0; 0 in 3.1.1).
    ///
    /// # Errors
    ///
    /// An invalid topic or QoS, I/O errors, the connection closing.
    pub async fn publish(
        &mut self,
        topic: &str,
        payload: &[u8],
        qos: u8,
        retain: bool,
    ) -> Result<u8, ClientError> {
        let properties = self.v5.then(Vec::new);
        let publish = |id| Publish::new(topic, payload, qos, retain, id, properties.clone());
        if qos == 0 {
            self.send(Packet::Publish(publish(None)))?;
            return Ok(0);
        }
        match &self.conn {
            Conn::V5(c) => publish_on(c, qos, self.v5, publish).await,
            Conn::V311(c) => publish_on(c, qos, self.v5, publish).await,
        }
    }

    /// Subscribes to `(filter, QoS)` pairs; the SUBACK codes.
    ///
    /// # Errors
    ///
    /// An invalid filter, I/O errors, the connection closing.
    pub async fn subscribe(&mut self, filters: &[(&str, u8)]) -> Result<Vec<u8>, ClientError> {
        let subs = filters
            .iter()
            .map(|(f, q)| Subscription::new(f, *q))
            .collect();
        self.subscribe_with(subs).await
    }

    /// Subscribes with full 5.0 options.
    ///
    /// # Errors
    ///
    /// As [`Client::subscribe`].
    pub async fn subscribe_with(
        &mut self,
        subscriptions: Vec<Subscription>,
    ) -> Result<Vec<u8>, ClientError> {
        let properties = self.v5.then(Vec::new);
        let subscribe = move |packet_id| {
            Packet::Subscribe(Subscribe {
                packet_id,
                properties,
                subscriptions,
            })
        };
        match self.call(subscribe).await? {
            Packet::SubAck(a) => Ok(a.codes),
            _ => Err(ClientError::Protocol("expected SUBACK")),
        }
    }

    /// Unsubscribes; the UNSUBACK codes (empty in 3.1.1).
    ///
    /// # Errors
    ///
    /// As [`Client::subscribe`].
    pub async fn unsubscribe(&mut self, filters: &[&str]) -> Result<Vec<u8>, ClientError> {
        let properties = self.v5.then(Vec::new);
        let filters = filters
            .iter()
            .map(|f| TopicFilter {
                filter: (*f).into(),
            })
            .collect();
        let unsubscribe = move |packet_id| {
            Packet::Unsubscribe(Unsubscribe {
                packet_id,
                properties,
                filters,
            })
        };
        match self.call(unsubscribe).await? {
            Packet::UnsubAck(a) => Ok(a.codes),
            _ => Err(ClientError::Protocol("expected UNSUBACK")),
        }
    }

    /// The next message (the connection layer pings when it is quiet).
    ///
    /// # Errors
    ///
    /// The connection closing (with the server's DISCONNECT reason, if
    /// it sent one).
    pub async fn recv(&mut self) -> Result<Received, ClientError> {
        if let Some(code) = self.closed {
            return Err(ClientError::Closed(code));
        }
        match self.inbox.recv().await {
            Some(Event::Message(m)) => Ok(m),
            Some(Event::Closed(code)) => {
                self.closed = Some(code);
                Err(ClientError::Closed(code))
            }
            None => {
                self.closed = Some(None);
                Err(ClientError::Closed(None))
            }
        }
    }

    /// Sends DISCONNECT and closes (waiting for the exchanges in flight
    /// and for the server to close its side, within 5 s).
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub async fn disconnect(self) -> Result<(), ClientError> {
        self.send(Packet::Disconnect(Disconnect::new(self.v5, 0, vec![])))?;
        match &self.conn {
            Conn::V5(c) => c.close().await?,
            Conn::V311(c) => c.close().await?,
        }
        Ok(())
    }

    /// Sends a packet nothing answers.
    fn send(&self, p: Packet) -> Result<(), ClientError> {
        match &self.conn {
            Conn::V5(c) => c.send(at::<Packet>(p)?)?,
            Conn::V311(c) => c.send(at::<Packet311>(p)?)?,
        }
        Ok(())
    }

    /// A call under a fresh packet identifier: `make` builds the request
    /// with it.
    async fn call(&self, make: impl FnOnce(u16) -> Packet) -> Result<Packet, ClientError> {
        match &self.conn {
            Conn::V5(c) => call_on(c, make).await,
            Conn::V311(c) => call_on(c, make).await,
        }
    }
}

/// The connection's configuration: MQTT's tag space, the CONNECT
/// handshake, the handler of the server's PUBLISHes, PINGREQ every
/// keepalive (none at 0).
fn config<L: Level>(o: &Options, hello: Hello, inbound: Answer) -> ClientConfig<L> {
    let config = ClientConfig::default()
        .with_tag_max(TAG_MAX)
        .with_handshake(hello)
        .with_handshake_timeout(Duration::from_secs(30))
        .with_handler(inbound)
        .with_close_grace(Duration::from_secs(5));
    if o.keep_alive == 0 {
        return config;
    }
    let ping = || L::level(Packet::PingReq(PingReq)).expect("PINGREQ exists at every level");
    config.with_untagged_ping(
        Duration::from_secs(u64::from(o.keep_alive)),
        ping,
        |p: &L| p.id() == <PingResp as Message>::ID,
    )
}

/// A call on `c` under a packet identifier held for it.
async fn call_on<L: Level>(
    c: &rpc::Client<L>,
    make: impl FnOnce(u16) -> Packet,
) -> Result<Packet, ClientError> {
    let hold = c.hold_tag().await?;
    let id = packet_id(&hold)?;
    Ok(hold
        .call(at(make(id))?, CallOptions::default())
        .await?
        .into())
}

/// The held tag as a packet identifier.
fn packet_id<L: Level>(hold: &rpc::HeldTag<L>) -> Result<u16, ClientError> {
    u16::try_from(hold.tag()).map_err(|_| ClientError::Protocol("packet identifier over 65535"))
}

/// A PUBLISH at QoS 1 (answered by PUBACK) or 2 (PUBREC, then PUBREL
/// under the same identifier, answered by PUBCOMP); the reason code.
async fn publish_on<L: Level>(
    c: &rpc::Client<L>,
    qos: u8,
    v5: bool,
    publish: impl FnOnce(Option<u16>) -> Publish,
) -> Result<u8, ClientError> {
    let hold = c.hold_tag().await?;
    let id = packet_id(&hold)?;
    let opts = CallOptions::default();
    let reply = hold
        .call(at(Packet::Publish(publish(Some(id))))?, opts)
        .await?;
    match (qos, reply.into()) {
        (1, Packet::PubAck(a)) => Ok(a.code()),
        (2, Packet::PubRec(r)) if r.code() >= 0x80 => Ok(r.code()),
        (2, Packet::PubRec(_)) => {
            let rel = at(Packet::PubRel(PubRel::new(id, v5, 0, vec![])))?;
            match hold.call(rel, opts).await?.into() {
                Packet::PubComp(c) => Ok(c.code()),
                _ => Err(ClientError::Protocol("expected PUBCOMP")),
            }
        }
        _ => Err(ClientError::Protocol("unexpected acknowledgement")),
    }
}
