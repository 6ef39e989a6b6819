//! One HTTP/1.1 connection: its identity ([`Route`]: the [`Origin`] it
//! talks to, and the proxy it goes through if any), its transport (TCP or
//! TLS over TCP, possibly through a proxy's tunnel), its reused read and
//! write buffers, and how it is opened.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use aio_reactor::net::TcpStream;
use aio_reactor::time::Instant;
use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use http::HeaderValue;
use rustls::ClientConfig;
use url::Url;

use crate::deadline::{after, Bound, Deadline};
use crate::error::{Error, Kind, Limit, Phase};
use crate::proto::{encode_chunk, LAST_CHUNK};
use crate::proxy::{socks, tunnel, ProxyKind, ProxyTarget};
use crate::request_body::Streamed;
use crate::tls::{self, ClientTlsStream};

/// Size of a plain connection's read buffer, allocated once per connection
/// and reused for every response on it. A TLS connection has none: it
/// lends out the plaintext rustls decrypted, where it lies.
const READ_BUF_SIZE: usize = 16 * 1024;

/// Request bodies up to this size are copied behind the head so both go out
/// in one write; larger ones are written from the caller's buffer.
const COALESCE_BODY_MAX: usize = 16 * 1024;

/// The byte stream under HTTP.
pub(crate) enum Transport {
    Plain(TcpStream),
    // Boxed: a rustls connection is large, and connections move between the
    // pool and responses.
    Tls(Box<ClientTlsStream<TcpStream>>),
}

impl Transport {
    /// The server's (or the proxy's) address.
    #[cfg(feature = "http2")]
    pub(crate) fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        self.tcp().peer_addr().ok()
    }

    fn tcp(&self) -> &TcpStream {
        match self {
            Transport::Plain(s) => s,
            Transport::Tls(s) => s.get_ref().0,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Transport::Plain(s) => Pin::new(s).poll_flush(cx),
            Transport::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Transport::poll_write(self.get_mut(), cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Transport::poll_flush(self.get_mut(), cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Plain(s) => Pin::new(s).poll_close(cx),
            Transport::Tls(s) => Pin::new(&mut **s).poll_close(cx),
        }
    }
}

/// Which server a request is for: scheme, host and port of its URL.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub(crate) https: bool,
    /// As in the URL: lower-case name, or IP literal (`[..]` for IPv6).
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Origin {
    /// The origin of a URL, refusing what this client cannot fetch (a scheme
    /// other than http/https, no host).
    pub(crate) fn of(url: &Url) -> Result<Origin, Error> {
        let https = match url.scheme() {
            "http" => false,
            "https" => true,
            other => {
                return Err(Error::new(
                    Kind::InvalidUrl,
                    format!(
                        "unsupported URL scheme \"{other}\" (only http and https are supported)"
                    ),
                ))
            }
        };
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.to_owned(),
            _ => return Err(Error::new(Kind::InvalidUrl, "URL has no host")),
        };
        let port = url
            .port_or_known_default()
            .unwrap_or(if https { 443 } else { 80 });
        Ok(Origin { https, host, port })
    }

    /// `host:port`, the form `TcpStream::connect` resolves.
    pub(crate) fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// How a connection reaches its origin: straight, or through a proxy. Its
/// identity: two requests with the same route may share a connection (the
/// pool keys on it), so a connection through one proxy, or with one
/// proxy's credentials, never carries a request meant for another route.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Route {
    pub(crate) origin: Origin,
    pub(crate) proxy: Option<Arc<ProxyTarget>>,
}

impl Route {
    /// The HTTP proxy that takes this route's requests in absolute form
    /// (plain HTTP through an HTTP proxy). On every other route the
    /// requests reach the origin as they would directly: through a tunnel,
    /// through SOCKS, or straight.
    pub(crate) fn forwarding_proxy(&self) -> Option<&ProxyTarget> {
        self.proxy
            .as_deref()
            .filter(|p| p.kind == ProxyKind::Http && !self.origin.https)
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.proxy {
            Some(proxy) => write!(f, "{:?} via {proxy}", self.origin),
            None => self.origin.fmt(f),
        }
    }
}

/// An open connection with its buffers.
pub(crate) struct Conn {
    io: Transport,
    /// Over plain TCP, bytes read but not yet consumed by the decoder are
    /// `buf[start..end]`. Over TLS it stays empty: the unconsumed bytes are
    /// the plaintext rustls holds.
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Holds the encoded request head (and small bodies); reused.
    write_buf: Vec<u8>,
    /// Whom it talks to, and through what; the pool files it under this.
    pub(crate) route: Route,
    /// The socket's peer, asked once: every response on it reports it.
    peer_addr: Option<std::net::SocketAddr>,
    /// The loop whose reactor its socket is registered with (see
    /// `aio_reactor::current_loop_id`): only that loop's tasks reuse it.
    pub(crate) loop_id: Option<u64>,
    /// Whether this connection already carried a request (came from the
    /// pool): a failure before any response byte is then the stale case.
    pub(crate) reused: bool,
    /// When it went back to the pool.
    pub(crate) idle_since: Instant,
    /// The socket's read-event count when it went back to the pool.
    idle_read_events: u32,
    /// Its place in the pool's count of open connections, given up when the
    /// connection is dropped. Held only to be dropped with it, so its type
    /// (the pool's `Slot`) is erased: the pool knows connections, a
    /// connection need not know the pool.
    pub(crate) slot: Option<Box<dyn Send + Sync>>,
}

impl Conn {
    fn new(io: Transport, route: Route) -> Conn {
        let buf_size = match io {
            Transport::Plain(_) => READ_BUF_SIZE,
            Transport::Tls(_) => 0,
        };
        let peer_addr = io.tcp().peer_addr().ok();
        Conn {
            io,
            buf: vec![0; buf_size].into_boxed_slice(),
            peer_addr,
            start: 0,
            end: 0,
            write_buf: Vec::new(),
            route,
            // Made where its socket was connected, so registered there.
            loop_id: aio_reactor::current_loop_id(),
            reused: false,
            idle_since: Instant::now(),
            idle_read_events: 0,
            slot: None,
        }
    }

    /// Whether the TLS handshake settled on HTTP/2 (ALPN `h2`).
    #[cfg(feature = "http2")]
    pub(crate) fn negotiated_h2(&self) -> bool {
        match &self.io {
            Transport::Tls(s) => s.alpn_protocol() == Some(&b"h2"[..]),
            Transport::Plain(_) => false,
        }
    }

    /// The byte stream and the pool slot, for a connection that goes on as
    /// HTTP/2 (which keeps its own buffers). Nothing was consumed from it.
    #[cfg(feature = "http2")]
    pub(crate) fn into_stream(self) -> (Transport, Option<Box<dyn Send + Sync>>) {
        // Plaintext rustls already decrypted (the server's first frames may
        // come with the handshake) stays in the stream, read first.
        (self.io, self.slot)
    }

    /// The server's address.
    pub(crate) fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        self.peer_addr
    }

    /// Unconsumed bytes already read (over TLS, decrypted).
    pub(crate) fn buffered(&mut self) -> &[u8] {
        match &mut self.io {
            Transport::Plain(_) => &self.buf[self.start..self.end],
            // Without I/O; a read error waiting there is the next fill's.
            Transport::Tls(s) => s.get_mut().1.reader().into_first_chunk().unwrap_or(&[]),
        }
    }

    /// Marks the first `n` bytes of [`Conn::buffered`] as consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        if let Transport::Tls(s) = &mut self.io {
            let n = n.min(
                s.get_mut()
                    .1
                    .reader()
                    .into_first_chunk()
                    .map_or(0, <[u8]>::len),
            );
            Pin::new(&mut **s).consume(n);
            return;
        }
        self.start += n.min(self.end - self.start);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Reads more bytes; `Ok(0)` at a clean end of stream. Called only when
    /// everything buffered was consumed. Over TLS nothing is copied: the
    /// plaintext stays in rustls and `buffered` lends it.
    pub(crate) async fn fill(&mut self) -> io::Result<usize> {
        let tcp = match &mut self.io {
            Transport::Plain(tcp) => tcp,
            Transport::Tls(s) => {
                return poll_fn(|cx| Pin::new(&mut **s).poll_fill_buf(cx).map_ok(<[u8]>::len)).await
            }
        };
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.end == self.buf.len() {
            // The decoder consumes all input before asking for more, so a
            // full buffer means a caller broke that contract.
            return Err(io::Error::other(format!(
                "internal error: the {}-byte read buffer is full (the decoder left input unconsumed)",
                self.buf.len()
            )));
        }
        let free = &mut self.buf[self.end..];
        let n = poll_fn(|cx| Pin::new(&mut *tcp).poll_read(cx, free)).await?;
        self.end += n;
        Ok(n)
    }

    /// Writes a request with a body held in memory: the head is encoded
    /// into the reused write buffer by `encode`, followed by `body` (in the
    /// same write when small).
    pub(crate) async fn send(
        &mut self,
        encode: impl FnOnce(&mut Vec<u8>),
        body: &[u8],
        deadline: &mut Deadline,
    ) -> Result<(), SendError> {
        let mut out = std::mem::take(&mut self.write_buf);
        out.clear();
        encode(&mut out);
        let separate_body = body.len() > COALESCE_BODY_MAX;
        if !separate_body {
            out.extend_from_slice(body);
        }
        let mut result = self.write_all(&out, deadline).await;
        if result.is_ok() && separate_body {
            result = self.write_all(body, deadline).await;
        }
        if result.is_ok() {
            result = self.flush(deadline).await;
        }
        // Keep a reasonably sized buffer for the next request only.
        if out.capacity() <= 2 * COALESCE_BODY_MAX {
            self.write_buf = out;
        }
        result
    }

    /// Writes a request whose body is pulled from `body` piece by piece:
    /// `chunked` frames each piece as a chunk and ends with the last chunk;
    /// otherwise the pieces go as they are (the head carries the length,
    /// and `body` holds each source to its declared length). The head waits
    /// for the first piece, so the two go out in one write.
    ///
    /// Waiting for the body counts against the total timeout only: a slow
    /// producer is not a silent server.
    pub(crate) async fn send_streamed(
        &mut self,
        encode: impl FnOnce(&mut Vec<u8>),
        body: &mut Streamed,
        chunked: bool,
        deadline: &mut Deadline,
    ) -> Result<(), SendError> {
        let mut out = std::mem::take(&mut self.write_buf);
        out.clear();
        encode(&mut out);
        let mut result = self.write_pieces(&mut out, body, chunked, deadline).await;
        if result.is_ok() {
            result = self.flush(deadline).await;
        }
        // A piece made the buffer large: not kept past this request.
        if out.capacity() <= 2 * COALESCE_BODY_MAX {
            self.write_buf = out;
        }
        result
    }

    /// Writes what `out` holds, followed by every piece of `body`.
    async fn write_pieces(
        &mut self,
        out: &mut Vec<u8>,
        body: &mut Streamed,
        chunked: bool,
        deadline: &mut Deadline,
    ) -> Result<(), SendError> {
        loop {
            let n = deadline
                .wait_total(Phase::SendRequest, body.fill())
                .await
                .map_err(SendError::Timeout)?
                .map_err(SendError::Body)?;
            if n == 0 {
                break;
            }
            if chunked {
                encode_chunk(body.piece(), out);
            } else {
                out.extend_from_slice(body.piece());
            }
            self.write_all(out, deadline).await?;
            out.clear();
        }
        if chunked {
            out.extend_from_slice(LAST_CHUNK);
        }
        self.write_all(out, deadline).await
    }

    async fn flush(&mut self, deadline: &mut Deadline) -> Result<(), SendError> {
        let io = &mut self.io;
        match deadline
            .wait(Phase::SendRequest, None, poll_fn(|cx| io.poll_flush(cx)))
            .await
        {
            Ok(r) => r.map_err(SendError::Io),
            Err(e) => Err(SendError::Timeout(e)),
        }
    }

    async fn write_all(
        &mut self,
        mut data: &[u8],
        deadline: &mut Deadline,
    ) -> Result<(), SendError> {
        while !data.is_empty() {
            let io = &mut self.io;
            let n = deadline
                .wait(
                    Phase::SendRequest,
                    None,
                    poll_fn(|cx| io.poll_write(cx, data)),
                )
                .await
                .map_err(SendError::Timeout)?
                .map_err(SendError::Io)?;
            if n == 0 {
                return Err(SendError::Io(io::ErrorKind::WriteZero.into()));
            }
            data = &data[n..];
        }
        Ok(())
    }

    /// Whether the peer sent anything past the end of the response that
    /// this connection already holds: bytes in the read buffer, or, over
    /// TLS, plaintext rustls has decrypted but nobody read yet (a response
    /// that fills the read buffer exactly leaves the next record there, out
    /// of sight of the socket probe in [`Conn::is_idle_usable`]), or the
    /// peer's `close_notify`. Such a connection must not carry another
    /// request: the stray bytes would be read as its response.
    pub(crate) fn has_unread(&mut self) -> bool {
        if !self.buffered().is_empty() {
            return true;
        }
        match &mut self.io {
            Transport::Plain(_) => false,
            // Only processes records already received: no I/O.
            Transport::Tls(s) => match s.get_mut().1.process_new_packets() {
                Ok(state) => state.plaintext_bytes_to_read() > 0 || state.peer_has_closed(),
                Err(_) => true,
            },
        }
    }

    /// Marks the connection idle: remembers the socket's read-event count.
    pub(crate) fn mark_idle(&mut self) {
        self.idle_since = Instant::now();
        self.idle_read_events = self.io.tcp().read_event_count();
    }

    /// Whether an idle connection still looks usable: nothing to read, not
    /// closed, no error. Any byte from the server while idle (even a TLS
    /// alert) means it cannot be trusted with a request.
    ///
    /// With `retry_safe` (the request may be sent again on a fresh
    /// connection), an unchanged read-event count is enough: no system call.
    /// Otherwise the socket itself is asked, which also catches a close the
    /// event loop has not seen yet.
    pub(crate) fn is_idle_usable(&self, retry_safe: bool) -> bool {
        if retry_safe && self.io.tcp().read_event_count() == self.idle_read_events {
            return true;
        }
        let mut probe = [0u8; 1];
        matches!(self.io.tcp().try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

/// Why writing a request failed.
pub(crate) enum SendError {
    Io(io::Error),
    Timeout(Error),
    /// A streamed body failed or broke its declared length.
    Body(Error),
}

/// Opens a connection along `route`: TCP connect (DNS on the blocking pool,
/// each address tried) to the origin or to the proxy; through a proxy, the
/// `CONNECT` tunnel (https through an HTTP proxy) or the SOCKS5 handshake;
/// then, for https, the TLS handshake with the origin, `tls`. All of it is
/// bounded by the connect timeout together, and by the total deadline.
pub(crate) async fn connect(
    route: &Route,
    tls: &Arc<ClientConfig>,
    user_agent: &HeaderValue,
    connect_timeout: Option<Duration>,
    deadline: &mut Deadline,
) -> Result<Conn, Error> {
    let bound = connect_timeout.map(|d| (after(d), Limit::Connect, d));
    let origin = &route.origin;
    let tcp = match &route.proxy {
        None => {
            let label = origin.authority();
            let context = format!("could not connect to {label}");
            tcp_connect(&label, &context, bound, deadline).await?
        }
        Some(proxy) => {
            let label = proxy.authority();
            let context = format!("could not connect to proxy {proxy}");
            let mut tcp = tcp_connect(&label, &context, bound, deadline).await?;
            match proxy.kind {
                ProxyKind::Http if !origin.https => {}
                ProxyKind::Http => {
                    let authority = origin.authority();
                    let open = tunnel::open(&mut tcp, proxy, &authority, user_agent);
                    deadline.wait(Phase::ProxyHandshake, bound, open).await??;
                }
                ProxyKind::Socks5 | ProxyKind::Socks5h => {
                    let open = socks::handshake(&mut tcp, proxy, &origin.host, origin.port);
                    deadline.wait(Phase::ProxyHandshake, bound, open).await??;
                }
            }
            tcp
        }
    };
    let io = if origin.https {
        let name =
            tls::server_name(&origin.host).map_err(|e| Error::with_source(Kind::Tls, "", e))?;
        let stream = deadline
            .wait(
                Phase::TlsHandshake,
                bound,
                tls::connect(Arc::clone(tls), name, tcp),
            )
            .await?
            .map_err(handshake_error)?;
        Transport::Tls(Box::new(stream))
    } else {
        Transport::Plain(tcp)
    };
    Ok(Conn::new(io, route.clone()))
}

/// TCP connect to `label` (`host:port`), an error saying `context`.
async fn tcp_connect(
    label: &str,
    context: &str,
    bound: Option<Bound>,
    deadline: &mut Deadline,
) -> Result<TcpStream, Error> {
    let tcp = deadline
        .wait(Phase::Connect, bound, TcpStream::connect(label))
        .await?
        .map_err(|e| connect_error(e, label, context))?;
    // Requests are written whole; don't let Nagle hold the last segment.
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

/// A failed handshake. When rustls refused it, the description of what was
/// wrong (e.g. with the certificate) stands for the cause: rustls's own
/// wording of the same fact is not kept as a source, so it is not shown
/// twice.
fn handshake_error(e: io::Error) -> Error {
    if tls::rustls_error(&e).is_some() {
        let text = tls::describe_io_error(&e);
        Error::new(Kind::Tls, format!("TLS handshake failed: {text}"))
    } else {
        Error::with_source(Kind::Tls, "TLS handshake failed", e)
    }
}

/// `context` ("could not connect to X") is this error's own words; the
/// reasons (one per address tried) are its source, an `io::Error` of the
/// last one's kind. The reactor's error starts with "could not connect to
/// `label`": that is split off so it is not shown twice.
fn connect_error(e: io::Error, label: &str, context: &str) -> Error {
    let text = e.to_string();
    let reactor_context = format!("could not connect to {label}");
    match text
        .strip_prefix(reactor_context.as_str())
        .and_then(|r| r.strip_prefix(": "))
    {
        Some(reasons) => {
            Error::with_source(Kind::Connect, context, io::Error::new(e.kind(), reasons))
        }
        None => Error::with_source(Kind::Connect, context, e),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn route(url: &str, proxy: Option<&str>) -> Route {
        Route {
            origin: Origin::of(&Url::parse(url).unwrap()).unwrap(),
            proxy: proxy.map(|p| Arc::new(ProxyTarget::parse(p, None).unwrap())),
        }
    }

    #[test]
    fn routes_to_one_origin_differ_by_proxy_and_its_credentials() {
        let url = "https://example.com/";
        let routes = [
            route(url, None),
            route(url, Some("http://p:1")),
            route(url, Some("http://p:2")),
            route(url, Some("http://ann:x@p:1")),
            route(url, Some("http://ann:y@p:1")),
            route(url, Some("socks5://p:1")),
            route(url, Some("socks5h://p:1")),
        ];
        let keys: HashSet<Route> = routes.iter().cloned().collect();
        assert_eq!(keys.len(), routes.len());
        assert!(keys.contains(&route(url, Some("http://ann:x@p:1"))));
    }

    #[test]
    fn only_plain_http_through_an_http_proxy_is_forwarded() {
        let forwarded = |url, proxy| route(url, proxy).forwarding_proxy().is_some();
        assert!(forwarded("http://example.com/", Some("http://p:1")));
        assert!(!forwarded("https://example.com/", Some("http://p:1")));
        assert!(!forwarded("http://example.com/", Some("socks5://p:1")));
        assert!(!forwarded("http://example.com/", None));
    }
}
