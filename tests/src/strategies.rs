//! proptest strategies for the test types in [`crate::types`]. Every value
//! they generate encodes (lengths fit their prefixes, `when` fields agree
//! with their conditions, `len_from` holders hold the real length).

use std::borrow::Cow;
use std::ffi::CString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::num::NonZero;
use std::rc::Rc;
use std::sync::Arc;

use proptest::prelude::*;

use crate::types::*;

/// Text whose UTF-8 length is at most `4 * max_chars` bytes.
pub fn text(max_chars: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("(?s:.{{0,{max_chars}}})")).unwrap()
}

pub fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=max)
}

prop_compose! {
    pub fn store_request()(trans in any::<u8>(), name in text(60), data in bytes(600)) -> StoreRequest {
        StoreRequest { trans, name, data }
    }
}

pub fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::Success),
        Just(Status::Eio),
        Just(Status::Ekey),
        Just(Status::Fail)
    ]
}

prop_compose! {
    pub fn point()(x in any::<u16>(), y in any::<u16>()) -> Point { Point { x, y } }
}

prop_compose! {
    pub fn ints()(
        (a, b, c, d, e, f) in (any::<u8>(), any::<u16>(), any::<u32>(), any::<u64>(), any::<u128>(), any::<i8>()),
        (g, h, i, j, k, l) in (any::<i16>(), any::<i32>(), any::<i64>(), any::<i128>(), any::<usize>(), any::<isize>()),
    ) -> Ints {
        Ints { a, b, c, d, e, f, g, h, i, j, k, l }
    }
}

prop_compose! {
    pub fn nested()(
        id in any::<u16>(),
        point in point(),
        points in prop::collection::vec(point(), 0..5),
        boxed in point(),
        maybe in prop::option::of(point()),
        nick in prop::option::of(text(20)),
        entries in prop::collection::vec(store_request(), 0..4),
    ) -> Nested {
        Nested { id, point, points, boxed: Box::new(boxed), maybe, nick, entries }
    }
}

prop_compose! {
    pub fn prefixes()(
        a in text(60), b in text(100), c in bytes(100), d in bytes(100), e in text(100), f in bytes(300),
    ) -> Prefixes {
        Prefixes { a, b, c, d, e, f }
    }
}

prop_compose! {
    pub fn units()(
        by_bytes in prop::collection::vec(any::<u16>(), 0..=127),
        by_elements in prop::collection::vec(any::<u16>(), 0..=255),
        by_default in prop::collection::vec(any::<u16>(), 0..=255),
    ) -> Units {
        Units { by_bytes, by_elements, by_default }
    }
}

// `LenFrom` with consistent lengths (what decoding produces).
prop_compose! {
    pub fn len_from()(tag in any::<u8>(), name in text(60), words in prop::collection::vec(any::<u16>(), 0..200)) -> LenFrom {
        LenFrom { nlen: name.len() as u8, wlen: (words.len() * 2) as u16, tag, name, words }
    }
}

prop_compose! {
    pub fn varints()(a in any::<u64>(), b in any::<u64>(), c in any::<i32>(), d in any::<i64>(), e in any::<u16>()) -> Varints {
        Varints { a, b, c, d, e }
    }
}

prop_compose! {
    pub fn little()(
        a in any::<u32>(), b in any::<u16>(), name in text(100), words in any::<[u16; 2]>(),
        list in prop::collection::vec(any::<u16>(), 0..50), point in point(), f in any::<f32>(),
    ) -> Little {
        Little { a, b, name, words, list, point, f }
    }
}

prop_compose! {
    pub fn field_endian()(a in any::<u16>(), b in any::<u32>(), c in bytes(100)) -> FieldEndian {
        FieldEndian { a, b, c }
    }
}

// A packet's owned parts; `channel` and `note` agree with `flags`.
prop_compose! {
    pub fn packet_parts()(
        tag in any::<u64>(),
        flags in any::<u64>(),
        channel in any::<u64>(),
        note in text(60),
        payload in bytes(100),
    ) -> (u64, u64, Option<u64>, Option<String>, Vec<u8>) {
        let channel = (flags & 1 != 0).then_some(channel);
        let note = (flags & 2 != 0).then_some(note);
        (tag, flags, channel, note, payload)
    }
}

pub fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (text(60), bytes(300)).prop_map(|(key, value)| Command::Put { key, value }),
        text(60).prop_map(Command::Get),
        Just(Command::Ping),
        // An unknown id: any id no other variant claims.
        (
            any::<u8>().prop_filter("unclaimed id", |id| !(0x10..=0x12).contains(id)),
            bytes(50)
        )
            .prop_map(|(id, rest)| Command::Unknown(id, rest)),
    ]
}

pub fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        any::<u16>().prop_map(Shape::Square),
        (any::<u16>(), any::<u16>()).prop_map(|(w, h)| Shape::Rect { w, h }),
        Just(Shape::Empty),
    ]
}

prop_compose! {
    pub fn kinds()(
        var in prop_oneof![Just(VarKind::Small), Just(VarKind::Large)],
        vlq in prop_oneof![Just(VlqKind::Small), Just(VlqKind::Large)],
        status in status(),
        shape in shape(),
    ) -> Kinds {
        Kinds { var, vlq, status, shape }
    }
}

prop_compose! {
    pub fn strings()(
        names in prop::collection::vec(text(10), 0..20),
        more in prop::collection::vec(text(10), 0..20),
    ) -> Strings {
        Strings { names, more }
    }
}

/// Any non-zero value of an integer type, e.g. `non_zero!(u32)`.
macro_rules! non_zero {
    ($t:ty) => {
        any::<$t>().prop_filter_map("zero", NonZero::<$t>::new)
    };
}

pub fn ipv4() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}

pub fn ipv6() -> impl Strategy<Value = Ipv6Addr> {
    any::<[u8; 16]>().prop_map(Ipv6Addr::from)
}

pub fn socket_v6() -> impl Strategy<Value = SocketAddrV6> {
    (ipv6(), any::<u16>(), any::<u32>(), any::<u32>())
        .prop_map(|(ip, port, flow, scope)| SocketAddrV6::new(ip, port, flow, scope))
}

pub fn ip_addr() -> impl Strategy<Value = IpAddr> {
    prop_oneof![ipv4().prop_map(IpAddr::V4), ipv6().prop_map(IpAddr::V6)]
}

pub fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (ipv4(), any::<u16>()).prop_map(|(ip, port)| SocketAddr::V4(SocketAddrV4::new(ip, port))),
        socket_v6().prop_map(SocketAddr::V6),
    ]
}

/// A C string of up to `max` bytes (none of them NUL).
pub fn c_string(max: usize) -> impl Strategy<Value = CString> {
    prop::collection::vec(1u8..=255, 0..=max).prop_map(|b| CString::new(b).unwrap())
}

prop_compose! {
    /// A `StdTypes` with owned `Cow`s and an empty `label`, and a C string
    /// for the test to put in `label` (a `&CStr` borrows from its owner).
    pub fn std_types()(
        (id, small, v4, v6, ip, sock, sock6) in (
            non_zero!(u32), non_zero!(i8), ipv4(), ipv6(), ip_addr(), socket_addr(), socket_v6(),
        ),
        (name, label, text, blob, shared, local) in (
            c_string(20), c_string(20), text(20), bytes(255), any::<u16>(), text(20),
        ),
        (map, set, tuple, le, wide) in (
            prop::collection::btree_map(any::<u8>(), text(10), 0..10),
            prop::collection::btree_set(any::<u16>(), 0..50),
            any::<(u8, u16, u8, u8, u8)>(),
            (any::<u16>(), non_zero!(u16), any::<u8>(), any::<u8>(), any::<u8>()),
            any::<[u8; 12]>(),
        ),
    ) -> (StdTypes<'static>, CString) {
        let [w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11] = wide;
        let value = StdTypes {
            id, small, v4, v6, ip, sock, sock6, name,
            label: c"",
            text: Cow::Owned(text),
            blob: Cow::Owned(blob),
            shared: Arc::new(shared),
            local: Arc::from(local),
            map, set, tuple, le,
            wide: (w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11),
        };
        (value, label)
    }
}

prop_compose! {
    /// A `Hashed` whose `n` holds the real length of `keys`.
    pub fn hashed()(
        map in prop::collection::hash_map(any::<u16>(), text(10), 0..10),
        // At most 63 elements: 252 bytes under `len = u8, unit = bytes`.
        set in prop::collection::hash_set(any::<u32>(), 0..=63),
        shared in prop::collection::vec(any::<u16>(), 0..=255),
        keys in prop::collection::btree_set(any::<u8>(), 0..50),
        tail in prop::collection::btree_map(any::<u8>(), any::<u16>(), 0..10),
    ) -> Hashed {
        Hashed { map, set, shared: Rc::from(shared), n: keys.len() as u8, keys, tail }
    }
}

prop_compose! {
    pub fn widths()(
        msg_type in any::<u8>(),
        body in bytes(300),
        signed in -(1i32 << 23)..(1i32 << 23),
        five in 0u64..(1u64 << 40),
        seven in -(1i64 << 55)..(1i64 << 55),
    ) -> Widths {
        Widths { msg_type, length: body.len() as u32, body, signed, five, seven }
    }
}

prop_compose! {
    pub fn tls_handshake()(msg_type in any::<u8>(), body in bytes(300)) -> TlsHandshake {
        TlsHandshake { msg_type, body }
    }
}

prop_compose! {
    pub fn png_header()(
        length in any::<u32>(), width in any::<u32>(), height in any::<u32>(),
        bit_depth in any::<u8>(), color_type in any::<u8>(), compression in any::<u8>(),
        filter in any::<u8>(), interlace in any::<u8>(), crc in any::<u32>(),
    ) -> PngHeader {
        PngHeader { length, width, height, bit_depth, color_type, compression, filter, interlace, crc }
    }
}

/// `Short(b'X')` is left out: its bytes `tEX` could still be the start
/// of `tEXt`, so decoding waits for more input (as documented for magic
/// variants) and that value alone never round-trips.
pub fn chunk() -> impl Strategy<Value = Chunk> {
    prop_oneof![
        Just(Chunk::End),
        text(60).prop_map(Chunk::Text),
        any::<u8>().prop_map(Chunk::Short),
    ]
}

pub fn pg_data_row() -> impl Strategy<Value = PgDataRow> {
    prop::collection::vec(prop::option::of(bytes(40)), 0..6).prop_map(|values| {
        let columns: Vec<PgColumn> = values.into_iter().map(|value| PgColumn { value }).collect();
        let body: usize = columns
            .iter()
            .map(|c| 4 + c.value.as_ref().map_or(0, Vec::len))
            .sum();
        PgDataRow {
            length: body as u32 + 6,
            ncols: columns.len() as i16,
            columns,
        }
    })
}

prop_compose! {
    pub fn kafka_forms()(
        client_id in prop::option::of(text(30)),
        compact in prop::option::of(text(30)),
        array in prop::collection::vec(any::<u16>(), 0..50),
        counted in bytes(100),
        bytes in prop::option::of(bytes(100)),
    ) -> KafkaForms {
        KafkaForms { client_id, compact, array, counted, bytes }
    }
}

/// Text without the character `term` (a terminated string's value).
pub fn text_without(term: char, max_chars: usize) -> impl Strategy<Value = String> {
    text(max_chars).prop_map(move |s| s.replace(term, ""))
}

/// Bytes without `term`.
pub fn bytes_without(term: u8, max: usize) -> impl Strategy<Value = Vec<u8>> {
    bytes(max).prop_map(move |mut b| {
        b.retain(|&x| x != term);
        b
    })
}

/// Name/value pairs with non-empty, NUL-free names (an empty name would
/// read as the list's end), and the StartupMessage's length for them.
pub fn pg_startup() -> impl Strategy<Value = PgStartup> {
    prop::collection::vec((text_without('\0', 12), text_without('\0', 12)), 0..6).prop_map(
        |pairs| {
            let params: Vec<PgParam> = pairs
                .into_iter()
                .map(|(name, value)| PgParam {
                    name: format!("k{name}"),
                    value,
                })
                .collect();
            let body: usize = params
                .iter()
                .map(|p| p.name.len() + p.value.len() + 2)
                .sum();
            PgStartup {
                length: (body + 9) as u32,
                protocol: 196608,
                params,
            }
        },
    )
}

/// Values that fit their fixed size and do not end with their pad byte.
pub fn tar_name() -> impl Strategy<Value = TarName> {
    (text_without('\0', 25), bytes(8)).prop_map(|(name, mut mode)| {
        while mode.last() == Some(&b' ') {
            mode.pop();
        }
        TarName { name, mode }
    })
}

/// Lists of `u16` none of which starts with the terminator `0xFF`.
pub fn u16_list() -> impl Strategy<Value = U16List> {
    (prop::collection::vec(0u16..0xFF00, 0..40), any::<u8>())
        .prop_map(|(list, after)| U16List { list, after })
}

/// Values every conversion of [`Reading`] carries exactly: whole seconds,
/// prices in hundredths that fit 3 bytes, known or vendor kinds, `small`
/// within `u16`.
pub fn reading() -> impl Strategy<Value = Reading> {
    let kind = prop_oneof![
        Just(Kind::Data),
        Just(Kind::Ack),
        (0x80u8..=0xff).prop_map(Kind::Vendor),
    ];
    (
        0u64..(1 << 40),
        -(1i32 << 23)..(1i32 << 23),
        kind,
        0u32..=u32::from(u16::MAX),
    )
        .prop_map(|(secs, hundredths, kind, small)| Reading {
            at: std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
            price: f64::from(hundredths) / 100.0,
            kind,
            small,
        })
}

/// Ranges that pass their assertions.
pub fn range() -> impl Strategy<Value = Range> {
    (1u8..=3, any::<u16>(), any::<u16>(), "[a-z]{0,12}").prop_map(|(version, a, b, mut name)| {
        name.truncate(usize::from(version) * 4);
        Range {
            version,
            lo: a.min(b),
            hi: a.max(b),
            name,
        }
    })
}

/// Any [`Aligned`] (names fit their `u8` prefix).
pub fn aligned() -> impl Strategy<Value = Aligned> {
    (
        any::<u8>(),
        any::<u32>(),
        any::<u16>(),
        text(60),
        any::<u64>(),
    )
        .prop_map(|(kind, value, flags, name, tail)| Aligned {
            kind,
            value,
            flags,
            name,
            tail,
        })
}

/// Records whose fields fit the 16 bytes (names up to 12 bytes).
pub fn fixed_record() -> impl Strategy<Value = FixedRecord> {
    (any::<u16>(), "[a-zA-Z0-9 ]{0,12}").prop_map(|(id, name)| FixedRecord { id, name })
}

pub fn padded_slot() -> impl Strategy<Value = PaddedSlot> {
    prop_oneof![
        Just(PaddedSlot::Empty),
        any::<u16>().prop_map(|value| PaddedSlot::Full { value }),
    ]
}

/// Logins whose stored flags are the ones encode computes (so they decode
/// back equal).
pub fn login() -> impl Strategy<Value = Login> {
    (
        any::<u8>(),
        prop::option::of(text(30)),
        prop::option::of(bytes(40)),
    )
        .prop_map(|(keep, user, pass)| {
            let mut v = Login {
                flags: 0,
                keep,
                user,
                pass,
            };
            v.flags = v.computed_flags();
            v
        })
}

/// Chunks whose stored length and checksums are the ones encode writes.
pub fn crc_chunk() -> impl Strategy<Value = CrcChunk> {
    (any::<[u8; 4]>(), bytes(300)).prop_map(|(kind, data)| {
        let mut covered = kind.to_vec();
        covered.extend_from_slice(&data);
        let crc = crc32(&covered);
        CrcChunk {
            length: data.len() as u32,
            kind,
            data,
            crc,
            sum: sum8(&crc.to_be_bytes()),
        }
    })
}

pub fn versioned() -> impl Strategy<Value = Versioned> {
    any::<u16>().prop_map(|body| Versioned {
        version: (),
        body,
        reserved: (),
        tag: core::marker::PhantomData,
    })
}

pub fn packet_kind() -> impl Strategy<Value = PacketKind> {
    prop_oneof![
        Just(PacketKind::Connect),
        Just(PacketKind::ConnAck),
        Just(PacketKind::Publish),
        Just(PacketKind::PubAck),
    ]
}

prop_compose! {
    /// Values that fit their bits.
    pub fn bit_header()(kind in packet_kind(), dup in any::<bool>(), qos in 0u8..4,
                        retain in any::<bool>(), id in any::<u16>()) -> BitHeader {
        BitHeader { kind, dup, qos, retain, id }
    }
}

prop_compose! {
    /// Values that fit their bits.
    pub fn dns_flags()(id in any::<u16>(), qr in any::<bool>(), opcode in 0u8..16,
                       aa in any::<bool>(), tc in any::<bool>(), rd in any::<bool>(),
                       ra in any::<bool>(), z in 0u8..8, rcode in 0u8..16,
                       qdcount in any::<u16>()) -> DnsFlags {
        DnsFlags { id, qr, opcode, aa, tc, rd, ra, z, rcode, qdcount }
    }
}

prop_compose! {
    /// Values that fit their bits and a name that fits its `u8` prefix.
    pub fn lsb_bits()(low in 0u8..8, wide in 0u16..4096, flag in any::<bool>(),
                      byte in any::<u8>(), name in text(60)) -> LsbBits {
        LsbBits { low, wide, flag, byte, name }
    }
}

pub fn bit_variants() -> impl Strategy<Value = BitVariants> {
    prop_oneof![
        (0u64..1 << 40, 0u32..1 << 24).prop_map(|(big, small)| BitVariants::Wide { big, small }),
        (0u8..4, packet_kind(), 0u16..4).prop_map(|(a, k, b)| BitVariants::Flags(a, k, b)),
    ]
}

/// A PUBLISH body whose packet identifier is there exactly when `qos`
/// says.
pub fn publish(qos: u8) -> impl Strategy<Value = Publish> {
    (
        "[a-z/]{0,12}",
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..16),
    )
        .prop_map(move |(topic, id, payload)| Publish {
            topic,
            packet_id: (qos > 0).then_some(id),
            payload,
        })
}

/// Packets whose body agrees with the QoS in their flags.
pub fn publish_packet() -> impl Strategy<Value = PublishPacket> {
    any::<u8>().prop_flat_map(|flags| {
        publish(flags >> 1 & 3).prop_map(move |publish| PublishPacket { flags, publish })
    })
}

/// Records whose TYPE selects their RDATA and whose RDLENGTH is its size.
pub fn record() -> impl Strategy<Value = Record> {
    let bytes = || prop::collection::vec(any::<u8>(), 0..24);
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| Record {
            rtype: 1,
            rdlength: 4,
            rdata: Rdata::A(a),
        }),
        (any::<u16>(), "[a-z.]{0,20}").prop_map(|(preference, exchange)| Record {
            rtype: 15,
            rdlength: 3 + exchange.len() as u16,
            rdata: Rdata::Mx {
                preference,
                exchange,
            },
        }),
        (0xff00u16..=0xfffe, bytes()).prop_map(|(rtype, data)| Record {
            rtype,
            rdlength: data.len() as u16,
            rdata: Rdata::Private(data),
        }),
        (
            any::<u16>().prop_filter("a known type", |t| {
                !matches!(t, 1 | 15 | 0xff00..=0xfffe)
            }),
            bytes()
        )
            .prop_map(|(rtype, data)| Record {
                rtype,
                rdlength: data.len() as u16,
                rdata: Rdata::Other { kind: rtype, data },
            }),
    ]
}

/// Opcodes whose held ids are theirs.
pub fn opcode() -> impl Strategy<Value = Opcode> {
    prop_oneof![
        Just(Opcode::Nop),
        (prop_oneof![Just(1u8), Just(3u8)], any::<u16>()).prop_map(|(id, v)| Opcode::Odd(id, v)),
        (0x80u8..=0xff, prop::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(id, v)| Opcode::Vendor(id, v)),
        any::<u8>()
            .prop_filter("a known id", |id| !matches!(id, 0 | 1 | 3 | 0x80..=0xff))
            .prop_map(Opcode::Unknown),
    ]
}

/// Tagged payloads whose kind selects their variant.
pub fn tagged() -> impl Strategy<Value = Tagged> {
    prop_oneof![
        any::<u32>().prop_map(|n| Tagged {
            kind: 1,
            payload: Payload::Num(n),
        }),
        (2u8..=4, "[a-z]{0,8}").prop_map(|(kind, s)| Tagged {
            kind,
            payload: Payload::Text(s),
        }),
    ]
}

/// Versioned values whose body has the fields its version asks for.
pub fn version_gated() -> impl Strategy<Value = VersionGated> {
    any::<u16>().prop_flat_map(|version| {
        (
            "[a-z]{0,10}",
            any::<u32>(),
            any::<u8>(),
            publish((version & 3) as u8),
        )
            .prop_map(move |(name, extra, flags, publish)| VersionGated {
                version,
                body: VersionedBody {
                    name,
                    extra: (version >= 3).then_some(extra),
                    flags: if version < 8 { flags } else { 0 },
                    publish,
                },
            })
    })
}
