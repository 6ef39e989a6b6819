//! UDP: a datagram socket registered with the current reactor.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use mio::Interest;

use crate::context;
use crate::dns::resolve;
use crate::handle::Handle;
use crate::net::addr::Failures;
use crate::net::evented::PollEvented;
use crate::net::{target_of, ToSocketAddrs};
use crate::registration::Direction;

/// A UDP socket. All methods take `&self`, so one socket can be shared by
/// a sending and a receiving task (each direction has its own waker).
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

impl UdpSocket {
    /// Bind to `addr`, trying each resolved address until one works.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> impl Future<Output = io::Result<UdpSocket>> {
        let handle = context::current("aio::net::UdpSocket::bind()");
        let target = target_of(&addr);
        async move {
            let (label, addrs) = resolve(&handle, target).await?;
            let mut errors = Failures::default();
            for a in addrs {
                match mio::net::UdpSocket::bind(a) {
                    Ok(s) => {
                        let io = PollEvented::new(
                            handle.clone(),
                            s,
                            Interest::READABLE | Interest::WRITABLE,
                        )?;
                        return Ok(UdpSocket { io });
                    }
                    Err(e) => errors.push(a, e),
                }
            }
            Err(errors.into_error("could not bind to", &label))
        }
    }

    /// Adopt a bound std socket (switched to non-blocking mode).
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        let handle = context::current("aio::net::UdpSocket::from_std()");
        socket.set_nonblocking(true)?;
        let io = PollEvented::new(
            handle,
            mio::net::UdpSocket::from_std(socket),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        Ok(UdpSocket { io })
    }

    fn handle(&self) -> &Arc<Handle> {
        self.io.handle()
    }

    /// Send one datagram to `target` (the first address it resolves to).
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let (_, addrs) = resolve(self.handle(), target_of(&target)).await?;
        let to = addrs[0];
        poll_fn(|cx| {
            self.io
                .poll_io(cx, Direction::Write, |s| s.send_to(buf, to))
        })
        .await
    }

    /// Receive one datagram; excess bytes beyond `buf.len()` are discarded.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Poll form of [`recv_from`](Self::recv_from).
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv_from(buf))
    }

    /// Set the default destination (and only accept datagrams from it).
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let (label, addrs) = resolve(self.handle(), target_of(&addr)).await?;
        self.io.check_open()?;
        let mut errors = Failures::default();
        for a in addrs {
            match self.io.io().connect(a) {
                Ok(()) => return Ok(()),
                Err(e) => errors.push(a, e),
            }
        }
        Err(errors.into_error("could not connect to", &label))
    }

    /// Send on a connected socket.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Write, |s| s.send(buf))).await
    }

    /// Receive on a connected socket.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Read, |s| s.recv(buf))).await
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().peer_addr()
    }

    /// Allow sending to broadcast addresses.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.io().set_broadcast(on)
    }
}
