//! Helpers shared by the http integration tests: certificates made with
//! rcgen, an in-memory duplex transport, a tiny executor, the aio
//! runtime assembled from its parts (`rt`) and scripted TCP/TLS servers. Each test binary
//! uses a different subset, hence the dead-code allowance.
#![allow(dead_code)]

pub mod certs;
pub mod duplex;
pub mod exec;
pub mod io;
pub mod rt;
pub mod server;
pub mod tls;
