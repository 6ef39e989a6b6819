//! Proxies for the proxy tests, on [`TestServer`]: a forward HTTP proxy that
//! answers absolute-form requests itself, a CONNECT proxy that tunnels to a
//! local origin, and a SOCKS5 server (RFC 1928/1929) that does the same.
//! Each reports what it was asked through a channel, so a test asserts on
//! what the proxy saw, not on timing.

use std::net::SocketAddr;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

use super::server::{response, RawRequest, TestServer};

/// `Basic <base64(user:password)>`, as a client sends it.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// A forward proxy answering every request itself: `200` with the request
/// target as the body, or `reply` when given (e.g. a 407). The requests it
/// read arrive on the receiver.
pub fn forward_proxy(reply: Option<Vec<u8>>) -> (TestServer, Receiver<RawRequest>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let server = TestServer::http(move |peer| {
        let tx = tx.lock().unwrap().clone();
        let reply = reply.clone();
        peer.serve(move |req| {
            let _ = tx.send(req.clone());
            match &reply {
                Some(bytes) => bytes.clone(),
                None => response("200 OK", &[], req.target.as_bytes()),
            }
        })
    });
    (server, rx)
}

/// How a CONNECT proxy answers.
#[derive(Clone)]
pub enum ConnectAnswer {
    /// `200` and a tunnel to this address, when the request carries this
    /// `Proxy-Authorization` (or any, for `None`); a `407` otherwise.
    Tunnel(SocketAddr, Option<String>),
    /// These bytes, then close.
    Refuse(Vec<u8>),
    /// Nothing, until the test ends (drops the sender it was given).
    Silence(Arc<Mutex<Receiver<()>>>),
}

/// A CONNECT proxy; the CONNECT requests it read arrive on the receiver.
pub fn connect_proxy(answer: ConnectAnswer) -> (TestServer, Receiver<RawRequest>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let server = TestServer::http(move |mut peer| {
        let Some(req) = peer.read_request() else {
            return;
        };
        let _ = tx.lock().unwrap().send(req.clone());
        match &answer {
            ConnectAnswer::Tunnel(origin, expected) => {
                let sent = req.header("proxy-authorization");
                if expected.is_some() && sent != expected.as_deref() {
                    peer.write(&response(
                        "407 Proxy Authentication Required",
                        &[("proxy-authenticate", "Basic realm=\"test proxy\"")],
                        b"",
                    ));
                    return;
                }
                peer.write(b"HTTP/1.1 200 Connection established\r\n\r\n");
                peer.tunnel(*origin);
            }
            ConnectAnswer::Refuse(bytes) => {
                peer.write(bytes);
                peer.close();
            }
            ConnectAnswer::Silence(until) => {
                let _ = until.lock().unwrap().recv();
            }
        }
    });
    (server, rx)
}

/// A silence that lasts until the returned sender is dropped.
pub fn silence() -> (Sender<()>, ConnectAnswer) {
    let (tx, rx) = mpsc::channel();
    (tx, ConnectAnswer::Silence(Arc::new(Mutex::new(rx))))
}

/// What a SOCKS5 client asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocksRequest {
    /// The authentication methods offered.
    pub methods: Vec<u8>,
    /// User name and password, when sent.
    pub credentials: Option<(String, String)>,
    /// `name:<host>`, `ip:<address>`: the destination as sent.
    pub destination: String,
    pub port: u16,
}

/// A SOCKS5 server: requires `credentials` when given, answers the CONNECT
/// with `reply` (0 = succeeded) and on success tunnels to `origin`,
/// whatever destination was asked for (the test's names resolve nowhere).
/// Each request arrives on the receiver once the CONNECT was read, or as
/// far as it got when authentication failed.
pub fn socks5_server(
    origin: SocketAddr,
    credentials: Option<(&'static str, &'static str)>,
    reply: u8,
) -> (TestServer, Receiver<SocksRequest>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let server = TestServer::http(move |mut peer| {
        let tx = tx.lock().unwrap().clone();
        let mut seen = SocksRequest {
            methods: Vec::new(),
            credentials: None,
            destination: String::new(),
            port: 0,
        };
        let Some(head) = peer.read_exact(2) else {
            return;
        };
        let Some(methods) = peer.read_exact(usize::from(head[1])) else {
            return;
        };
        seen.methods = methods;
        match credentials {
            Some((user, password)) if seen.methods.contains(&2) => {
                peer.write(&[5, 2]);
                let sent = read_password(&mut peer);
                seen.credentials = sent.clone();
                if sent != Some((user.to_owned(), password.to_owned())) {
                    peer.write(&[1, 1]);
                    let _ = tx.send(seen);
                    return;
                }
                peer.write(&[1, 0]);
            }
            Some(_) => {
                peer.write(&[5, 0xff]);
                let _ = tx.send(seen);
                return;
            }
            None => peer.write(&[5, 0]),
        }
        let Some(request) = peer.read_exact(4) else {
            return;
        };
        seen.destination = match request[3] {
            1 => peer
                .read_exact(4)
                .map(|a| format!("ip:{}.{}.{}.{}", a[0], a[1], a[2], a[3])),
            4 => peer.read_exact(16).map(|a| {
                let octets: [u8; 16] = a.try_into().unwrap();
                format!("ip:{}", std::net::Ipv6Addr::from(octets))
            }),
            3 => peer.read_exact(1).and_then(|len| {
                let name = peer.read_exact(usize::from(len[0]))?;
                Some(format!("name:{}", String::from_utf8_lossy(&name)))
            }),
            other => Some(format!("atyp {other}")),
        }
        .unwrap_or_default();
        seen.port = peer
            .read_exact(2)
            .map(|p| u16::from_be_bytes([p[0], p[1]]))
            .unwrap_or_default();
        let _ = tx.send(seen);
        peer.write(&[5, reply, 0, 1, 127, 0, 0, 1, 0, 0]);
        if reply == 0 {
            peer.tunnel(origin);
        }
    });
    (server, rx)
}

fn read_password(peer: &mut super::server::Peer) -> Option<(String, String)> {
    let head = peer.read_exact(2)?;
    let user = peer.read_exact(usize::from(head[1]))?;
    let len = peer.read_exact(1)?;
    let password = peer.read_exact(usize::from(len[0]))?;
    Some((
        String::from_utf8_lossy(&user).into_owned(),
        String::from_utf8_lossy(&password).into_owned(),
    ))
}
