//! Helpers shared by the http integration tests: certificates made with
//! rcgen, an in-memory duplex transport, `block_on` with a watchdog
//! (`exec`; tests that need I/O use the facade's `aio::run`), scripted
//! TCP/TLS servers and hostile ones (`script`, with the client-side checks
//! in `hostile`), proxies in front of them (`proxy`), request bodies made
//! on the fly (`upload`). Each test binary uses a different subset, hence
//! the dead-code allowance.
#![allow(dead_code)]

pub mod abort;
pub mod certs;
pub mod duplex;
pub mod exec;
pub mod h2;
pub mod hostile;
pub mod io;
pub mod proxy;
pub mod script;
pub mod server;
pub mod tls;
pub mod upload;

/// This process's peak resident memory (VmHWM), in bytes: how the tests
/// check that a large or endless body was never held whole.
pub fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("VmHWM in kB");
    kib * 1024
}
