//! Real messages described with the derive alone (no hand-written `Encode`
//! or `Decode`), checked against bytes from the specifications or produced
//! by a real implementation (pinned Python packages in the interop venv,
//! examples/peers/requirements.txt). One module per protocol.

mod support {
    use std::process::Command;
    use std::time::Duration;

    pub use super::interop;

    /// Runs a Python snippet in the pinned venv; each line it prints is
    /// hex, returned as bytes.
    pub fn python_hex_lines(what: &str, script: &str) -> Vec<Vec<u8>> {
        let out = interop::run_bounded(
            Command::new(interop::python()).args(["-c", script]),
            Duration::from_secs(60),
        );
        assert!(
            out.status.success(),
            "{what} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("hex output")
            .lines()
            .map(|line| {
                let line = line.trim();
                (0..line.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&line[i..i + 2], 16).expect("hex digits"))
                    .collect()
            })
            .collect()
    }

    /// [`python_hex_lines`] for a snippet printing one line.
    pub fn python_hex(what: &str, script: &str) -> Vec<u8> {
        let mut lines = python_hex_lines(what, script);
        assert_eq!(lines.len(), 1, "{what} printed {} lines", lines.len());
        lines.remove(0)
    }
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
