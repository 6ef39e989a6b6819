//! The address argument accepted by `bind`, `connect` and `send_to`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

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

    fn host_port(host: &str, port: u16) -> Target {
        match host.parse::<IpAddr>() {
            Ok(ip) => Target::Addr(SocketAddr::new(ip, port)),
            Err(_) => Target::Host {
                host: host.to_owned(),
                port: Some(port),
            },
        }
    }
}

mod sealed {
    /// Keeps `ToSocketAddrs` closed and its method out of the public API.
    pub trait Sealed {
        fn to_target(&self) -> super::Target;
    }
}

/// Things that name a socket address: `SocketAddr`, `(IpAddr, u16)`,
/// `"host:port"` as `&str`/`String`, `(&str, u16)`, and references to these.
/// Names are resolved on the blocking pool; literal addresses are not.
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
