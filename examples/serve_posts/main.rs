//! A local stand-in for <https://jsonplaceholder.typicode.com>, written with
//! aio itself: jsonplaceholder's own data set (100 posts, 500 comments, 100
//! albums, 5000 photos, 10 users, 200 todos, bundled as
//! `jsonplaceholder.json` beside this file), every route it documents, its
//! fake writes, and its JSON byte for byte. One task per connection, HTTPS
//! with a CA made at start-up (so clients can trust it through
//! `SSL_CERT_FILE`), keep-alive.
//!
//! ```text
//! serve_posts [--port N] [--ca-file PATH] [--plain] [--max-seconds N]
//! ```
//!
//! It prints `listening on https://127.0.0.1:PORT` and `CA certificate: PATH`
//! (only the first, with `http://`, under `--plain`), then serves until killed.
//! `make demo` runs the course examples against it; benchmarks use it too, so
//! every list and record is serialised once at start-up and reading one
//! costs a parse and a write. What each route answers: `api.rs`.
//!
//! The data set is jsonplaceholder's `db.json` (github.com/typicode/jsonplaceholder,
//! MIT licence), unchanged.

mod api;
mod conn;
mod response;

use std::io::{self, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use aio::http::tls::TlsStream;
use aio::net::TcpListener;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use api::Site;
use conn::serve_connection;

const USAGE: &str = "\
usage: serve_posts [--port N] [--ca-file PATH] [--plain] [--max-seconds N]

Serves jsonplaceholder.typicode.com's API and data on 127.0.0.1, offline:
/posts, /comments, /albums, /photos, /users, /todos; /{res}/{id};
/{res}?field=value; /{parent}/{id}/{res} (e.g. /posts/1/comments);
POST, PUT, PATCH and DELETE answered as jsonplaceholder answers them,
nothing stored.

  --port N          port to bind (default 0: any free port)
  --ca-file PATH    where to write the CA certificate clients should trust
                    (default: <temp dir>/aio-serve-posts-ca.pem)
  --plain           serve plain HTTP instead of HTTPS (no certificates)
  --max-seconds N   exit after N seconds (default: run until killed)
  --help            show this text";

/// jsonplaceholder's data set, parsed at start-up (built in, so the binary
/// runs from anywhere).
const DATA: &[u8] = include_bytes!("jsonplaceholder.json");

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
    let site = Site::load(DATA)
        .map_err(|e| io::Error::other(format!("the bundled jsonplaceholder.json: {e}")))?;
    let site = Rc::new(site);
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
