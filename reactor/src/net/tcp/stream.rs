//! [`TcpListener`] and [`TcpStream`], both registered with the current
//! reactor. Splitting a stream lives in the `split` module beside this one.

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
use crate::net::evented::{
    read_exact, stream_async_io_impls, write_all, PollEvented, ShortTransfer,
};
use crate::net::{target_of, ToSocketAddrs};
use crate::registration::Direction;

/// A TCP socket listening for connections: the server side of asyncio's
/// `start_server`, with the accept loop written out.
///
/// An echo server, one task per connection, and a client:
///
/// ```
/// use aio::net::{TcpListener, TcpStream};
///
/// aio::run(async {
///     // Port 0: the system picks a free port.
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     aio::spawn(async move {
///         while let Ok((mut connection, _peer)) = listener.accept().await {
///             aio::spawn(async move {
///                 let mut buf = [0; 1024];
///                 loop {
///                     let n = connection.read(&mut buf).await?;
///                     if n == 0 {
///                         return std::io::Result::Ok(()); // the client closed
///                     }
///                     connection.write_all(&buf[..n]).await?;
///                 }
///             });
///         }
///     });
///
///     let mut client = TcpStream::connect(addr).await?;
///     client.write_all(b"ping").await?;
///     let mut reply = [0; 4];
///     client.read_exact(&mut reply).await?;
///     assert_eq!(&reply, b"ping");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
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
/// restarted server can bind at once) and a backlog of [`LISTEN_BACKLOG`];
/// with `reuse_port`, SO_REUSEPORT too (see [`TcpListener::bind_reuse_port`]).
fn listen(addr: SocketAddr, reuse_port: bool) -> io::Result<mio::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if reuse_port {
        set_reuse_port(&socket)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(mio::net::TcpListener::from_std(socket.into()))
}

#[cfg(unix)]
fn set_reuse_port(socket: &socket2::Socket) -> io::Result<()> {
    socket.set_reuse_port(true)
}

#[cfg(not(unix))]
fn set_reuse_port(_: &socket2::Socket) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "SO_REUSEPORT is not available on this system",
    ))
}

impl TcpListener {
    /// Bind to `addr` ("host:port", `SocketAddr`, ...), trying each resolved
    /// address until one works. Port 0 picks a free port (see `local_addr`).
    ///
    /// # Errors
    /// When no address can be bound: the error names the target and each
    /// address's error, with the `ErrorKind` of the last one.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// use aio::net::TcpListener;
    /// use std::io::ErrorKind;
    ///
    /// aio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let taken = listener.local_addr()?;
    ///     let refused = TcpListener::bind(taken).await.unwrap_err();
    ///     assert_eq!(refused.kind(), ErrorKind::AddrInUse);
    ///     assert!(refused.to_string().starts_with(&format!("could not bind to {taken}: ")));
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn bind<A: ToSocketAddrs>(addr: A) -> impl Future<Output = io::Result<TcpListener>> {
        let handle = context::current("aio::net::TcpListener::bind()");
        TcpListener::bind_on(handle, addr, false)
    }

    /// [`bind`](TcpListener::bind) with SO_REUSEPORT: several listeners,
    /// each bound this way, may share one address, and the kernel spreads
    /// incoming connections over them. With one such listener per loop
    /// (see `aio::Runner::loops`), every loop accepts its own share of the
    /// connections, and each connection stays on the loop that accepted it.
    ///
    /// Linux spreads by a hash of the connection's addresses; a listener
    /// that closes drops the connections waiting in its own queue. An
    /// address held by a listener bound without SO_REUSEPORT cannot be
    /// shared (the error is `AddrInUse`).
    ///
    /// # Errors
    /// As [`bind`](TcpListener::bind); on systems without SO_REUSEPORT,
    /// an error of kind `Unsupported`.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// use aio::net::{TcpListener, TcpStream};
    ///
    /// aio::run(async {
    ///     let first = TcpListener::bind_reuse_port("127.0.0.1:0").await?;
    ///     let addr = first.local_addr()?;
    ///     let second = TcpListener::bind_reuse_port(addr).await?; // the same address
    ///     assert_eq!(second.local_addr()?, addr);
    ///     let _client = TcpStream::connect(addr).await?;
    ///     // The kernel queued the connection on one of the two.
    ///     aio::select! {
    ///         accepted = first.accept() => accepted?,
    ///         accepted = second.accept() => accepted?,
    ///     };
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn bind_reuse_port<A: ToSocketAddrs>(
        addr: A,
    ) -> impl Future<Output = io::Result<TcpListener>> {
        let handle = context::current("aio::net::TcpListener::bind_reuse_port()");
        TcpListener::bind_on(handle, addr, true)
    }

    /// Resolve `addr` and listen on the first address that can be bound.
    fn bind_on<A: ToSocketAddrs>(
        handle: Arc<Handle>,
        addr: A,
        reuse_port: bool,
    ) -> impl Future<Output = io::Result<TcpListener>> {
        let target = target_of(&addr);
        async move {
            let (label, addrs) = resolve(&handle, target).await?;
            let mut errors = Failures::default();
            for a in addrs {
                match listen(a, reuse_port) {
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
    ///
    /// ```
    /// aio::run(async {
    ///     let bound = std::net::TcpListener::bind("127.0.0.1:0")?;
    ///     let addr = bound.local_addr()?;
    ///     let listener = aio::net::TcpListener::from_std(bound)?;
    ///     let _client = aio::net::TcpStream::connect(addr).await?;
    ///     let (_connection, _) = listener.accept().await?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
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

    /// Wait for the next connection: the stream and the peer's address.
    ///
    /// ```
    /// use aio::net::{TcpListener, TcpStream};
    ///
    /// aio::run(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (connection, peer) = listener.accept().await?;
    ///     assert_eq!(peer, client.local_addr()?);
    ///     assert_eq!(connection.peer_addr()?, peer);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Poll for the next connection (for hand-written futures).
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// aio::run(async {
    ///     let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let _client = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_connection, _peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
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

    /// The address this listener is bound to (with the port the system
    /// picked, after binding port 0).
    ///
    /// ```
    /// aio::run(async {
    ///     let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     assert_eq!(addr.ip().to_string(), "127.0.0.1");
    ///     assert_ne!(addr.port(), 0);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }
}

/// A TCP connection: asyncio's `open_connection` reader and writer in one.
///
/// Reads and writes wait on the event loop; each direction has its own
/// waker, so one task may read while another writes. To hand the two
/// directions to two tasks, [`into_split`](TcpStream::into_split) it.
/// It implements `futures-io`'s `AsyncRead` and `AsyncWrite` (so
/// `aio::io`'s `BufReader`, `read_line` and `copy` work on it), and so does
/// `&TcpStream`.
///
/// ```
/// use aio::net::{TcpListener, TcpStream};
///
/// aio::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
///     let (mut server, _) = listener.accept().await?;
///
///     client.write_all(b"hello").await?;
///     client.shutdown().await?; // the server reads the end of the stream
///     let mut received = Vec::new();
///     let mut buf = [0; 64];
///     loop {
///         let n = server.read(&mut buf).await?;
///         if n == 0 {
///             break;
///         }
///         received.extend_from_slice(&buf[..n]);
///     }
///     assert_eq!(received, b"hello");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub struct TcpStream {
    // The split halves reach the socket through this.
    pub(super) io: PollEvented<mio::net::TcpStream>,
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
    ///
    /// ```
    /// aio::run(async {
    ///     let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     let port = listener.local_addr()?.port();
    ///     // A name ("localhost:PORT") works too: it is resolved first.
    ///     let stream = aio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    ///     assert_eq!(stream.peer_addr()?.port(), port);
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
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
    ///
    /// ```
    /// aio::run(async {
    ///     let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    ///     // Connected by std (blocking: fine for a local listener).
    ///     let connected = std::net::TcpStream::connect(listener.local_addr()?)?;
    ///     let mut stream = aio::net::TcpStream::from_std(connected)?;
    ///     let (mut peer, _) = listener.accept().await?;
    ///     stream.write_all(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     peer.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        let handle = context::current("aio::net::TcpStream::from_std()");
        stream.set_nonblocking(true)?;
        TcpStream::register(handle, mio::net::TcpStream::from_std(stream))
    }

    /// Read into `buf`, waiting until something arrives; gives how many
    /// bytes came (any number up to `buf.len()`, like asyncio's `read(n)`).
    /// `Ok(0)` means the peer closed its write half (or `buf` is empty).
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// peer.write_all(b"hello").await?;
    /// let mut buf = [0; 64];
    /// let n = stream.read(&mut buf).await?;
    /// assert!(n > 0);
    /// assert_eq!(&buf[..n], &b"hello"[..n]);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_priv(cx, buf)).await
    }

    /// Fill all of `buf`, as asyncio's `readexactly(n)`.
    ///
    /// Not cancel-safe: bytes read before the future is dropped are lost.
    ///
    /// # Errors
    /// [`io::ErrorKind::UnexpectedEof`] when the stream ends first, naming
    /// how many bytes were wanted and how many came (those are at the start
    /// of `buf`).
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// peer.write_all(b"abc").await?;
    /// peer.shutdown().await?;
    /// let mut two = [0; 2];
    /// stream.read_exact(&mut two).await?;
    /// assert_eq!(&two, b"ab");
    ///
    /// let mut ten = [0; 10];
    /// let early_end = stream.read_exact(&mut ten).await.unwrap_err();
    /// assert_eq!(early_end.kind(), std::io::ErrorKind::UnexpectedEof);
    /// assert_eq!(
    ///     early_end.to_string(),
    ///     "read_exact: the stream ended after 1 of the 10 bytes wanted"
    /// );
    /// assert_eq!(ten[0], b'c');
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        read_exact(buf, |cx, rest| self.poll_read_priv(cx, rest)).await
    }

    /// Write some of `buf`, waiting while the send buffer is full; gives
    /// how much was written. [`write_all`](TcpStream::write_all) writes it
    /// all.
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// let n = stream.write(b"hello").await?;
    /// assert!(n > 0 && n <= 5);
    /// let mut buf = vec![0; n];
    /// peer.read_exact(&mut buf).await?;
    /// assert_eq!(buf, &b"hello"[..n]);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_priv(cx, buf)).await
    }

    /// Write all of `buf`, waiting while the send buffer is full (asyncio's
    /// `write` followed by `drain`).
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// stream.write_all(b"all of it").await?;
    /// let mut buf = [0; 9];
    /// peer.read_exact(&mut buf).await?;
    /// assert_eq!(&buf, b"all of it");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        write_all(buf, |cx, rest| self.poll_write_priv(cx, rest)).await
    }

    /// Nothing is buffered here, so this only reports a shut-down reactor.
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// stream.write_all(b"sent").await?;
    /// stream.flush().await?; // a no-op while the loop runs
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        self.io.check_open()
    }

    /// Shut the write half down: the peer reads end-of-stream, and this
    /// side can still read (asyncio's `write_eof`).
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// stream.shutdown().await?;
    /// assert_eq!(peer.read(&mut [0; 8]).await?, 0); // the end of the stream
    /// peer.write_all(b"still open").await?;
    /// let mut reply = [0; 10];
    /// stream.read_exact(&mut reply).await?;
    /// assert_eq!(&reply, b"still open");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.shutdown_write()
    }

    /// Read without waiting: `WouldBlock` if no data is there yet.
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// let mut buf = [0; 8];
    /// let nothing_yet = stream.try_read(&mut buf).unwrap_err();
    /// assert_eq!(nothing_yet.kind(), std::io::ErrorKind::WouldBlock);
    /// peer.write_all(b"now").await?;
    /// stream.readable().await?;
    /// let n = stream.try_read(&mut buf)?;
    /// assert_eq!(&buf[..n], &b"now"[..n]);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |s| (&*s).read(buf))
    }

    /// Write without waiting: `WouldBlock` if the send buffer is full.
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// stream.writable().await?;
    /// let n = stream.try_write(b"quick")?; // a fresh connection has room
    /// let mut buf = vec![0; n];
    /// peer.read_exact(&mut buf).await?;
    /// assert_eq!(buf, &b"quick"[..n]);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |s| (&*s).write(buf))
    }

    /// Read data without consuming it: the next read gets it again.
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let mut stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// peer.write_all(b"GET").await?;
    /// let mut first = [0; 1];
    /// stream.peek(&mut first).await?;
    /// let mut all = [0; 3];
    /// stream.read_exact(&mut all).await?;
    /// assert_eq!((&first, &all), (b"G", b"GET"));
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Read, |s| s.peek(buf))).await
    }

    /// Wait until the socket is readable (or closed / failed); for
    /// [`try_read`](TcpStream::try_read), which shows it in use.
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// drop(peer); // a close makes the socket readable too
    /// stream.readable().await?;
    /// assert_eq!(stream.try_read(&mut [0; 8])?, 0);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.io.poll_ready(cx, Direction::Read))
            .await
            .map(drop)
    }

    /// Wait until the socket is writable (or closed / failed); for
    /// [`try_write`](TcpStream::try_write), which shows it in use.
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// stream.writable().await?; // at once: the send buffer is empty
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.io.poll_ready(cx, Direction::Write))
            .await
            .map(drop)
    }

    /// The remote address.
    ///
    /// ```
    /// # aio::run(async {
    /// let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().peer_addr()
    }

    /// The local address (the port the system picked for this end).
    ///
    /// ```
    /// # aio::run(async {
    /// let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// let (_connection, seen_by_server) = listener.accept().await?;
    /// assert_eq!(stream.local_addr()?, seen_by_server);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }

    /// Enable or disable Nagle's algorithm (`true` = send small writes at
    /// once rather than wait to batch them: for request/response traffic).
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// stream.set_nodelay(true)?;
    /// assert!(stream.nodelay()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.io().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set (off on a new connection).
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// assert!(!stream.nodelay()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.io().nodelay()
    }

    /// How many read-side readiness events (data arrived, peer closed, error)
    /// the event loop has delivered for this socket so far. Costs no system
    /// call: a connection pool notes it when a connection goes idle, and an
    /// unchanged count at reuse means nothing arrived meanwhile (as far as the
    /// loop has seen; a close still in flight shows up on the next request).
    ///
    /// ```
    /// # aio::run(async {
    /// # let listener = aio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// # let stream = aio::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let (mut peer, _) = listener.accept().await?;
    /// // `stream` and `peer`: the two ends of a connection.
    /// let idle = stream.read_event_count();
    /// peer.write_all(b"unexpected").await?;
    /// stream.readable().await?;
    /// assert!(stream.read_event_count() > idle, "something arrived");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn read_event_count(&self) -> u32 {
        self.io.sio().read_events()
    }

    pub(super) fn shutdown_write(&self) -> io::Result<()> {
        self.io.check_open()?;
        self.io.io().shutdown(Shutdown::Write)
    }

    pub(super) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_read_bytes(cx, buf, ShortTransfer::Drains)
    }

    pub(super) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_bytes(cx, buf, ShortTransfer::Drains)
    }

    pub(super) fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored_bytes(cx, bufs)
    }
}

stream_async_io_impls!(TcpStream);
