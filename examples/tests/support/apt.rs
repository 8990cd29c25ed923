//! Debian packages installed by the tests that need real software
//! (tshark, mosquitto, PostgreSQL) when it is missing: as root, with only
//! the package registry reachable, the way the interop tests set up their
//! Python venv.

use std::process::{Command, Stdio};
use std::sync::Mutex;

/// Runs `apt-get update` then `apt-get install -y PACKAGE`, one test
/// thread at a time; whether both succeeded.
pub fn install(package: &str) -> bool {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    apt(&["update", "-qq"]) && apt(&["install", "-y", "-qq", package])
}
