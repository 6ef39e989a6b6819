//! A small HTTP/2 test server running as tasks on the test's own loop (no
//! tokio runtime: the h2 crate's server side reads and writes through
//! `TokioIo`), with TLS and an ALPN list of the test's choosing, and
//! counters the tests assert on: connections accepted, streams seen, streams
//! open at once (peak), resets the client sent.
//!
//! Each stream goes to the test's handler (an async closure) as an
//! [`Incoming`]. A connection may instead be handed to a raw script
//! ([`H2Builder::raw`]): frames written byte by byte, for what the h2
//! crate's server refuses to produce (a GOAWAY below streams in flight, a
//! SETTINGS flood, garbage after the preface). A TLS connection that
//! negotiated `http/1.1` gets a one-line HTTP/1.1 answer, `http/1.1`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};

use aio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use aio::net::{TcpListener, TcpStream};
use aio_http::doc_support::TokioIo;
use aio_http::tls::TlsStream;
use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use h2::server::SendResponse;
use h2::{Reason, RecvStream};
use rustls::{ServerConfig, ServerConnection};

use super::certs::Leaf;

/// The client connection preface (RFC 9113 3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What the server has seen so far.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// TCP connections accepted.
    pub connections: usize,
    /// HTTP/2 streams handed to the handler (all connections).
    pub streams: usize,
    /// Streams whose handler is still running.
    pub active: usize,
    /// Most streams running at once.
    pub peak: usize,
    /// The reasons of the resets the client sent (as handlers saw them
    /// through [`until_reset`]).
    pub resets: Vec<Reason>,
    /// `METHOD path` of each stream, in arrival order.
    pub requests: Vec<String>,
    /// Requests answered over HTTP/1.1 (ALPN chose it).
    pub http1_requests: usize,
}

/// The counters, and the tasks waiting for them to reach some state.
#[derive(Default)]
pub struct Stats {
    counts: Mutex<Counts>,
    waiters: Mutex<Vec<Waker>>,
}

impl Stats {
    /// A copy of the counters now.
    pub fn get(&self) -> Counts {
        self.lock().clone()
    }

    /// Resolves once `fact` holds for the counters.
    pub async fn until(&self, fact: impl Fn(&Counts) -> bool) {
        poll_fn(|cx| {
            // Registered before checking: an update in between wakes us.
            self.waiters
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(cx.waker().clone());
            if fact(&self.lock()) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the counters (raw scripts count what they see) and wakes
    /// the waiters.
    pub fn update(&self, change: impl FnOnce(&mut Counts)) {
        change(&mut self.lock());
        let waiters =
            std::mem::take(&mut *self.waiters.lock().unwrap_or_else(PoisonError::into_inner));
        waiters.into_iter().for_each(Waker::wake);
    }
}

/// One request stream, as the handler gets it.
pub struct Incoming {
    pub request: http::Request<RecvStream>,
    pub respond: SendResponse<Bytes>,
    /// The connection it came on, from 0.
    pub connection: usize,
    pub stats: Arc<Stats>,
}

impl Incoming {
    /// `METHOD path?query`.
    pub fn line(&self) -> String {
        let uri = self.request.uri();
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        format!("{} {target}", self.request.method())
    }

    /// The request path.
    pub fn path(&self) -> &str {
        self.request.uri().path()
    }

    /// Reads the whole request body, handing its window back as it goes.
    pub async fn body(&mut self) -> Result<Vec<u8>, h2::Error> {
        read_all(self.request.body_mut()).await
    }

    /// Answers with `status`, `headers` and `body` (END_STREAM after it).
    pub fn reply(&mut self, status: u16, headers: &[(&str, &str)], body: impl Into<Bytes>) {
        let body = body.into();
        let Ok(mut stream) = self
            .respond
            .send_response(head(status, headers), body.is_empty())
        else {
            return;
        };
        if !body.is_empty() {
            let _ = stream.send_data(body, true);
        }
    }

    /// Waits until the client resets the stream (no head sent yet),
    /// records the reason in the stats and returns it.
    pub async fn until_reset(&mut self) -> Reason {
        let reason = poll_fn(|cx| self.respond.poll_reset(cx))
            .await
            .expect("poll_reset before the response head");
        self.stats.update(|c| c.resets.push(reason));
        reason
    }

    /// Sends a head (and `first`, if not empty), then holds the stream open
    /// until the client resets it; returns the reason, recorded in the
    /// stats.
    pub async fn stall_after(mut self, headers: &[(&str, &str)], first: &'static str) -> Reason {
        let mut stream = self
            .respond
            .send_response(head(200, headers), false)
            .expect("send the response head");
        if !first.is_empty() {
            stream
                .send_data(first.into(), false)
                .expect("send the first piece");
        }
        let reason = poll_fn(|cx| stream.poll_reset(cx))
            .await
            .expect("poll_reset after the response head");
        self.stats.update(|c| c.resets.push(reason));
        reason
    }
}

/// A response head.
pub fn head(status: u16, headers: &[(&str, &str)]) -> http::Response<()> {
    let mut response = http::Response::new(());
    *response.status_mut() = http::StatusCode::from_u16(status).expect("status code");
    for (name, value) in headers {
        response.headers_mut().append(
            http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            http::HeaderValue::from_str(value).expect("header value"),
        );
    }
    response
}

/// Reads a whole body, releasing flow-control capacity piece by piece.
pub async fn read_all(body: &mut RecvStream) -> Result<Vec<u8>, h2::Error> {
    let mut out = Vec::new();
    while let Some(piece) = poll_fn(|cx| body.poll_data(cx)).await {
        let piece = piece?;
        let _ = body.flow_control().release_capacity(piece.len());
        out.extend_from_slice(&piece);
    }
    Ok(out)
}

type BoxFuture = Pin<Box<dyn Future<Output = ()>>>;
type Handler = Rc<dyn Fn(Incoming) -> BoxFuture>;
type RawScript = Box<dyn FnOnce(RawConn) -> BoxFuture>;

/// How to build an [`H2Server`].
pub struct H2Builder {
    tls: Option<Arc<ServerConfig>>,
    max_concurrent_streams: Option<u32>,
    initial_window_size: Option<u32>,
    raw: HashMap<usize, RawScript>,
}

/// A running server; it lives as long as the loop it was started on.
pub struct H2Server {
    addr: SocketAddr,
    https: bool,
    pub stats: Arc<Stats>,
}

impl H2Server {
    /// Cleartext HTTP/2 (prior knowledge).
    pub fn h2c() -> H2Builder {
        H2Builder {
            tls: None,
            max_concurrent_streams: None,
            initial_window_size: None,
            raw: HashMap::new(),
        }
    }

    /// TLS presenting `leaf`, offering `alpn` (in the server's order of
    /// preference).
    pub fn tls(leaf: &Leaf, alpn: &[&[u8]]) -> H2Builder {
        let mut config = (*leaf.server_config()).clone();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        H2Builder {
            tls: Some(Arc::new(config)),
            ..H2Server::h2c()
        }
    }

    /// `https://127.0.0.1:PORT/path` (or `http://`).
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    pub fn counts(&self) -> Counts {
        self.stats.get()
    }
}

impl H2Builder {
    /// SETTINGS_MAX_CONCURRENT_STREAMS.
    pub fn max_concurrent_streams(mut self, n: u32) -> H2Builder {
        self.max_concurrent_streams = Some(n);
        self
    }

    /// SETTINGS_INITIAL_WINDOW_SIZE (per stream).
    pub fn initial_window_size(mut self, n: u32) -> H2Builder {
        self.initial_window_size = Some(n);
        self
    }

    /// Connection number `index` (from 0) is handed to `script` instead of
    /// the h2 crate. Cleartext servers only.
    pub fn raw<F, Fut>(mut self, index: usize, script: F) -> H2Builder
    where
        F: FnOnce(RawConn) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        assert!(self.tls.is_none(), "raw scripts run on cleartext servers");
        self.raw
            .insert(index, Box::new(move |conn| Box::pin(script(conn))));
        self
    }

    /// Starts the server on the caller's loop; `handler` answers each
    /// stream.
    pub async fn start<F, Fut>(self, handler: F) -> H2Server
    where
        F: Fn(Incoming) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let stats = Arc::new(Stats::default());
        let handler: Handler = Rc::new(move |incoming| Box::pin(handler(incoming)));
        let server = H2Server {
            addr,
            https: self.tls.is_some(),
            stats: Arc::clone(&stats),
        };
        let shared = Rc::new(Shared {
            tls: self.tls,
            max_concurrent_streams: self.max_concurrent_streams,
            initial_window_size: self.initial_window_size,
            raw: RefCell::new(self.raw),
            handler,
            stats,
        });
        aio::spawn(async move {
            let mut index = 0;
            while let Ok((tcp, _)) = listener.accept().await {
                shared.stats.update(|c| c.connections += 1);
                aio::spawn(Rc::clone(&shared).connection(tcp, index));
                index += 1;
            }
        });
        server
    }
}

struct Shared {
    tls: Option<Arc<ServerConfig>>,
    max_concurrent_streams: Option<u32>,
    initial_window_size: Option<u32>,
    raw: RefCell<HashMap<usize, RawScript>>,
    handler: Handler,
    stats: Arc<Stats>,
}

impl Shared {
    async fn connection(self: Rc<Self>, tcp: TcpStream, index: usize) {
        let raw = self.raw.borrow_mut().remove(&index);
        if let Some(script) = raw {
            return script(RawConn::new(tcp, Arc::clone(&self.stats))).await;
        }
        let Some(config) = self.tls.clone() else {
            return self.serve_h2(tcp, index).await;
        };
        let Ok(conn) = ServerConnection::new(config) else {
            return;
        };
        let Ok(tls) = TlsStream::handshake(conn, tcp).await else {
            return;
        };
        if tls.alpn_protocol() == Some(&b"h2"[..]) {
            self.serve_h2(tls, index).await;
        } else {
            self.serve_http1(tls).await;
        }
    }

    async fn serve_h2<IO>(&self, io: IO, index: usize)
    where
        IO: AsyncRead + AsyncWrite + Unpin + 'static,
    {
        let mut builder = h2::server::Builder::new();
        // Room for the large uploads: unread bodies of other streams must
        // not stall the connection.
        builder.initial_connection_window_size(16 << 20);
        if let Some(n) = self.max_concurrent_streams {
            builder.max_concurrent_streams(n);
        }
        if let Some(n) = self.initial_window_size {
            builder.initial_window_size(n);
        }
        let Ok(mut connection) = builder.handshake::<_, Bytes>(TokioIo::new(io)).await else {
            return;
        };
        while let Some(Ok((request, respond))) = connection.accept().await {
            let line = format!("{} {}", request.method(), request.uri().path());
            self.stats.update(|c| {
                c.streams += 1;
                c.active += 1;
                c.peak = c.peak.max(c.active);
                c.requests.push(line);
            });
            let incoming = Incoming {
                request,
                respond,
                connection: index,
                stats: Arc::clone(&self.stats),
            };
            let handled = (self.handler)(incoming);
            let stats = Arc::clone(&self.stats);
            aio::spawn(async move {
                handled.await;
                stats.update(|c| c.active -= 1);
            });
        }
    }

    /// Reads one HTTP/1.1 request head and answers `http/1.1`.
    async fn serve_http1<IO: AsyncRead + AsyncWrite + Unpin>(&self, mut io: IO) {
        let mut head = Vec::new();
        let mut byte = [0; 1];
        while !head.ends_with(b"\r\n\r\n") {
            match io.read(&mut byte).await {
                Ok(1) => head.push(byte[0]),
                _ => return,
            }
        }
        self.stats.update(|c| c.http1_requests += 1);
        let answer = "HTTP/1.1 200 OK\r\ncontent-length: 8\r\nconnection: close\r\n\r\nhttp/1.1";
        let _ = io.write_all(answer.as_bytes()).await;
        let _ = io.flush().await;
    }
}

/// Frame types and flags (RFC 9113 6).
pub mod frame {
    pub const DATA: u8 = 0x0;
    pub const HEADERS: u8 = 0x1;
    pub const RST_STREAM: u8 = 0x3;
    pub const SETTINGS: u8 = 0x4;
    pub const GOAWAY: u8 = 0x7;
    pub const END_STREAM: u8 = 0x1;
    pub const END_HEADERS: u8 = 0x4;
    pub const ACK: u8 = 0x1;
}

/// A frame as read off the wire.
#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

/// A raw HTTP/2 connection, read and written frame by frame; the halves
/// can be used from two tasks at once.
pub struct RawConn {
    pub reader: FrameReader,
    pub writer: FrameWriter,
    pub stats: Arc<Stats>,
}

impl RawConn {
    fn new(tcp: TcpStream, stats: Arc<Stats>) -> RawConn {
        let (read, write) = tcp.into_split();
        RawConn {
            reader: FrameReader(read),
            writer: FrameWriter(write),
            stats,
        }
    }

    /// Reads the client's preface and sends the server's (empty SETTINGS).
    pub async fn handshake(&mut self) {
        self.reader.preface().await.expect("the client preface");
        self.writer.settings(&[]).await.expect("write SETTINGS");
    }

    /// Reads until `n` request heads arrived, acknowledging the client's
    /// SETTINGS meanwhile and counting each head in `stats.streams`;
    /// returns the heads in order.
    pub async fn heads(&mut self, n: usize) -> Vec<Frame> {
        let mut heads = Vec::new();
        while heads.len() < n {
            let Some(f) = self.reader.frame().await.expect("read a frame") else {
                panic!("the client left after {} request heads", heads.len());
            };
            match f.kind {
                frame::SETTINGS if f.flags & frame::ACK == 0 => {
                    self.writer
                        .settings_ack()
                        .await
                        .expect("write SETTINGS ACK");
                }
                frame::HEADERS => {
                    heads.push(f);
                    self.stats.update(|c| c.streams += 1);
                }
                _ => {}
            }
        }
        heads
    }
}

pub struct FrameReader(OwnedReadHalf);

impl FrameReader {
    /// Reads the client's connection preface.
    pub async fn preface(&mut self) -> io::Result<()> {
        let mut got = [0; 24];
        self.0.read_exact(&mut got).await?;
        if got != PREFACE {
            return Err(io::Error::other("not an HTTP/2 preface"));
        }
        Ok(())
    }

    /// The next frame; `None` when the client closed the connection.
    pub async fn frame(&mut self) -> io::Result<Option<Frame>> {
        let mut header = [0; 9];
        match self.0.read_exact(&mut header).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let len = u32::from_be_bytes([0, header[0], header[1], header[2]]) as usize;
        let stream = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) & !(1 << 31);
        let mut payload = vec![0; len];
        self.0.read_exact(&mut payload).await?;
        Ok(Some(Frame {
            kind: header[3],
            flags: header[4],
            stream,
            payload,
        }))
    }

    /// Reads frames until `fact` holds for one; `None` if the connection
    /// ended first.
    pub async fn until(&mut self, mut fact: impl FnMut(&Frame) -> bool) -> Option<Frame> {
        while let Ok(Some(frame)) = self.frame().await {
            if fact(&frame) {
                return Some(frame);
            }
        }
        None
    }

    /// Reads and drops everything until the client closes.
    pub async fn drain(&mut self) {
        while let Ok(Some(_)) = self.frame().await {}
    }
}

pub struct FrameWriter(OwnedWriteHalf);

impl FrameWriter {
    pub async fn bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes).await
    }

    pub async fn frame(
        &mut self,
        kind: u8,
        flags: u8,
        stream: u32,
        payload: &[u8],
    ) -> io::Result<()> {
        self.bytes(&encode_frame(kind, flags, stream, payload))
            .await
    }

    /// A SETTINGS frame with `settings` (identifier, value).
    pub async fn settings(&mut self, settings: &[(u16, u32)]) -> io::Result<()> {
        self.bytes(&settings_frame(settings)).await
    }

    pub async fn settings_ack(&mut self) -> io::Result<()> {
        self.frame(frame::SETTINGS, frame::ACK, 0, &[]).await
    }

    /// A response head on `stream`: `:status` then literal `headers`.
    pub async fn head(
        &mut self,
        stream: u32,
        status: u16,
        headers: &[(&str, &str)],
        end_stream: bool,
    ) -> io::Result<()> {
        let flags = frame::END_HEADERS | if end_stream { frame::END_STREAM } else { 0 };
        self.frame(frame::HEADERS, flags, stream, &hpack(status, headers))
            .await
    }

    pub async fn data(&mut self, stream: u32, data: &[u8], end_stream: bool) -> io::Result<()> {
        let flags = if end_stream { frame::END_STREAM } else { 0 };
        self.frame(frame::DATA, flags, stream, data).await
    }

    pub async fn goaway(&mut self, last_stream: u32, code: u32) -> io::Result<()> {
        let mut payload = last_stream.to_be_bytes().to_vec();
        payload.extend_from_slice(&code.to_be_bytes());
        self.frame(frame::GOAWAY, 0, 0, &payload).await
    }

    pub async fn shutdown(&mut self) {
        let _ = self.0.shutdown().await;
    }
}

pub fn encode_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() as u32).to_be_bytes();
    let mut out = Vec::with_capacity(9 + payload.len());
    out.extend_from_slice(&len[1..]);
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

pub fn settings_frame(settings: &[(u16, u32)]) -> Vec<u8> {
    let mut payload = Vec::new();
    for (id, value) in settings {
        payload.extend_from_slice(&id.to_be_bytes());
        payload.extend_from_slice(&value.to_be_bytes());
    }
    encode_frame(frame::SETTINGS, 0, 0, &payload)
}

/// A header block without the dynamic table or Huffman coding: `:status`
/// as a literal with its static name (index 8), then each header as a
/// literal with a new name. Names and values under 127 bytes.
fn hpack(status: u16, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = vec![0x08, 3];
    out.extend_from_slice(status.to_string().as_bytes());
    for (name, value) in headers {
        assert!(name.len() < 127 && value.len() < 127);
        out.push(0x00);
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.push(value.len() as u8);
        out.extend_from_slice(value.as_bytes());
    }
    out
}
