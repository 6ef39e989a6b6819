//! Running a TLS client and server against each other over [`duplex`], and
//! the server side itself: the client crate serves no TLS, so tests drive a
//! `rustls::ServerConnection` through the same generic [`TlsStream`].

use std::io;
use std::sync::Arc;

use aio_http::tls::{self, ClientTlsStream, TlsStream};
use futures_io::{AsyncRead, AsyncWrite};
use rustls::{ClientConfig, ServerConfig, ServerConnection};

use super::duplex::{duplex, DuplexStream};
use super::exec::{block_on, join2};

/// A server-side TLS stream.
pub type ServerTlsStream<IO> = TlsStream<IO, ServerConnection>;

/// Accepts a TLS client over `io` and completes the server-side handshake;
/// errors are reported like `tls::connect`'s.
pub async fn accept<IO>(config: Arc<ServerConfig>, io: IO) -> io::Result<ServerTlsStream<IO>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let conn = ServerConnection::new(config)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    TlsStream::handshake(conn, io).await
}

/// Pipe capacity used unless a test wants back-pressure of its own.
pub const PIPE_CAPACITY: usize = 64 * 1024;

/// Both ends of a handshake attempt.
pub type Pair = (
    io::Result<ClientTlsStream<DuplexStream>>,
    io::Result<ServerTlsStream<DuplexStream>>,
);

/// Connects a client to `host` (a URL host: DNS name, IP, `[v6]`) and a
/// server over an in-memory pipe of `capacity` bytes each way.
pub fn handshake_with(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    host: &str,
    capacity: usize,
) -> Pair {
    let name = tls::server_name(host).expect("valid server name");
    let (c, s) = duplex(capacity);
    block_on(join2(tls::connect(client, name, c), accept(server, s)))
}

/// [`handshake_with`] with the default pipe capacity.
pub fn handshake(client: Arc<ClientConfig>, server: Arc<ServerConfig>, host: &str) -> Pair {
    handshake_with(client, server, host, PIPE_CAPACITY)
}

/// A handshake that must succeed.
pub fn connected(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    host: &str,
) -> (ClientTlsStream<DuplexStream>, ServerTlsStream<DuplexStream>) {
    let (c, s) = handshake(client, server, host);
    (c.expect("client handshake"), s.expect("server handshake"))
}

/// A handshake the client must reject; returns the client's error.
pub fn client_rejects(
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
    host: &str,
) -> io::Error {
    let (c, s) = handshake(client, server, host);
    assert!(s.is_err(), "the server must see the failed handshake too");
    match c {
        Ok(_) => panic!("client accepted a certificate it must reject (host {host})"),
        Err(e) => e,
    }
}
