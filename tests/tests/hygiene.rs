//! Hygiene: the derives must not depend on the user's prelude or on names
//! in scope where they expand.
//!
//! - `renamed_runtime`: the `codec-hygiene` fixture crate (tests/hygiene)
//!   is `no_std` and `#![no_implicit_prelude]`, shadows `Result`, `Ok`,
//!   `Some`, `Vec`, `Option`, `String`, `Default`, ... with unit structs,
//!   and can reach the runtime only as `::codec_renamed` through
//!   `#[codec(crate = "::codec_renamed")]`: it has no dependency named
//!   `codec`, so any generated path that bypasses `crate = ".."` fails to
//!   build it. Every wire attribute of
//!   `#[derive(Encode, Decode)]` is used there.
//! - `shadowed_prelude` below: the same shadowing in this crate, with the
//!   default runtime path (`::codec`), derives named by absolute path.
//! - `user_module_named_codec` below: every derive (`Message` and
//!   `Protocol` too) beside a user module named `codec`, with the default
//!   runtime path: a generated path naming the crate bare (`codec::..`)
//!   resolves to that module and fails to compile. (The `codec-hygiene`
//!   fixture holds such a module as well, with the runtime renamed.)

#[test]
fn renamed_runtime() {
    codec_hygiene::run();
}

mod shadowed {
    #![no_implicit_prelude]
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
    pub struct From;
    pub struct Encode;
    pub struct Decode;
    pub struct codec;

    #[derive(::core::fmt::Debug, ::core::cmp::PartialEq, ::codec::Encode, ::codec::Decode)]
    pub struct Packet<'a> {
        #[codec(tag, vlq)]
        pub tag: u64,
        #[codec(varint)]
        pub flags: u16,
        #[codec(when = flags & 1 != 0)]
        pub channel: ::core::option::Option<u32>,
        pub nlen: u8,
        #[codec(len_from = nlen)]
        pub name: &'a str,
        #[codec(len = u16, unit = bytes)]
        pub words: ::std::vec::Vec<u16>,
        #[codec(len = u8)]
        pub maybe: ::core::option::Option<::std::string::String>,
        #[codec(endian = "little")]
        pub le: u32,
        #[codec(skip)]
        pub cache: ::std::vec::Vec<u8>,
        pub status: Status,
        pub command: Command,
        #[codec(rest)]
        pub payload: ::std::vec::Vec<u8>,
    }

    #[derive(::core::fmt::Debug, ::core::cmp::PartialEq, ::codec::Encode, ::codec::Decode)]
    #[codec(repr = u8)]
    pub enum Status {
        Success = 0,
        Fail = 0xFF,
    }

    #[derive(::core::fmt::Debug, ::core::cmp::PartialEq, ::codec::Encode, ::codec::Decode)]
    #[codec(repr = u16, endian = "little")]
    pub enum Command {
        #[codec(id = 1)]
        Get(#[codec(len = u8)] ::std::string::String),
        #[codec(id = 2)]
        Ping,
        #[codec(other)]
        Unknown(u16),
    }
}

#[test]
fn shadowed_prelude() {
    use codec::{Decode, Encode};
    use shadowed::{Command, Packet, Status};

    let v = Packet {
        tag: 1,
        flags: 1,
        channel: Some(2),
        nlen: 3,
        name: "abc",
        words: vec![4, 5],
        maybe: Some("m".into()),
        le: 6,
        cache: vec![],
        status: Status::Fail,
        command: Command::Get("g".into()),
        payload: vec![7],
    };
    let bytes = v.to_bytes().unwrap();
    assert_eq!(v.encoded_len(), bytes.len());
    assert_eq!(Packet::from_bytes(&bytes).unwrap(), v);
    for command in [Command::Ping, Command::Unknown(9)] {
        assert_eq!(
            Command::from_bytes(&command.to_bytes().unwrap()).unwrap(),
            command
        );
    }
}

mod codec_module {
    #![no_implicit_prelude]

    use ::codec::{Decode, Encode, Message};

    /// The user's own `codec`: generated code must never resolve to it.
    pub mod codec {}

    #[derive(::core::fmt::Debug, ::core::cmp::PartialEq, Encode, Decode, Message)]
    #[codec(id = 1, response = Pong)]
    pub struct Ping {
        #[codec(tag)]
        pub tag: u16,
        #[codec(len = u8)]
        pub note: ::std::string::String,
    }

    #[derive(::core::fmt::Debug, ::core::cmp::PartialEq, Encode, Decode, Message)]
    #[codec(id = 2)]
    pub struct Pong {
        #[codec(tag)]
        pub tag: u16,
        pub kind: Kind,
    }

    /// A message that is an enum (its layout is the discriminant).
    #[derive(::core::fmt::Debug, ::core::cmp::PartialEq, Encode, Decode, Message)]
    #[codec(id = 3, repr = u8)]
    pub enum Kind {
        A = 1,
        B = 2,
    }

    #[derive(::core::fmt::Debug, ::core::cmp::PartialEq, ::codec::Protocol)]
    pub enum Wire {
        Ping(Ping),
        Pong(Pong),
        Kind(Kind),
        #[codec(other)]
        Unknown(::codec::RawFrame),
    }
}

#[test]
fn user_module_named_codec() {
    use codec::{Decode, Encode, Message, Protocol};
    use codec_module::{Kind, Ping, Pong, Wire};

    let ping = Wire::from(Ping {
        tag: 3,
        note: "n".into(),
    });
    let bytes = ping.to_bytes().unwrap();
    assert_eq!(bytes, [1, 0, 4, 0, 3, 1, b'n']);
    assert_eq!(Wire::from_bytes(&bytes).unwrap(), ping);
    let pong = Wire::from(Pong {
        tag: 3,
        kind: Kind::B,
    });
    assert_eq!(Wire::from_bytes(&pong.to_bytes().unwrap()).unwrap(), pong);
    assert_eq!(Wire::from(Kind::A).to_bytes().unwrap(), [3, 0, 1, 1]);
    let unknown = Wire::from_bytes(&[9, 0, 1, 0xaa]).unwrap();
    assert_eq!(unknown, Wire::Unknown(codec::RawFrame::new(9, vec![0xaa])));
    assert_eq!(unknown.name(), "RawFrame");
    assert_eq!(Kind::FIELDS[0].offset, Some(0));
}
