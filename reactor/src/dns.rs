//! Name resolution: std's blocking `getaddrinfo`, run on the blocking pool.
//!
//! Below `net`: a socket's `bind`/`connect` turn their argument into a
//! [`Target`] and resolve it here; nothing here knows about sockets.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs as _};
use std::sync::Arc;

use crate::context;
use crate::handle::Handle;

/// Where to bind or connect: either an address, or a name to resolve.
#[derive(Clone, Debug)]
pub enum Target {
    /// A literal address: no resolution needed.
    Addr(SocketAddr),
    /// A name; `port` is `None` when `host` is a whole "host:port" string.
    Host { host: String, port: Option<u16> },
}

impl Target {
    pub(crate) fn parse(s: &str) -> Target {
        match s.parse::<SocketAddr>() {
            Ok(addr) => Target::Addr(addr),
            Err(_) => Target::Host {
                host: s.to_owned(),
                port: None,
            },
        }
    }

    pub(crate) fn host_port(host: &str, port: u16) -> Target {
        match host.parse::<IpAddr>() {
            Ok(ip) => Target::Addr(SocketAddr::new(ip, port)),
            Err(_) => Target::Host {
                host: host.to_owned(),
                port: Some(port),
            },
        }
    }
}

/// Resolve `target` to its addresses (never an empty list) plus a label
/// ("host:port") for error messages. Literal addresses skip the pool.
pub(crate) async fn resolve(
    handle: &Arc<Handle>,
    target: Target,
) -> io::Result<(String, Vec<SocketAddr>)> {
    match target {
        Target::Addr(addr) => Ok((addr.to_string(), vec![addr])),
        Target::Host { host, port } => {
            let label = match port {
                Some(p) if host.contains(':') => format!("[{host}]:{p}"),
                Some(p) => format!("{host}:{p}"),
                None => host.clone(),
            };
            let job = handle.blocking.run(move || match port {
                Some(p) => (host.as_str(), p).to_socket_addrs().map(Vec::from_iter),
                None => host.to_socket_addrs().map(Vec::from_iter),
            });
            let addrs = match job.await {
                Ok(Ok(addrs)) => addrs,
                Ok(Err(e)) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("could not resolve {label}: {e}"),
                    ))
                }
                Err(payload) => {
                    let why = panic_message(&*payload);
                    return Err(io::Error::other(format!(
                        "could not resolve {label}: {why}"
                    )));
                }
            };
            if addrs.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("could not resolve {label}: no addresses found"),
                ));
            }
            Ok((label, addrs))
        }
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "the resolver panicked"
    }
}

/// Resolve "host:port" to socket addresses (std `ToSocketAddrs`, on the
/// blocking pool; literal addresses resolve without it).
///
/// # Panics
/// When called outside of `aio::run()`.
///
/// ```
/// aio::run(async {
///     let addrs = aio::net::lookup_host("127.0.0.1:8080").await?;
///     assert_eq!(addrs, ["127.0.0.1:8080".parse().unwrap()]);
///     let addrs = aio::net::lookup_host("localhost:80").await?; // a name: resolved
///     assert!(addrs.iter().all(|addr| addr.ip().is_loopback() && addr.port() == 80));
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub fn lookup_host(
    host_port: &str,
) -> impl std::future::Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'static {
    let handle = context::current("aio::net::lookup_host()");
    let target = Target::parse(host_port);
    async move { resolve(&handle, target).await.map(|(_, addrs)| addrs) }
}
