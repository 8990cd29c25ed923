//! The storage service: the reference application of the framework.
//!
//! A persistent key/value server speaking the striptease tutorial's
//! protocol (kept byte for byte) plus delete, list, watch and chunked
//! transfers, over [`codec::rpc`].

pub mod bench;
pub mod cli;
pub mod client;
pub mod db;
pub mod demo;
pub mod protocol;
pub mod server;
