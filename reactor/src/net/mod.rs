//! Non-blocking TCP, UDP and Unix domain sockets driven by the current reactor.
//!
//! Every socket is `Send + Sync`. Once its reactor has shut down, every
//! operation fails with "the aio event loop that owns this socket has shut down".

mod addr;
pub(crate) mod evented;
pub mod tcp;
mod udp;
#[cfg(unix)]
mod unix;

pub use crate::dns::lookup_host;
pub(crate) use addr::target_of;
pub use addr::ToSocketAddrs;
pub use tcp::stream::{TcpListener, TcpStream};
pub use udp::UdpSocket;
#[cfg(unix)]
pub use unix::{UnixDatagram, UnixListener, UnixStream};
