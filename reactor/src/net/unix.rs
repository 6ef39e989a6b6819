//! Unix domain sockets: a listener, a stream and a datagram socket, all
//! registered with the current reactor.
//!
//! Addresses are filesystem paths; the address type returned by `accept`,
//! `local_addr` and friends is std's [`std::os::unix::net::SocketAddr`].

use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::{Context, Poll};

use mio::Interest;

use crate::context;
use crate::handle::Handle;
use crate::net::evented::{stream_async_io_impls, write_all, PollEvented, ShortTransfer};
use crate::registration::Direction;

/// How many connections may wait to be accepted (std's `bind` listens with
/// 128, and a full queue makes a non-blocking Unix connect fail at once with
/// `WouldBlock`); the same figure the TCP listener uses.
const LISTEN_BACKLOG: i32 = 1024;

/// `err` with the operation and the path in its message, keeping its kind.
fn path_error(what: &str, path: &Path, err: io::Error) -> io::Error {
    let hint = if err.kind() == io::ErrorKind::AddrInUse {
        " (the socket file already exists: remove it first if no server uses it)"
    } else {
        ""
    };
    io::Error::new(
        err.kind(),
        format!("{what} {}: {err}{hint}", path.display()),
    )
}

/// A Unix stream socket listening for connections on a path.
///
/// Dropping a listener does **not** remove its socket file, as with std and
/// tokio: the file outlives the socket, and binding the same path again fails
/// with `AddrInUse` until someone removes it (a server usually removes a
/// stale file before binding, once it knows no other server owns it). The
/// same holds for a path-bound [`UnixDatagram`].
///
/// # Examples
/// ```
/// use aio_reactor::net::{UnixListener, UnixStream};
///
/// let reactor = aio_reactor::Reactor::new()?;
/// let _enter = reactor.enter();
/// let path = std::env::temp_dir().join(format!("aio-doc-listener-{}.sock", std::process::id()));
/// let _ = std::fs::remove_file(&path);
/// let listener = UnixListener::bind(&path)?;
/// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
/// // Binding the same path again fails: the file is still there.
/// let err = UnixListener::bind(&path).unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
/// drop(listener);
/// // Dropping the listener leaves the file; the program removes it.
/// std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    io: PollEvented<mio::net::UnixListener>,
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

/// A non-blocking listening Unix socket on `path`, with a backlog of
/// [`LISTEN_BACKLOG`].
fn listen(path: &Path) -> io::Result<std::os::unix::net::UnixListener> {
    use socket2::{Domain, SockAddr, Socket, Type};
    let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    socket.set_nonblocking(true)?;
    socket.bind(&SockAddr::unix(path)?)?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(std::os::fd::OwnedFd::from(socket).into())
}

impl UnixListener {
    /// Create the socket file `path` and listen on it. Fails with `AddrInUse`
    /// if the file already exists (see the [type docs](UnixListener) on
    /// stale files); every error names the path.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// use aio::net::{UnixListener, UnixStream};
    ///
    /// let path = std::env::temp_dir().join(format!("aio-doc-bind-{}.sock", std::process::id()));
    /// aio::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let client = UnixStream::connect(&path).await?;
    ///     let (_server, _) = listener.accept().await?;
    ///     assert!(client.peer_addr()?.as_pathname().is_some());
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// std::fs::remove_file(&path).unwrap(); // the file outlives the listener
    /// ```
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let handle = context::current("aio::net::UnixListener::bind()");
        let path = path.as_ref();
        let listener = listen(path).map_err(|e| path_error("could not bind to", path, e))?;
        let io = PollEvented::new(
            handle,
            mio::net::UnixListener::from_std(listener),
            Interest::READABLE,
        )?;
        Ok(UnixListener { io })
    }

    /// Adopt a bound std listener (switched to non-blocking mode).
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-from-std-{}.sock", std::process::id()));
    /// aio::run(async {
    ///     let std_listener = std::os::unix::net::UnixListener::bind(&path)?;
    ///     let listener = aio::net::UnixListener::from_std(std_listener)?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        let handle = context::current("aio::net::UnixListener::from_std()");
        listener.set_nonblocking(true)?;
        let io = PollEvented::new(
            handle,
            mio::net::UnixListener::from_std(listener),
            Interest::READABLE,
        )?;
        Ok(UnixListener { io })
    }

    /// Wait for the next connection. The address is the peer's, usually
    /// unnamed (a client socket rarely binds a path).
    ///
    /// ```
    /// use aio::net::{UnixListener, UnixStream};
    ///
    /// let path = std::env::temp_dir().join(format!("aio-doc-accept-{}.sock", std::process::id()));
    /// aio::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let mut client = UnixStream::connect(&path).await?;
    ///     let (mut server, peer) = listener.accept().await?;
    ///     assert!(peer.is_unnamed(), "the client bound no path");
    ///     client.write_all(b"hi").await?;
    ///     let mut buf = [0; 2];
    ///     server.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Poll for the next connection (for hand-written futures).
    ///
    /// ```
    /// use aio::net::{UnixListener, UnixStream};
    /// use std::future::poll_fn;
    ///
    /// let path = std::env::temp_dir().join(format!("aio-doc-poll-accept-{}.sock", std::process::id()));
    /// aio::run(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let _client = UnixStream::connect(&path).await?;
    ///     let (_server, _peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        match self.io.poll_io(cx, Direction::Read, |l| l.accept()) {
            Poll::Ready(Ok((stream, peer))) => {
                let stream = UnixStream::register(self.io.handle().clone(), stream);
                Poll::Ready(stream.map(|s| (s, peer)))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The address (path) this listener is bound to.
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-local-addr-{}.sock", std::process::id()));
    /// aio::run(async {
    ///     let listener = aio::net::UnixListener::bind(&path)?;
    ///     assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }
}

/// A Unix stream connection. Reads and writes wait on the reactor; both
/// halves have their own waker, so one task may read while another writes
/// through `&UnixStream`.
///
/// # Examples
/// ```
/// use aio_reactor::net::UnixStream;
///
/// let reactor = aio_reactor::Reactor::new()?;
/// let _enter = reactor.enter();
/// let (a, b) = UnixStream::pair()?;
/// a.try_write(b"ping")?;
/// let mut buf = [0u8; 8];
/// // The bytes are in `b`'s kernel buffer as soon as the write returns.
/// let n = b.try_read(&mut buf)?;
/// assert_eq!(&buf[..n], b"ping");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixStream {
    io: PollEvented<mio::net::UnixStream>,
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

impl UnixStream {
    /// Connect to the socket file at `path`. The error names the path (a
    /// missing file gives `NotFound`, a file nobody listens on
    /// `ConnectionRefused`). A listener whose accept queue is full makes the
    /// connect fail with `WouldBlock` rather than wait.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// aio::run(async {
    ///     let missing = std::env::temp_dir().join("aio-doc-nobody-listens-here.sock");
    ///     let error = aio::net::UnixStream::connect(&missing).await.unwrap_err();
    ///     assert_eq!(error.kind(), ErrorKind::NotFound);
    ///     assert!(error.to_string().contains("aio-doc-nobody-listens-here.sock"));
    /// });
    /// ```
    pub fn connect<P: AsRef<Path>>(path: P) -> impl Future<Output = io::Result<UnixStream>> {
        let handle = context::current("aio::net::UnixStream::connect()");
        let path: PathBuf = path.as_ref().to_owned();
        async move {
            UnixStream::connect_path(handle, &path)
                .await
                .map_err(|e| path_error("could not connect to", &path, e))
        }
    }

    async fn connect_path(handle: Arc<Handle>, path: &Path) -> io::Result<UnixStream> {
        let stream = UnixStream::register(handle, mio::net::UnixStream::connect(path)?)?;
        // On Linux a Unix connect completes (or fails) at once; elsewhere it
        // may be in progress, and then reports its outcome as writability
        // with any failure in SO_ERROR, as for TCP.
        poll_fn(|cx| stream.io.poll_ready(cx, Direction::Write)).await?;
        match stream.io.io().take_error()? {
            Some(e) => Err(e),
            None => Ok(stream),
        }
    }

    /// A connected pair of streams (`socketpair`), e.g. to talk to a child
    /// process or between two tasks.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// aio::run(async {
    ///     let (mut a, mut b) = aio::net::UnixStream::pair()?;
    ///     a.write_all(b"ping").await?;
    ///     let mut buf = [0; 4];
    ///     b.read(&mut buf).await?;
    ///     assert_eq!(&buf, b"ping");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let handle = context::current("aio::net::UnixStream::pair()");
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((
            UnixStream::register(handle.clone(), a)?,
            UnixStream::register(handle, b)?,
        ))
    }

    fn register(handle: Arc<Handle>, stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        let io = PollEvented::new(handle, stream, Interest::READABLE | Interest::WRITABLE)?;
        Ok(UnixStream { io })
    }

    /// Adopt a connected std stream (switched to non-blocking mode).
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// aio::run(async {
    ///     let (std_a, mut std_b) = std::os::unix::net::UnixStream::pair()?;
    ///     let mut a = aio::net::UnixStream::from_std(std_a)?;
    ///     a.write_all(b"x").await?;
    ///     let mut buf = [0; 1];
    ///     std::io::Read::read_exact(&mut std_b, &mut buf)?; // std_b still blocks
    ///     assert_eq!(&buf, b"x");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        let handle = context::current("aio::net::UnixStream::from_std()");
        stream.set_nonblocking(true)?;
        UnixStream::register(handle, mio::net::UnixStream::from_std(stream))
    }

    /// Read into `buf`; `Ok(0)` means the peer closed its write half (or `buf` is empty).
    ///
    /// ```
    /// aio::run(async {
    ///     let (mut a, mut b) = aio::net::UnixStream::pair()?;
    ///     a.write_all(b"data").await?;
    ///     drop(a);
    ///     let mut buf = [0; 16];
    ///     assert_eq!(b.read(&mut buf).await?, 4);
    ///     assert_eq!(b.read(&mut buf).await?, 0, "the peer is gone: end of stream");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read_priv(cx, buf)).await
    }

    /// Write some of `buf`, returning how much was written.
    ///
    /// ```
    /// aio::run(async {
    ///     let (mut a, b) = aio::net::UnixStream::pair()?;
    ///     let n = a.write(b"some bytes").await?; // maybe fewer than all
    ///     assert!(n > 0);
    ///     let mut buf = [0; 16];
    ///     assert_eq!(b.try_read(&mut buf)?, n);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_priv(cx, buf)).await
    }

    /// Write all of `buf`.
    ///
    /// ```
    /// aio::run(async {
    ///     let (mut a, mut b) = aio::net::UnixStream::pair()?;
    ///     let reader = aio::spawn(async move {
    ///         let mut total = 0;
    ///         let mut buf = [0; 4096];
    ///         loop {
    ///             match b.read(&mut buf).await? {
    ///                 0 => return Ok::<_, std::io::Error>(total),
    ///                 n => total += n,
    ///             }
    ///         }
    ///     });
    ///     a.write_all(&vec![7; 1 << 20]).await?; // waits while the buffer is full
    ///     drop(a);
    ///     assert_eq!(reader.await.unwrap()?, 1 << 20);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        write_all(buf, |cx, rest| self.poll_write_priv(cx, rest)).await
    }

    /// Nothing is buffered here, so this only reports a shut-down reactor.
    ///
    /// ```
    /// aio::run(async {
    ///     let (mut a, _b) = aio::net::UnixStream::pair()?;
    ///     a.write_all(b"x").await?;
    ///     a.flush().await?; // the bytes were already with the kernel
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        self.io.check_open()
    }

    /// Shut the write half down: the peer reads end-of-stream, and this
    /// side can still read what the peer sends.
    ///
    /// ```
    /// aio::run(async {
    ///     let (mut a, mut b) = aio::net::UnixStream::pair()?;
    ///     a.shutdown().await?;
    ///     let mut buf = [0; 4];
    ///     assert_eq!(b.read(&mut buf).await?, 0, "b sees the end of stream");
    ///     b.write_all(b"ok").await?; // the other direction still works
    ///     assert_eq!(a.read(&mut buf).await?, 2);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn shutdown(&mut self) -> io::Result<()> {
        self.shutdown_write()
    }

    /// Read without waiting: `WouldBlock` if no data is there yet.
    ///
    /// ```
    /// aio::run(async {
    ///     let (a, b) = aio::net::UnixStream::pair()?;
    ///     let mut buf = [0; 4];
    ///     assert_eq!(b.try_read(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    ///     a.try_write(b"now")?;
    ///     assert_eq!(b.try_read(&mut buf)?, 3);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Read, |s| (&*s).read(buf))
    }

    /// Write without waiting: `WouldBlock` if the send buffer is full.
    ///
    /// ```
    /// aio::run(async {
    ///     let (a, b) = aio::net::UnixStream::pair()?;
    ///     assert_eq!(a.try_write(b"abc")?, 3);
    ///     let mut buf = [0; 3];
    ///     assert_eq!(b.try_read(&mut buf)?, 3);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |s| (&*s).write(buf))
    }

    /// Wait until the socket is readable (or closed / failed).
    ///
    /// ```
    /// aio::run(async {
    ///     let (a, b) = aio::net::UnixStream::pair()?;
    ///     a.try_write(b"x")?;
    ///     b.readable().await?; // a try_read will find data now
    ///     let mut buf = [0; 1];
    ///     assert_eq!(b.try_read(&mut buf)?, 1);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.io.poll_ready(cx, Direction::Read))
            .await
            .map(drop)
    }

    /// Wait until the socket is writable (or closed / failed).
    ///
    /// ```
    /// aio::run(async {
    ///     let (a, _b) = aio::net::UnixStream::pair()?;
    ///     a.writable().await?; // an empty send buffer: at once
    ///     assert_eq!(a.try_write(b"x")?, 1);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.io.poll_ready(cx, Direction::Write))
            .await
            .map(drop)
    }

    /// The peer's address (unnamed unless the peer bound a path).
    ///
    /// ```
    /// aio::run(async {
    ///     let (a, _b) = aio::net::UnixStream::pair()?;
    ///     assert!(a.peer_addr()?.is_unnamed());
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().peer_addr()
    }

    /// The local address (unnamed for a connecting or paired socket).
    ///
    /// ```
    /// aio::run(async {
    ///     let (a, _b) = aio::net::UnixStream::pair()?;
    ///     assert!(a.local_addr()?.as_pathname().is_none());
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }

    fn shutdown_write(&self) -> io::Result<()> {
        self.io.check_open()?;
        self.io.io().shutdown(Shutdown::Write)
    }

    // `ProvesNothing`, not TCP's `Drains`: a Unix stream read can stop
    // short with data still queued (at a message that carried file
    // descriptors, or at a change of sender when SO_PASSCRED is on), so a
    // short read does not prove the buffer drained, and clearing readiness
    // then could leave the reader asleep with data waiting. Writes stay on
    // `poll_io` too: one rule for the whole type, at the cost of one
    // WouldBlock system call when the send buffer fills.
    fn poll_read_priv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_read_bytes(cx, buf, ShortTransfer::ProvesNothing)
    }

    fn poll_write_priv(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_write_bytes(cx, buf, ShortTransfer::ProvesNothing)
    }

    fn poll_write_vectored_priv(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_write_vectored_bytes(cx, bufs)
    }
}

stream_async_io_impls!(UnixStream);

/// A Unix datagram socket. All methods take `&self`, so one socket can be
/// shared by a sending and a receiving task (each direction has its own
/// waker). Datagrams keep their boundaries; a receive buffer shorter than
/// the datagram drops the excess.
///
/// # Examples
/// ```
/// use aio_reactor::net::UnixDatagram;
///
/// let reactor = aio_reactor::Reactor::new()?;
/// let _enter = reactor.enter();
/// let (a, b) = UnixDatagram::pair()?;
/// assert!(a.peer_addr()?.is_unnamed());
/// assert!(b.local_addr()?.is_unnamed());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    io: PollEvented<mio::net::UnixDatagram>,
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.io.fmt(f)
    }
}

impl UnixDatagram {
    fn register(handle: Arc<Handle>, socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        let io = PollEvented::new(handle, socket, Interest::READABLE | Interest::WRITABLE)?;
        Ok(UnixDatagram { io })
    }

    /// Create the socket file `path` and bind to it. Fails with `AddrInUse`
    /// if the file exists (it is not removed on drop either); errors name
    /// the path.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// use aio::net::UnixDatagram;
    ///
    /// let path = std::env::temp_dir().join(format!("aio-doc-dgram-{}.sock", std::process::id()));
    /// aio::run(async {
    ///     let server = UnixDatagram::bind(&path)?;
    ///     let client = UnixDatagram::unbound()?;
    ///     client.send_to(b"hello", &path).await?;
    ///     let mut buf = [0; 8];
    ///     let (n, from) = server.recv_from(&mut buf).await?;
    ///     assert_eq!((&buf[..n], from.is_unnamed()), (&b"hello"[..], true));
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        let handle = context::current("aio::net::UnixDatagram::bind()");
        let path = path.as_ref();
        let socket = mio::net::UnixDatagram::bind(path)
            .map_err(|e| path_error("could not bind to", path, e))?;
        UnixDatagram::register(handle, socket)
    }

    /// A socket bound to no path: it can send (to a path, or after
    /// [`connect`](Self::connect)) but nobody can address replies to it.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// aio::run(async {
    ///     let socket = aio::net::UnixDatagram::unbound()?;
    ///     assert!(socket.local_addr()?.is_unnamed());
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        let handle = context::current("aio::net::UnixDatagram::unbound()");
        UnixDatagram::register(handle, mio::net::UnixDatagram::unbound()?)
    }

    /// A pair of sockets connected to each other.
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// aio::run(async {
    ///     let (a, b) = aio::net::UnixDatagram::pair()?;
    ///     a.send(b"one").await?;
    ///     a.send(b"two").await?;
    ///     let mut buf = [0; 8];
    ///     assert_eq!(b.recv(&mut buf).await?, 3); // boundaries kept
    ///     let n = b.recv(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"two");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let handle = context::current("aio::net::UnixDatagram::pair()");
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((
            UnixDatagram::register(handle.clone(), a)?,
            UnixDatagram::register(handle, b)?,
        ))
    }

    /// Adopt a std socket (switched to non-blocking mode).
    ///
    /// # Panics
    /// When called outside of `aio::run()`.
    ///
    /// ```
    /// aio::run(async {
    ///     let (std_a, std_b) = std::os::unix::net::UnixDatagram::pair()?;
    ///     let a = aio::net::UnixDatagram::from_std(std_a)?;
    ///     std_b.send(b"in")?;
    ///     let mut buf = [0; 2];
    ///     assert_eq!(a.recv(&mut buf).await?, 2);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        let handle = context::current("aio::net::UnixDatagram::from_std()");
        socket.set_nonblocking(true)?;
        UnixDatagram::register(handle, mio::net::UnixDatagram::from_std(socket))
    }

    /// Set the default destination to the socket at `path` (and only accept
    /// datagrams from it). Connecting is immediate for Unix datagrams; the
    /// error names the path.
    ///
    /// ```
    /// use aio::net::UnixDatagram;
    ///
    /// let path = std::env::temp_dir().join(format!("aio-doc-dgram-connect-{}.sock", std::process::id()));
    /// aio::run(async {
    ///     let server = UnixDatagram::bind(&path)?;
    ///     let client = UnixDatagram::unbound()?;
    ///     client.connect(&path)?;
    ///     client.send(b"x").await?;
    ///     let mut buf = [0; 1];
    ///     assert_eq!(server.recv(&mut buf).await?, 1);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        let path = path.as_ref();
        self.io.check_open()?;
        self.io
            .io()
            .connect(path)
            .map_err(|e| path_error("could not connect to", path, e))
    }

    /// Send one datagram to the socket at `path`; the error names the path.
    ///
    /// ```
    /// aio::run(async {
    ///     let socket = aio::net::UnixDatagram::unbound()?;
    ///     let missing = std::env::temp_dir().join("aio-doc-no-such-socket.sock");
    ///     let error = socket.send_to(b"x", &missing).await.unwrap_err();
    ///     assert!(error.to_string().contains("aio-doc-no-such-socket.sock"), "{error}");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        poll_fn(|cx| {
            self.io
                .poll_io(cx, Direction::Write, |s| s.send_to(buf, path))
        })
        .await
        .map_err(|e| path_error("could not send to", path, e))
    }

    /// Receive one datagram and its sender's address (unnamed if the sender
    /// is not bound to a path).
    ///
    /// ```
    /// aio::run(async {
    ///     let (a, b) = aio::net::UnixDatagram::pair()?;
    ///     a.send(b"hi").await?;
    ///     let mut buf = [0; 4];
    ///     let (n, from) = b.recv_from(&mut buf).await?;
    ///     assert_eq!((n, from.is_unnamed()), (2, true));
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
    /// use std::future::poll_fn;
    ///
    /// aio::run(async {
    ///     let (a, b) = aio::net::UnixDatagram::pair()?;
    ///     a.send(b"hi").await?;
    ///     let mut buf = [0; 4];
    ///     let (n, _) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await?;
    ///     assert_eq!(&buf[..n], b"hi");
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

    /// Send one datagram on a connected socket.
    ///
    /// ```
    /// aio::run(async {
    ///     let (a, b) = aio::net::UnixDatagram::pair()?;
    ///     assert_eq!(a.send(b"abc").await?, 3);
    ///     let mut buf = [0; 3];
    ///     assert_eq!(b.recv(&mut buf).await?, 3);
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Write, |s| s.send(buf))).await
    }

    /// Receive one datagram on a connected socket.
    ///
    /// ```
    /// aio::run(async {
    ///     let (a, b) = aio::net::UnixDatagram::pair()?;
    ///     a.send(b"0123456789").await?;
    ///     let mut small = [0; 4];
    ///     assert_eq!(b.recv(&mut small).await?, 4, "the rest of the datagram is dropped");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_io(cx, Direction::Read, |s| s.recv(buf))).await
    }

    /// The local address (the bound path, or unnamed).
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("aio-doc-dgram-addr-{}.sock", std::process::id()));
    /// aio::run(async {
    ///     let socket = aio::net::UnixDatagram::bind(&path)?;
    ///     assert_eq!(socket.local_addr()?.as_pathname(), Some(path.as_path()));
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().local_addr()
    }

    /// The connected peer's address.
    ///
    /// ```
    /// aio::run(async {
    ///     let socket = aio::net::UnixDatagram::unbound()?;
    ///     assert!(socket.peer_addr().is_err(), "not connected");
    ///     Ok::<_, std::io::Error>(())
    /// })
    /// .unwrap();
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.io().peer_addr()
    }
}
