//! Real messages described with the derive alone (no hand-written `Encode`
//! or `Decode`), checked against bytes from the specifications or produced
//! by a real implementation (pinned Python packages in the interop venv,
//! examples/peers/requirements.txt). One module per protocol.

mod support {
    pub use super::interop;
}

// The shared interop helpers (the pinned Python venv), one directory up.
#[path = "../support/interop.rs"]
pub mod interop;

mod dns;
mod dns_rdata;
mod kafka;
mod mqtt;
mod pg;
mod png;
mod zip;
