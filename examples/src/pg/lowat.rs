//! The socket's receive low-water mark (`SO_RCVLOWAT`) for long COPY TO
//! STDOUT streams: fewer wake-ups of the client, and so fewer for the
//! server's backend to pay for.
//!
//! PostgreSQL flushes its output every 8 KiB. A client that is faster than
//! the backend sleeps between flushes, and every flush then wakes it: the
//! backend's `send` runs the loopback receive path and the wake-up of the
//! client's thread in its own time (on a virtual machine an interrupt to
//! an idle vCPU; `perf` showed 4.3 % of the backend's samples in
//! `sock_def_readable` during a COPY OUT to this client, against 1.6-2.3 %
//! to tokio-postgres's, which is still busy more often when the next flush
//! comes, and 0.7 % with a 32 KiB mark). With a mark of `M` bytes
//! the kernel neither signals the socket readable nor wakes the client
//! until `M` bytes are queued, whatever the number of flushes. Setting
//! the mark back to 1 signals it at once when anything is queued (Linux
//! 4.18 and later: `tcp_set_rcvlowat` checks readiness again), which is
//! how a wait with a raised mark ends when the mark is not reached in
//! [`TAIL_WAIT`]: the stream's last bytes never reach it.
//!
//! Linux only (the crate's `libc` dependency is there), from 4.18 on;
//! elsewhere the mark is never raised.

use std::time::Duration;

/// How long a read with a raised mark waits for it before taking what is
/// there: the most a long COPY's last bytes are delayed (tokio's timers
/// tick in milliseconds, so 1 to 2 ms).
pub(super) const TAIL_WAIT: Duration = Duration::from_millis(1);

/// A TCP socket's receive low-water mark, as last set.
#[derive(Debug)]
pub(super) struct LowWater {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fd: std::os::fd::RawFd,
    /// The mark in force (1 is the kernel's default).
    mark: usize,
}

impl LowWater {
    /// The mark of the TCP socket `fd` (which the caller keeps open for as
    /// long as this lives), now at the default of 1; `None` on a kernel
    /// older than 4.18, where lowering the mark does not signal the
    /// socket (a raised mark could then hold a stream's last bytes until
    /// more arrive).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    pub(super) fn new(fd: std::os::fd::RawFd) -> Option<LowWater> {
        kernel_at_least(4, 18).then_some(LowWater { fd, mark: 1 })
    }

    /// No mark where it cannot be set.
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    pub(super) fn new<T>(_fd: T) -> Option<LowWater> {
        None
    }

    /// The mark in force.
    pub(super) fn mark(&self) -> usize {
        self.mark
    }

    /// Sets the mark (a system call only when it changes).
    ///
    /// # Errors
    ///
    /// The `setsockopt` error.
    pub(super) fn set(&mut self, mark: usize) -> std::io::Result<()> {
        let mark = mark.max(1);
        if mark == self.mark {
            return Ok(());
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            let v = libc::c_int::try_from(mark).unwrap_or(libc::c_int::MAX);
            // SAFETY: `fd` is the open socket this was made for (its owner
            // keeps it open while this lives), and the option value is a
            // `c_int` of the length given.
            let rc = unsafe {
                libc::setsockopt(
                    self.fd,
                    libc::SOL_SOCKET,
                    libc::SO_RCVLOWAT,
                    std::ptr::from_ref(&v).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
            if rc != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        self.mark = mark;
        Ok(())
    }
}

/// Whether the running kernel's release is at least `major.minor`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn kernel_at_least(major: u32, minor: u32) -> bool {
    let Ok(release) = std::fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return false;
    };
    let mut parts = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(a), Some(b)) => (a, b) >= (major, minor),
        _ => false,
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// The option as the kernel has it.
    fn get(fd: std::os::fd::RawFd) -> libc::c_int {
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: a valid socket, and a `c_int` with its length.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVLOWAT,
                std::ptr::from_mut(&mut v).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0, "getsockopt");
        v
    }

    #[test]
    fn set_reaches_the_socket_and_skips_repeats() {
        use std::os::fd::AsRawFd as _;
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let s = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let fd = s.as_raw_fd();
        let mut lw = LowWater::new(fd).expect("this machine's kernel is newer than 4.18");
        assert_eq!((lw.mark(), get(fd)), (1, 1));
        lw.set(32 * 1024).unwrap();
        assert_eq!((lw.mark(), get(fd)), (32 * 1024, 32 * 1024));
        lw.set(0).unwrap();
        assert_eq!((lw.mark(), get(fd)), (1, 1));
    }

    #[test]
    fn kernel_release_compares_numerically() {
        assert!(kernel_at_least(2, 6));
        assert!(!kernel_at_least(999, 0));
    }
}
