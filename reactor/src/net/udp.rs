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
///
/// ```
/// use aio::net::UdpSocket;
///
/// aio::run(async {
///     let server = UdpSocket::bind("127.0.0.1:0").await?;
///     let client = UdpSocket::bind("127.0.0.1:0").await?;
///     client.send_to(b"ping", server.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = server.recv_from(&mut buf).await?;
///     server.send_to(&buf[..n], from).await?; // echo
///     let n = client.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"ping");
///     Ok::<_, std::io::Error>(())
/// })
/// .unwrap();
/// ```
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
    ///
    /// ```
    /// aio::run(async {
    ///     let socket = aio::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert_ne!(socket.local_addr()?.port(), 0, "the system picked a port");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
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
    ///
    /// ```
    /// aio::run(async {
    ///     let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    ///     let addr = std_socket.local_addr()?;
    ///     let socket = aio::net::UdpSocket::from_std(std_socket)?;
    ///     assert_eq!(socket.local_addr()?, addr);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
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
    ///
    /// ```
    /// use aio::net::UdpSocket;
    ///
    /// aio::run(async {
    ///     let (a, b) = (UdpSocket::bind("127.0.0.1:0").await?, UdpSocket::bind("127.0.0.1:0").await?);
    ///     assert_eq!(a.send_to(b"hi", b.local_addr()?).await?, 2);
    ///     let mut buf = [0; 8];
    ///     assert_eq!(b.recv_from(&mut buf).await?, (2, a.local_addr()?));
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
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
    ///
    /// ```
    /// use aio::net::UdpSocket;
    ///
    /// aio::run(async {
    ///     let (a, b) = (UdpSocket::bind("127.0.0.1:0").await?, UdpSocket::bind("127.0.0.1:0").await?);
    ///     a.send_to(b"0123456789", b.local_addr()?).await?;
    ///     let mut small = [0; 4];
    ///     let (n, from) = b.recv_from(&mut small).await?;
    ///     assert_eq!((&small[..n], from), (&b"0123"[..], a.local_addr()?)); // the rest is dropped
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// Poll form of [`recv_from`](Self::recv_from).
    ///
    /// ```
    /// use aio::net::UdpSocket;
    /// use std::future::poll_fn;
    ///
    /// aio::run(async {
    ///     let (a, b) = (UdpSocket::bind("127.0.0.1:0").await?, UdpSocket::bind("127.0.0.1:0").await?);
    ///     a.send_to(b"x", b.local_addr()?).await?;
    ///     let mut buf = [0; 4];
    ///     let (n, _) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"x");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_io(cx, Direction::Read, |s| s.recv_from(buf))
    }

    /// Set the default destination (and only accept datagrams from it).
    ///
    /// ```
    /// use aio::net::UdpSocket;
    ///
    /// aio::run(async {
    ///     let (a, b) = (UdpSocket::bind("127.0.0.1:0").await?, UdpSocket::bind("127.0.0.1:0").await?);
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.peer_addr()?, b.local_addr()?);
    ///     a.send(b"to b").await?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(b.recv(&mut buf).await?, 4);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
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
    ///
    /// ```
    /// use aio::net::UdpSocket;
    ///
    /// aio::run(async {
    ///     let (a, b) = (UdpSocket::bind("127.0.0.1:0").await?, UdpSocket::bind("127.0.0.1:0").await?);
    ///     a.connect(b.local_addr()?).await?;
    ///     assert_eq!(a.send(b"abc").await?, 3);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Write, |s| s.send(buf))).await
    }

    /// Receive on a connected socket.
    ///
    /// ```
    /// use aio::net::UdpSocket;
    ///
    /// aio::run(async {
    ///     let (a, b) = (UdpSocket::bind("127.0.0.1:0").await?, UdpSocket::bind("127.0.0.1:0").await?);
    ///     b.connect(a.local_addr()?).await?;
    ///     a.send_to(b"hello", b.local_addr()?).await?;
    ///     let mut buf = [0; 8];
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hello");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Read, |s| s.recv(buf))).await
    }

    /// The local address.
    ///
    /// ```
    /// aio::run(async {
    ///     let socket = aio::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.local_addr()?.ip().is_loopback());
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }

    /// The connected peer's address.
    ///
    /// ```
    /// aio::run(async {
    ///     let socket = aio::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     assert!(socket.peer_addr().is_err(), "not connected yet");
    ///     socket.connect("127.0.0.1:9").await?;
    ///     assert_eq!(socket.peer_addr()?.port(), 9);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().peer_addr()
    }

    /// Allow sending to broadcast addresses.
    ///
    /// ```
    /// aio::run(async {
    ///     let socket = aio::net::UdpSocket::bind("127.0.0.1:0").await?;
    ///     socket.set_broadcast(true)?; // sends to 255.255.255.255 are allowed now
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.io().set_broadcast(on)
    }
}
