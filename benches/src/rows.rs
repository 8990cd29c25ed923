//! The peer comparison's real-world rows (issue 12): a bit-field header
//! and a message of NUL-terminated strings, each with its derive and its
//! hand-written codec (same validation: values checked against their bits,
//! no NUL inside a string, UTF-8, bounds, no trailing bytes).
//!
//! ```text
//! DnsHeader   id u16 | qr:1 opcode:4 aa:1 tc:1 rd:1 | ra:1 z:3 rcode:4
//!             | qdcount u16 | ancount u16 | nscount u16 | arcount u16
//! PgStrings   user \0 | database \0 | application \0
//! ```

use byteorder::{BigEndian, ByteOrder};
use codec::{Decode, Encode};

use crate::{Cursor, HandError};

/// The DNS header (RFC 1035 §4.1.1): 12 bytes, 8 bit fields in 2 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[allow(missing_docs, reason = "RFC 1035's fields")]
pub struct DnsHeader {
    pub id: u16,
    #[codec(bits = 1)]
    pub qr: bool,
    #[codec(bits = 4)]
    pub opcode: u8,
    #[codec(bits = 1)]
    pub aa: bool,
    #[codec(bits = 1)]
    pub tc: bool,
    #[codec(bits = 1)]
    pub rd: bool,
    #[codec(bits = 1)]
    pub ra: bool,
    #[codec(bits = 3)]
    pub z: u8,
    #[codec(bits = 4)]
    pub rcode: u8,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

/// Three NUL-terminated strings, as in PostgreSQL's StartupMessage
/// parameters.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct PgStrings {
    /// The user name.
    #[codec(term)]
    pub user: String,
    /// The database.
    #[codec(term)]
    pub database: String,
    /// The application name.
    #[codec(term)]
    pub application: String,
}

/// [`PgStrings`], borrowing its strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[allow(missing_docs, reason = "as PgStrings")]
pub struct PgStringsRef<'a> {
    #[codec(term)]
    pub user: &'a str,
    #[codec(term)]
    pub database: &'a str,
    #[codec(term)]
    pub application: &'a str,
}

impl PgStrings {
    /// A borrowed view.
    pub fn as_ref(&self) -> PgStringsRef<'_> {
        PgStringsRef {
            user: &self.user,
            database: &self.database,
            application: &self.application,
        }
    }
}

/// A response header: QR, AA, RD, RA, NXDOMAIN, a few records.
pub fn dns_header() -> DnsHeader {
    DnsHeader {
        id: 0xbeef,
        qr: true,
        opcode: 0,
        aa: true,
        tc: false,
        rd: true,
        ra: true,
        z: 0,
        rcode: 3,
        qdcount: 1,
        ancount: 2,
        nscount: 0,
        arcount: 1,
    }
}

/// A StartupMessage's three parameter values.
pub fn pg_strings() -> PgStrings {
    PgStrings {
        user: "inventory_reader".into(),
        database: "inventory".into(),
        application: "psql-15.4".into(),
    }
}

/// Bits `shift..shift + width` of `v` (counted from the low end).
#[inline(always)]
fn field(v: u16, shift: u32, width: u32) -> u16 {
    (v >> shift) & ((1 << width) - 1)
}

/// Hand-written codecs for the rows.
pub mod hand {
    use super::*;

    /// A value too wide for its bits.
    #[cold]
    fn too_wide(field: &'static str, len: usize) -> HandError {
        HandError::LengthOverflow { field, len }
    }

    /// Appends `h` in one copy; a value too wide for its bits is an error
    /// before anything is written.
    ///
    /// # Errors
    ///
    /// `opcode` or `rcode` over 15, `z` over 7.
    #[inline]
    pub fn encode_dns(h: &DnsHeader, buf: &mut Vec<u8>) -> Result<(), HandError> {
        if h.opcode > 15 {
            return Err(too_wide("opcode", h.opcode.into()));
        }
        if h.z > 7 {
            return Err(too_wide("z", h.z.into()));
        }
        if h.rcode > 15 {
            return Err(too_wide("rcode", h.rcode.into()));
        }
        let flags = u16::from(h.qr) << 15
            | u16::from(h.opcode) << 11
            | u16::from(h.aa) << 10
            | u16::from(h.tc) << 9
            | u16::from(h.rd) << 8
            | u16::from(h.ra) << 7
            | u16::from(h.z) << 4
            | u16::from(h.rcode);
        let mut b = [0u8; 12];
        BigEndian::write_u16(&mut b[0..], h.id);
        BigEndian::write_u16(&mut b[2..], flags);
        BigEndian::write_u16(&mut b[4..], h.qdcount);
        BigEndian::write_u16(&mut b[6..], h.ancount);
        BigEndian::write_u16(&mut b[8..], h.nscount);
        BigEndian::write_u16(&mut b[10..], h.arcount);
        buf.extend_from_slice(&b);
        Ok(())
    }

    /// Decodes a header that takes all of `input`.
    ///
    /// # Errors
    ///
    /// Truncation or trailing bytes.
    #[inline]
    pub fn decode_dns(input: &[u8]) -> Result<DnsHeader, HandError> {
        let mut c = Cursor::new(input);
        let b = c.take(12)?;
        c.finish()?;
        let flags = BigEndian::read_u16(&b[2..]);
        Ok(DnsHeader {
            id: BigEndian::read_u16(b),
            qr: field(flags, 15, 1) == 1,
            opcode: field(flags, 11, 4) as u8,
            aa: field(flags, 10, 1) == 1,
            tc: field(flags, 9, 1) == 1,
            rd: field(flags, 8, 1) == 1,
            ra: field(flags, 7, 1) == 1,
            z: field(flags, 4, 3) as u8,
            rcode: field(flags, 0, 4) as u8,
            qdcount: BigEndian::read_u16(&b[4..]),
            ancount: BigEndian::read_u16(&b[6..]),
            nscount: BigEndian::read_u16(&b[8..]),
            arcount: BigEndian::read_u16(&b[10..]),
        })
    }

    /// A string holding the terminator.
    #[cold]
    fn holds_nul(field: &'static str) -> HandError {
        HandError::Invalid(field)
    }

    /// Appends the three strings, each followed by NUL; a string holding
    /// a NUL is an error before anything is written.
    ///
    /// # Errors
    ///
    /// A NUL inside a string.
    #[inline]
    pub fn encode_pg(m: &PgStringsRef<'_>, buf: &mut Vec<u8>) -> Result<(), HandError> {
        for (name, s) in [
            ("user holds NUL", m.user),
            ("database holds NUL", m.database),
            ("application holds NUL", m.application),
        ] {
            if s.as_bytes().contains(&0) {
                return Err(holds_nul(name));
            }
        }
        buf.reserve(m.user.len() + m.database.len() + m.application.len() + 3);
        for s in [m.user, m.database, m.application] {
            buf.extend_from_slice(s.as_bytes());
            buf.push(0);
        }
        Ok(())
    }

    /// Reads a NUL-terminated UTF-8 string.
    #[inline(always)]
    fn cstr<'a>(c: &mut Cursor<'a>) -> Result<&'a str, HandError> {
        let rest = c.buf.get(c.pos..).unwrap_or_default();
        let n = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(HandError::UnexpectedEnd {
                offset: c.buf.len(),
                needed: 1,
            })?;
        let s = c.str(n)?;
        c.pos += 1;
        Ok(s)
    }

    /// Decodes borrowed strings that take all of `input`.
    ///
    /// # Errors
    ///
    /// A missing NUL, invalid UTF-8 or trailing bytes.
    #[inline]
    pub fn decode_pg_ref(input: &[u8]) -> Result<PgStringsRef<'_>, HandError> {
        let mut c = Cursor::new(input);
        let user = cstr(&mut c)?;
        let database = cstr(&mut c)?;
        let application = cstr(&mut c)?;
        c.finish()?;
        Ok(PgStringsRef {
            user,
            database,
            application,
        })
    }

    /// Decodes owned strings that take all of `input`.
    ///
    /// # Errors
    ///
    /// As [`decode_pg_ref`].
    #[inline]
    pub fn decode_pg(input: &[u8]) -> Result<PgStrings, HandError> {
        let mut c = Cursor::new(input);
        let user = cstr(&mut c)?.to_owned();
        let database = cstr(&mut c)?.to_owned();
        let application = cstr(&mut c)?.to_owned();
        c.finish()?;
        Ok(PgStrings {
            user,
            database,
            application,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_and_derive_agree() {
        let h = dns_header();
        let mut ours = Vec::new();
        hand::encode_dns(&h, &mut ours).unwrap();
        assert_eq!(ours, h.to_bytes().unwrap());
        assert_eq!(ours[2..4], [0x85, 0x83]);
        assert_eq!(hand::decode_dns(&ours).unwrap(), h);
        let p = pg_strings();
        let mut ours = Vec::new();
        hand::encode_pg(&p.as_ref(), &mut ours).unwrap();
        assert_eq!(ours, p.to_bytes().unwrap());
        assert_eq!(hand::decode_pg(&ours).unwrap(), p);
        assert_eq!(hand::decode_pg_ref(&ours).unwrap(), p.as_ref());
        assert!(hand::decode_pg(&ours[..ours.len() - 1]).is_err());
        let bad = PgStrings {
            user: "a\0b".into(),
            ..p
        };
        assert!(hand::encode_pg(&bad.as_ref(), &mut ours).is_err());
        assert!(bad.to_bytes().is_err());
    }
}
