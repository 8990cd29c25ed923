//! The PostgreSQL frontend/backend protocol 3.0 on `codec`: every message
//! described with the derive ([`wire`]), and an async client over tokio
//! and the framework's framing ([`client`]); the `pg-peer` binary is a
//! small `psql` on top ([`psql`] formats as psql does, [`libpq`] reads
//! libpq's environment and password file).
//!
//! ```text
//! wire.rs    every frontend and backend message, the two headers, three protocol enums
//! auth.rs    md5 and SCRAM-SHA-256 (RustCrypto crates)
//! error.rs   Error, and Notice: an ErrorResponse's or NoticeResponse's fields
//! cli.rs     the pg-peer command line
//! row.rs     Row: a DataRow kept as the bytes it arrived in, and the reader's decoder
//! client.rs  Client: startup, auth, simple and extended queries, pipelining, COPY, LISTEN, cancel
//! psql.rs    psql's CSV output and error/notice text
//! libpq.rs   PGHOST/PGPORT/... and the password file
//! ```

pub mod auth;
pub mod cli;
pub mod client;
pub mod error;
pub mod libpq;
mod lowat;
pub mod psql;
pub mod row;
pub mod wire;

pub use client::{Client, Config};
pub use error::{Error, Notice};
pub use row::Row;
