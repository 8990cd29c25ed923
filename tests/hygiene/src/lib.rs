//! Hygiene fixture for `codec-tests` (tests/tests/hygiene.rs runs it).
//!
//! The derives must compile here, where:
//! - the runtime is only reachable as `::codec_renamed` (this crate has no
//!   dependency named `codec`), found through `#[codec(crate = "..")]`;
//! - `#![no_implicit_prelude]` and `#![no_std]` leave no `Vec`, `Option`,
//!   `Ok`, `Some`, `Default`, `Clone`, `vec!`, ... in scope;
//! - the module that holds the types shadows those names with unit structs,
//!   and the `primitives` module shadows `u8`, `u64`, `usize`, `bool`,
//!   `str`, `Sized`, ... as well;
//! - both hold a module named `codec`, so a generated path that names the
//!   crate bare (`codec::..`) resolves to it and fails to compile.
//!
//! Between them the types use every wire attribute of
//! `#[derive(Encode, Decode)]`, `Message` (tag, response), `Protocol`
//! (with an `other` variant) and `Header`.
#![no_std]
#![no_implicit_prelude]

extern crate alloc;

pub mod types {
    #![allow(
        dead_code,
        non_camel_case_types,
        reason = "these only shadow prelude names"
    )]

    pub struct Result;
    pub struct Ok;
    pub struct Err;
    pub struct Some;
    pub struct None;
    pub struct Option;
    pub struct Vec;
    pub struct String;
    pub struct Box;
    pub struct Default;
    pub struct Clone;
    pub struct Copy;
    pub struct From;
    pub struct Into;
    pub struct TryFrom;
    pub struct Iterator;
    pub struct IntoIterator;
    pub struct Sized;
    pub struct Send;
    pub struct Sync;
    pub struct Drop;
    pub struct Fn;
    pub struct FnOnce;
    pub struct PartialEq;
    pub struct AsRef;
    pub struct ToOwned;
    pub struct Encode;
    pub struct Decode;
    pub struct _codec;

    /// Catches a bare `codec::..` in an expansion.
    pub mod codec {}

    /// Every field attribute, and nested types of each kind.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed")]
    pub struct Everything<'a> {
        #[codec(tag)]
        pub trans: u8,
        #[codec(len = u8)]
        pub a: ::alloc::string::String,
        #[codec(len = u16)]
        pub b: ::alloc::vec::Vec<u8>,
        #[codec(len = u32)]
        pub c: &'a str,
        #[codec(len = u64)]
        pub d: &'a [u8],
        #[codec(len = varint)]
        pub e: ::alloc::vec::Vec<u16>,
        #[codec(len = vlq, unit = bytes)]
        pub f: ::alloc::vec::Vec<u16>,
        #[codec(len = u8, unit = elements)]
        pub g: ::alloc::vec::Vec<Inner>,
        pub nlen: u8,
        #[codec(len_from = nlen)]
        pub name: ::alloc::string::String,
        #[codec(varint)]
        pub v: i32,
        #[codec(vlq)]
        pub flags: u64,
        #[codec(endian = "little")]
        pub le: u32,
        #[codec(when = flags & 1 != 0)]
        pub channel: ::core::option::Option<u16>,
        #[codec(when = flags & 2 != 0)]
        #[codec(len = u8)]
        pub note: ::core::option::Option<::alloc::string::String>,
        pub presence: ::core::option::Option<Inner>,
        #[codec(len = u8)]
        pub nick: ::core::option::Option<::alloc::string::String>,
        pub boxed: ::alloc::boxed::Box<Inner>,
        pub array: [u16; 2],
        pub yes: bool,
        pub float: f64,
        #[codec(skip)]
        pub cache: u32,
        pub kind: Kind,
        pub command: Command,
        pub generic: Generic<u16>,
        pub tuple: Tuple,
        pub unit: Unit,
        #[codec(rest)]
        pub rest: &'a [u8],
    }

    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed", endian = "little")]
    pub struct Inner {
        pub x: u16,
    }

    /// Integer widths, magic, length arithmetic and nullable lengths.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed", magic = b"HY")]
    pub struct Layouts {
        #[codec(bytes = 3)]
        pub width: u32,
        #[codec(len = u24, len_adds = 4, magic = b"\x00")]
        pub counted: ::alloc::vec::Vec<u8>,
        #[codec(len = i32, null = -1)]
        pub nullable: ::core::option::Option<::alloc::string::String>,
        pub by_magic: ByMagic,
    }

    /// Terminated and fixed-size data.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed")]
    pub struct Ended<'a> {
        #[codec(term)]
        pub name: ::alloc::string::String,
        #[codec(term = b'\n')]
        pub list: ::alloc::vec::Vec<Inner>,
        #[codec(size = 4, pad = 0x20)]
        pub fixed: &'a str,
        #[codec(term)]
        pub maybe: ::core::option::Option<&'a [u8]>,
    }

    fn to_tenths(v: &u32) -> u16 {
        *v as u16
    }

    fn from_tenths(v: u16) -> u32 {
        ::core::convert::From::from(v)
    }

    fn to_odd(v: &u8) -> ::core::result::Result<u8, &'static str> {
        ::core::result::Result::Ok(*v)
    }

    fn from_odd(v: u8) -> ::core::result::Result<u8, &'static str> {
        if v % 2 == 1 {
            ::core::result::Result::Ok(v)
        } else {
            ::core::result::Result::Err("even")
        }
    }

    /// Assertions (field and type) and conversions (`map`, `try_map`).
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(
        crate = "::codec_renamed",
        assert(lo as u32 <= hi, "lo above hi")
    )]
    pub struct Checked {
        #[codec(assert(lo < 100, "lo too big"))]
        pub lo: u8,
        #[codec(map = (u16, to_tenths, from_tenths))]
        pub hi: u32,
        #[codec(try_map = (u8, to_odd, from_odd))]
        pub odd: u8,
    }

    /// The same inside an enum's variant.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed")]
    pub enum CheckedVariant {
        V {
            #[codec(assert(a > 0, "zero"))]
            a: u8,
            #[codec(try_map = (u8, to_odd, from_odd))]
            b: u8,
        },
    }

    /// An enum chosen by magic.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed")]
    pub enum ByMagic {
        #[codec(magic = b"A")]
        A,
        #[codec(magic = b"B")]
        B(u8),
    }

    /// A plain enum.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed")]
    #[codec(repr = u16, endian = "little")]
    pub enum Kind {
        A = 1,
        B = 2,
    }

    /// A data enum with ids, `len_from` inside a variant, and `other`.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed", repr = vlq)]
    pub enum Command {
        #[codec(id = 1)]
        Put {
            klen: u8,
            #[codec(len_from = klen)]
            key: ::alloc::string::String,
        },
        #[codec(id = 300)]
        Ping,
        #[codec(other)]
        Unknown(u64),
    }

    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed")]
    pub struct Generic<T> {
        #[codec(len = u8)]
        pub items: ::alloc::vec::Vec<T>,
        pub one: T,
    }

    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed")]
    pub struct Tuple(
        #[codec(varint)] pub u32,
        #[codec(len = u8)] pub ::alloc::string::String,
    );

    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed")]
    pub struct Unit;

    /// Padding, a fixed size, computed and wire-only fields: each of their
    /// keys once.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed", size = 24, pad = 0x2e, pad_check)]
    pub struct Laid {
        #[codec(wire = u8, value = 7, unchecked)]
        pub version: (),
        #[codec(calc = if name.len() > 2 { 1 } else { 0 })]
        pub flags: u8,
        #[codec(pad_before = 1, pad_after = 1, pad = 0xff, pad_check)]
        pub kind: u8,
        #[codec(align = 4, len = u8)]
        pub name: ::alloc::string::String,
        #[codec(checksum = sum, from = kind)]
        pub sum: u8,
    }

    /// The bytes' sum, for `Laid`'s checksum.
    pub fn sum(bytes: &[u8]) -> u8 {
        let mut s = 0u8;
        for b in bytes {
            s = s.wrapping_add(*b);
        }
        s
    }

    /// Context: a type declaring it, an enum chosen by it (with an id
    /// pattern), and a parent passing it.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed", ctx(qos: u8, n: u16), id_from = qos)]
    pub enum WithCtx {
        #[codec(id = 0)]
        Bare,
        #[codec(id = 1..=2)]
        Id {
            #[codec(when = qos > 1)]
            id: ::core::option::Option<u16>,
            #[codec(len_from = n, unit = bytes)]
            data: ::alloc::vec::Vec<u8>,
        },
    }

    /// The parent passing the context from its flags.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed")]
    pub struct PassesCtx {
        pub flags: u8,
        pub n: u16,
        #[codec(ctx(qos = flags & 3, n = n))]
        pub body: WithCtx,
    }
}

/// The primitive type names shadowed too: generated code must spell the
/// primitives it names itself through the runtime, never bare.
pub mod primitives {
    #![allow(
        dead_code,
        non_camel_case_types,
        reason = "these only shadow primitive names"
    )]

    pub struct u8;
    pub struct u16;
    pub struct u32;
    pub struct u64;
    pub struct usize;
    pub struct i32;
    pub struct bool;
    pub struct str;
    pub struct char;

    /// Catches a bare `codec::..` in an expansion.
    pub mod codec {}

    use ::core::primitive as p;

    /// Runs of fixed-width fields, every kind of length, `when`, varints,
    /// a tag.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed")]
    pub struct Shadowed<'a> {
        #[codec(tag)]
        pub trans: p::u8,
        pub flags: p::u64,
        pub yes: p::bool,
        pub letter: p::char,
        #[codec(len = u8)]
        pub name: &'a p::str,
        #[codec(len = u16)]
        pub data: ::alloc::vec::Vec<p::u8>,
        #[codec(len = varint)]
        pub words: ::alloc::vec::Vec<p::u16>,
        pub nlen: p::u32,
        #[codec(len_from = nlen)]
        pub note: &'a [p::u8],
        #[codec(when = flags & 1 != 0)]
        pub channel: ::core::option::Option<p::u16>,
        #[codec(varint)]
        pub v: p::i32,
        pub count: p::usize,
        pub kind: Sized,
    }

    /// A plain enum of another repr.
    #[derive(
        ::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Encode, ::codec_renamed::Decode,
    )]
    #[codec(crate = "::codec_renamed", repr = u16)]
    pub enum Sized {
        A = 1,
        B = 2,
    }

    /// Bit fields: an enum, a bool and an integer in one byte, least
    /// significant bit first, with the primitives shadowed.
    #[derive(
        ::core::fmt::Debug,
        ::core::cmp::PartialEq,
        ::codec_renamed::Encode,
        ::codec_renamed::Decode,
        ::codec_renamed::Message,
    )]
    #[codec(crate = "::codec_renamed", id = 3, bit_order = "lsb")]
    pub struct Flags {
        #[codec(bits = 2)]
        pub kind: Sized,
        #[codec(bits = 1)]
        pub yes: p::bool,
        #[codec(bits = 5)]
        pub n: p::u8,
    }

    /// A request with a tag and a response type.
    #[derive(
        ::core::fmt::Debug,
        ::core::cmp::PartialEq,
        ::codec_renamed::Encode,
        ::codec_renamed::Decode,
        ::codec_renamed::Message,
    )]
    #[codec(crate = "::codec_renamed", id = 1, response = Pong)]
    pub struct Ping {
        #[codec(tag)]
        pub tag: p::u16,
        pub yes: p::bool,
    }

    /// Its response.
    #[derive(
        ::core::fmt::Debug,
        ::core::cmp::PartialEq,
        ::codec_renamed::Encode,
        ::codec_renamed::Decode,
        ::codec_renamed::Message,
    )]
    #[codec(crate = "::codec_renamed", id = 2)]
    pub struct Pong {
        #[codec(tag)]
        pub tag: p::u16,
        #[codec(len = u8)]
        pub note: ::alloc::string::String,
    }

    /// A protocol over both, keeping unknown frames.
    #[derive(::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Protocol)]
    #[codec(crate = "::codec_renamed")]
    pub enum Wire {
        Ping(Ping),
        Pong(Pong),
        #[codec(other)]
        Unknown(::codec_renamed::RawFrame),
    }

    /// The same messages with a service trait: `Ping` is its request.
    #[derive(::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Protocol)]
    #[codec(crate = "::codec_renamed", service = PingService)]
    pub enum Served {
        #[codec(request)]
        Ping(Ping),
        Pong(Pong),
        #[codec(other)]
        Unknown(::codec_renamed::RawFrame),
    }

    /// Answers every ping with an empty note.
    pub struct Ponger;

    impl PingService<()> for Ponger {
        fn ping(
            &self,
            request: Ping,
            _: &(),
        ) -> impl ::core::future::Future<Output = Pong> + ::core::marker::Send {
            ::core::future::ready(Pong {
                tag: request.tag,
                note: ::alloc::string::String::new(),
            })
        }
    }

    /// Dispatches one request to [`Ponger`] and one reply to the default.
    fn serve() {
        let poll = |msg: Served| {
            let mut fut = ::core::pin::pin!(::codec_renamed::Dispatch::dispatch(msg, &Ponger, &()));
            let mut cx = ::core::task::Context::from_waker(::core::task::Waker::noop());
            match ::core::future::Future::poll(fut.as_mut(), &mut cx) {
                ::core::task::Poll::Ready(reply) => reply,
                ::core::task::Poll::Pending => ::core::panic!("ready futures only"),
            }
        };
        let ping = <Served as ::core::convert::From<Ping>>::from(Ping { tag: 4, yes: true });
        let pong = Pong {
            tag: 4,
            note: ::alloc::string::String::new(),
        };
        ::core::assert_eq!(poll(ping), ::core::option::Option::Some(Served::Pong(pong)));
        let pong = Served::Pong(Pong {
            tag: 5,
            note: ::alloc::string::String::new(),
        });
        ::core::assert_eq!(poll(pong), ::core::option::Option::None);
    }

    /// A frame header by derive: an id, flags, a capped varint length
    /// counting one more than the payload.
    #[derive(
        ::core::fmt::Debug,
        ::core::default::Default,
        ::core::cmp::PartialEq,
        ::codec_renamed::Encode,
        ::codec_renamed::Decode,
        ::codec_renamed::Header,
    )]
    #[codec(crate = "::codec_renamed")]
    pub struct Head {
        #[codec(id)]
        pub id: p::u8,
        pub flags: p::u8,
        #[codec(payload_len, varint, max_bytes = 4, len_adds = 1)]
        pub len: p::u32,
    }

    /// A protocol framed by the derived header.
    #[derive(::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Protocol)]
    #[codec(crate = "::codec_renamed", header = Head)]
    pub enum HeadWire {
        Ping(Ping),
    }

    /// A message taking the frame header's flags as context.
    #[derive(
        ::core::fmt::Debug,
        ::core::cmp::PartialEq,
        ::codec_renamed::Encode,
        ::codec_renamed::Decode,
        ::codec_renamed::Message,
    )]
    #[codec(crate = "::codec_renamed", id = 2, ctx(flags: p::u8))]
    pub struct Flagged {
        #[codec(skip = flags)]
        pub level: p::u8,
        #[codec(when = level > 0)]
        pub extra: ::core::option::Option<p::u8>,
    }

    /// A protocol whose variants tie the header to the message.
    #[derive(::core::fmt::Debug, ::core::cmp::PartialEq, ::codec_renamed::Protocol)]
    #[codec(crate = "::codec_renamed", header = Head)]
    pub enum TiedWire {
        #[codec(ctx(flags = header.flags), header(flags = msg.level))]
        Flagged(Flagged),
        #[codec(header(flags = 0))]
        Ping(Ping),
    }

    /// Encodes and decodes a value; panics on a mismatch.
    pub fn run() {
        serve();
        let tied = <TiedWire as ::core::convert::From<Flagged>>::from(Flagged {
            level: 2,
            extra: ::core::option::Option::Some(9),
        });
        let bytes = ::codec_renamed::Encode::to_bytes(&tied).unwrap();
        ::core::assert_eq!(bytes, [2, 2, 2, 9]);
        let back: TiedWire = ::codec_renamed::Decode::from_bytes(&bytes).unwrap();
        ::core::assert_eq!(back, tied);
        let shown = ::codec_renamed::explain::<TiedWire>(&bytes);
        ::core::assert!(shown.contains("Flagged.extra = 9"));
        let framed = <HeadWire as ::core::convert::From<Ping>>::from(Ping { tag: 3, yes: true });
        let bytes = ::codec_renamed::Encode::to_bytes(&framed).unwrap();
        ::core::assert_eq!(bytes, [1, 0, 4, 0, 3, 1]);
        let back: HeadWire = ::codec_renamed::Decode::from_bytes(&bytes).unwrap();
        ::core::assert_eq!(back, framed);
        let shown = ::codec_renamed::explain::<HeadWire>(&bytes);
        ::core::assert!(shown.contains("header.id = 0x01 (Ping)"));

        let ping = <Wire as ::core::convert::From<Ping>>::from(Ping { tag: 3, yes: true });
        let bytes = ::codec_renamed::Encode::to_bytes(&ping).unwrap();
        ::core::assert_eq!(bytes, [1, 0, 3, 0, 3, 1]);
        let back: Wire = ::codec_renamed::Decode::from_bytes(&bytes).unwrap();
        ::core::assert_eq!(back, ping);
        ::core::assert_eq!(::codec_renamed::Protocol::name(&back), "Ping");

        let value = Shadowed {
            trans: 1,
            flags: 1,
            yes: true,
            letter: 'x',
            name: "name",
            data: ::alloc::vec![2, 3],
            words: ::alloc::vec![4],
            nlen: 1,
            note: &[5],
            channel: ::core::option::Option::Some(6),
            v: -7,
            count: 8,
            kind: Sized::B,
        };
        let bytes = ::codec_renamed::Encode::to_bytes(&value).unwrap();
        ::core::assert_eq!(::codec_renamed::Encode::encoded_len(&value), bytes.len());
        let back: Shadowed<'_> = ::codec_renamed::Decode::from_bytes(&bytes).unwrap();
        ::core::assert_eq!(back, value);

        // n = 3, yes, kind B: 00011 | 1 | 10.
        let flags = Flags {
            kind: Sized::B,
            yes: true,
            n: 3,
        };
        let bytes = ::codec_renamed::Encode::to_bytes(&flags).unwrap();
        ::core::assert_eq!(bytes, [0x1E]);
        let back: Flags = ::codec_renamed::Decode::from_bytes(&bytes).unwrap();
        ::core::assert_eq!(back, flags);
    }
}

use ::alloc::string::String;
use ::alloc::vec;
use ::codec_renamed::{Decode, Encode};
use ::core::convert::From;

use crate::types::{Command, Everything, Generic, Inner, Kind, Tuple, Unit};

/// Encodes and decodes values of every type above; panics on a mismatch.
pub fn run() {
    let value = Everything {
        trans: 7,
        a: String::from("a"),
        b: vec![1, 2],
        c: "c",
        d: &[4],
        e: vec![5, 6],
        f: vec![7],
        g: vec![Inner { x: 8 }],
        nlen: 0,
        name: String::from("name"),
        v: -9,
        flags: 3,
        le: 10,
        channel: ::core::option::Option::Some(11),
        note: ::core::option::Option::Some(String::from("note")),
        presence: ::core::option::Option::None,
        nick: ::core::option::Option::Some(String::from("nick")),
        boxed: ::alloc::boxed::Box::new(Inner { x: 12 }),
        array: [13, 14],
        yes: true,
        float: 1.5,
        cache: 15,
        kind: Kind::B,
        command: Command::Put {
            klen: 0,
            key: String::from("key"),
        },
        generic: Generic {
            items: vec![16],
            one: 17,
        },
        tuple: Tuple(18, String::from("t")),
        unit: Unit,
        rest: b"rest",
    };
    let bytes = value.to_bytes().unwrap();
    ::core::assert_eq!(value.encoded_len(), bytes.len());
    let back = Everything::from_bytes(&bytes).unwrap();
    // Encode wrote the real lengths into `nlen` and `klen`; `cache` is
    // skipped.
    let expected = Everything {
        nlen: 4,
        cache: 0,
        command: Command::Put {
            klen: 3,
            key: String::from("key"),
        },
        ..value
    };
    ::core::assert_eq!(back, expected);

    for command in [Command::Ping, Command::Unknown(99)] {
        let bytes = command.to_bytes().unwrap();
        ::core::assert_eq!(Command::from_bytes(&bytes).unwrap(), command);
    }
    ::core::assert_eq!(Command::Ping.to_bytes().unwrap(), [0x82, 0x2C]);
    ::core::assert_eq!(Kind::A.to_bytes().unwrap(), [0x01, 0x00]);

    let checked = types::Checked {
        lo: 1,
        hi: 300,
        odd: 3,
    };
    let bytes = checked.to_bytes().unwrap();
    ::core::assert_eq!(bytes, [1, 0x01, 0x2C, 3]);
    ::core::assert_eq!(types::Checked::from_bytes(&bytes).unwrap(), checked);
    ::core::assert!(types::Checked::from_bytes(&[1, 0, 0, 3]).is_err());
    ::core::assert!(types::Checked::from_bytes(&[1, 0, 1, 2]).is_err());
    let v = types::CheckedVariant::V { a: 1, b: 5 };
    let bytes = v.to_bytes().unwrap();
    ::core::assert_eq!(types::CheckedVariant::from_bytes(&bytes).unwrap(), v);
    ::core::assert!(types::CheckedVariant::V { a: 0, b: 5 }.to_bytes().is_err());
    let laid = types::Laid {
        version: (),
        flags: 0,
        kind: 5,
        name: ::alloc::string::String::from("abc"),
        sum: 0,
    };
    let bytes = laid.to_bytes().unwrap();
    ::core::assert_eq!(
        bytes,
        [
            7, 1, 0xff, 5, 0xff, 0, 0, 0, 3, b'a', b'b', b'c', 0x2d, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e,
            0x2e, 0x2e, 0x2e, 0x2e, 0x2e, 0x2e
        ]
    );
    ::core::assert_eq!(laid.encoded_len(), 24);
    let back = types::Laid::from_bytes(&bytes).unwrap();
    ::core::assert_eq!(
        back,
        types::Laid {
            flags: 1,
            sum: 0x2d,
            ..laid
        }
    );
    let passes = types::PassesCtx {
        flags: 2,
        n: 1,
        body: types::WithCtx::Id {
            id: ::core::option::Option::Some(7),
            data: vec![9],
        },
    };
    let bytes = passes.to_bytes().unwrap();
    ::core::assert_eq!(bytes, [2, 0, 1, 0, 7, 9]);
    ::core::assert_eq!(types::PassesCtx::from_bytes(&bytes).unwrap(), passes);
    ::core::assert!(types::PassesCtx::from_bytes(&[3, 0, 0]).is_err());
    primitives::run();
}
