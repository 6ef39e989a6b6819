//! A local stand-in for <https://jsonplaceholder.typicode.com>'s `/posts`,
//! written with aio itself: one task per connection, HTTPS with a CA made at
//! start-up (so clients can trust it through `SSL_CERT_FILE`), keep-alive.
//!
//! ```text
//! serve_posts [--port N] [--ca-file PATH] [--plain] [--max-seconds N]
//! ```
//!
//! It prints `listening on https://127.0.0.1:PORT` and `CA certificate: PATH`
//! (only the first, with `http://`, under `--plain`), then serves until killed.
//! `make demo` runs the course examples against it; benchmarks use it too, so
//! every response is built once at start-up and a request costs one parse and
//! one write.

use std::future::poll_fn;
use std::io::{self, Write};
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use aio::http::tls::TlsStream;
use aio::net::TcpListener;
use futures_io::{AsyncRead, AsyncWrite};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

const USAGE: &str = "\
usage: serve_posts [--port N] [--ca-file PATH] [--plain] [--max-seconds N]

Serves 100 generated posts like jsonplaceholder.typicode.com on 127.0.0.1:
GET /posts and GET /posts/{1..100}.

  --port N          port to bind (default 0: any free port)
  --ca-file PATH    where to write the CA certificate clients should trust
                    (default: <temp dir>/aio-serve-posts-ca.pem)
  --plain           serve plain HTTP instead of HTTPS (no certificates)
  --max-seconds N   exit after N seconds (default: run until killed)
  --help            show this text";

/// The longest request head we accept; our clients send a few hundred bytes.
const MAX_HEAD: usize = 16 * 1024;
const MAX_HEADERS: usize = 32;
const POSTS: usize = 100;

struct Options {
    port: u16,
    ca_file: PathBuf,
    plain: bool,
    max_seconds: Option<u64>,
}

fn main() {
    let opts = parse_args().unwrap_or_else(|msg| {
        eprintln!("serve_posts: {msg}\n\n{USAGE}");
        std::process::exit(2)
    });
    if let Err(e) = aio::run(serve(opts)) {
        eprintln!("serve_posts: {e}");
        std::process::exit(1);
    }
}

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        port: 0,
        ca_file: std::env::temp_dir().join("aio-serve-posts-ca.pem"),
        plain: false,
        max_seconds: None,
    };
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy().into_owned();
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0)
            }
            "--plain" => opts.plain = true,
            "--ca-file" => opts.ca_file = value()?.into(),
            "--port" => opts.port = number(&arg, value()?)?,
            "--max-seconds" => opts.max_seconds = Some(number(&arg, value()?)?),
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(opts)
}

fn number<T: std::str::FromStr>(flag: &str, value: std::ffi::OsString) -> Result<T, String> {
    let text = value.to_string_lossy();
    text.parse()
        .map_err(|_| format!("{flag} expects a number, not {text:?}"))
}

async fn serve(opts: Options) -> io::Result<()> {
    // Everything is ready before the "listening" line: clients connect as soon as they see it.
    let tls = if opts.plain {
        None
    } else {
        Some(make_tls(&opts.ca_file)?)
    };
    let site = Rc::new(Site::new());
    let listener = TcpListener::bind(("127.0.0.1", opts.port)).await?;
    let port = listener.local_addr()?.port();
    let scheme = if tls.is_some() { "https" } else { "http" };
    // Scripts wait for these lines; stdout is a pipe there, so flush explicitly.
    let mut out = io::stdout().lock();
    writeln!(out, "listening on {scheme}://127.0.0.1:{port}")?;
    if tls.is_some() {
        writeln!(out, "CA certificate: {}", opts.ca_file.display())?;
    }
    out.flush()?;
    drop(out);

    let accept_loop = accept_loop(listener, tls, site);
    match opts.max_seconds {
        // When time is up, aio::run cancels the connection tasks for us.
        Some(secs) => drop(aio::time::timeout(Duration::from_secs(secs), accept_loop).await),
        None => accept_loop.await,
    }
    Ok(())
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    site: Rc<Site>,
) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Usually out of fds: back off instead of spinning on the error.
                eprintln!("serve_posts: accept failed: {e}");
                aio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Responses go out in one write each; don't let Nagle hold them back.
        let _ = stream.set_nodelay(true);
        let (tls, site) = (tls.clone(), Rc::clone(&site));
        // Each connection is its own task, so a slow client (or handshake) stalls no one else.
        aio::spawn(async move {
            match tls {
                None => serve_connection(stream, &site).await,
                Some(config) => match accept_tls(config, stream).await {
                    Ok(stream) => serve_connection(stream, &site).await,
                    // A port probe that just connects and closes is no news.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {}
                    // Worth a line: it is how a client that distrusts our CA shows up.
                    Err(e) => eprintln!("serve_posts: TLS handshake failed: {e}"),
                },
            }
        });
    }
}

/// Reads requests off one connection and answers them until the client closes
/// it, asks to close, or sends something unparsable. I/O errors just end the
/// connection: the client went away, and other connections are unaffected.
async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(mut io: S, site: &Site) {
    // One buffer per connection, reused for every request on it.
    let mut buf = vec![0u8; MAX_HEAD];
    let mut filled = 0;
    loop {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        let (len, response, keep_alive) = match req.parse(&buf[..filled]) {
            Ok(httparse::Status::Complete(len)) => {
                let (response, keep_alive) = route(&req, site);
                (len, response, keep_alive)
            }
            Ok(httparse::Status::Partial) if filled < buf.len() => {
                // Send what pipelined requests produced before waiting for more.
                if flush(&mut io).await.is_err() {
                    return;
                }
                match read(&mut io, &mut buf[filled..]).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => filled += n,
                }
                continue;
            }
            // Malformed, or a head too big for the buffer.
            _ => (filled, &site.bad_request.close[..], false),
        };
        if write_all(&mut io, response).await.is_err() {
            return;
        }
        if !keep_alive {
            let _ = flush(&mut io).await;
            let _ = poll_fn(|cx| Pin::new(&mut io).poll_close(cx)).await;
            return;
        }
        // Keep any pipelined bytes that follow this request.
        buf.copy_within(len..filled, 0);
        filled -= len;
    }
}

/// Picks the prepared bytes for a request, and whether to keep the connection.
fn route<'a>(req: &httparse::Request<'_, '_>, site: &'a Site) -> (&'a [u8], bool) {
    let mut keep_alive = req.version == Some(1); // HTTP/1.1 persists by default, 1.0 doesn't.
    let mut has_body = false;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                if token.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    keep_alive = true;
                }
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding")
            || (h.name.eq_ignore_ascii_case("content-length") && h.value != b"0")
        {
            // We never read request bodies: answer, then close, or the body
            // would be parsed as the next request.
            has_body = true;
        }
    }
    let keep_alive = keep_alive && !has_body;
    let method = req.method.unwrap_or_default();
    let path = req.path.unwrap_or_default();
    let path = path.split_once('?').map_or(path, |(path, _query)| path);
    let found = match path.trim_end_matches('/') {
        "/posts" => Some(&site.all_posts),
        p => p
            .strip_prefix("/posts/")
            .filter(|id| !id.starts_with('0'))
            .and_then(|id| id.parse::<usize>().ok())
            .and_then(|id| site.posts.get(id.wrapping_sub(1))),
    };
    let response = match found {
        Some(_) if method != "GET" && method != "HEAD" => &site.method_not_allowed,
        Some(response) => response,
        None => &site.not_found,
    };
    let (bytes, head_len) = if keep_alive {
        (&response.open, response.open_head)
    } else {
        (&response.close, response.close_head)
    };
    let bytes = if method == "HEAD" {
        &bytes[..head_len]
    } else {
        &bytes[..]
    };
    (bytes, keep_alive)
}

/// One response serialised in full twice: for a connection that stays open
/// and one that closes (they differ by a `Connection: close` header).
struct Prepared {
    open: Vec<u8>,
    open_head: usize,
    close: Vec<u8>,
    close_head: usize,
}

impl Prepared {
    fn new(status: &str, extra_headers: &str, body: &[u8]) -> Prepared {
        let build = |connection: &str| {
            let mut bytes = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json; charset=utf-8\r\n\
                 Content-Length: {}\r\n{extra_headers}{connection}\r\n",
                body.len()
            )
            .into_bytes();
            let head_len = bytes.len();
            bytes.extend_from_slice(body);
            (bytes, head_len)
        };
        let ((open, open_head), (close, close_head)) = (build(""), build("Connection: close\r\n"));
        Prepared {
            open,
            open_head,
            close,
            close_head,
        }
    }
}

/// Every response the server can give, built at start-up.
struct Site {
    all_posts: Prepared,
    posts: Vec<Prepared>,
    not_found: Prepared,
    method_not_allowed: Prepared,
    bad_request: Prepared,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Post {
    user_id: usize,
    id: usize,
    title: String,
    body: String,
}

impl Site {
    fn new() -> Site {
        let posts: Vec<Post> = (1..=POSTS).map(post).collect();
        Site {
            all_posts: Prepared::new("200 OK", "", &pretty(&posts)),
            posts: posts
                .iter()
                .map(|p| Prepared::new("200 OK", "", &pretty(p)))
                .collect(),
            not_found: Prepared::new("404 Not Found", "", b"{}"),
            method_not_allowed: Prepared::new(
                "405 Method Not Allowed",
                "Allow: GET, HEAD\r\n",
                b"{}",
            ),
            bad_request: Prepared::new("400 Bad Request", "", b"{}"),
        }
    }
}

/// Pretty-printed with two-space indents, as jsonplaceholder sends them.
fn pretty<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec_pretty(value).expect("posts serialise")
}

/// Lorem-ipsum words, like jsonplaceholder's texts.
const WORDS: &str = "\
    lorem ipsum dolor sit amet consectetur adipisci velit sed quia non numquam eius modi \
    tempora incidunt ut labore et dolore magnam aliquam quaerat voluptatem enim ad \
    minima veniam quis nostrum exercitationem ullam corporis suscipit laboriosam nisi \
    aliquid ex ea commodi consequatur autem vel eum iure reprehenderit qui voluptate";

/// Post `id`, the same on every run: its words come from a fixed-seed
/// generator (splitmix64 keyed by the id), not from any source of randomness.
fn post(id: usize) -> Post {
    // Ids far apart in the sequence, so posts share no runs of words.
    let mut state = (id as u64) << 32;
    let mut next = move |below: usize| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % below as u64) as usize
    };
    let dictionary: Vec<&str> = WORDS.split_whitespace().collect();
    let mut sentence = |min: usize, spread: usize| {
        let len = min + next(spread);
        let words: Vec<&str> = (0..len)
            .map(|_| dictionary[next(dictionary.len())])
            .collect();
        words.join(" ")
    };
    let title = sentence(3, 6);
    // Four lines, as jsonplaceholder's bodies have.
    let body: Vec<String> = (0..4).map(|_| sentence(6, 5)).collect();
    Post {
        user_id: (id - 1) / 10 + 1,
        id,
        title,
        body: body.join("\n"),
    }
}

/// The server side of a TLS handshake. The client library serves no TLS;
/// its stream type is generic over the side, so a rustls server connection
/// runs over it the same way.
async fn accept_tls(
    config: Arc<rustls::ServerConfig>,
    stream: aio::net::TcpStream,
) -> io::Result<TlsStream<aio::net::TcpStream, rustls::ServerConnection>> {
    let conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    TlsStream::handshake(conn, stream).await
}

/// Makes a CA, writes it to `ca_file` for clients to trust, and returns a
/// server configuration presenting a certificate it signed for this host.
fn make_tls(ca_file: &std::path::Path) -> io::Result<Arc<rustls::ServerConfig>> {
    let tls_error = |e: rcgen::Error| io::Error::other(format!("making certificates: {e}"));
    let mut ca = CertificateParams::default();
    ca.distinguished_name
        .push(DnType::CommonName, "aio serve_posts local CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(tls_error)?)
        .map_err(tls_error)?;

    let names = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    let mut leaf = CertificateParams::new(names).map_err(tls_error)?;
    leaf.distinguished_name
        .push(DnType::CommonName, "aio serve_posts");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(tls_error)?;
    let cert = leaf.signed_by(&key, &ca).map_err(tls_error)?;

    std::fs::write(ca_file, ca.pem())
        .map_err(|e| io::Error::new(e.kind(), format!("writing {}: {e}", ca_file.display())))?;
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(key.serialize_der()).into();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth()
                .with_single_cert(vec![cert.der().clone()], key)
        })
        .map_err(io::Error::other)?;
    // http/1.0 too: clients offering just that (`curl --http1.0`) must not
    // fail the handshake; we speak both.
    config.alpn_protocols = vec![b"http/1.1".to_vec(), b"http/1.0".to_vec()];
    Ok(Arc::new(config))
}

// futures-io gives only the poll methods; these are the awaitable forms we need.

async fn read<S: AsyncRead + Unpin>(io: &mut S, buf: &mut [u8]) -> io::Result<usize> {
    poll_fn(|cx| Pin::new(&mut *io).poll_read(cx, buf)).await
}

async fn write_all<S: AsyncWrite + Unpin>(io: &mut S, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match poll_fn(|cx| Pin::new(&mut *io).poll_write(cx, buf)).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}

async fn flush<S: AsyncWrite + Unpin>(io: &mut S) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *io).poll_flush(cx)).await
}
