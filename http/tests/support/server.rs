//! Scripted HTTP servers on 127.0.0.1 for the client tests: a std listener
//! in a thread, one thread per connection running the test's handler over
//! plain TCP or rustls. They count accepted connections, and the requests
//! read on each, so tests can assert connection reuse and which connection
//! carried a request.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// How long a server thread waits for the client before giving up, so a
/// failing test never leaves threads blocked forever.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// The head exactly as received, request line to the empty line.
    pub head: String,
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked when it came chunked.
    pub body: Vec<u8>,
    /// The body exactly as it came, chunk framing included.
    pub wire_body: Vec<u8>,
}

impl RawRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

enum Io {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

/// The server's side of one connection.
pub struct Peer {
    io: Io,
    buf: Vec<u8>,
    /// 0 for the first connection accepted, 1 for the second...
    pub index: usize,
    /// Requests read, per connection index.
    requests: Arc<Mutex<Vec<usize>>>,
}

impl Peer {
    fn tcp(&self) -> &TcpStream {
        match &self.io {
            Io::Plain(s) => s,
            Io::Tls(s) => &s.sock,
        }
    }

    fn read_some(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match &mut self.io {
            Io::Plain(s) => s.read(out),
            Io::Tls(s) => s.read(out),
        }
    }

    /// The next request (head, and a body of its Content-Length or
    /// chunked); `None` when the client closed the connection or failed,
    /// or sent a malformed chunk.
    pub fn read_request(&mut self) -> Option<RawRequest> {
        let mut body = Vec::new();
        let mut req = self.read_request_with(&mut |data| body.extend_from_slice(data), true)?;
        req.body = body;
        Some(req)
    }

    /// Like [`read_request`](Peer::read_request), but hands the body to
    /// `sink` as it arrives (de-chunked) and keeps none of it: for bodies
    /// too large to hold.
    pub fn read_request_streaming(&mut self, mut sink: impl FnMut(&[u8])) -> Option<RawRequest> {
        self.read_request_with(&mut sink, false)
    }

    fn read_request_with(
        &mut self,
        sink: &mut dyn FnMut(&[u8]),
        keep_wire: bool,
    ) -> Option<RawRequest> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.read_more()?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let mut first = lines.next()?.split(' ');
        let method = first.next()?.to_owned();
        let target = first.next()?.to_owned();
        let headers: Vec<(String, String)> = lines
            .filter(|l| !l.is_empty())
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        self.buf.drain(..head_end);
        let mut req = RawRequest {
            head: head.clone(),
            method,
            target,
            headers,
            body: Vec::new(),
            wire_body: Vec::new(),
        };
        let mut wire = Vec::new();
        let mut wire_sink = |data: &[u8]| {
            if keep_wire {
                wire.extend_from_slice(data);
            }
        };
        if req
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            self.read_chunked(sink, &mut wire_sink)?;
        } else {
            let len: usize = req
                .header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            self.read_data(len, &mut |data| {
                sink(data);
                wire_sink(data);
            })?;
        }
        req.wire_body = wire;
        let mut requests = self.requests.lock().unwrap();
        if requests.len() <= self.index {
            requests.resize(self.index + 1, 0);
        }
        requests[self.index] += 1;
        Some(req)
    }

    /// Reads one read's worth more into the buffer; `None` at the end.
    fn read_more(&mut self) -> Option<()> {
        let mut chunk = [0u8; 64 * 1024];
        match self.read_some(&mut chunk) {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Some(())
            }
        }
    }

    /// Passes the next `len` bytes to `sink`, as they arrive.
    fn read_data(&mut self, mut len: usize, sink: &mut dyn FnMut(&[u8])) -> Option<()> {
        while len > 0 {
            if self.buf.is_empty() {
                self.read_more()?;
            }
            let n = len.min(self.buf.len());
            sink(&self.buf[..n]);
            self.buf.drain(..n);
            len -= n;
        }
        Some(())
    }

    /// A chunked body (no trailers): the data to `sink`, everything as
    /// received to `wire`.
    fn read_chunked(
        &mut self,
        sink: &mut dyn FnMut(&[u8]),
        wire: &mut dyn FnMut(&[u8]),
    ) -> Option<()> {
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf, b"\r\n") {
                    break i;
                }
                self.read_more()?;
            };
            let size =
                usize::from_str_radix(std::str::from_utf8(&self.buf[..line_end]).ok()?, 16).ok()?;
            wire(&self.buf[..line_end + 2]);
            self.buf.drain(..line_end + 2);
            self.read_data(size, &mut |data| {
                sink(data);
                wire(data);
            })?;
            while self.buf.len() < 2 {
                self.read_more()?;
            }
            if self.buf[..2] != *b"\r\n" {
                return None;
            }
            wire(b"\r\n");
            self.buf.drain(..2);
            if size == 0 {
                return Some(());
            }
        }
    }

    /// Exactly `n` raw bytes (a binary protocol such as SOCKS5); `None`
    /// when the client closed the connection or failed first.
    pub fn read_exact(&mut self, n: usize) -> Option<Vec<u8>> {
        while self.buf.len() < n {
            let mut chunk = [0u8; 4096];
            match self.read_some(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(m) => self.buf.extend_from_slice(&chunk[..m]),
            }
        }
        Some(self.buf.drain(..n).collect())
    }

    /// Relays bytes both ways between this plain-TCP connection and a new
    /// one to `to`, as a CONNECT proxy or a SOCKS server does once it said
    /// yes, until both directions have ended. Bytes already read past what
    /// the handler consumed go first.
    pub fn tunnel(self, to: SocketAddr) {
        let Io::Plain(client) = self.io else {
            panic!("Peer::tunnel relays plain TCP connections only")
        };
        let Ok(mut origin) = TcpStream::connect(to) else {
            return;
        };
        let _ = origin.set_read_timeout(Some(IO_TIMEOUT));
        let _ = origin.set_nodelay(true);
        if origin.write_all(&self.buf).is_err() {
            return;
        }
        let (Ok(mut from_client), Ok(mut to_origin)) = (client.try_clone(), origin.try_clone())
        else {
            return;
        };
        let upstream = thread::spawn(move || {
            let _ = io::copy(&mut from_client, &mut to_origin);
            let _ = to_origin.shutdown(Shutdown::Write);
        });
        let (mut from_origin, mut to_client) = (origin, client);
        let _ = io::copy(&mut from_origin, &mut to_client);
        let _ = to_client.shutdown(Shutdown::Write);
        let _ = upstream.join();
    }

    /// Sends bytes; errors are ignored (the client may have gone, which is
    /// what some tests are about).
    pub fn write(&mut self, bytes: &[u8]) {
        let _ = match &mut self.io {
            Io::Plain(s) => s.write_all(bytes).and_then(|()| s.flush()),
            Io::Tls(s) => s.write_all(bytes).and_then(|()| s.flush()),
        };
    }

    /// Over TLS, sends close_notify (a clean TLS close); no-op over TCP.
    pub fn close_notify(&mut self) {
        if let Io::Tls(s) = &mut self.io {
            s.conn.send_close_notify();
            let _ = s.flush();
        }
    }

    /// Sends FIN but goes on reading: a request the client still writes on
    /// this connection is read (and counted).
    pub fn shutdown_write(&mut self) {
        let _ = self.tcp().shutdown(Shutdown::Write);
    }

    /// Closes the TCP connection (over TLS, without close_notify).
    pub fn close(self) {
        let _ = self.tcp().shutdown(Shutdown::Both);
    }

    /// Serves every request on this connection with `respond` until the
    /// client closes it.
    pub fn serve(mut self, mut respond: impl FnMut(&RawRequest) -> Vec<u8>) {
        while let Some(req) = self.read_request() {
            let out = respond(&req);
            self.write(&out);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

type Handler = Arc<dyn Fn(Peer) + Send + Sync>;

/// A listening test server; stops accepting when dropped.
pub struct TestServer {
    addr: SocketAddr,
    https: bool,
    accepts: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<usize>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// A plain HTTP server running `handler` for each connection.
    pub fn http(handler: impl Fn(Peer) + Send + Sync + 'static) -> TestServer {
        TestServer::start(None, Arc::new(handler))
    }

    /// An HTTPS server with `config`, running `handler` for each connection
    /// (the handshake happens on the handler's first read or write).
    pub fn https(
        config: Arc<ServerConfig>,
        handler: impl Fn(Peer) + Send + Sync + 'static,
    ) -> TestServer {
        TestServer::start(Some(config), Arc::new(handler))
    }

    fn start(tls: Option<Arc<ServerConfig>>, handler: Handler) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let accepts = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let https = tls.is_some();
        let thread = {
            let (accepts, stop) = (Arc::clone(&accepts), Arc::clone(&stop));
            let requests = Arc::clone(&requests);
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let index = accepts.fetch_add(1, Ordering::SeqCst);
                    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
                    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
                    // Scripted pieces go out when written: Nagle would hold
                    // a small write behind an unacknowledged one (e.g. TLS
                    // session tickets) for a delayed-ACK period.
                    let _ = stream.set_nodelay(true);
                    let io = match &tls {
                        None => Io::Plain(stream),
                        Some(config) => {
                            let conn = ServerConnection::new(Arc::clone(config)).unwrap();
                            Io::Tls(Box::new(StreamOwned::new(conn, stream)))
                        }
                    };
                    let handler = Arc::clone(&handler);
                    let peer = Peer {
                        io,
                        buf: Vec::new(),
                        index,
                        requests: Arc::clone(&requests),
                    };
                    thread::spawn(move || handler(peer));
                }
            })
        };
        TestServer {
            addr,
            https,
            accepts,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// `http(s)://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections accepted so far.
    pub fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }

    /// Requests read so far on each connection, by connection index.
    pub fn requests(&self) -> Vec<usize> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A plain HTTP server answering each request with `route`, keeping
/// connections open, and reporting every request it read on the channel.
pub fn recording(
    route: impl Fn(&RawRequest) -> Vec<u8> + Send + Sync + 'static,
) -> (TestServer, mpsc::Receiver<RawRequest>) {
    let (tx, rx) = mpsc::channel();
    let route = Arc::new(route);
    let server = TestServer::http(move |peer| {
        let (tx, route) = (tx.clone(), Arc::clone(&route));
        peer.serve(move |req| {
            let _ = tx.send(req.clone());
            route(req)
        })
    });
    (server, rx)
}

/// A complete response with a Content-Length body.
pub fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

/// `200 OK` with a JSON body.
pub fn json_ok(body: &str) -> Vec<u8> {
    response(
        "200 OK",
        &[("content-type", "application/json")],
        body.as_bytes(),
    )
}
