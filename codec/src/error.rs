//! Errors: [`DecodeError`] and [`EncodeError`], each with a kind, the field
//! path where it happened and (for decoding) the byte offset.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::mem::ManuallyDrop;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathSegment {
    /// The outermost type, e.g. `StoreRequest`.
    Type(&'static str),
    /// A named (or numbered, for tuple structs) field.
    Field(&'static str),
    /// An element of a sequence or array.
    Index(usize),
}

/// Where in a value an error happened, e.g. `StoreRequest.name` or
/// `Directory.entries[3].name`.
///
/// Paths are built from the inside out while an error travels up through
/// the generated code, so they cost nothing until something goes wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPath(Vec<PathSegment>);

impl FieldPath {
    /// The segments, outermost first.
    pub fn segments(&self) -> &[PathSegment] {
        &self.0
    }

    /// True when no field context was recorded (a bare primitive decode).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The inner type's own name is replaced by the field that holds it,
    /// so `Inner.name` seen from `Outer.inner` reads `Outer.inner.name`.
    fn drop_leading_type(&mut self) {
        if let Some(PathSegment::Type(_)) = self.0.first() {
            self.0.remove(0);
        }
    }

    fn enter_field(&mut self, ty: &'static str, field: &'static str) {
        self.drop_leading_type();
        self.0
            .splice(0..0, [PathSegment::Type(ty), PathSegment::Field(field)]);
    }

    fn enter_index(&mut self, index: usize) {
        self.drop_leading_type();
        self.0.insert(0, PathSegment::Index(index));
    }

    /// Names the type of an error raised by a type itself, unless a field
    /// already did.
    fn enter_type(&mut self, ty: &'static str) {
        if self.is_empty() {
            self.0.push(PathSegment::Type(ty));
        }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                PathSegment::Type(t) => f.write_str(t)?,
                PathSegment::Field(name) if i == 0 => f.write_str(name)?,
                PathSegment::Field(name) => write!(f, ".{name}")?,
                PathSegment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// "byte" or "bytes".
fn bytes(n: u64) -> &'static str {
    if n == 1 {
        "byte"
    } else {
        "bytes"
    }
}

/// What went wrong while decoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ended early. `needed` bytes were required at the offset,
    /// `available` were there: exactly `needed - available` more are needed.
    #[error("unexpected end of input (need {needed} {}, have {available})", bytes(*needed))]
    UnexpectedEnd {
        /// Bytes the read required.
        needed: u64,
        /// Bytes that remained.
        available: usize,
    },
    /// A string was not valid UTF-8.
    #[error("invalid utf-8 (valid up to byte {valid_up_to} of the string)")]
    InvalidUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
    /// A `bool` byte other than 0 or 1.
    #[error("invalid bool {0:#04x} (expected 0 or 1)")]
    InvalidBool(u8),
    /// An `Option` presence byte other than 0 or 1.
    #[error("invalid presence byte {0:#04x} (expected 0 or 1)")]
    InvalidPresence(u8),
    /// An enum discriminant no variant claims.
    #[error("invalid discriminant {0}")]
    InvalidDiscriminant(u64),
    /// A message id no protocol variant claims.
    #[error("unknown message id {0:#x}")]
    UnknownId(u64),
    /// A `char` that is not a Unicode scalar value.
    #[error("invalid char {0:#x}")]
    InvalidChar(u32),
    /// An integer that does not fit the target type (a varint into a `u8`,
    /// a length into `usize`).
    #[error("integer {value} out of range for {target}")]
    IntegerOutOfRange {
        /// The value read.
        value: u128,
        /// The type it had to fit.
        target: &'static str,
    },
    /// A varint with more continuation bytes than its type can hold.
    #[error("varint too long for {target}")]
    VarintTooLong {
        /// The type being decoded.
        target: &'static str,
    },
    /// A length or count over a limit, before anything was allocated.
    #[error("length {len} over the limit of {limit}")]
    LengthOverLimit {
        /// The declared length.
        len: u64,
        /// The limit it broke.
        limit: u64,
    },
    /// Bytes were left after the value; `from_bytes` consumes whole inputs.
    #[error("{count} trailing {}", bytes(*count as u64))]
    TrailingBytes {
        /// How many bytes were left.
        count: usize,
    },
    /// A header declared a payload length other than what the payload used.
    #[error("header declares {declared} payload bytes, message used {actual}")]
    LengthMismatch {
        /// Length in the header.
        declared: u64,
        /// Bytes the message decoded from.
        actual: u64,
    },
    /// Constant bytes (`#[codec(magic = ..)]`) other than the expected
    /// ones; the error's offset is where they start.
    #[error("bad magic (expected {}, found {found})", Hex(expected))]
    BadMagic {
        /// The bytes the layout requires (for an enum chosen by magic, the
        /// first variant's).
        expected: &'static [u8],
        /// The bytes there, as many as the input had (up to the expected
        /// length, and up to [`Found::CAPACITY`]).
        found: Found,
    },
    /// A length field below the least value a length can take: negative,
    /// or under the `len_adds` the field's length counts beyond its body.
    #[error("length value {value} is below the minimum {min}")]
    LengthBelowMin {
        /// The value on the wire.
        value: i128,
        /// The least length value the field can hold.
        min: u64,
    },
    /// A `#[codec(assert(..))]` condition was false for the decoded value;
    /// the error's offset is where the field starts (for a type's
    /// `assert`, where the type starts).
    #[error("assertion failed: {message}")]
    Assertion {
        /// The message the `assert` gives.
        message: &'static str,
    },
    /// A padding byte other than the `pad` byte, where the layout checks
    /// padding (`#[codec(pad_check)]`); the error's offset is the byte's.
    #[error("bad padding byte (expected {expected:#04x}, found {found:#04x})")]
    BadPadding {
        /// The `pad` byte.
        expected: u8,
        /// The byte there.
        found: u8,
    },
    /// A `#[codec(checksum = ..)]` field whose value is not the checksum of
    /// the bytes it covers; the error's offset is the field's.
    #[error("checksum mismatch (computed {expected:#x}, found {found:#x})")]
    ChecksumMismatch {
        /// The checksum computed over the bytes read.
        expected: u64,
        /// The value on the wire.
        found: u64,
    },
    /// A wire-only field (`#[codec(wire = T, value = V)]`) holding another
    /// value than `V`; the error's offset is the field's.
    #[error("unexpected value {found} (expected {expected})")]
    UnexpectedValue {
        /// The value the layout requires.
        expected: i128,
        /// The value on the wire.
        found: i128,
    },
    /// A type with a fixed `size` whose fields took more bytes than it; the
    /// error's offset is where the type starts.
    #[error("fields take {used} bytes, more than the type's size of {size}")]
    OverSize {
        /// Bytes the fields took.
        used: u64,
        /// The type's `size`.
        size: u64,
    },
    /// A protocol-specific rule was broken.
    #[error("{0}")]
    Invalid(&'static str),
}

/// The first bytes found where constant bytes were expected, kept inline
/// (so errors stay `Copy`-cheap, with no allocation and no drop).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Found {
    len: u8,
    buf: [u8; Found::CAPACITY],
}

impl Found {
    /// How many bytes are kept; longer magic is compared in full but
    /// reported by its first 16 bytes.
    pub const CAPACITY: usize = 16;

    /// Keeps the first [`Found::CAPACITY`] bytes of `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        let len = bytes.len().min(Self::CAPACITY);
        let mut buf = [0; Self::CAPACITY];
        buf[..len].copy_from_slice(&bytes[..len]);
        Found {
            len: len as u8,
            buf,
        }
    }

    /// The bytes kept.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }
}

impl fmt::Debug for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_slice().fmt(f)
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Hex(self.as_slice()).fmt(f)
    }
}

/// Bytes shown as lowercase hex pairs (`89 50 4e 47`).
struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("nothing");
        }
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A decode failure: what went wrong, where in the input and in which field.
///
/// ```
/// use codec::Decode;
///
/// #[derive(Debug, codec::Decode)]
/// #[allow(dead_code)] // only decoded here
/// struct StoreRequest { trans: u8, #[codec(len = u8)] name: String }
///
/// let err = StoreRequest::from_bytes(&[7, 5, b'k', b'e']).unwrap_err();
/// assert_eq!(err.offset(), 2);
/// assert_eq!(err.path().to_string(), "StoreRequest.name");
/// assert_eq!(err.bytes_needed(), Some(3));
/// assert_eq!(
///     err.to_string(),
///     "unexpected end of input (need 5 bytes, have 2) at byte 2 in StoreRequest.name"
/// );
/// ```
// Boxed so that `Result<T, DecodeError>` stays two words on the hot path.
#[derive(Clone, PartialEq, Eq)]
pub struct DecodeError(Box<DecodeInner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct DecodeInner {
    kind: DecodeErrorKind,
    offset: usize,
    path: FieldPath,
}

impl DecodeError {
    /// An error of `kind` at byte `offset`, with no field context yet.
    #[cold]
    #[inline(never)]
    #[must_use]
    pub fn new(kind: DecodeErrorKind, offset: usize) -> Self {
        DecodeError(Box::new(DecodeInner {
            kind,
            offset,
            path: FieldPath::default(),
        }))
    }

    /// What went wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.0.kind
    }

    /// Absolute byte offset in the input where the failing read started.
    pub fn offset(&self) -> usize {
        self.0.offset
    }

    /// The field being decoded, e.g. `StoreRequest.name`.
    pub fn path(&self) -> &FieldPath {
        &self.0.path
    }

    /// For truncated input, exactly how many more bytes the failing read
    /// needed; `None` for every other kind.
    pub fn bytes_needed(&self) -> Option<u64> {
        match self.0.kind {
            DecodeErrorKind::UnexpectedEnd { needed, available } => Some(needed - available as u64),
            _ => None,
        }
    }

    /// True when the error is only a lack of input: more bytes could fix it.
    pub fn is_incomplete(&self) -> bool {
        self.bytes_needed().is_some()
    }

    /// Records that the error happened inside field `field` of type `ty`.
    /// Called by generated code.
    #[cold]
    #[inline(never)]
    #[must_use]
    pub fn in_field(mut self, ty: &'static str, field: &'static str) -> Self {
        self.0.path.enter_field(ty, field);
        self
    }

    /// Records that the error happened in element `index` of a sequence.
    #[cold]
    #[inline(never)]
    #[must_use]
    pub fn in_index(mut self, index: usize) -> Self {
        self.0.path.enter_index(index);
        self
    }

    /// Records the type name for an error raised by a type itself rather
    /// than one of its fields (an enum's discriminant, a frame's header).
    #[cold]
    #[inline(never)]
    #[must_use]
    pub fn in_type(mut self, ty: &'static str) -> Self {
        self.0.path.enter_type(ty);
        self
    }

    /// Replaces the kind and offset, keeping the field path. Framing uses it
    /// to restate a payload's end of input as a length mismatch.
    #[cold]
    #[must_use]
    pub(crate) fn restate(mut self, kind: DecodeErrorKind, offset: usize) -> Self {
        self.0.kind = kind;
        self.0.offset = offset;
        self
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("kind", &self.0.kind)
            .field("offset", &self.0.offset)
            .field("path", &format_args!("{}", self.0.path))
            .finish()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.0.kind, self.0.offset)?;
        if !self.0.path.is_empty() {
            write!(f, " in {}", self.0.path)?;
        }
        Ok(())
    }
}

impl core::error::Error for DecodeError {}

/// What went wrong while encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeErrorKind {
    /// A length does not fit its prefix (a 300-byte name under `len = u8`).
    #[error("length {len} does not fit a {prefix} length prefix (max {max})")]
    LengthOverflow {
        /// The real length.
        len: u64,
        /// The prefix's name (`u8`, `u16`, ...).
        prefix: &'static str,
        /// The largest length the prefix can describe.
        max: u64,
    },
    /// An `Option` field disagrees with its `when` condition.
    #[error("value is {actual} but its `when` condition says {expected}")]
    WhenMismatch {
        /// `"present"` or `"absent"`, what the condition requires.
        expected: &'static str,
        /// What the value is.
        actual: &'static str,
    },
    /// A `usize`/`isize` or similar value that the wire type cannot carry.
    #[error("value {value} out of range for {target}")]
    ValueOutOfRange {
        /// The value.
        value: i128,
        /// The wire type.
        target: &'static str,
    },
    /// A `#[codec(assert(..))]` condition was false for the value to
    /// encode, checked before any field of the struct or variant is
    /// written (`Encode::encode` leaves the buffer as it was).
    #[error("assertion failed: {message}")]
    Assertion {
        /// The message the `assert` gives.
        message: &'static str,
    },
    /// A type with a fixed `size` (`#[codec(size = N)]` on the type) whose
    /// fields take more than N bytes.
    #[error("fields take {used} bytes, more than the type's size of {size}")]
    OverSize {
        /// Bytes the fields take.
        used: u64,
        /// The type's `size`.
        size: u64,
    },
    /// A protocol-specific rule was broken.
    #[error("{0}")]
    Invalid(&'static str),
}

/// An encode failure, naming the field whose value cannot be written.
///
/// Nothing is written for a value that fails: [`Encode::to_bytes`](crate::Encode::to_bytes)
/// returns the error, and [`Encode::encode`](crate::Encode::encode) leaves
/// the caller's buffer as it found it.
///
/// ```
/// # use codec::Encode;
/// #[derive(codec::Encode)]
/// struct StoreRequest { trans: u8, #[codec(len = u8)] name: String }
///
/// let err = StoreRequest { trans: 1, name: "x".repeat(256) }.to_bytes().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "length 256 does not fit a u8 length prefix (max 255) in StoreRequest.name"
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct EncodeError(ManuallyDrop<Box<EncodeInner>>);

/// Dropping the error is out of line: an encode call's caller that drops
/// the `Result` keeps no deallocation on its success path (in a loop,
/// LLVM kept `dealloc`'s address in a register across the whole body).
impl Drop for EncodeError {
    #[cold]
    #[inline(never)]
    fn drop(&mut self) {
        // SAFETY: `self.0` is dropped once, here, and never used after.
        unsafe { ManuallyDrop::drop(&mut self.0) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct EncodeInner {
    kind: EncodeErrorKind,
    path: FieldPath,
}

impl EncodeError {
    /// An error of `kind`, with no field context yet.
    #[cold]
    #[inline(never)]
    #[must_use]
    pub fn new(kind: EncodeErrorKind) -> Self {
        EncodeError(ManuallyDrop::new(Box::new(EncodeInner {
            kind,
            path: FieldPath::default(),
        })))
    }

    /// What went wrong.
    pub fn kind(&self) -> &EncodeErrorKind {
        &self.0.kind
    }

    /// The field whose value could not be written, e.g. `StoreRequest.name`.
    pub fn path(&self) -> &FieldPath {
        &self.0.path
    }

    /// Records that the error happened inside field `field` of type `ty`.
    #[cold]
    #[inline(never)]
    #[must_use]
    pub fn in_field(mut self, ty: &'static str, field: &'static str) -> Self {
        self.0.path.enter_field(ty, field);
        self
    }

    /// Records that the error happened in element `index` of a sequence.
    #[cold]
    #[inline(never)]
    #[must_use]
    pub fn in_index(mut self, index: usize) -> Self {
        self.0.path.enter_index(index);
        self
    }

    /// Records the type name for an error raised by a type itself rather
    /// than one of its fields (a type's `assert`).
    #[cold]
    #[inline(never)]
    #[must_use]
    pub fn in_type(mut self, ty: &'static str) -> Self {
        self.0.path.enter_type(ty);
        self
    }
}

impl fmt::Debug for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodeError")
            .field("kind", &self.0.kind)
            .field("path", &format_args!("{}", self.0.path))
            .finish()
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.kind)?;
        if !self.0.path.is_empty() {
            write!(f, " in {}", self.0.path)?;
        }
        Ok(())
    }
}

impl core::error::Error for EncodeError {}

/// The message of `e` and of each of its sources, outermost first: what
/// anyhow or eyre print for it.
#[cfg(test)]
pub(crate) fn error_chain(e: &dyn core::error::Error) -> Vec<alloc::string::String> {
    use alloc::string::ToString;
    let mut chain = alloc::vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        chain.push(c.to_string());
        cause = c.source();
    }
    chain
}

/// Asserts that `e`'s chain prints each cause once: no message repeats a
/// source's message (which happens when an error shows its source in
/// `Display` and also returns it from `source()`). Returns the chain.
#[cfg(test)]
pub(crate) fn assert_each_cause_once(e: &dyn core::error::Error) -> Vec<alloc::string::String> {
    let chain = error_chain(e);
    for (i, cause) in chain.iter().enumerate().skip(1) {
        for outer in &chain[..i] {
            assert!(
                !outer.contains(cause.as_str()),
                "{cause:?} is printed twice in {chain:?}"
            );
        }
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_and_encode_errors_have_no_source() {
        let e = DecodeError::new(DecodeErrorKind::InvalidBool(2), 3).in_field("M", "flag");
        assert_eq!(
            assert_each_cause_once(&e),
            ["invalid bool 0x02 (expected 0 or 1) at byte 3 in M.flag"]
        );
        let e = EncodeError::new(EncodeErrorKind::Invalid("bad")).in_field("M", "x");
        assert_eq!(assert_each_cause_once(&e), ["bad in M.x"]);
    }
}
