//! Real messages described with the derive alone (no hand-written `Encode`
//! or `Decode`), checked against bytes from the specifications or produced
//! by a real implementation (pinned Python packages in the interop venv,
//! examples/peers/requirements.txt). One module per protocol.

// The interop tests' helpers, one directory up (this test is a folder),
// under the path the other tests name them by.
#[path = "../support/interop.rs"]
mod interop;
mod support {
    pub(crate) use super::interop;
}

mod dns;
mod dns_rdata;
mod kafka;
mod mqtt;
mod pg;
mod png;
mod zip;
