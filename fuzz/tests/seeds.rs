//! Writes the committed seed corpora, `fuzz/seeds/<target>/`, from the
//! golden values of the codec's tests (the tutorial frames of
//! `tests/tests/golden.rs`, the packetstream and Stockings golden
//! frames of `examples/src/*/wire.rs`) encoded by the fuzz crate's types.
//!
//! ```text
//! cargo +nightly test --manifest-path fuzz/Cargo.toml --test seeds
//! ```
//!
//! The files are rewritten each run (the output is deterministic, so an
//! unchanged tree stays unchanged), and each seed is checked to decode.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::CString;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::num::{
    NonZeroI16, NonZeroI8, NonZeroU16, NonZeroU32, NonZeroU64, NonZeroU8, NonZeroUsize,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use codec::{Decode, Encode, RawFrame};
use codec_examples::packetstream::{self, Packet, PacketStream};
use codec_examples::stockings::Stockings;
use codec_fuzz::*;

fn dir(target: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    fs::create_dir_all(&d).unwrap();
    d
}

fn write(target: &str, name: &str, bytes: &[u8]) {
    assert!(bytes.len() <= 512, "seeds stay small: {name}");
    fs::write(dir(target).join(name), bytes).unwrap();
}

fn req() -> StoreRequest {
    StoreRequest {
        trans: 7,
        name: "key".into(),
        data: b"hello".to_vec(),
    }
}

fn resp() -> StoreResponse {
    StoreResponse {
        trans: 7,
        name: "key".into(),
        status: Status::Success,
    }
}

fn fetch() -> FetchRequest {
    FetchRequest {
        trans: 8,
        name: "key".into(),
    }
}

fn fetched() -> FetchResponse {
    FetchResponse {
        trans: 8,
        status: Status::Success,
        name: "key".into(),
        data: b"hello".to_vec(),
    }
}

fn complex() -> Complex<'static> {
    Complex {
        tag: 300,
        flags: 3,
        channel: Some(7),
        note: Some("hi"),
        point: Point { x: 1, y: -2 },
        points: vec![Point { x: 3, y: 400 }],
        nlen: 3,
        kind: Kind::Large,
        shape: Shape::Rect { w: 2, h: 3 },
        status: Status::Other(9),
        name: "key",
        words: vec![0x0102, 0x0304],
        delta: -300,
        small: -5,
        maybe: Some(Box::new(Point { x: 9, y: 0 })),
        arr: [1, 2, 3],
        le: 0x0102_0304,
        double: -2.0,
        label: b"lbl",
        inner: vec![Inner {
            a: 1,
            b: 2,
            name: "in".into(),
            f: 1.5,
            words: [4, 5],
            flag: true,
        }],
        tail: b"tail",
    }
}

/// The std types golden value (`tests/tests/std_types.rs`'s sample, with
/// the fuzz struct's extra fields), one element per hash collection so the
/// bytes are fixed.
fn std_types() -> StdTypes<'static> {
    StdTypes {
        id: NonZeroU32::new(0x0102_0304).unwrap(),
        small: NonZeroI8::new(-1).unwrap(),
        big: NonZeroUsize::new(9).unwrap(),
        v4: Ipv4Addr::new(192, 168, 0, 1),
        v6: Ipv6Addr::LOCALHOST,
        ip: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        sock: SocketAddr::from((Ipv4Addr::new(10, 0, 0, 1), 80)),
        sock6: SocketAddrV6::new(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1), 443, 7, 2),
        name: CString::new("hi").unwrap(),
        text: Cow::Borrowed("key"),
        blob: Cow::Owned(vec![0xAA, 0xBB]),
        shared: Arc::new(0x0506),
        local: Arc::from("é"),
        words: Arc::from([1, 2]),
        map: BTreeMap::from([(2, "b".to_string()), (1, "a".to_string())]),
        set: BTreeSet::from([3, 1]),
        hmap: HashMap::from([(7, b"hi".to_vec())]),
        hset: HashSet::from([256]),
        one: (NonZeroU8::new(5).unwrap(),),
        tuple: (1, 0x0203, NonZeroU64::new(4).unwrap(), true, 'x'),
        le: (
            0x0102,
            NonZeroI16::new(-2).unwrap(),
            3,
            SocketAddrV4::new(Ipv4Addr::new(1, 2, 3, 4), 5),
            6,
        ),
        wide: (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
        tail: BTreeMap::from([(1, None), (2, Some(3))]),
    }
}

/// `mode | limit | nsplits | splits | stream`, see `codec_fuzz::stream::Plan`.
fn plan(mode: u8, limit: u8, splits: &[u8], stream: &[u8]) -> Vec<u8> {
    let mut v = vec![mode, limit, splits.len() as u8];
    v.extend_from_slice(splits);
    v.extend_from_slice(stream);
    v
}

fn frame<P: Encode>(p: &P) -> Vec<u8> {
    p.to_bytes().unwrap()
}

#[test]
fn write_seeds() {
    // decode_tutorial: selector byte, then the body.
    let bodies: [(u8, &str, Vec<u8>); 8] = [
        (0, "store_request", frame(&req())),
        (1, "store_response", frame(&resp())),
        (2, "fetch_request", frame(&fetch())),
        (3, "fetch_response", frame(&fetched())),
        (4, "complex", frame(&complex())),
        (
            6,
            "cmd_put",
            frame(&Cmd::Put {
                key: "k",
                value: b"v",
            }),
        ),
        (6, "cmd_other", frame(&Cmd::Unknown(9, vec![1, 2]))),
        (7, "inner", frame(&complex().inner[0])),
    ];
    // The tutorial's golden body (tests/tests/golden.rs).
    assert_eq!(bodies[0].2, b"\x07\x03key\x00\x05hello");
    for (sel, name, body) in &bodies {
        let mut v = vec![*sel];
        v.extend_from_slice(body);
        write("decode_tutorial", name, &v);
    }
    assert_eq!(Complex::from_bytes(&bodies[4].2).unwrap(), complex());

    // protocol_frame: whole frames of both protocols.
    let storage = [
        Storage::from(req()),
        Storage::from(resp()),
        Storage::from(fetch()),
        Storage::from(fetched()),
    ];
    let golden = b"\x01\x00\x0c\x07\x03key\x00\x05hello";
    assert_eq!(frame(&storage[0]), golden);
    let mut storage_stream = Vec::new();
    for (i, m) in storage.iter().enumerate() {
        let f = frame(m);
        write("protocol_frame", &format!("storage_{i}"), &f);
        storage_stream.extend_from_slice(&f);
    }
    let mixed = [
        Mixed::StoreRequest(req()),
        Mixed::Complex(complex()),
        Mixed::Echo(Echo { data: b"abc" }),
        Mixed::Other(RawFrame::new(0x7F, vec![0xAA, 0xBB])),
    ];
    let mut mixed_stream = Vec::new();
    for (i, m) in mixed.iter().enumerate() {
        let f = frame(m);
        assert_eq!(Mixed::from_bytes(&f).unwrap(), *m);
        write("protocol_frame", &format!("mixed_{i}"), &f);
        mixed_stream.extend_from_slice(&f);
    }
    write(
        "protocol_frame",
        "storage_two_frames",
        &storage_stream[..15 + 9],
    );

    // frame_splits: streams of frames in splits, with and without limits.
    write(
        "frame_splits",
        "std_frames",
        &plan(0, 0, &[1, 2, 3, 5, 7], &storage_stream),
    );
    write(
        "frame_splits",
        "storage_msgs",
        &plan(1, 0, &[4, 0, 9], &storage_stream),
    );
    write(
        "frame_splits",
        "storage_limit",
        &plan(1 | 4 | 8, 3, &[2], &storage_stream),
    );
    write(
        "frame_splits",
        "wide_frames",
        &plan(2, 0, &[3, 1], &mixed_stream),
    );
    write(
        "frame_splits",
        "mixed_msgs",
        &plan(3 | 8, 0, &[5, 11], &mixed_stream),
    );

    // roundtrip: arbitrary's input is unstructured; golden bytes give it
    // something to start from.
    write("roundtrip", "storage_stream", &storage_stream);
    write("roundtrip", "complex", &bodies[4].2);

    // std_types: selector byte, then a body, a frame, bare values, or
    // arbitrary's unstructured input.
    let body = frame(&std_types());
    assert_eq!(StdTypes::from_bytes(&body).unwrap(), std_types());
    // The golden prefix of tests/tests/std_types.rs: id, small.
    assert!(body.starts_with(&[0x01, 0x02, 0x03, 0x04, 0xFF]));
    let std_frame = frame(&StdFrames::StdTypes(std_types()));
    let bare = frame(&vec![
        (NonZeroU16::new(1).unwrap(), IpAddr::V4(Ipv4Addr::LOCALHOST)),
        (NonZeroU16::new(2).unwrap(), IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ]);
    for (sel, name, bytes) in [
        (0, "body", &body),
        (2, "frame", &std_frame),
        (3, "bare", &bare),
        (4, "arbitrary", &body),
    ] {
        let mut v = vec![sel];
        v.extend_from_slice(bytes);
        write("std_types", name, &v);
    }

    // context: selector byte, then a record or an opcode (the goldens of
    // tests/tests/context.rs, with the fuzz record's extra fields).
    let record = CtxRecord {
        flags: 1,
        rtype: 15,
        rdlength: 7,
        rdata: CtxRdata::Mx {
            preference: 10,
            exchange: "mail".into(),
        },
        publish: CtxPublish {
            topic: "a/b".into(),
            packet_id: Some(10),
            payload: b"hi".to_vec(),
        },
    };
    let record = frame(&record);
    let other = frame(&CtxRecord {
        flags: 0,
        rtype: 99,
        rdlength: 3,
        rdata: CtxRdata::Other {
            kind: 99,
            data: vec![1, 2, 3],
        },
        publish: CtxPublish {
            topic: String::new(),
            packet_id: None,
            payload: Vec::new(),
        },
    });
    let opcode = frame(&CtxOpcode::Vendor(0x81, vec![9]));
    for (sel, name, bytes) in [
        (0, "record", &record),
        (0, "other", &other),
        (1, "opcode", &opcode),
        (2, "arbitrary", &record),
    ] {
        let mut v = vec![sel];
        v.extend_from_slice(bytes);
        write("context", name, &v);
    }

    // packetstream: the golden frames of examples/src/packetstream/wire.rs.
    let packets = [
        Packet::request(0, 2, 0, 0, b"hello".to_vec()).unwrap(),
        Packet::response(0, 2, true, 5, b"HELLO".to_vec()).unwrap(),
        Packet::failure(0, 3, "exception during handler"),
        Packet::request(7, 300, 1, 200, b"x".to_vec()).unwrap(),
        Packet::ERQ,
        Packet::EOF,
    ];
    let mut ps = Vec::new();
    for p in &packets {
        ps.extend(packetstream::wire::frame(p).unwrap());
    }
    assert!(ps.starts_with(b"\x08\x02\x02\x01hello\x07\x02\x2cHELLO"));
    let one = packetstream::wire::frame(&packets[0]).unwrap();
    assert_eq!(
        PacketStream::from_bytes(&one).unwrap().into_packet(),
        packets[0]
    );
    write("packetstream", "request", &plan(0, 0, &[], &one));
    write("packetstream", "body", &plan(1, 0, &[], &one[1..]));
    write("packetstream", "stream", &plan(3, 0, &[1, 3, 2], &ps));
    write("packetstream", "stream_limit", &plan(4 | 8, 2, &[5], &ps));

    // stockings: the golden frames of examples/src/stockings/wire.rs.
    let mut st = Stockings::text("hi").to_bytes().unwrap();
    assert_eq!(st, [0x82, b'h', b'i']);
    st.extend(Stockings::bytes(vec![7; 70]).to_bytes().unwrap());
    st.extend_from_slice(&[0x82, 0xff, 0xfe]); // str, not UTF-8
    st.extend(Stockings::text("ok").to_bytes().unwrap());
    write("stockings", "text", &plan(0, 0, &[], &st[..3]));
    write("stockings", "body", &plan(1, 0, &[], b"hi"));
    write("stockings", "header", &plan(2, 0, &[], &[0x40, 0x00, 0x81]));
    write("stockings", "stream", &plan(3, 0, &[1, 2, 40], &st));
    write("stockings", "stream_limit", &plan(4 | 8, 4, &[3], &st));
}

/// bits: selector byte, then a body of each type, a frame, or
/// arbitrary's unstructured input.
#[test]
fn write_bits_seeds() {
    use codec_fuzz::bits::*;
    let msb = MsbBits {
        id: 0xBEEF,
        qr: true,
        op: Op::Notify,
        aa: false,
        two: 2,
        wide: 0xABC,
        nibble: 5,
        extra: Some(7),
        a: 3,
        b: 17,
    };
    let lsb = LsbBits {
        a: 0x55,
        big: 0x12_3456_789A,
        c: 0x1_0203,
        name: "hi".into(),
    };
    let en = BitsEnum::Flags(Op::Update, 9);
    let body = frame(&msb);
    assert_eq!(MsbBits::from_bytes(&body).unwrap(), msb);
    let frames = [
        frame(&BitsFrames::Msb(msb)),
        frame(&BitsFrames::Lsb(lsb.clone())),
        frame(&BitsFrames::Enum(en.clone())),
    ];
    for (sel, name, bytes) in [
        (0, "msb", body.clone()),
        (1, "lsb", frame(&lsb)),
        (1, "enum", frame(&en)),
        (2, "frame_msb", frames[0].clone()),
        (2, "frame_lsb", frames[1].clone()),
        (2, "frame_enum", frames[2].clone()),
        (3, "arbitrary", body),
    ] {
        let mut v = vec![sel];
        v.extend_from_slice(&bytes);
        write("bits", name, &v);
    }
}

/// mqtt: streams of packets of both protocol levels (CONNECT with a user
/// name, password and will, PUBLISH at QoS 0 and 1, SUBSCRIBE, an
/// acknowledgement, PINGREQ, DISCONNECT), whole and split, and with a
/// payload limit. Mode bit 0: level 5.
#[test]
fn write_mqtt_seeds() {
    use codec_examples::mqtt::packet::{
        encode_packet, next_packet, Connect, Disconnect, PingReq, PubAck, Publish, Subscribe,
        Subscription,
    };
    use codec_examples::mqtt::Packet;
    let stream = |v5: bool| {
        let props = v5.then(Vec::new);
        let mut connect = Connect::new(if v5 { 5 } else { 4 }, "client-1", 60, true);
        connect.username_flag = true;
        connect.username = Some("user".into());
        connect.password_flag = true;
        connect.password = Some(b"secret".to_vec());
        connect.will_flag = true;
        connect.will_qos = 1;
        connect.will_properties = props.clone();
        connect.will_topic = Some("will/topic".into());
        connect.will_payload = Some(b"gone".to_vec());
        let packets = [
            Packet::Connect(connect),
            Packet::Publish(Publish::new("a/b", b"hi", 0, true, None, props.clone())),
            Packet::Publish(Publish::new(
                "a/b",
                b"hello",
                1,
                false,
                Some(7),
                props.clone(),
            )),
            Packet::Subscribe(Subscribe {
                packet_id: 1,
                properties: props.clone(),
                subscriptions: vec![Subscription::new("a/#", 1)],
            }),
            Packet::PubAck(PubAck::new(7, v5, 0x10, Vec::new())),
            Packet::PingReq(PingReq),
            Packet::Disconnect(Disconnect::new(v5, 0, Vec::new())),
        ];
        let mut out = Vec::new();
        for p in packets.clone() {
            encode_packet(p, v5, &mut out).unwrap();
        }
        let mut frames = codec::frame::FrameDecoder::new();
        frames.push(&out);
        for p in &packets {
            assert_eq!(next_packet(&mut frames, v5).unwrap().as_ref(), Some(p));
        }
        out
    };
    let (v5, v4) = (stream(true), stream(false));
    assert_eq!(v4[0], 0x10, "CONNECT first");
    write("mqtt", "v5_stream", &plan(1 | 2, 0, &[], &v5));
    write("mqtt", "v5_split", &plan(1, 0, &[1, 3, 2], &v5));
    write("mqtt", "v4_stream", &plan(2, 0, &[], &v4));
    write("mqtt", "v4_limit", &plan(4 | 8, 4, &[5], &v4));
}
