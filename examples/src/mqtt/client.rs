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
//! One task drives the socket: a call writes its packet and reads until
//! its answer comes, keeping PUBLISHes that arrive meanwhile (acknowledged
//! at once) for [`Client::recv`], which also sends PINGREQ when the
//! connection has been quiet for the keepalive.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use codec::frame::{FrameDecoder, FrameError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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
    stream: TcpStream,
    frames: FrameDecoder<FixedHeader>,
    v5: bool,
    next_id: u16,
    inbox: VecDeque<Received>,
    incoming: Session,
    keep_alive: u16,
    last_sent: Instant,
    /// CONNACK's session-present flag.
    pub session_present: bool,
    /// CONNACK's properties (5.0).
    pub connack_properties: Vec<Property>,
}

impl Client {
    /// Connects and waits for CONNACK.
    ///
    /// # Errors
    ///
    /// I/O errors, [`ClientError::Refused`] with the CONNACK code.
    pub async fn connect(o: Options) -> Result<Client, ClientError> {
        let stream = TcpStream::connect((o.host.as_str(), o.port)).await?;
        stream.set_nodelay(true)?;
        let mut c = Client {
            stream,
            frames: FrameDecoder::new(),
            v5: o.v5,
            next_id: 0,
            inbox: VecDeque::new(),
            incoming: Session::new(o.v5, 1, u16::MAX),
            keep_alive: o.keep_alive,
            last_sent: Instant::now(),
            session_present: false,
            connack_properties: Vec::new(),
        };
        let mut connect = Connect::new(
            if o.v5 { 5 } else { 4 },
            &o.client_id,
            o.keep_alive,
            o.clean_start,
        );
        if o.v5 && o.session_expiry > 0 {
            connect.properties = Some(vec![Property::SessionExpiry(o.session_expiry)]);
        }
        if let Some((topic, payload, qos, retain)) = o.will {
            connect.will_flag = true;
            connect.will_qos = qos;
            connect.will_retain = retain;
            connect.will_topic = Some(topic);
            connect.will_payload = Some(payload);
            connect.will_properties = o.v5.then(Vec::new);
        }
        c.send(Packet::Connect(connect)).await?;
        match c.read().await? {
            Packet::ConnAck(a) if a.code == 0 => {
                c.session_present = a.session_present;
                c.connack_properties = a.properties.unwrap_or_default();
                Ok(c)
            }
            Packet::ConnAck(a) => Err(ClientError::Refused(a.code)),
            _ => Err(ClientError::Protocol("expected CONNACK")),
        }
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
        let packet_id = (qos > 0).then(|| self.fresh_id());
        let properties = self.v5.then(Vec::new);
        self.send(Packet::Publish(Publish::new(
            topic, payload, qos, retain, packet_id, properties,
        )))
        .await?;
        let Some(id) = packet_id else { return Ok(0) };
        loop {
            match self.read().await? {
                Packet::PubAck(a) if qos == 1 && a.packet_id == id => return Ok(a.code()),
                Packet::PubRec(r) if qos == 2 && r.packet_id == id => {
                    if r.code() >= 0x80 {
                        return Ok(r.code());
                    }
                    self.send(Packet::PubRel(PubRel::new(id, self.v5, 0, vec![])))
                        .await?;
                }
                Packet::PubComp(c) if qos == 2 && c.packet_id == id => return Ok(c.code()),
                other => self.other(other).await?,
            }
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
        let id = self.fresh_id();
        self.send(Packet::Subscribe(Subscribe {
            packet_id: id,
            properties: self.v5.then(Vec::new),
            subscriptions,
        }))
        .await?;
        loop {
            match self.read().await? {
                Packet::SubAck(a) if a.packet_id == id => return Ok(a.codes),
                other => self.other(other).await?,
            }
        }
    }

    /// Unsubscribes; the UNSUBACK codes (empty in 3.1.1).
    ///
    /// # Errors
    ///
    /// As [`Client::subscribe`].
    pub async fn unsubscribe(&mut self, filters: &[&str]) -> Result<Vec<u8>, ClientError> {
        let id = self.fresh_id();
        self.send(Packet::Unsubscribe(Unsubscribe {
            packet_id: id,
            properties: self.v5.then(Vec::new),
            filters: filters
                .iter()
                .map(|f| TopicFilter {
                    filter: (*f).into(),
                })
                .collect(),
        }))
        .await?;
        loop {
            match self.read().await? {
                Packet::UnsubAck(a) if a.packet_id == id => return Ok(a.codes),
                other => self.other(other).await?,
            }
        }
    }

    /// The next message, pinging when the connection is quiet.
    ///
    /// # Errors
    ///
    /// I/O errors, the connection closing.
    pub async fn recv(&mut self) -> Result<Received, ClientError> {
        loop {
            if let Some(m) = self.inbox.pop_front() {
                return Ok(m);
            }
            let p = if self.keep_alive == 0 {
                self.read().await?
            } else {
                let at = self.last_sent + Duration::from_secs(u64::from(self.keep_alive));
                match tokio::time::timeout_at(at.into(), self.read()).await {
                    Ok(p) => p?,
                    Err(_) => {
                        self.send(Packet::PingReq(PingReq)).await?;
                        continue;
                    }
                }
            };
            self.other(p).await?;
        }
    }

    /// Sends DISCONNECT and closes.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub async fn disconnect(mut self) -> Result<(), ClientError> {
        self.send(Packet::Disconnect(Disconnect::new(self.v5, 0, vec![])))
            .await?;
        self.stream.shutdown().await?;
        Ok(())
    }

    /// A packet that is not the answer awaited: PUBLISHes are kept (and
    /// acknowledged), PUBRELs answered, DISCONNECT ends the connection.
    async fn other(&mut self, p: Packet) -> Result<(), ClientError> {
        match p {
            Packet::Publish(p) => {
                let keep = match (p.qos, p.packet_id) {
                    (1, Some(id)) => {
                        self.send(Packet::PubAck(PubAck::new(id, self.v5, 0, vec![])))
                            .await?;
                        true
                    }
                    (2, Some(id)) => {
                        let fresh = self.incoming.on_publish_qos2(id).unwrap_or(false);
                        let rec = self.incoming.pubrec(id, 0);
                        self.send(Packet::PubRec(rec)).await?;
                        fresh
                    }
                    _ => true,
                };
                if keep {
                    self.inbox.push_back(Received {
                        topic: p.topic,
                        payload: p.payload,
                        qos: p.qos,
                        retain: p.retain,
                        properties: p.properties.unwrap_or_default(),
                    });
                }
            }
            Packet::PubRel(r) => {
                let comp = self.incoming.on_pubrel(r.packet_id);
                self.send(Packet::PubComp(comp)).await?;
            }
            Packet::Disconnect(d) => return Err(ClientError::Closed(Some(d.code()))),
            _ => {}
        }
        Ok(())
    }

    fn fresh_id(&mut self) -> u16 {
        self.next_id = self.next_id.wrapping_add(1).max(1);
        self.next_id
    }

    async fn send(&mut self, p: Packet) -> Result<(), ClientError> {
        let mut buf = Vec::new();
        encode_packet(p, self.v5, &mut buf)?;
        self.stream.write_all(&buf).await?;
        self.last_sent = Instant::now();
        Ok(())
    }

    async fn read(&mut self) -> Result<Packet, ClientError> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            if let Some(p) = next_packet(&mut self.frames, self.v5)? {
                return Ok(p);
            }
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Err(ClientError::Closed(None));
            }
            self.frames.push(&buf[..n]);
        }
    }
}
