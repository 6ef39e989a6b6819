//! The address argument accepted by `bind`, `connect` and `send_to`, and the
//! error that names every resolved address tried.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::dns::Target;

mod sealed {
    /// Keeps `ToSocketAddrs` closed and its method out of the public API.
    pub trait Sealed {
        fn to_target(&self) -> super::Target;
    }
}

/// Things that name a socket address: `SocketAddr`, `(IpAddr, u16)`,
/// `"host:port"` as `&str`/`String`, `(&str, u16)`, and references to these.
/// Names are resolved on the blocking pool; literal addresses are not.
///
/// ```
/// use aio::net::UdpSocket;
/// use std::net::{Ipv4Addr, SocketAddr};
///
/// aio::run(async {
///     // A "host:port" string, an (ip, port) pair or a SocketAddr all do.
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
///     let c = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
///     for socket in [a, b, c] {
///         assert!(socket.local_addr()?.ip().is_loopback());
///     }
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

impl<T: sealed::Sealed + ?Sized> ToSocketAddrs for T {}

pub(crate) fn target_of<A: ToSocketAddrs + ?Sized>(addr: &A) -> Target {
    sealed::Sealed::to_target(addr)
}

macro_rules! literal {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {
            fn to_target(&self) -> Target {
                Target::Addr(SocketAddr::from(*self))
            }
        }
    )*};
}
literal!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16),
    ([u8; 4], u16)
);

impl sealed::Sealed for str {
    fn to_target(&self) -> Target {
        Target::parse(self)
    }
}

impl sealed::Sealed for String {
    fn to_target(&self) -> Target {
        Target::parse(self)
    }
}

impl sealed::Sealed for (&str, u16) {
    fn to_target(&self) -> Target {
        Target::host_port(self.0, self.1)
    }
}

impl sealed::Sealed for (String, u16) {
    fn to_target(&self) -> Target {
        Target::host_port(&self.0, self.1)
    }
}

impl<T: sealed::Sealed + ?Sized> sealed::Sealed for &T {
    fn to_target(&self) -> Target {
        (**self).to_target()
    }
}

/// Per-address failures, folded into one error naming each of them.
#[derive(Default)]
pub(crate) struct Failures {
    list: Vec<(SocketAddr, io::Error)>,
}

impl Failures {
    pub(crate) fn push(&mut self, addr: SocketAddr, err: io::Error) {
        self.list.push((addr, err));
    }

    /// "could not connect to localhost:1: 127.0.0.1:1: Connection refused ...; [::1]:1: ..."
    /// keeping the kind of the last failure.
    pub(crate) fn into_error(self, what: &str, label: &str) -> io::Error {
        let kind = self
            .list
            .last()
            .map_or(io::ErrorKind::Other, |(_, e)| e.kind());
        let mut msg = format!("{what} {label}: ");
        for (i, (addr, err)) in self.list.iter().enumerate() {
            if i > 0 {
                msg.push_str("; ");
            }
            // A literal address already appears as the label: don't repeat it.
            if !(self.list.len() == 1 && addr.to_string() == label) {
                msg.push_str(&format!("{addr}: "));
            }
            msg.push_str(&err.to_string());
        }
        io::Error::new(kind, msg)
    }
}
