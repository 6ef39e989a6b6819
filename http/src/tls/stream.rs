//! The TLS stream: a rustls connection driven over a `futures_io` transport.
//!
//! rustls is sans-IO: it reads ciphertext with `read_tls`, writes it with
//! `write_tls`, and exposes plaintext through `reader()` / `writer()`. The
//! bridge is [`SyncIo`], which runs one poll of the async transport inside a
//! `std::io::Read`/`Write` call and reports `Pending` as `WouldBlock`. Every
//! `WouldBlock` therefore means the transport has stored the task's waker, so
//! returning `Poll::Pending` after one is always safe.

use std::future::poll_fn;
use std::io::{self, BufRead, Read, Write};
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use rustls::{ClientConfig, ClientConnection, ConnectionCommon, SideData};
use rustls_pki_types::ServerName;

/// Message of the `UnexpectedEof` error returned when the peer closes the
/// transport without sending a TLS `close_notify` alert first.
///
/// ```
/// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
/// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
/// # aio::run(async {
/// # let (mut client, mut server) = aio::http::doc_support::tls_pair(&cert_pem, &key_pem).await;
/// // `client` and `server`: the two ends of a TLS connection over TCP.
/// use aio::io::{AsyncReadExt, ErrorKind};
/// use aio::http::tls::UNCLEAN_EOF_MESSAGE;
///
/// // The server drops the TCP connection without a TLS goodbye.
/// let (tcp, _) = server.into_inner();
/// drop(tcp);
/// let err = client.read(&mut [0; 64]).await.unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::UnexpectedEof);
/// assert_eq!(err.to_string(), UNCLEAN_EOF_MESSAGE);
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub const UNCLEAN_EOF_MESSAGE: &str =
    "peer closed the TLS connection without close_notify (the response may be truncated)";

/// A TLS connection over the transport `IO`.
///
/// `C` is the rustls connection: a [`ClientConnection`] (see
/// [`ClientTlsStream`]) for this client. The stream is generic over the
/// side, so tests and local servers drive a `rustls::ServerConnection`
/// through [`TlsStream::handshake`]; the client's API has no server-side
/// entry point of its own. The stream implements
/// `futures_io::AsyncRead + AsyncWrite` for plaintext:
///
/// - reads return `Ok(0)` only after the peer's `close_notify`; a transport
///   EOF without it is an `UnexpectedEof` error ([`UNCLEAN_EOF_MESSAGE`]), so
///   a truncated close-delimited body is never mistaken for a complete one;
/// - writes are encrypted into rustls's buffer (bounded, so they push back)
///   and sent as far as the transport accepts; `poll_flush` sends the rest;
/// - `poll_close` sends `close_notify`, then closes the transport.
///
/// TLS records that rustls queues while reading (alerts, key-update replies)
/// are sent from `poll_read` too, so a reader-only task never stalls them.
///
/// ```
/// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
/// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
/// # aio::run(async {
/// # let (mut client, mut server) = aio::http::doc_support::tls_pair(&cert_pem, &key_pem).await;
/// // `client` and `server`: the two ends of a TLS connection over TCP.
/// use aio::io::{AsyncReadExt, AsyncWriteExt};
///
/// client.write_all(b"ping").await?;
/// client.flush().await?;
/// let mut buf = [0; 4];
/// server.read_exact(&mut buf).await?;
/// assert_eq!(&buf, b"ping");
/// client.close().await?; // close_notify, then the TCP close
/// assert_eq!(server.read(&mut buf).await?, 0, "a clean end");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct TlsStream<IO, C> {
    io: IO,
    conn: C,
    /// `close_notify` was queued: no more application data may be written.
    closing: bool,
}

/// A client-side TLS stream, made by [`connect`] / [`TlsStream::connect`].
pub type ClientTlsStream<IO> = TlsStream<IO, ClientConnection>;

/// Connects as a TLS client over `io`: sends SNI for `server_name`, verifies
/// the server's certificate against it and completes the handshake.
///
/// A rejected handshake is an `io::Error` of kind `InvalidData` whose inner
/// error is the [`rustls::Error`] (see [`super::describe_io_error`]).
///
/// ```
/// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
/// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
/// # let url = aio::http::doc_support::serve_tls(&cert_pem, &key_pem, &["200 OK\n\nhello"]);
/// # let addr = url.trim_start_matches("https://").to_owned();
/// use aio::http::tls::{self, TlsOptions};
/// use aio::io::{AsyncReadExt, AsyncWriteExt};
///
/// aio::run(async {
///     // An HTTPS server at `addr` presents `cert_pem`, which the client trusts.
///     let mut options = TlsOptions::default();
///     options.add_root_pem(cert_pem.as_bytes());
///     let config = tls::client_config(&options).unwrap();
///     let tcp = aio::net::TcpStream::connect(&addr).await?;
///     let name = tls::server_name("127.0.0.1").unwrap();
///     let mut stream = tls::connect(config, name, tcp).await?;
///
///     stream.write_all(b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n").await?;
///     let mut response = String::new();
///     stream.read_to_string(&mut response).await?;
///     assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
///     assert!(response.ends_with("\r\n\r\nhello"), "{response}");
///     std::io::Result::Ok(())
/// })
/// .unwrap();
/// ```
pub async fn connect<IO>(
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    io: IO,
) -> io::Result<ClientTlsStream<IO>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    TlsStream::connect(config, server_name, io).await
}

impl<IO> TlsStream<IO, ClientConnection>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    /// Connects as a TLS client over `io`; see the free function [`connect`].
    ///
    /// ```
    /// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
    /// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    /// # let url = aio::http::doc_support::serve_tls(&cert_pem, &key_pem, &["200 OK"]);
    /// # let addr = url.trim_start_matches("https://").to_owned();
    /// use aio::http::tls::{self, ClientTlsStream, TlsOptions};
    ///
    /// aio::run(async {
    ///     // A TLS server at `addr` presents `cert_pem`, which the client trusts.
    ///     let mut options = TlsOptions::default();
    ///     options.add_root_pem(cert_pem.as_bytes());
    ///     let config = tls::client_config(&options).unwrap();
    ///     let tcp = aio::net::TcpStream::connect(&addr).await?;
    ///     let name = tls::server_name("127.0.0.1").unwrap();
    ///     let stream = ClientTlsStream::connect(config, name, tcp).await?;
    ///     assert_eq!(stream.alpn_protocol(), Some(tls::ALPN_HTTP11));
    ///     std::io::Result::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn connect(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        io: IO,
    ) -> io::Result<Self> {
        let conn = ClientConnection::new(config, server_name)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        Self::handshake(conn, io).await
    }
}

impl<IO, C> TlsStream<IO, C> {
    /// The transport and the rustls connection.
    ///
    /// ```
    /// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
    /// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    /// # aio::run(async {
    /// # let (mut client, mut server) = aio::http::doc_support::tls_pair(&cert_pem, &key_pem).await;
    /// // `client` and `server`: the two ends of a TLS connection over TCP.
    /// let (tcp, tls) = client.get_ref();
    /// assert_eq!(tcp.peer_addr()?, server.get_ref().0.local_addr()?);
    /// assert!(tls.protocol_version().is_some());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn get_ref(&self) -> (&IO, &C) {
        (&self.io, &self.conn)
    }

    /// Mutable access to the transport and the rustls connection. Reading
    /// or writing the transport directly corrupts the TLS stream.
    ///
    /// ```
    /// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
    /// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    /// # aio::run(async {
    /// # let (mut client, mut server) = aio::http::doc_support::tls_pair(&cert_pem, &key_pem).await;
    /// // `client` and `server`: the two ends of a TLS connection over TCP.
    /// // Socket options are safe to change; the bytes are not.
    /// client.get_mut().0.set_nodelay(true)?;
    /// assert!(client.get_ref().0.nodelay()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn get_mut(&mut self) -> (&mut IO, &mut C) {
        (&mut self.io, &mut self.conn)
    }

    /// Gives back the transport and the rustls connection, dropping any TLS
    /// records not yet sent.
    ///
    /// ```
    /// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
    /// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    /// # aio::run(async {
    /// # let (mut client, mut server) = aio::http::doc_support::tls_pair(&cert_pem, &key_pem).await;
    /// // `client` and `server`: the two ends of a TLS connection over TCP.
    /// let (tcp, tls) = client.into_inner();
    /// assert!(!tls.is_handshaking());
    /// assert_eq!(tcp.peer_addr()?, server.get_ref().0.local_addr()?);
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn into_inner(self) -> (IO, C) {
        (self.io, self.conn)
    }
}

impl<IO, C, D> TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: Deref<Target = ConnectionCommon<D>> + DerefMut + Unpin,
    D: SideData + 'static,
{
    /// Runs the handshake of a fresh rustls connection `conn` over `io`.
    ///
    /// [`connect`] is the client's entry point; this one lets a caller build
    /// the connection itself (e.g. with extra options, or a server side
    /// for a test).
    ///
    /// ```
    /// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
    /// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    /// # let server_config = aio::http::doc_support::server_config(&cert_pem, &key_pem);
    /// # let mut options = aio::http::tls::TlsOptions::default();
    /// # options.add_root_pem(cert_pem.as_bytes());
    /// # let client_config = aio::http::tls::client_config(&options).unwrap();
    /// use aio::http::tls::{self, TlsStream};
    /// use aio::io::{AsyncReadExt, AsyncWriteExt};
    /// use aio::net::{TcpListener, TcpStream};
    /// use rustls::ServerConnection;
    ///
    /// aio::run(async {
    ///     // `server_config` presents `cert_pem`, which `client_config` trusts.
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     let server = aio::spawn(async move {
    ///         let (tcp, _) = listener.accept().await?;
    ///         let conn = ServerConnection::new(server_config).unwrap();
    ///         let mut stream = TlsStream::handshake(conn, tcp).await?;
    ///         stream.write_all(b"welcome").await?;
    ///         stream.close().await
    ///     });
    ///     let tcp = TcpStream::connect(addr).await?;
    ///     let name = tls::server_name("127.0.0.1").unwrap();
    ///     let mut client = tls::connect(client_config, name, tcp).await?;
    ///     let mut greeting = String::new();
    ///     client.read_to_string(&mut greeting).await?;
    ///     assert_eq!(greeting, "welcome");
    ///     server.await.unwrap()
    /// })
    /// .unwrap();
    /// ```
    pub async fn handshake(conn: C, io: IO) -> io::Result<Self> {
        let mut stream = TlsStream {
            io,
            conn,
            closing: false,
        };
        poll_fn(|cx| stream.poll_handshake(cx)).await?;
        Ok(stream)
    }

    /// The ALPN protocol both sides agreed on, if any (`b"http/1.1"` when
    /// the configs of this module are used).
    ///
    /// ```
    /// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
    /// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    /// # aio::run(async {
    /// # let (mut client, mut server) = aio::http::doc_support::tls_pair(&cert_pem, &key_pem).await;
    /// // `client` and `server`: the two ends of a TLS connection over TCP.
    /// assert_eq!(client.alpn_protocol(), Some(&b"http/1.1"[..]));
    /// assert_eq!(server.alpn_protocol(), client.alpn_protocol());
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.conn.alpn_protocol()
    }

    /// Drives the handshake until rustls considers it complete.
    ///
    /// Records queued at that point (the client's last flight, the server's
    /// session tickets) are sent as far as the transport takes them, but
    /// not waited for: the peer may not read them until it has sent data of
    /// its own, so waiting could deadlock on a small transport buffer. Every
    /// later read, write, flush or close sends them first.
    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let sent = self.poll_write_tls(cx)?;
            if !self.conn.is_handshaking() {
                if sent.is_ready() {
                    if let Poll::Ready(Err(e)) = Pin::new(&mut self.io).poll_flush(cx) {
                        return Poll::Ready(Err(e));
                    }
                }
                return Poll::Ready(Ok(()));
            }
            // rustls wants its flight sent before it reads the peer's answer.
            ready!(sent);
            if ready!(self.poll_read_tls(cx))? == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "peer closed the connection during the TLS handshake",
                )));
            }
        }
    }

    /// Sends queued TLS records until none remain (`Ready(Ok)`) or the
    /// transport is full (`Pending`, with the waker registered by it).
    fn poll_write_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            let mut io = SyncIo {
                io: &mut self.io,
                cx,
            };
            match self.conn.write_tls(&mut io) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Reads once from the transport into rustls and processes the records.
    /// `Ready(Ok(0))` means the transport reached EOF.
    fn poll_read_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let n = loop {
            let mut io = SyncIo {
                io: &mut self.io,
                cx,
            };
            match self.conn.read_tls(&mut io) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        };
        if let Err(err) = self.conn.process_new_packets() {
            // rustls queued an alert telling the peer why; send it if the
            // transport takes it now, but the error itself is what matters.
            let _ = self.poll_write_tls(cx);
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, err)));
        }
        Poll::Ready(Ok(n))
    }

    /// Waits until plaintext is ready to be read without I/O, or the peer
    /// closed the session cleanly; a transport EOF without `close_notify` is
    /// the [`UNCLEAN_EOF_MESSAGE`] error.
    fn poll_readable(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            // The chunk itself is not kept: only whether there is one.
            match self.conn.reader().into_first_chunk() {
                // Plaintext, or (empty) the peer's close_notify: a clean end.
                Ok(_) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(plain_read_error(e))),
            }
            // Processing input may have queued records (key-update reply,
            // alerts). Send them now: if the transport is full it keeps our
            // waker, and the read below registers it too, so whichever side
            // frees up wakes us. A write error is left for the next write to
            // report: data already received must still be readable.
            let _ = self.poll_write_tls(cx);
            // EOF (Ok(0)) is remembered by rustls: the next reader() call
            // returns Ok(0) or UnexpectedEof.
            ready!(self.poll_read_tls(cx))?;
        }
    }

    fn poll_read_plain(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(self.poll_readable(cx))?;
        // Ok(0) here means the peer sent close_notify: a clean end.
        Poll::Ready(self.conn.reader().read(buf).map_err(plain_read_error))
    }

    fn poll_write_plain(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.closing {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write after the TLS stream was closed",
            )));
        }
        if bufs.iter().all(|b| b.is_empty()) {
            return Poll::Ready(Ok(0));
        }
        // Two rounds at most: if rustls's buffer was full, the first round
        // empties it into the transport and the second one must accept data.
        for _ in 0..2 {
            let n = self.conn.writer().write_vectored(bufs)?;
            let sent = self.poll_write_tls(cx)?;
            if n > 0 {
                // Accepted; whatever the transport did not take yet goes out
                // on the next write, flush or close.
                return Poll::Ready(Ok(n));
            }
            if sent.is_pending() {
                return Poll::Pending;
            }
        }
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "the TLS connection accepts no more data",
        )))
    }

    fn poll_flush_all(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.conn.writer().flush()?;
        ready!(self.poll_write_tls(cx))?;
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.closing {
            self.conn.send_close_notify();
            self.closing = true;
        }
        ready!(self.poll_write_tls(cx))?;
        Pin::new(&mut self.io).poll_close(cx)
    }
}

impl<IO, C, D> AsyncRead for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: Deref<Target = ConnectionCommon<D>> + DerefMut + Unpin,
    D: SideData + 'static,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_plain(cx, buf)
    }
}

/// The plaintext rustls has decrypted, lent in place: a caller that parses
/// it where it lies (the HTTP client's response decoder does) saves the
/// copy `poll_read` makes. Each piece is what is left of one TLS record;
/// an empty one is the peer's `close_notify`.
///
/// ```
/// # let cert = rcgen::generate_simple_self_signed(["127.0.0.1".to_owned()]).unwrap();
/// # let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
/// # aio::run(async {
/// # let (mut client, mut server) = aio::http::doc_support::tls_pair(&cert_pem, &key_pem).await;
/// // `client` and `server`: the two ends of a TLS connection over TCP.
/// use aio::io::{AsyncBufReadExt, AsyncWriteExt};
///
/// server.write_all(b"hello").await?;
/// server.close().await?;
/// let piece = client.fill_buf().await?;
/// assert_eq!(piece, b"hello");
/// client.consume(2);
/// assert_eq!(client.fill_buf().await?, b"llo");
/// client.consume(3);
/// assert!(client.fill_buf().await?.is_empty(), "a clean end");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
impl<IO, C, D> AsyncBufRead for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: Deref<Target = ConnectionCommon<D>> + DerefMut + Unpin,
    D: SideData + 'static,
{
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        ready!(this.poll_readable(cx))?;
        Poll::Ready(
            this.conn
                .reader()
                .into_first_chunk()
                .map_err(plain_read_error),
        )
    }

    /// `amt` must be at most the length of the piece `poll_fill_buf` gave
    /// (rustls panics otherwise).
    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().conn.reader().consume(amt);
    }
}

impl<IO, C, D> AsyncWrite for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: Deref<Target = ConnectionCommon<D>> + DerefMut + Unpin,
    D: SideData + 'static,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_plain(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_plain(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_all(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_shutdown(cx)
    }
}

/// A plaintext read error as this stream reports it: a transport EOF
/// without `close_notify` says so in [`UNCLEAN_EOF_MESSAGE`].
fn plain_read_error(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        io::Error::new(io::ErrorKind::UnexpectedEof, UNCLEAN_EOF_MESSAGE)
    } else {
        e
    }
}

/// Blocking-style view of an async transport for rustls: one poll per call,
/// `Pending` reported as `WouldBlock` (the transport has kept the waker).
struct SyncIo<'a, 'b, IO> {
    io: &'a mut IO,
    cx: &'a mut Context<'b>,
}

fn pending_to_would_block<T>(poll: Poll<io::Result<T>>) -> io::Result<T> {
    match poll {
        Poll::Ready(result) => result,
        // From an ErrorKind: no allocation.
        Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
    }
}

impl<IO: AsyncRead + Unpin> Read for SyncIo<'_, '_, IO> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        pending_to_would_block(Pin::new(&mut *self.io).poll_read(self.cx, buf))
    }
}

impl<IO: AsyncWrite + Unpin> Write for SyncIo<'_, '_, IO> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        pending_to_would_block(Pin::new(&mut *self.io).poll_write(self.cx, buf))
    }

    // rustls hands over all queued records at once; keep them in one call.
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        pending_to_would_block(Pin::new(&mut *self.io).poll_write_vectored(self.cx, bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        pending_to_would_block(Pin::new(&mut *self.io).poll_flush(self.cx))
    }
}
