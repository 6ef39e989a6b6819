//! TCP: a listener and a stream, both registered with the current reactor.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};

use mio::Interest;

use crate::context;
use crate::dns::resolve;
use crate::handle::Handle;
use crate::net::addr::Failures;
use crate::net::evented::{stream_async_io_impls, write_all, PollEvented, ShortTransfer};
use crate::net::{target_of, ToSocketAddrs};
use crate::registration::Direction;

/// A TCP socket listening for connections.
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

/// How many connections may wait to be accepted. mio and std use 128, so a
/// burst of clients overflows the queue and the kernel drops their SYNs (each
/// dropped client then stalls for a 1 s retransmit); tokio uses 1024 too.
const LISTEN_BACKLOG: i32 = 1024;

/// A non-blocking listening socket on `addr`, with address reuse (so a
/// restarted server can bind at once) and a backlog of [`LISTEN_BACKLOG`].
fn listen(addr: SocketAddr) -> io::Result<mio::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(mio::net::TcpListener::from_std(socket.into()))
}

impl TcpListener {
    /// Bind to `addr` ("host:port", `SocketAddr`, ...), trying each resolved
    /// address until one works. Port 0 picks a free port (see `local_addr`).
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> impl Future<Output = io::Result<TcpListener>> {
        let handle = context::current("aio::net::TcpListener::bind()");
        let target = target_of(&addr);
        async move {
            let (label, addrs) = resolve(&handle, target).await?;
            let mut errors = Failures::default();
            for a in addrs {
                match listen(a) {
                    Ok(l) => {
                        let io = PollEvented::new(handle.clone(), l, Interest::READABLE)?;
                        return Ok(TcpListener { io });
                    }
                    Err(e) => errors.push(a, e),
                }
            }
            Err(errors.into_error("could not bind to", &label))
        }
    }

    /// Adopt a bound std listener (switched to non-blocking mode).
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        let handle = context::current("aio::net::TcpListener::from_std()");
        listener.set_nonblocking(true)?;
        let io = PollEvented::new(
            handle,
            mio::net::TcpListener::from_std(listener),
            Interest::READABLE,
        )?;
        Ok(TcpListener { io })
    }

    /// Wait for the next connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Poll for the next connection (for hand-written futures).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self.io.poll_io(cx, Direction::Read, |l| l.accept()) {
            Poll::Ready(Ok((stream, peer))) => {
                let stream = TcpStream::register(self.io.handle().clone(), stream);
                Poll::Ready(stream.map(|s| (s, peer)))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }
}

/// A TCP connection. Reads and writes wait on the reactor; both halves have
/// their own waker, so one task may read while another writes through `&TcpStream`.
pub struct TcpStream {
    io: PollEvented<mio::net::TcpStream>,
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

impl TcpStream {
    /// Connect to `addr`. Names are resolved on the blocking pool and each
    /// address is tried in turn; if all fail, the error names the target and
    /// every address's error, with the `ErrorKind` of the last one.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    pub fn connect<A: ToSocketAddrs>(addr: A) -> impl Future<Output = io::Result<TcpStream>> {
        let handle = context::current("aio::net::TcpStream::connect()");
        let target = target_of(&addr);
        async move {
            let (label, addrs) = resolve(&handle, target).await?;
            let mut errors = Failures::default();
            for a in addrs {
                match TcpStream::connect_one(&handle, a).await {
                    Ok(s) => return Ok(s),
                    Err(e) => errors.push(a, e),
                }
            }
            Err(errors.into_error("could not connect to", &label))
        }
    }

    async fn connect_one(handle: &Arc<Handle>, addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::register(handle.clone(), mio::net::TcpStream::connect(addr)?)?;
        // A non-blocking connect reports its outcome as writability (mio's recipe):
        // then SO_ERROR holds any failure, and peer_addr succeeds once connected.
        loop {
            let event = poll_fn(|cx| stream.io.poll_ready(cx, Direction::Write)).await?;
            if let Some(e) = stream.io.io().take_error()? {
                return Err(e);
            }
            match stream.io.io().peer_addr() {
                Ok(_) => return Ok(stream),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    stream.io.sio().clear_readiness(event)
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn register(handle: Arc<Handle>, stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        let io = PollEvented::new(handle, stream, Interest::READABLE | Interest::WRITABLE)?;
        Ok(TcpStream { io })
    }

    /// Adopt a connected std stream (switched to non-blocking mode).
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        let handle = context::current("aio::net::TcpStream::from_std()");
        stream.set_nonblocking(true)?;
        TcpStream::register(handle, mio::net::TcpStream::from_std(stream))
    }

    /// Read into `buf`; `Ok(0)` means the peer closed its write half (or `buf` is empty).
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_priv(cx, buf)).await
    }

    /// Write some of `buf`, returning how much was written.
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_priv(cx, buf)).await
    }

    /// Write all of `buf`.
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        write_all(buf, |cx, rest| self.poll_write_priv(cx, rest)).await
    }

    /// Nothing is buffered here, so this only reports a shut-down reactor.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.io.check_open()
    }

    /// Shut the write half down: the peer reads end-of-stream.
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.shutdown_write()
    }

    /// Read without waiting: `WouldBlock` if no data is there yet.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |s| (&*s).read(buf))
    }

    /// Write without waiting: `WouldBlock` if the send buffer is full.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |s| (&*s).write(buf))
    }

    /// Read data without consuming it.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Read, |s| s.peek(buf))).await
    }

    /// Wait until the socket is readable (or closed / failed).
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.io.poll_ready(cx, Direction::Read))
            .await
            .map(drop)
    }

    /// Wait until the socket is writable (or closed / failed).
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.io.poll_ready(cx, Direction::Write))
            .await
            .map(drop)
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }

    /// Enable or disable Nagle's algorithm (`true` = send small writes at once).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.io().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.io().nodelay()
    }

    /// How many read-side readiness events (data arrived, peer closed, error)
    /// the event loop has delivered for this socket so far. Costs no system
    /// call: a connection pool notes it when a connection goes idle, and an
    /// unchanged count at reuse means nothing arrived meanwhile (as far as the
    /// loop has seen; a close still in flight shows up on the next request).
    pub fn read_event_count(&self) -> u32 {
        self.io.sio().read_events()
    }

    fn shutdown_write(&self) -> io::Result<()> {
        self.io.check_open()?;
        self.io.io().shutdown(Shutdown::Write)
    }

    fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read_bytes(cx, buf, ShortTransfer::Drains)
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_write_bytes(cx, buf, ShortTransfer::Drains)
    }

    fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored_bytes(cx, bufs)
    }
}

stream_async_io_impls!(TcpStream);
stream_async_io_impls!(&TcpStream);
