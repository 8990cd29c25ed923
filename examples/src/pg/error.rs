//! The client's errors, and the fields of an ErrorResponse or
//! NoticeResponse.

use std::fmt;

use super::wire::NoticeField;

/// Every field of an ErrorResponse or NoticeResponse, in the order the
/// server sent them (codes: PostgreSQL documentation, "Error and Notice
/// Message Fields").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notice {
    /// `(code, value)` pairs as received.
    pub fields: Vec<(u8, String)>,
}

impl Notice {
    /// From the wire's fields.
    pub fn from_fields(fields: Vec<NoticeField>) -> Notice {
        Notice {
            fields: fields.into_iter().map(|f| (f.code, f.value)).collect(),
        }
    }

    /// The value of field `code`, if present.
    pub fn field(&self, code: u8) -> Option<&str> {
        self.fields
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, v)| v.as_str())
    }

    /// `S`: the localized severity (`ERROR`, `NOTICE`, `FATAL`, ...),
    /// falling back to `V` (never localized).
    pub fn severity(&self) -> &str {
        self.field(b'S').or(self.field(b'V')).unwrap_or("ERROR")
    }

    /// `C`: the SQLSTATE code.
    pub fn code(&self) -> &str {
        self.field(b'C').unwrap_or("")
    }

    /// `M`: the primary message.
    pub fn message(&self) -> &str {
        self.field(b'M').unwrap_or("")
    }

    /// `D`: the detail.
    pub fn detail(&self) -> Option<&str> {
        self.field(b'D')
    }

    /// `H`: the hint.
    pub fn hint(&self) -> Option<&str> {
        self.field(b'H')
    }

    /// `P`: the 1-based character position in the query.
    pub fn position(&self) -> Option<usize> {
        self.field(b'P').and_then(|p| p.parse().ok())
    }
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:  {}", self.severity(), self.message())?;
        if let Some(d) = self.detail() {
            write!(f, " (DETAIL:  {d})")?;
        }
        Ok(())
    }
}

/// What can go wrong talking to a server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The socket failed or closed.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// The server sent bytes that are not a valid message (a lying length,
    /// an unknown type, a frame over the limit, a stream cut short).
    #[error("invalid message from the server: {0}")]
    Protocol(String),
    /// The server sent a valid message where it makes no sense.
    #[error("unexpected message from the server: {0}")]
    Unexpected(String),
    /// The server answered with an ErrorResponse.
    #[error("{0}")]
    Server(Notice),
    /// Authentication could not proceed on this side.
    #[error("authentication: {0}")]
    Auth(String),
    /// TLS was required by one side; this client does not speak it.
    #[error("{0}")]
    Tls(String),
    /// A connect or startup deadline passed.
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// A value given to the client cannot be sent (a NUL in a string, too
    /// many parameters).
    #[error("cannot send: {0}")]
    Encode(String),
}

impl Error {
    /// The server's error, when this is one.
    pub fn server(&self) -> Option<&Notice> {
        match self {
            Error::Server(n) => Some(n),
            _ => None,
        }
    }
}

impl From<codec::frame::FrameError> for Error {
    fn from(e: codec::frame::FrameError) -> Error {
        match e {
            codec::frame::FrameError::Io(io) => Error::Io(io),
            other => Error::Protocol(other.to_string()),
        }
    }
}

impl From<codec::EncodeError> for Error {
    fn from(e: codec::EncodeError) -> Error {
        Error::Encode(e.to_string())
    }
}
