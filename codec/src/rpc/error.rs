//! Why a call failed ([`CallError`]) and why a connection ended
//! ([`ConnError`]).
//!
//! Each variant that wraps another error says what failed at this layer in
//! its `Display` text and returns the wrapped error from
//! [`source()`](std::error::Error::source), never both, so a report that
//! walks the chain (anyhow, eyre, [`Chain`]) prints each cause once.

use std::string::String;

use std::fmt;
use std::io;
use std::time::Duration;

use crate::{DecodeError, EncodeError};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No reply within the call's deadline. The tag stays quarantined until
    /// the late reply arrives (then it is dropped and counted) or the
    /// quarantine time passes.
    #[error("call timed out after {0:?}")]
    Timeout(Duration),
    /// The connection ended before the reply came.
    #[error("connection closed before the reply arrived")]
    ConnectionClosed,
    /// The connection broke, a new one was made, and this request was not
    /// resent because it is not marked idempotent: it may or may not have
    /// been executed.
    #[error("connection lost before the reply; not resent because the call is not idempotent")]
    NotIdempotent,
    /// `close()` was called: the client takes no new calls.
    #[error("client is closed; no new calls are accepted")]
    Closed,
    /// The handshake failed, so the connection carried no calls. The reason
    /// is the handshake's own text (not an error value), so `Display`
    /// shows it.
    #[error("handshake failed: {0}")]
    Handshake(String),
    /// The request could not be encoded; the cause is the
    /// [`source()`](std::error::Error::source).
    #[error("request cannot be encoded")]
    Encode(#[from] EncodeError),
    /// The request has no `#[codec(tag)]` field (or the tag does not fit).
    #[error("request `{0}` has no tag field to correlate its reply")]
    Untagged(&'static str),
    /// A call on a [`HeldTag`](super::HeldTag) whose earlier call gave up
    /// (timeout or drop): the tag `.0` is quarantined, not held any more.
    #[error("tag {0} is no longer held: an earlier call on it gave up")]
    HoldLost(u64),
    /// The request carries tag `tag` but was sent under the held tag
    /// `held`, and its tag cannot be set.
    #[error("request carries tag {tag}, not the held tag {held}")]
    TagMismatch {
        /// The request's own tag.
        tag: u64,
        /// The held tag it was sent under.
        held: u64,
    },
    /// Every tag is in flight, and the call could not wait for one
    /// ([`Client::submit`](super::Client::submit)).
    #[error("every tag is in flight")]
    Busy,
    /// The reply was another message than the request's response type.
    #[error("unexpected reply `{got}` (expected `{expected}`)")]
    UnexpectedReply {
        /// The reply's message name.
        got: &'static str,
        /// The response type's name.
        expected: &'static str,
    },
    /// The peer sent something that does not decode; the connection ended.
    /// The cause is the [`source()`](std::error::Error::source).
    #[error("protocol error from peer")]
    Protocol(#[source] DecodeError),
    /// A socket error; the cause is the
    /// [`source()`](std::error::Error::source).
    #[error("i/o error")]
    Io(#[from] io::Error),
}

/// Why a connection ended, as seen by the side that ends it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnError {
    /// The peer sent bytes that do not decode as a frame of the protocol;
    /// the cause is the [`source()`](std::error::Error::source).
    #[error("undecodable frame")]
    Decode(#[from] DecodeError),
    /// A frame header declared more than the configured maximum.
    #[error("frame of {len} bytes is over the limit of {max}")]
    FrameTooLarge {
        /// Declared frame length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// The peer closed the connection in the middle of a frame.
    #[error("peer closed mid-frame ({have} bytes of an unfinished frame)")]
    Truncated {
        /// Bytes of the unfinished frame received.
        have: usize,
    },
    /// No frame started within the idle limit.
    #[error("idle for {0:?}")]
    Idle(Duration),
    /// A started frame was not finished within the limit.
    #[error("frame not finished within {0:?}")]
    FrameTimeout(Duration),
    /// The handshake was refused or failed. The reason is the handshake's
    /// own text (not an error value), so `Display` shows it.
    #[error("handshake failed: {0}")]
    Handshake(String),
    /// A socket error; the cause is the
    /// [`source()`](std::error::Error::source).
    #[error("i/o error")]
    Io(#[from] io::Error),
    /// The drain's grace passed with calls or handlers still in flight;
    /// they were abandoned.
    #[error("calls and handlers still in flight after the grace of {0:?}")]
    Grace(Duration),
}

/// Displays an error and its sources, joined by `": "`
/// (`i/o error: connection reset by peer`).
///
/// The errors of this module say in `Display` only what failed at their
/// own layer and return the cause from
/// [`source()`](std::error::Error::source), so a log line or a message
/// for a person should show the whole chain: this does, as anyhow's `{:#}`
/// does.
///
/// ```
/// use codec::rpc::{CallError, Chain};
///
/// let err = CallError::from(std::io::Error::other("connection reset by peer"));
/// assert_eq!(err.to_string(), "i/o error");
/// assert_eq!(Chain(&err).to_string(), "i/o error: connection reset by peer");
/// ```
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(cause) = next {
            write!(f, ": {cause}")?;
            next = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::boxed::Box;
    use std::string::{String, ToString};
    use std::vec::Vec;
    use std::{format, vec};

    use super::{CallError, Chain, ConnError};
    use crate::{Decode, DecodeError, EncodeError, EncodeErrorKind};

    fn decode_error() -> DecodeError {
        u32::from_bytes(&[1, 2]).expect_err("two bytes are not a u32")
    }

    fn io_error() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by the test")
    }

    /// Each level's `Display`, outermost first, by walking `source()`.
    fn levels(e: &(dyn std::error::Error + 'static)) -> Vec<String> {
        let mut out = vec![e.to_string()];
        let mut next = e.source();
        while let Some(cause) = next {
            out.push(cause.to_string());
            next = cause.source();
        }
        out
    }

    /// Every wrapping variant: the cause's text appears exactly once in the
    /// whole chain, and it comes from `source()`, not from the wrapper's
    /// `Display`.
    #[test]
    fn each_cause_appears_once_in_the_chain() {
        let encode = EncodeError::new(EncodeErrorKind::Invalid("the test refuses it"));
        let cases: Vec<(&str, Box<dyn std::error::Error + 'static>, String)> = vec![
            (
                "CallError::Io",
                Box::new(CallError::from(io_error())),
                io_error().to_string(),
            ),
            (
                "CallError::Encode",
                Box::new(CallError::from(encode.clone())),
                encode.to_string(),
            ),
            (
                "CallError::Protocol",
                Box::new(CallError::Protocol(decode_error())),
                decode_error().to_string(),
            ),
            (
                "ConnError::Io",
                Box::new(ConnError::from(io_error())),
                io_error().to_string(),
            ),
            (
                "ConnError::Decode",
                Box::new(ConnError::from(decode_error())),
                decode_error().to_string(),
            ),
        ];
        for (name, err, cause) in cases {
            let levels = levels(err.as_ref());
            assert_eq!(levels.len(), 2, "{name}: {levels:?}");
            assert_eq!(levels[1], cause, "{name}: source() is the cause");
            let whole = levels.join(": ");
            assert_eq!(whole.matches(cause.as_str()).count(), 1, "{name}: {whole}");
            assert_eq!(Chain(err.as_ref()).to_string(), whole, "{name}");
        }
    }

    /// The wrappers say what failed at their layer.
    #[test]
    fn wrappers_say_what_failed() {
        assert_eq!(CallError::from(io_error()).to_string(), "i/o error");
        assert_eq!(
            Chain(&CallError::from(io_error())).to_string(),
            "i/o error: reset by the test"
        );
        let encode = EncodeError::new(EncodeErrorKind::Invalid("x"));
        assert_eq!(
            CallError::from(encode).to_string(),
            "request cannot be encoded"
        );
        assert_eq!(
            ConnError::from(decode_error()).to_string(),
            "undecodable frame"
        );
        assert_eq!(ConnError::from(io_error()).to_string(), "i/o error");
    }

    /// A handshake's reason is text, not an error: `Display` shows it and
    /// there is no `source()`, so it too appears once.
    #[test]
    fn handshake_reason_appears_once() {
        for err in [
            Box::new(CallError::Handshake("bad token".into())) as Box<dyn std::error::Error>,
            Box::new(ConnError::Handshake("bad token".into())),
        ] {
            assert!(err.source().is_none());
            let whole = format!("{}", Chain(err.as_ref()));
            assert_eq!(whole, "handshake failed: bad token");
        }
    }
}
