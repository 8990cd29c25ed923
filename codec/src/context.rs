//! Context: values a parent passes into a nested type's encode and decode
//! (MQTT's QoS bits deciding whether PUBLISH has a packet identifier, a
//! Kafka request's API version gating fields, DNS RDATA chosen by TYPE).
//!
//! A type declares what it takes with `#[codec(ctx(name: Type, ..))]`; the
//! derives then implement [`EncodeWith`] and [`DecodeWith`] instead of
//! [`Encode`](crate::Encode) and [`Decode`](crate::Decode), so it cannot be
//! written or read without its context. A parent passes the values per
//! field, `#[codec(ctx(name = expr, ..))]`, with expressions over its
//! earlier fields and its own context. Each trait's `Ctx` is a struct the
//! derive generates with one public field per declared name, so a name the
//! child does not declare, or one the parent leaves out, is a compile
//! error naming it.
//!
//! ```
//! use codec::{DecodeWith, EncodeWith};
//!
//! #[derive(Debug, PartialEq, codec::Encode, codec::Decode)]
//! #[codec(ctx(qos: u8))]
//! struct Publish {
//!     #[codec(len = u16)]
//!     topic: String,
//!     #[codec(when = qos > 0)]
//!     packet_id: Option<u16>,
//! }
//!
//! #[derive(Debug, PartialEq, codec::Encode, codec::Decode)]
//! struct Packet {
//!     flags: u8,
//!     #[codec(ctx(qos = flags >> 1 & 3))]
//!     publish: Publish,
//! }
//!
//! # use codec::{Decode, Encode};
//! let p = Packet { flags: 0x02, publish: Publish { topic: "a".into(), packet_id: Some(7) } };
//! let bytes = p.to_bytes()?;
//! assert_eq!(bytes, [0x02, 0x00, 0x01, b'a', 0x00, 0x07]);
//! assert_eq!(Packet::from_bytes(&bytes)?, p);
//! // On its own, the context is passed by hand (its struct is reached
//! // through an alias of the trait's `Ctx`).
//! type Enc = <Publish as EncodeWith>::Ctx;
//! type Dec = <Publish as DecodeWith<'static>>::Ctx;
//! let alone = Publish { topic: "b".into(), packet_id: None };
//! assert_eq!(alone.to_bytes_in(Enc { qos: 0 })?, [0, 1, b'b']);
//! assert_eq!(Publish::from_bytes_in(&[0, 1, b'b'], Dec { qos: 0 })?, alone);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A frame header plugs in the same way: a `#[derive(Protocol)]` variant
//! with `#[codec(ctx(flags = header.flags))]` builds its message's `Ctx`
//! from the parsed header's value and calls [`DecodeWith::decode_in`];
//! with `#[codec(header(flags = ..))]` it writes header fields from the
//! message (see the derive's docs).

use alloc::vec::Vec;

use crate::error::{DecodeError, EncodeError};
use crate::explainer::Explainer;
use crate::reader::Reader;
use crate::sink::Sink;

/// A type written with a context (`#[codec(ctx(..))]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` takes no context",
    note = "declare it on the type, `#[codec(ctx(name: Type, ..))]`, or remove `ctx(..)` from the field or protocol variant"
)]
pub trait EncodeWith {
    /// The values encoding needs: a struct with one public field per name
    /// the type declares.
    type Ctx;

    /// The exact number of bytes [`EncodeWith::encode_in`] appends.
    fn encoded_len_in(&self, ctx: Self::Ctx) -> usize;

    /// Appends the encoding to `buf`.
    ///
    /// # Errors
    ///
    /// A value its wire format cannot describe, or one the context
    /// contradicts (an enum variant its `id_from` value does not select);
    /// `buf` may then hold a partial encoding.
    fn encode_in<S: Sink + ?Sized>(&self, buf: &mut S, ctx: Self::Ctx) -> Result<(), EncodeError>;

    /// Encodes into a new vector of exactly [`EncodeWith::encoded_len_in`]
    /// bytes.
    ///
    /// # Errors
    ///
    /// As [`EncodeWith::encode_in`].
    #[inline]
    fn to_bytes_in(&self, ctx: Self::Ctx) -> Result<Vec<u8>, EncodeError>
    where
        Self::Ctx: Clone,
    {
        let mut buf = Vec::with_capacity(self.encoded_len_in(ctx.clone()));
        self.encode_in(&mut buf, ctx)?;
        Ok(buf)
    }
}

/// A type read with a context (`#[codec(ctx(..))]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` takes no context",
    note = "declare it on the type, `#[codec(ctx(name: Type, ..))]`, or remove `ctx(..)` from the field or protocol variant"
)]
pub trait DecodeWith<'de>: Sized {
    /// The values decoding needs: a struct with one public field per name
    /// the type declares.
    type Ctx;

    /// The fewest bytes any value of this type takes on the wire.
    const MIN_LEN: usize = 0;

    /// Reads a value.
    ///
    /// # Errors
    ///
    /// Any [`DecodeError`], with field path and offset.
    fn decode_in(r: &mut Reader<'de>, ctx: Self::Ctx) -> Result<Self, DecodeError>;

    /// Reads a value as [`DecodeWith::decode_in`] does, recording one
    /// annotated line per field in `out`.
    ///
    /// # Errors
    ///
    /// As [`DecodeWith::decode_in`].
    fn explain_in(
        r: &mut Reader<'de>,
        ctx: Self::Ctx,
        out: &mut Explainer,
    ) -> Result<Self, DecodeError>;

    /// Decodes a value that must take all of `bytes`.
    ///
    /// # Errors
    ///
    /// Any [`DecodeError`], including trailing bytes.
    #[inline]
    fn from_bytes_in(bytes: &'de [u8], ctx: Self::Ctx) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let value = Self::decode_in(&mut r, ctx)?;
        r.finish()?;
        Ok(value)
    }
}
