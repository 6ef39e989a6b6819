//! Helpers shared by the http integration tests: certificates made with
//! rcgen, an in-memory duplex transport and a tiny executor. Each test binary
//! uses a different subset, hence the dead-code allowance.
#![allow(dead_code)]

pub mod certs;
pub mod duplex;
pub mod exec;
pub mod io;
pub mod tls;
