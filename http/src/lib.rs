//! HTTP/1.1 + TLS client for aio.

pub mod proto;
pub mod tls;
