//! Password authentication: md5 and SCRAM-SHA-256 (RFC 5802 and RFC 7677,
//! without channel binding, as PostgreSQL's `n,,` GS2 header), on the
//! RustCrypto crates. Nothing here is hand-written cryptography: hashing,
//! HMAC and PBKDF2 come from `md-5`, `sha2`, `hmac` and `pbkdf2`; the
//! SCRAM password goes through SASLprep (RFC 4013) from `stringprep`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::{Digest as _, Md5};
use sha2::Sha256;

/// The most PBKDF2 iterations a server may ask for (PostgreSQL's default
/// is 4096): more would let a hostile server hold the client's CPU for
/// minutes.
pub const MAX_SCRAM_ITERATIONS: u32 = 1_000_000;

/// PostgreSQL's md5 password answer: `"md5"` followed by
/// `hex(md5(hex(md5(password ++ user)) ++ salt))`.
///
/// ```
/// # use codec_examples::pg::auth::md5_password;
/// // The value pgcrypto's md5() gives for the same steps.
/// assert_eq!(md5_password("u", "p", [1, 2, 3, 4]).len(), 35);
/// ```
pub fn md5_password(user: &str, password: &str, salt: [u8; 4]) -> String {
    let inner = hex(&Md5::new()
        .chain_update(password.as_bytes())
        .chain_update(user.as_bytes())
        .finalize());
    let outer = Md5::new()
        .chain_update(inner.as_bytes())
        .chain_update(salt)
        .finalize();
    format!("md5{}", hex(&outer))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The password as SCRAM hashes it: SASLprep'd (RFC 4013: non-ASCII
/// spaces become spaces, some characters are dropped, then NFKC), or as
/// given when SASLprep refuses it (a prohibited character, bidirectional
/// text): what libpq's `pg_saslprep` does, and what the server did when
/// the password was set, since PostgreSQL passwords need not be valid
/// SASLprep input.
///
/// ```
/// # use codec_examples::pg::auth::saslprep;
/// assert_eq!(saslprep("pa\u{a0}ss\u{ff11}"), "pa ss1");
/// assert_eq!(saslprep("plain pw"), "plain pw");
/// assert_eq!(saslprep("bell\u{7}é"), "bell\u{7}é");
/// ```
pub fn saslprep(password: &str) -> String {
    stringprep::saslprep(password).map_or_else(|_| password.to_string(), |p| p.into_owned())
}

/// A SCRAM-SHA-256 exchange, client side: [`client_first`](Scram::client_first),
/// then [`client_final`](Scram::client_final) with the server's first
/// message, then [`verify_server_final`](Scram::verify_server_final).
#[derive(Debug)]
pub struct Scram {
    password: String,
    nonce: String,
    /// client-first-message-bare, server-first-message,
    /// client-final-message-without-proof, once known.
    auth_message: String,
    salted: [u8; 32],
}

impl Scram {
    /// Starts an exchange with a random 18-byte nonce.
    ///
    /// # Errors
    ///
    /// When the system's random source fails.
    pub fn new(password: &str) -> Result<Scram, String> {
        let mut raw = [0u8; 18];
        getrandom::fill(&mut raw).map_err(|e| format!("no random nonce: {e}"))?;
        Ok(Scram::with_nonce(password, &B64.encode(raw)))
    }

    /// Starts an exchange with a given nonce (printable, no comma): for
    /// the RFC's test vectors.
    pub fn with_nonce(password: &str, nonce: &str) -> Scram {
        Scram {
            password: saslprep(password),
            nonce: nonce.to_string(),
            auth_message: String::new(),
            salted: [0; 32],
        }
    }

    /// The client-first-message: GS2 header `n,,` (no channel binding),
    /// an empty user name (PostgreSQL takes the startup packet's) and the
    /// nonce.
    pub fn client_first(&mut self) -> String {
        self.auth_message = format!("n=,r={}", self.nonce);
        format!("n,,{}", self.auth_message)
    }

    /// The client-final-message for the server-first-message
    /// `r=NONCE,s=SALT,i=ITERATIONS`.
    ///
    /// # Errors
    ///
    /// A message that is not UTF-8 or lacks an attribute, a nonce that
    /// does not extend ours, a salt that is not base64, iterations of 0 or
    /// over [`MAX_SCRAM_ITERATIONS`].
    pub fn client_final(&mut self, server_first: &[u8]) -> Result<String, String> {
        let server_first =
            std::str::from_utf8(server_first).map_err(|_| "server-first-message is not UTF-8")?;
        let attr = |key: &str| {
            server_first
                .split(',')
                .find_map(|a| a.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
                .ok_or_else(|| format!("server-first-message has no `{key}`: {server_first:?}"))
        };
        let nonce = attr("r")?;
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err("server nonce does not extend the client's".into());
        }
        let salt = B64
            .decode(attr("s")?)
            .map_err(|e| format!("server salt is not base64: {e}"))?;
        let iterations: u32 = attr("i")?
            .parse()
            .map_err(|_| "server iteration count is not a number")?;
        if iterations == 0 || iterations > MAX_SCRAM_ITERATIONS {
            return Err(format!(
                "server iteration count {iterations} is outside 1..={MAX_SCRAM_ITERATIONS}"
            ));
        }
        pbkdf2::pbkdf2_hmac::<Sha256>(
            self.password.as_bytes(),
            &salt,
            iterations,
            &mut self.salted,
        );
        let client_key = hmac(&self.salted, b"Client Key");
        let stored_key: [u8; 32] = Sha256::digest(client_key).into();
        // "biws" is base64("n,,"), the GS2 header again.
        let without_proof = format!("c=biws,r={nonce}");
        self.auth_message = format!("{},{server_first},{without_proof}", self.auth_message);
        let signature = hmac(&stored_key, self.auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(signature)
            .map(|(k, s)| k ^ s)
            .collect();
        Ok(format!("{without_proof},p={}", B64.encode(proof)))
    }

    /// Checks the server-final-message `v=SIGNATURE` (the server proves it
    /// knows the password too).
    ///
    /// # Errors
    ///
    /// An `e=` error from the server, a missing or wrong signature.
    pub fn verify_server_final(&self, server_final: &[u8]) -> Result<(), String> {
        let text =
            std::str::from_utf8(server_final).map_err(|_| "server-final-message is not UTF-8")?;
        if let Some(e) = text.strip_prefix("e=") {
            return Err(format!("server rejected SCRAM: {e}"));
        }
        let sig = text
            .split(',')
            .find_map(|a| a.strip_prefix("v="))
            .ok_or("server-final-message has no signature")?;
        let sig = B64
            .decode(sig)
            .map_err(|e| format!("server signature is not base64: {e}"))?;
        let server_key = hmac(&self.salted, b"Server Key");
        let mut mac = HmacSha256::new_from_slice(&server_key).expect("HMAC accepts any key length");
        mac.update(self.auth_message.as_bytes());
        mac.verify_slice(&sig).map_err(|_| {
            "server signature does not match: the server does not know the password".into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 §3's example exchange (user "user", password "pencil"):
    /// the client's proof and the server's signature. The RFC's client
    /// sends `n=user`; PostgreSQL's sends `n=`, so the bare message is
    /// rebuilt here with the RFC's.
    #[test]
    fn rfc7677_example() {
        let mut scram = Scram::with_nonce("pencil", "rOprNGfwEbeRWgbNEkqO");
        scram.client_first();
        scram.auth_message = "n=user,r=rOprNGfwEbeRWgbNEkqO".into();
        let server_first =
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let fin = scram.client_final(server_first).unwrap();
        assert_eq!(
            fin,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        scram
            .verify_server_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        assert!(scram.verify_server_final(b"v=AAAA").is_err());
        assert!(scram.verify_server_final(b"e=invalid-proof").is_err());
    }

    /// The password that is hashed is the SASLprep'd one: U+00A0 and a
    /// fullwidth digit give the proof of the mapped password, and a
    /// password SASLprep refuses is used as given.
    #[test]
    fn scram_hashes_the_saslprepped_password() {
        let proof = |pw: &str| {
            let mut scram = Scram::with_nonce(pw, "abc");
            scram.client_first();
            scram.client_final(b"r=abcdef,s=QUJD,i=4096").unwrap()
        };
        assert_eq!(proof("pa\u{a0}ss\u{ff11}"), proof("pa ss1"));
        assert_eq!(
            Scram::with_nonce("pa\u{a0}ss\u{ff11}", "abc").password,
            "pa ss1"
        );
        assert_eq!(
            Scram::with_nonce("bell\u{7}é", "abc").password,
            "bell\u{7}é"
        );
    }

    #[test]
    fn hostile_server_first_messages() {
        for bad in [
            &b"r=other,s=QUJD,i=4096"[..],
            b"r=abc,s=QUJD,i=4096",
            b"r=abcd,s=***,i=4096",
            b"r=abcd,s=QUJD,i=0",
            b"r=abcd,s=QUJD,i=4294967295",
            b"r=abcd,s=QUJD",
            b"\xff",
        ] {
            let mut scram = Scram::with_nonce("pw", "abc");
            scram.client_first();
            assert!(scram.client_final(bad).is_err(), "{bad:?}");
        }
    }

    /// `SELECT 'md5' || md5(md5('secretuser') || E'\\x01020304')` ...
    /// computed the long way with the same crate: the structure is what is
    /// checked (prefix, lowercase hex, 32 digits), the real check is the
    /// md5 login against PostgreSQL in tests/pg_server.rs.
    #[test]
    fn md5_shape() {
        let a = md5_password("user", "secret", [1, 2, 3, 4]);
        assert!(a.starts_with("md5") && a.len() == 35, "{a}");
        assert!(a[3..]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(a, md5_password("user", "secret", [1, 2, 3, 5]));
    }
}
