//! The PostgreSQL frontend/backend protocol 3.0 on `codec`: every message
//! described with the derive ([`wire`]), and an async client over tokio
//! and the framework's framing ([`client`]); the `pg-peer` binary is a
//! small `psql` on top.
//!
//! ```text
//! wire.rs    every frontend and backend message, the two headers, three protocol enums
//! ```

pub mod wire;
