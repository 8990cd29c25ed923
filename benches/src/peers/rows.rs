//! The derive and hand-written contenders on the real-world rows
//! ([`crate::rows`]): a bit-field header and NUL-terminated strings. Of
//! the other crates, deku and binrw have both bit fields and NUL-terminated
//! strings and take part (in their own modules); the rest have no row here.

use super::{Derive, Hand, Peer};
use crate::rows::{hand, DnsHeader, PgStrings, PgStringsRef};
use crate::HandError;
use codec::{Decode, Encode};

impl Peer<DnsHeader> for Derive {
    type Owned = DnsHeader;
    type Borrowed<'a> = DnsHeader;
    type EncodeError = codec::EncodeError;
    type DecodeError = codec::DecodeError;

    fn owned(m: &DnsHeader) -> DnsHeader {
        *m
    }
    fn model(o: &DnsHeader) -> DnsHeader {
        *o
    }
    #[inline(always)]
    fn encode(o: &DnsHeader, buf: &mut Vec<u8>) -> Result<(), codec::EncodeError> {
        o.encode(buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<DnsHeader, codec::DecodeError> {
        DnsHeader::from_bytes(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<DnsHeader, codec::DecodeError> {
        DnsHeader::from_bytes(input)
    }
    fn borrowed_model(b: &DnsHeader) -> DnsHeader {
        *b
    }
}

impl Peer<PgStrings> for Derive {
    type Owned = PgStrings;
    type Borrowed<'a> = PgStringsRef<'a>;
    type EncodeError = codec::EncodeError;
    type DecodeError = codec::DecodeError;

    fn owned(m: &PgStrings) -> PgStrings {
        m.clone()
    }
    fn model(o: &PgStrings) -> PgStrings {
        o.clone()
    }
    #[inline(always)]
    fn encode(o: &PgStrings, buf: &mut Vec<u8>) -> Result<(), codec::EncodeError> {
        o.encode(buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<PgStrings, codec::DecodeError> {
        PgStrings::from_bytes(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<PgStringsRef<'_>, codec::DecodeError> {
        PgStringsRef::from_bytes(input)
    }
    fn borrowed_model(b: &PgStringsRef<'_>) -> PgStrings {
        pg_from_ref(b)
    }
}

impl Peer<DnsHeader> for Hand {
    type Owned = DnsHeader;
    type Borrowed<'a> = DnsHeader;
    type EncodeError = HandError;
    type DecodeError = HandError;

    fn owned(m: &DnsHeader) -> DnsHeader {
        *m
    }
    fn model(o: &DnsHeader) -> DnsHeader {
        *o
    }
    #[inline(always)]
    fn encode(o: &DnsHeader, buf: &mut Vec<u8>) -> Result<(), HandError> {
        hand::encode_dns(o, buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<DnsHeader, HandError> {
        hand::decode_dns(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<DnsHeader, HandError> {
        hand::decode_dns(input)
    }
    fn borrowed_model(b: &DnsHeader) -> DnsHeader {
        *b
    }
}

impl Peer<PgStrings> for Hand {
    type Owned = PgStrings;
    type Borrowed<'a> = PgStringsRef<'a>;
    type EncodeError = HandError;
    type DecodeError = HandError;

    fn owned(m: &PgStrings) -> PgStrings {
        m.clone()
    }
    fn model(o: &PgStrings) -> PgStrings {
        o.clone()
    }
    #[inline(always)]
    fn encode(o: &PgStrings, buf: &mut Vec<u8>) -> Result<(), HandError> {
        hand::encode_pg(&o.as_ref(), buf)
    }
    #[inline(always)]
    fn decode(input: &[u8]) -> Result<PgStrings, HandError> {
        hand::decode_pg(input)
    }
    #[inline(always)]
    fn decode_borrowed(input: &[u8]) -> Result<PgStringsRef<'_>, HandError> {
        hand::decode_pg_ref(input)
    }
    fn borrowed_model(b: &PgStringsRef<'_>) -> PgStrings {
        pg_from_ref(b)
    }
}

/// An owned [`PgStrings`] from a view.
fn pg_from_ref(b: &PgStringsRef<'_>) -> PgStrings {
    PgStrings {
        user: b.user.to_owned(),
        database: b.database.to_owned(),
        application: b.application.to_owned(),
    }
}

/// [`super::check`] for the four contenders of the real-world rows.
///
/// # Panics
///
/// If any contender fails.
pub fn check_rows(h: &DnsHeader, p: &PgStrings) {
    use super::{binrw::Binrw, check, deku::Deku};
    check::<Derive, _>(h);
    check::<Hand, _>(h);
    check::<Deku, _>(h);
    check::<Binrw, _>(h);
    check::<Derive, _>(p);
    check::<Hand, _>(p);
    check::<Deku, _>(p);
    check::<Binrw, _>(p);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::{dns_header, pg_strings};

    #[test]
    fn the_four_agree_on_the_rows() {
        check_rows(&dns_header(), &pg_strings());
        let mut h = dns_header();
        h.opcode = 15;
        h.z = 7;
        h.tc = true;
        check_rows(&h, &pg_strings());
    }

    /// Each of the four refuses a value too wide for its bits and a
    /// string holding the terminator.
    #[test]
    fn the_four_refuse_what_does_not_fit() {
        fn refuses<P: Peer<DnsHeader> + Peer<PgStrings>>() {
            let mut h = dns_header();
            h.rcode = 16;
            let mut buf = Vec::new();
            let o = <P as Peer<DnsHeader>>::owned(&h);
            assert!(
                <P as Peer<DnsHeader>>::encode(&o, &mut buf).is_err(),
                "{}: rcode 16",
                P::NAME
            );
            let p = PgStrings {
                database: "a\0b".into(),
                ..crate::rows::pg_strings()
            };
            let o = <P as Peer<PgStrings>>::owned(&p);
            assert!(
                <P as Peer<PgStrings>>::encode(&o, &mut buf).is_err(),
                "{}: NUL",
                P::NAME
            );
        }
        refuses::<Derive>();
        refuses::<Hand>();
        refuses::<super::super::deku::Deku>();
        refuses::<super::super::binrw::Binrw>();
    }
}
