//! The generated Wireshark dissector against the real `tshark`: a storage
//! session on 127.0.0.1 (every message kind, a chunked upload and
//! download, a watch notification, frames split across TCP segments and
//! several frames in one segment) is captured on `lo` with `dumpcap`, then
//! decoded with `tshark -X lua_script:storage.lua -T json`; every field of
//! every message must show the value the test sent or received.
//!
//! Needs Debian's `tshark` package (the test installs it when missing, as
//! root, the way the interop tests set up their Python venv) and the right
//! to capture on `lo` (root, as in CI): without them the test fails with a
//! message saying so, never skips.

mod support {
    pub mod apt;
    pub mod capture;
    pub mod storage;
}

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use codec::{Decode, Encode, Protocol};
use codec_examples::storage::protocol::*;
use support::capture::{require, Capture};
use support::storage::{run, wait_bounded, ServerProc};

/// The token the server is started with (so every connection begins with
/// `Hello`/`Welcome`).
const TOKEN: &[u8] = b"wireshark-secret";

/// A chunked value: three `PutChunk`s / `GetChunk`s.
const BIG: usize = 2 * CHUNK + 27_120;

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Dir {
    ToServer,
    ToClient,
}

/// One client connection that records every frame it sends and receives.
struct Conn {
    stream: TcpStream,
    port: u16,
    log: Vec<(u16, Dir, Storage)>,
}

impl Conn {
    fn open(addr: &str) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_nodelay(true).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let port = stream.local_addr().unwrap().port();
        let mut c = Conn {
            stream,
            port,
            log: Vec::new(),
        };
        c.send(&[Hello {
            version: VERSION,
            token: TOKEN.to_vec(),
        }
        .into()]);
        let welcome = c.recv();
        assert_eq!(
            welcome,
            Welcome {
                status: Status::Success
            }
            .into()
        );
        c
    }

    /// Writes the frames with one `write` (several frames in a segment).
    fn send(&mut self, frames: &[Storage]) {
        let mut buf = Vec::new();
        for f in frames {
            buf.extend(f.to_bytes().unwrap());
            self.log.push((self.port, Dir::ToServer, f.clone()));
        }
        self.stream.write_all(&buf).unwrap();
    }

    /// Writes one frame in two segments, 100 ms apart (TCP_NODELAY is on),
    /// so the dissector must reassemble it.
    fn send_split(&mut self, frame: Storage, at: usize) {
        let bytes = frame.to_bytes().unwrap();
        self.log.push((self.port, Dir::ToServer, frame));
        self.stream.write_all(&bytes[..at]).unwrap();
        self.stream.flush().unwrap();
        thread::sleep(Duration::from_millis(100));
        self.stream.write_all(&bytes[at..]).unwrap();
    }

    fn recv(&mut self) -> Storage {
        let mut head = [0u8; 3];
        self.stream.read_exact(&mut head).expect("read a header");
        let len = u16::from_be_bytes([head[1], head[2]]) as usize;
        let mut frame = head.to_vec();
        frame.resize(3 + len, 0);
        self.stream
            .read_exact(&mut frame[3..])
            .expect("read a payload");
        let msg = Storage::from_bytes(&frame).expect("a storage frame");
        self.log.push((self.port, Dir::ToClient, msg.clone()));
        msg
    }
}

fn value(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// The session: every storage message kind, in both directions.
fn session(addr: &str) -> Vec<(u16, Dir, Storage)> {
    let mut watcher = Conn::open(addr);
    let mut c = Conn::open(addr);

    watcher.send(&[WatchRequest {
        trans: 1,
        watch: true,
        name: "watched".into(),
    }
    .into()]);
    assert!(matches!(watcher.recv(), Storage::WatchResponse(r) if r.status == Status::Success));

    // Three requests in one segment, answered in order.
    c.send(&[
        StoreRequest {
            trans: 10,
            name: "greeting".into(),
            data: b"hello, wireshark".to_vec(),
        }
        .into(),
        FetchRequest {
            trans: 11,
            name: "greeting".into(),
        }
        .into(),
        FetchRequest {
            trans: 12,
            name: "missing".into(),
        }
        .into(),
    ]);
    for _ in 0..3 {
        c.recv();
    }

    // A frame split across two segments.
    c.send_split(
        StoreRequest {
            trans: 13,
            name: "watched".into(),
            data: value(300, 7),
        }
        .into(),
        5,
    );
    assert!(matches!(c.recv(), Storage::StoreResponse(r) if r.status == Status::Success));
    // The watcher's notification.
    assert!(
        matches!(watcher.recv(), Storage::Changed(ch) if ch.name == "watched" && ch.size == 300)
    );

    c.send(&[ListRequest {
        trans: 14,
        prefix: "".into(),
        after: "".into(),
        limit: 10,
    }
    .into()]);
    assert!(matches!(c.recv(), Storage::ListResponse(r) if r.entries.len() == 2));

    // A chunked upload: three chunks pipelined in one write (frames of
    // 60 KiB, cut by TCP wherever the segments end).
    let big = value(BIG, 3);
    c.send(&[PutBegin {
        trans: 15,
        name: "big".into(),
        size: BIG as u64,
    }
    .into()]);
    let Storage::PutBeginResponse(begin) = c.recv() else {
        panic!("expected a PutBeginResponse")
    };
    let chunks: Vec<Storage> = big
        .chunks(CHUNK)
        .enumerate()
        .map(|(i, data)| {
            PutChunk {
                trans: 16 + i as u8,
                upload: begin.upload,
                offset: (i * CHUNK) as u64,
                data: data.to_vec(),
            }
            .into()
        })
        .collect();
    c.send(&chunks);
    for _ in 0..chunks.len() {
        assert!(matches!(c.recv(), Storage::ChunkAck(a) if a.status == Status::Success));
    }
    c.send(&[PutCommit {
        trans: 20,
        upload: begin.upload,
    }
    .into()]);
    assert!(matches!(c.recv(), Storage::StoreResponse(r) if r.status == Status::Success));

    // A chunked download.
    let mut version = 0;
    for (i, offset) in (0..BIG).step_by(CHUNK).enumerate() {
        c.send(&[GetChunk {
            trans: 21 + i as u8,
            name: "big".into(),
            version,
            offset: offset as u64,
        }
        .into()]);
        let Storage::GetChunkResponse(r) = c.recv() else {
            panic!("expected a GetChunkResponse")
        };
        assert_eq!(r.data, big[offset..(offset + CHUNK).min(BIG)]);
        version = r.version;
    }

    // An abandoned upload.
    c.send(&[PutBegin {
        trans: 30,
        name: "abandoned".into(),
        size: 10,
    }
    .into()]);
    let Storage::PutBeginResponse(begin) = c.recv() else {
        panic!("expected a PutBeginResponse")
    };
    c.send(&[PutAbort {
        trans: 31,
        upload: begin.upload,
    }
    .into()]);
    c.recv();

    c.send(&[
        DeleteRequest {
            trans: 32,
            name: "greeting".into(),
        }
        .into(),
        StatsRequest { trans: 33 }.into(),
    ]);
    c.recv();
    assert!(matches!(c.recv(), Storage::StatsResponse(r) if !r.stats.is_empty()));
    // The deletion reaches no watcher ("greeting" is not watched); the
    // watcher stops.
    watcher.send(&[WatchRequest {
        trans: 2,
        watch: false,
        name: "watched".into(),
    }
    .into()]);
    watcher.recv();

    let mut log = watcher.log;
    log.extend(c.log);
    log
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn status(s: &Status) -> String {
    s.to_bytes().unwrap()[0].to_string()
}

/// Every field tshark must show for a message, as `(field, value)`: the
/// values come from the message itself, the names from the protocol.
fn expected(m: &Storage) -> Shown {
    let name = m.name();
    let mut out = Shown::new();
    let mut put = |field: &str, v: String| {
        let key = if field == "id" || field == "len" {
            format!("storage.{field}")
        } else {
            format!("storage.{name}.{field}")
        };
        out.entry(key).or_default().push(v);
    };
    put("id", m.id().to_string());
    put("len", m.payload_len().to_string());
    match m {
        Storage::StoreRequest(r) => {
            put("trans", r.trans.to_string());
            put("name", r.name.clone());
            put("data", hex(&r.data));
        }
        Storage::StoreResponse(r) => {
            put("trans", r.trans.to_string());
            put("name", r.name.clone());
            put("status", status(&r.status));
        }
        Storage::FetchRequest(r) => {
            put("trans", r.trans.to_string());
            put("name", r.name.clone());
        }
        Storage::FetchResponse(r) => {
            put("trans", r.trans.to_string());
            put("status", status(&r.status));
            put("name", r.name.clone());
            put("data", hex(&r.data));
        }
        Storage::DeleteRequest(r) => {
            put("trans", r.trans.to_string());
            put("name", r.name.clone());
        }
        Storage::DeleteResponse(r) => {
            put("trans", r.trans.to_string());
            put("name", r.name.clone());
            put("status", status(&r.status));
        }
        Storage::ListRequest(r) => {
            put("trans", r.trans.to_string());
            put("prefix", r.prefix.clone());
            put("after", r.after.clone());
            put("limit", r.limit.to_string());
        }
        Storage::ListResponse(r) => {
            put("trans", r.trans.to_string());
            put("status", status(&r.status));
            put("more", u8::from(r.more).to_string());
            for e in &r.entries {
                put("entries.name", e.name.clone());
                put("entries.size", e.size.to_string());
            }
        }
        Storage::WatchRequest(r) => {
            put("trans", r.trans.to_string());
            put("watch", u8::from(r.watch).to_string());
            put("name", r.name.clone());
        }
        Storage::WatchResponse(r) => {
            put("trans", r.trans.to_string());
            put("name", r.name.clone());
            put("status", status(&r.status));
        }
        Storage::Changed(r) => {
            put("kind", (r.kind as u8).to_string());
            put("name", r.name.clone());
            put("version", r.version.to_string());
            put("size", r.size.to_string());
        }
        Storage::PutBegin(r) => {
            put("trans", r.trans.to_string());
            put("name", r.name.clone());
            put("size", r.size.to_string());
        }
        Storage::PutBeginResponse(r) => {
            put("trans", r.trans.to_string());
            put("status", status(&r.status));
            put("upload", r.upload.to_string());
        }
        Storage::PutChunk(r) => {
            put("trans", r.trans.to_string());
            put("upload", r.upload.to_string());
            put("offset", r.offset.to_string());
            put("data", hex(&r.data));
        }
        Storage::ChunkAck(r) => {
            put("trans", r.trans.to_string());
            put("status", status(&r.status));
        }
        Storage::PutCommit(r) => {
            put("trans", r.trans.to_string());
            put("upload", r.upload.to_string());
        }
        Storage::PutAbort(r) => {
            put("trans", r.trans.to_string());
            put("upload", r.upload.to_string());
        }
        Storage::GetChunk(r) => {
            put("trans", r.trans.to_string());
            put("name", r.name.clone());
            put("version", r.version.to_string());
            put("offset", r.offset.to_string());
        }
        Storage::GetChunkResponse(r) => {
            put("trans", r.trans.to_string());
            put("status", status(&r.status));
            put("version", r.version.to_string());
            put("size", r.size.to_string());
            put("data", hex(&r.data));
        }
        Storage::Hello(r) => {
            put("version", r.version.to_string());
            put("token", hex(&r.token));
        }
        Storage::Welcome(r) => put("status", status(&r.status)),
        Storage::StatsRequest(r) => put("trans", r.trans.to_string()),
        Storage::StatsResponse(r) => {
            put("trans", r.trans.to_string());
            put("status", status(&r.status));
            for s in &r.stats {
                put("stats.name", s.name.clone());
                put("stats.value", s.value.to_string());
            }
        }
    }
    out
}

/// Every leaf `PREFIX.*` value under a JSON node, by field name in
/// document order (`--no-duplicate-keys` turns repeats into arrays).
fn leaves(prefix: &str, key: &str, v: &serde_json::Value, out: &mut Shown) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                leaves(prefix, k, v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                leaves(prefix, key, v, out);
            }
        }
        serde_json::Value::String(s)
            if key.strip_prefix(prefix).is_some_and(|k| k.starts_with('.')) =>
        {
            out.entry(key.to_string()).or_default().push(s.clone());
        }
        _ => {}
    }
}

/// A frame as tshark shows it: its values by field name.
type Shown = BTreeMap<String, Vec<String>>;

/// The frames of protocol `proto` tshark shows, per (source port,
/// destination port), in capture order; and the most frames one packet
/// carried.
fn dissected_as(json: &str, proto: &str) -> (BTreeMap<(u16, u16), Vec<Shown>>, usize) {
    let packets: serde_json::Value = serde_json::from_str(json).expect("tshark's JSON");
    let mut flows: BTreeMap<(u16, u16), Vec<_>> = BTreeMap::new();
    let mut most = 0;
    for p in packets.as_array().expect("an array of packets") {
        let layers = &p["_source"]["layers"];
        let Some(pdus) = layers.get(proto) else {
            continue;
        };
        let port = |f: &str| -> u16 {
            layers["tcp"][f]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("a TCP port")
        };
        let flow = flows
            .entry((port("tcp.srcport"), port("tcp.dstport")))
            .or_default();
        let pdus = match pdus {
            serde_json::Value::Array(items) => items.clone(),
            one => vec![one.clone()],
        };
        most = most.max(pdus.len());
        for pdu in &pdus {
            let mut fields = BTreeMap::new();
            leaves(proto, proto, pdu, &mut fields);
            flow.push(fields);
        }
    }
    (flows, most)
}

/// `tshark -X lua_script:LUA -r PCAP -T json --no-duplicate-keys`, at most
/// 120 s; fails on any Lua error.
fn tshark_json(lua: &std::path::Path, pcap: &std::path::Path) -> String {
    let mut tshark = Command::new("tshark")
        .arg("-X")
        .arg(format!("lua_script:{}", lua.display()))
        .arg("-r")
        .arg(pcap)
        .args(["-T", "json", "--no-duplicate-keys"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tshark");
    let read_all = |mut r: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let stdout = read_all(Box::new(tshark.stdout.take().unwrap()));
    let stderr = read_all(Box::new(tshark.stderr.take().unwrap()));
    let status =
        wait_bounded(&mut tshark, Duration::from_secs(120)).expect("tshark finishes within 120 s");
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    let output = std::process::Output {
        status,
        stdout,
        stderr,
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "tshark failed: {stderr}");
    assert!(!stderr.contains("Lua"), "Lua errors: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn tshark_shows_every_field_of_a_real_storage_session() {
    require("tshark", "tshark");
    require("dumpcap", "tshark");
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, TOKEN).unwrap();
    let server = ServerProc::start(&["--memory", "--token-file", token.to_str().unwrap()]);
    let port: u16 = server.addr.rsplit(':').next().unwrap().parse().unwrap();

    // `storage dissector > storage.lua`, as a user would.
    let gen = run(&["dissector"], None, &[]);
    assert_eq!(gen.code, 0, "{}", gen.stderr);
    let lua = dir.path().join("storage.lua");
    std::fs::write(&lua, &gen.stdout).unwrap();

    let pcap = dir.path().join("session.pcap");
    let capture = Capture::start(port, &pcap);
    let log = session(&server.addr);
    // Let the last segments reach the capture before it stops.
    thread::sleep(Duration::from_millis(500));
    capture.stop();
    drop(server);

    // Every message kind is in the session.
    let kinds: std::collections::BTreeSet<&str> = log.iter().map(|(_, _, m)| m.name()).collect();
    let all: std::collections::BTreeSet<&str> = <Storage as Protocol>::MESSAGES
        .iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(kinds, all, "the session covers every message kind");

    let json = tshark_json(&lua, &pcap);
    assert!(
        !json.contains("storage.undescribed"),
        "a frame was not dissected field by field"
    );
    assert!(
        json.contains("\"tcp.segments\""),
        "no frame was split across segments"
    );
    let (flows, most) = dissected_as(&json, "storage");
    assert!(most >= 3, "no segment carried several frames");

    // Per connection and direction, the frames in the order they went.
    let mut want: BTreeMap<(u16, u16), Vec<_>> = BTreeMap::new();
    for (client, dir, msg) in &log {
        let key = match dir {
            Dir::ToServer => (*client, port),
            Dir::ToClient => (port, *client),
        };
        want.entry(key)
            .or_default()
            .push((msg.name(), expected(msg)));
    }
    assert_eq!(flows.len(), want.len(), "flows: {:?}", flows.keys());
    for (flow, msgs) in &want {
        let got = flows
            .get(flow)
            .unwrap_or_else(|| panic!("no storage frames in {flow:?}"));
        assert_eq!(got.len(), msgs.len(), "frames in {flow:?}");
        for (i, ((name, want), got)) in msgs.iter().zip(got).enumerate() {
            assert_eq!(got, want, "frame {i} ({name}) of {flow:?}");
        }
    }
}

/// A protocol using every attribute the dissector reads, under a
/// `WideHeader`.
mod exotic {
    use codec::{Decode, Encode, Message, Protocol};

    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
    pub struct Item {
        #[codec(term)]
        pub label: String,
        #[codec(vlq)]
        pub weight: u64,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
    #[codec(repr = u16)]
    pub enum Choice {
        #[codec(id = 7)]
        Plain,
        #[codec(id = 9)]
        With(#[codec(len = u8)] String),
    }

    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, Message)]
    #[codec(id = 0x0102)]
    pub struct Everything {
        #[codec(endian = "little")]
        pub small: u32,
        #[codec(bytes = 3)]
        pub three: u32,
        pub maybe: Option<u8>,
        pub flags: u8,
        #[codec(when = flags & 1 != 0, varint)]
        pub extra: Option<u64>,
        pub count: u8,
        #[codec(len_from = count)]
        pub items: Vec<Item>,
        #[codec(size = 8, pad = 0x20)]
        pub padded: String,
        pub choice: Choice,
        pub signed: i16,
        #[codec(rest)]
        pub tail: Vec<u8>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Protocol)]
    #[codec(header = codec::WideHeader)]
    pub enum Exotic {
        Everything(Everything),
    }
}

/// A pcap (raw IPv4) of one TCP connection 127.0.0.1:40000 → :7474: the
/// handshake, then `segments` of data from the client.
fn pcap(segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    // Global header: magic, v2.4, no zone or accuracy, snaplen, LINKTYPE_RAW.
    out.extend(0xa1b2_c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend([0u8; 8]);
    out.extend(262_144u32.to_le_bytes());
    out.extend(101u32.to_le_bytes());
    let (client, server) = (40_000u16, 7474u16);
    let (mut cseq, mut sseq) = (1000u32, 5000u32);
    let mut n = 0u32;
    let mut packet =
        |out: &mut Vec<u8>, from_client: bool, seq: u32, ack: u32, flags: u8, data: &[u8]| {
            let (sp, dp) = if from_client {
                (client, server)
            } else {
                (server, client)
            };
            let mut tcp = Vec::new();
            tcp.extend(sp.to_be_bytes());
            tcp.extend(dp.to_be_bytes());
            tcp.extend(seq.to_be_bytes());
            tcp.extend(ack.to_be_bytes());
            tcp.extend([5 << 4, flags]);
            tcp.extend(65_535u16.to_be_bytes());
            tcp.extend([0, 0, 0, 0]); // checksum (not verified by default), urgent
            tcp.extend(data);
            let mut ip = vec![0x45, 0];
            ip.extend((20 + tcp.len() as u16).to_be_bytes());
            ip.extend([0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
            ip.extend(tcp);
            out.extend(1_700_000_000u32.to_le_bytes());
            out.extend(n.to_le_bytes());
            out.extend((ip.len() as u32).to_le_bytes());
            out.extend((ip.len() as u32).to_le_bytes());
            out.extend(ip);
            n += 1;
        };
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const PSH_ACK: u8 = 0x18;
    packet(&mut out, true, cseq, 0, SYN, &[]);
    packet(&mut out, false, sseq, cseq + 1, SYN | ACK, &[]);
    cseq += 1;
    sseq += 1;
    packet(&mut out, true, cseq, sseq, ACK, &[]);
    for s in segments {
        packet(&mut out, true, cseq, sseq, PSH_ACK, s);
        cseq += s.len() as u32;
        packet(&mut out, false, sseq, cseq, ACK, &[]);
    }
    out
}

/// What tshark must show for an `Everything`.
fn expected_exotic(m: &exotic::Exotic) -> Shown {
    let exotic::Exotic::Everything(e) = m;
    let mut out = Shown::new();
    let mut put = |field: &str, v: String| {
        let key = match field {
            "id" | "len" => format!("exotic.{field}"),
            _ => format!("exotic.Everything.{field}"),
        };
        out.entry(key).or_default().push(v);
    };
    put("id", m.id().to_string());
    put("len", m.payload_len().to_string());
    put("small", e.small.to_string());
    put("three", e.three.to_string());
    if let Some(v) = e.maybe {
        put("maybe", v.to_string());
    }
    put("flags", e.flags.to_string());
    if let Some(v) = e.extra {
        put("extra", v.to_string());
    }
    put("count", e.count.to_string());
    for i in &e.items {
        put("items.label", i.label.clone());
        put("items.weight", i.weight.to_string());
    }
    put("padded", e.padded.clone());
    match &e.choice {
        exotic::Choice::Plain => put("choice", "7".into()),
        exotic::Choice::With(s) => {
            put("choice", "9".into());
            put("choice.With.0", s.clone());
        }
    }
    put("signed", e.signed.to_string());
    put("tail", hex(&e.tail));
    out
}

#[test]
fn tshark_shows_every_attribute_of_a_generated_layout() {
    use exotic::*;
    require("tshark", "tshark");
    let frames = [
        Exotic::from(Everything {
            small: 0x0403_0201,
            three: 0x00AB_CDEF,
            maybe: Some(5),
            flags: 1,
            extra: Some(300),
            count: 2,
            items: vec![
                Item {
                    label: "first".into(),
                    weight: 127,
                },
                Item {
                    label: "second".into(),
                    weight: 0x3FFF,
                },
            ],
            padded: "pad".into(),
            choice: Choice::With("hi".into()),
            signed: -5,
            tail: vec![0xde, 0xad],
        }),
        Exotic::from(Everything {
            small: 7,
            three: 1,
            maybe: None,
            flags: 2,
            extra: None,
            count: 1,
            items: vec![Item {
                label: "only".into(),
                weight: (1 << 40) + 0x7F,
            }],
            padded: "12345678".into(),
            choice: Choice::Plain,
            signed: i16::MIN,
            tail: vec![],
        }),
    ];
    let bytes: Vec<Vec<u8>> = frames.iter().map(|f| f.to_bytes().unwrap()).collect();
    for (f, b) in frames.iter().zip(&bytes) {
        assert_eq!(&Exotic::from_bytes(b).unwrap(), f, "the layout round-trips");
    }
    // The first frame in two segments, the second with the first's end.
    let cut = 9;
    let mut second = bytes[0][cut..].to_vec();
    second.extend(&bytes[1]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exotic.pcap");
    std::fs::write(&file, pcap(&[bytes[0][..cut].to_vec(), second])).unwrap();
    let lua = dir.path().join("exotic.lua");
    let script = codec::wireshark::Dissector::new("exotic", "Exotic")
        .port(7474)
        .heuristic(false)
        .lua::<Exotic>();
    std::fs::write(&lua, script).unwrap();

    let json = tshark_json(&lua, &file);
    assert!(!json.contains("exotic.undescribed"), "{json}");
    let (flows, most) = dissected_as(&json, "exotic");
    assert_eq!(
        most, 2,
        "the second segment ends one frame and holds another"
    );
    let got = &flows[&(40_000, 7474)];
    let want: Vec<Shown> = frames.iter().map(expected_exotic).collect();
    assert_eq!(got, &want);
}
