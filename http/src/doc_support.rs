//! Servers on 127.0.0.1 for the doc examples. A doctest reaches neither
//! `#[cfg(test)]` code nor the tests' support module, and must not touch
//! the internet, so the crate carries this module, hidden from its
//! documentation and not part of its API.
//!
//! The servers are std threads, one per connection, blocking, answering
//! from a script: simple enough to read at a glance, and independent of
//! the event loop under test. They live until the doctest's process ends.
//! [`tls_pair`] is the exception: both ends of a TLS connection, on the
//! caller's loop, for the examples of [`TlsStream`]'s own methods.

use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::thread;

use aio_reactor::net::{self, TcpStream};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivateKeyDer;

#[cfg(feature = "http2")]
pub use crate::http2::TokioIo;
use crate::tls::{self, ClientTlsStream, TlsOptions, TlsStream};

/// Starts an HTTP server and returns its base URL, `http://127.0.0.1:PORT`.
///
/// Request number `i` (counted over all connections, from 0) gets
/// `responses[i]`, the last one repeated. A response is written
/// `"STATUS REASON\nname: value\n\nbody"`: the server adds `HTTP/1.1 `,
/// CRLF line ends, a `Content-Length` (unless the head has one or a
/// `Transfer-Encoding`) and `x-connection: N`, the number of the
/// connection it goes out on (from 1). `{request}` in a body is replaced by
/// the request as received (head and body). A response that starts with
/// `HTTP/` is sent byte for byte.
///
/// Connections are kept alive, but closed after a request or response
/// with `connection: close`; a request body is read by its `Content-Length`
/// (chunked request bodies are not understood).
pub fn serve(responses: &[&str]) -> String {
    let (listener, port) = bind();
    let script = Script::new(responses);
    thread::spawn(move || {
        accept_each(listener, move |stream, connection| {
            script.answer(stream, connection)
        })
    });
    format!("http://127.0.0.1:{port}")
}

/// [`serve`] over TLS, presenting the certificate chain `cert_pem` with
/// the key `key_pem` (ALPN `http/1.1`); returns `https://127.0.0.1:PORT`.
/// A client that refuses the certificate just ends its connection; a
/// connection the server closes ends with `close_notify`.
pub fn serve_tls(cert_pem: &str, key_pem: &str, responses: &[&str]) -> String {
    let config = server_config(cert_pem, key_pem);
    let (listener, port) = bind();
    let script = Script::new(responses);
    thread::spawn(move || {
        accept_each(listener, move |tcp, connection| {
            let conn = ServerConnection::new(Arc::clone(&config)).map_err(io::Error::other)?;
            let mut stream = StreamOwned::new(conn, tcp);
            script.answer(&mut stream, connection)?;
            stream.conn.send_close_notify();
            stream.flush()
        })
    });
    format!("https://127.0.0.1:{port}")
}

/// A rustls server configuration presenting `cert_pem` with `key_pem`,
/// ALPN `http/1.1` (for examples that run the server side themselves).
///
/// # Panics
/// When either PEM document is unusable.
pub fn server_config(cert_pem: &str, key_pem: &str) -> Arc<ServerConfig> {
    let chain = tls::parse_pem_certificates(cert_pem.as_bytes(), "doc certificate")
        .expect("doc certificate");
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("doc key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
        .expect("doc server configuration");
    config.alpn_protocols = vec![tls::ALPN_HTTP11.to_vec()];
    Arc::new(config)
}

/// Both ends of a TLS connection over TCP on 127.0.0.1, handshake done:
/// the server presents `cert_pem` (with `key_pem`, for the name
/// `127.0.0.1`), which the client trusts alone. ALPN is `http/1.1`.
///
/// # Panics
/// When the handshake fails.
pub async fn tls_pair(
    cert_pem: &str,
    key_pem: &str,
) -> (ClientTlsStream<TcpStream>, ServerTlsStream) {
    let listener = net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let client_config = tls::client_config(&TlsOptions {
        webpki_roots: false,
        trust_env: false,
        extra_roots_pem: vec![cert_pem.as_bytes().to_vec()],
    })
    .expect("doc client configuration");
    let name = tls::server_name("127.0.0.1").expect("server name");
    let server_config = server_config(cert_pem, key_pem);
    let client = pin!(async {
        let tcp = TcpStream::connect(addr).await?;
        tls::connect(client_config, name, tcp).await
    });
    let server = pin!(async {
        let (tcp, _) = listener.accept().await?;
        let conn = ServerConnection::new(server_config).map_err(io::Error::other)?;
        TlsStream::handshake(conn, tcp).await
    });
    let (client, server) = join(client, server).await;
    (
        client.expect("client handshake"),
        server.expect("server handshake"),
    )
}

/// The server end of [`tls_pair`].
pub type ServerTlsStream = TlsStream<TcpStream, ServerConnection>;

/// Runs both futures to completion, concurrently, in the calling task.
async fn join<A: Future, B: Future>(
    mut a: Pin<&mut A>,
    mut b: Pin<&mut B>,
) -> (A::Output, B::Output) {
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            out_a = poll_ready(a.as_mut().poll(cx));
        }
        if out_b.is_none() {
            out_b = poll_ready(b.as_mut().poll(cx));
        }
        match (out_a.take(), out_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (out_a, out_b) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

fn poll_ready<T>(poll: Poll<T>) -> Option<T> {
    match poll {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}

/// A server that accepts connections and reads them, but never answers;
/// returns `http://127.0.0.1:PORT`.
pub fn silent() -> String {
    let (listener, port) = bind();
    thread::spawn(move || {
        accept_each(listener, |mut stream, _| {
            io::copy(&mut stream, &mut io::sink()).map(drop)
        })
    });
    format!("http://127.0.0.1:{port}")
}

/// `http://127.0.0.1:PORT` for a port where nothing listens (it was bound
/// and released).
pub fn refused() -> String {
    let (_listener, port) = bind();
    format!("http://127.0.0.1:{port}")
}

fn bind() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    (listener, port)
}

/// Serves each accepted connection on a thread of its own, numbered from 1.
fn accept_each<F>(listener: TcpListener, serve: F)
where
    F: Fn(std::net::TcpStream, usize) -> io::Result<()> + Send + Sync + 'static,
{
    let serve = Arc::new(serve);
    for (n, stream) in listener.incoming().enumerate() {
        let Ok(stream) = stream else { continue };
        let serve = Arc::clone(&serve);
        // A failed connection (the client hung up, refused the certificate)
        // ends here; the example's own assertions say what mattered.
        thread::spawn(move || serve(stream, n + 1));
    }
}

/// The canned responses and how many requests have been answered.
struct Script {
    responses: Vec<String>,
    answered: AtomicUsize,
}

impl Script {
    fn new(responses: &[&str]) -> Script {
        assert!(!responses.is_empty(), "doc_support: no response to serve");
        Script {
            responses: responses.iter().map(|r| r.to_string()).collect(),
            answered: AtomicUsize::new(0),
        }
    }

    /// Answers the requests on one connection until the client closes it.
    fn answer(&self, mut stream: impl Read + Write, connection: usize) -> io::Result<()> {
        while let Some(request) = read_request(&mut stream)? {
            let i = self.answered.fetch_add(1, Ordering::SeqCst);
            let canned = &self.responses[i.min(self.responses.len() - 1)];
            stream.write_all(&render(canned, &request, connection))?;
            stream.flush()?;
            if says_close(&request) || says_close(canned.as_bytes()) {
                break;
            }
        }
        Ok(())
    }
}

/// One request, head and body, as received; `None` when the client closed
/// the connection between requests.
fn read_request(stream: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut request = Vec::new();
    let mut byte = [0; 1];
    // Byte by byte: what follows the head belongs to the body, or to the
    // next request.
    while !request.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            if request.is_empty() {
                return Ok(None);
            }
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        request.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&request).to_ascii_lowercase();
    let length = match head.lines().find_map(|l| l.strip_prefix("content-length:")) {
        Some(n) => n.trim().parse().map_err(io::Error::other)?,
        None => 0,
    };
    let start = request.len();
    request.resize(start + length, 0);
    stream.read_exact(&mut request[start..])?;
    Ok(Some(request))
}

/// Whether the head of a request or response has `connection: close`.
fn says_close(message: &[u8]) -> bool {
    let message = String::from_utf8_lossy(message).to_ascii_lowercase();
    let head = message.split("\n\n").next().unwrap_or_default();
    head.split("\r\n\r\n")
        .next()
        .unwrap_or_default()
        .contains("\nconnection: close")
}

/// The bytes of the `canned` response to `request` (see [`serve`]).
fn render(canned: &str, request: &[u8], connection: usize) -> Vec<u8> {
    if canned.starts_with("HTTP/") {
        return canned.as_bytes().to_vec();
    }
    let (head, body) = canned.split_once("\n\n").unwrap_or((canned, ""));
    let body = body.replace("{request}", &String::from_utf8_lossy(request));
    let mut out = format!("HTTP/1.1 {}\r\n", head.replace('\n', "\r\n"));
    let lower = head.to_ascii_lowercase();
    if !lower.contains("content-length:") && !lower.contains("transfer-encoding:") {
        out.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    out.push_str(&format!("x-connection: {connection}\r\n\r\n{body}"));
    out.into_bytes()
}

/// Starts a cleartext HTTP/2 server (prior knowledge, no TLS) as a task on
/// the caller's loop and returns its base URL, `http://127.0.0.1:PORT`.
///
/// Request number `i` (over all streams and connections, from 0) gets
/// `responses[i]`, the last one repeated, written as for [`serve`]:
/// `"STATUS REASON\nname: value\n\nbody"`. `{request}` in a body is replaced
/// by the request's method, path and headers, one `name: value` per line.
#[cfg(feature = "http2")]
pub async fn serve_h2c(responses: &[&str]) -> String {
    let listener = net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    let responses: Arc<Vec<String>> = Arc::new(responses.iter().map(|r| r.to_string()).collect());
    let served = Arc::new(AtomicUsize::new(0));
    aio_executor::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (responses, served) = (Arc::clone(&responses), Arc::clone(&served));
            aio_executor::spawn(async move {
                let Ok(mut connection) = h2::server::handshake(TokioIo::new(tcp)).await else {
                    return;
                };
                while let Some(Ok((request, mut respond))) = connection.accept().await {
                    let i = served.fetch_add(1, Ordering::Relaxed);
                    let canned = &responses[i.min(responses.len() - 1)];
                    let (response, body) = h2_response(canned, &request);
                    let end = body.is_empty();
                    if let Ok(mut stream) = respond.send_response(response, end) {
                        if !end {
                            let _ = stream.send_data(body.into(), true);
                        }
                    }
                }
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// A canned response (see [`serve_h2c`]) as an HTTP/2 head and body.
#[cfg(feature = "http2")]
fn h2_response(
    canned: &str,
    request: &http::Request<h2::RecvStream>,
) -> (http::Response<()>, Vec<u8>) {
    let (head, body) = canned.split_once("\n\n").unwrap_or((canned, ""));
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').next())
        .and_then(|code| code.parse().ok())
        .expect("a canned response starts with its status code");
    let mut response = http::Response::new(());
    *response.status_mut() = http::StatusCode::from_u16(status).expect("status code");
    for line in lines {
        let (name, value) = line
            .split_once(": ")
            .expect("a header line is `name: value`");
        let name = http::HeaderName::from_bytes(name.as_bytes()).expect("header name");
        let value = http::HeaderValue::from_str(value).expect("header value");
        response.headers_mut().append(name, value);
    }
    let mut echo = format!("{} {}\n", request.method(), request.uri().path());
    for (name, value) in request.headers() {
        echo.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    (response, body.replace("{request}", &echo).into_bytes())
}
