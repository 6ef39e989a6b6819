//! Helpers shared by the http integration tests: certificates made with
//! rcgen, an in-memory duplex transport, a tiny executor, the aio
//! runtime assembled from its parts (`rt`), scripted TCP/TLS servers and
//! hostile ones (`script`, with the client-side checks in `hostile`). Each
//! test binary uses a different subset, hence the dead-code allowance.
#![allow(dead_code)]

pub mod certs;
pub mod duplex;
pub mod exec;
pub mod hostile;
pub mod io;
pub mod rt;
pub mod script;
pub mod server;
pub mod tls;
