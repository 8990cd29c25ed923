//! Exact, fast, safe binary message codecs from a derive.
//!
//! Annotate a struct with `#[derive(Encode, Decode)]`, describe its
//! length-prefixed fields with `#[codec(..)]`, and get an encoder that
//! computes its exact size up front and a decoder that borrows where it can,
//! never panics, never over-allocates, and says which field at which byte
//! offset was wrong.
//!
//! ```
//! use codec::{Decode, Encode};
//!
//! #[derive(Debug, PartialEq, Encode, Decode)]
//! struct StoreRequest {
//!     trans: u8,
//!     #[codec(len = u8)]
//!     name: String,
//!     #[codec(len = u16)]
//!     data: Vec<u8>,
//! }
//!
//! let req = StoreRequest { trans: 7, name: "key".into(), data: b"hello".to_vec() };
//! let bytes = req.to_bytes()?;
//! // trans | name.len | name     | data.len | data
//! // 07    | 03       | 6b 65 79 | 00 05    | 68 65 6c 6c 6f
//! assert_eq!(bytes, b"\x07\x03key\x00\x05hello");
//! assert_eq!(bytes.len(), req.encoded_len());
//! assert_eq!(StoreRequest::from_bytes(&bytes)?, req);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The attribute language is documented on the [`Encode`](derive@Encode)
//! derive.
//!
//! # Layout
//!
//! Each module is one concern, and modules import each other one way
//! (`codec/tests/module_graph.rs` checks it). In the order a new reader
//! needs them:
//!
//! - [`error`]: [`DecodeError`] and [`EncodeError`], with byte offset and
//!   field path.
//! - [`reader`]: the offset-tracking [`Reader`] every decoder reads from.
//! - [`wire`]: byte order, length prefixes and base-128 integers.
//! - [`encode`] and [`decode`]: the [`Encode`] and [`Decode`] traits and
//!   their impls for std types; [`Sink`], what `Encode` writes into
//!   (`Vec<u8>`, `bytes::BytesMut`).
//! - [`header`]: the [`Header`] trait and the built-in [`StdHeader`] and
//!   [`WideHeader`].
//! - [`message`]: [`Message`] (a payload type with an id), [`Request`] and
//!   [`FieldLayout`]; the wire [`Shape`](message::Shape) of derived types.
//! - [`protocol`]: [`Protocol`] and [`DecodeProtocol`] (an enum of messages
//!   sent as frames) and [`RawFrame`].
//! - [`frame`]: whole-frame encode and decode, and the sans-IO
//!   [`FrameDecoder`].
//! - `explainer` (re-exported as [`Explainer`]): the lines of an annotated
//!   hex dump, which decoders fill in.
//! - [`explain`](mod@explain): the annotated hex dump of a frame, a layer
//!   above decoding.
//! - [`dispatch`] and [`registry`]: handling messages, through the service
//!   trait the protocol enum generates (one typed method per request) or
//!   by a run-time map from id to handler (for protocols assembled from
//!   several crates).
//! - `io` (feature `std`) and `tokio` (feature `tokio`): frames over a
//!   blocking `Read`/`Write` or a `tokio_util` codec.
//! - `rpc` (feature `rpc`): request/response connections (client, server,
//!   limits).
//! - [`wireshark`]: a Wireshark dissector (Lua) generated for any
//!   protocol from its layouts, a layer above [`message`] and [`protocol`].
//! - `__private`: support for generated code only, not public API.
#![no_std]
#![warn(missing_docs)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

// Lets the derives name `::codec` from inside this crate's own tests.
extern crate self as codec;

pub mod bits;
pub mod context;
pub mod decode;
pub mod dispatch;
pub mod encode;
pub mod error;
pub mod explain;
mod explainer;
pub mod frame;
pub mod header;
#[cfg(feature = "std")]
pub mod io;
pub mod message;
pub mod protocol;
pub mod reader;
pub mod registry;
#[cfg(feature = "rpc")]
pub mod rpc;
mod sink;
pub mod std_types;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod wire;
pub mod wireshark;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use crate::bits::{DecodeBits, EncodeBits};
pub use crate::context::{DecodeWith, EncodeWith};
pub use crate::decode::{Decode, DecodeSeq};
pub use crate::encode::{Encode, EncodeSeq};
pub use crate::error::{
    DecodeError, DecodeErrorKind, EncodeError, EncodeErrorKind, FieldPath, Found, PathSegment,
};
pub use crate::sink::Sink;
pub use crate::wire::Endian;

pub use crate::dispatch::Dispatch;
pub use crate::explain::explain;
pub use crate::explainer::Explainer;
pub use crate::frame::{Frame, FrameDecoder, FrameError};
pub use crate::header::{FrameHead, Header, HeaderValue, Parsed, StdHeader, WideHeader};
pub use crate::message::{FieldLayout, Message, Request};
pub use crate::protocol::{Correlate, Correlation};
pub use crate::protocol::{DecodeProtocol, Protocol, RawFrame};
pub use crate::reader::Reader;
pub use crate::registry::{DispatchError, Registry, RegistryError};

/// The hand-written storage protocol shared with the integration tests.
#[cfg(test)]
#[path = "../tests/support/storage.rs"]
#[allow(dead_code)] // each test binary uses part of it
pub(crate) mod test_protocol;

#[cfg(feature = "derive")]
pub use codec_derive::{Decode, Encode, Header, Message, Protocol};
