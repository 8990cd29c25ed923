//! Instruction counts under callgrind, for the `*-ops` binaries: counts do
//! not depend on what else the machine is doing.

use std::path::Path;
use std::process::Command;

/// Total instructions of `exe args..` under `valgrind --tool=callgrind`
/// (callgrind's "Collected" line).
///
/// # Errors
///
/// valgrind missing or failing, or no count in its output.
pub fn instructions(exe: &Path, args: &[&str]) -> Result<u64, String> {
    let out = Command::new("valgrind")
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(exe)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run valgrind: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!("valgrind failed on {}:\n{stderr}", args.join(" ")));
    }
    stderr
        .lines()
        .find_map(|l| {
            l.split_once("Collected :")
                .map(|(_, v)| v.trim().to_owned())
        })
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no instruction count in valgrind's output:\n{stderr}"))
}
