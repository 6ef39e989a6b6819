//! The client side of SOCKS5 (RFC 1928), CONNECT command only, with
//! username/password authentication (RFC 1929).
//!
//! ```text
//!  client                                  proxy
//!  05 n methods (00 none, 02 password) ──►
//!                                      ◄── 05 method
//!  01 ulen user plen password ─────────►   (method 02 only)
//!                                      ◄── 01 status (00: accepted)
//!  05 01 00 atyp address port ─────────►   (01 IPv4, 03 name, 04 IPv6)
//!                                      ◄── 05 reply 00 atyp address port
//! ```
//!
//! The messages are made and read by small pure functions; [`handshake`]
//! only moves them over the stream. With `socks5h` the origin's name goes
//! to the proxy; with `socks5` the client resolves it first and sends an
//! address.

use std::io;
use std::net::{IpAddr, SocketAddr};

use aio_reactor::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use aio_reactor::net::lookup_host;

use super::{ProxyKind, ProxyTarget};
use crate::error::{Error, Kind};

const VERSION: u8 = 5;
const NO_AUTH: u8 = 0x00;
const PASSWORD_AUTH: u8 = 0x02;
const NO_ACCEPTABLE_METHOD: u8 = 0xff;
/// Version of the RFC 1929 subnegotiation.
const PASSWORD_AUTH_VERSION: u8 = 1;
const CMD_CONNECT: u8 = 1;
const ATYP_IPV4: u8 = 1;
const ATYP_NAME: u8 = 3;
const ATYP_IPV6: u8 = 4;

/// Where the proxy is asked to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination<'a> {
    Name(&'a str),
    Addr(IpAddr),
}

/// Opens a tunnel to `host:port` (`host` as in a URL) through the SOCKS5
/// proxy at the other end of `stream`. Errors are kind
/// [`Connect`](Kind::Connect) and name the proxy.
pub(crate) async fn handshake<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &ProxyTarget,
    host: &str,
    port: u16,
) -> Result<(), Error> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    let destination = match bare.parse::<IpAddr>() {
        Ok(ip) => Destination::Addr(ip),
        Err(_) if proxy.kind == ProxyKind::Socks5h => Destination::Name(bare),
        Err(_) => Destination::Addr(resolve(bare, port).await?),
    };
    let request = connect_request(&destination, port).map_err(|why| {
        Error::new(
            Kind::Connect,
            format!("cannot ask SOCKS5 proxy {proxy} for {host}: {why}"),
        )
    })?;
    let refused = |why: String| Error::new(Kind::Connect, format!("SOCKS5 proxy {proxy} {why}"));
    let failed = |e: io::Error| {
        let e = if e.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::new(e.kind(), "the proxy closed the connection")
        } else {
            e
        };
        Error::with_source(
            Kind::Connect,
            &format!("SOCKS5 handshake with proxy {proxy} failed"),
            e,
        )
    };

    let credentials = proxy.credentials.as_ref();
    stream
        .write_all(&greeting(credentials.is_some()))
        .await
        .map_err(failed)?;
    let mut choice = [0u8; 2];
    stream.read_exact(&mut choice).await.map_err(failed)?;
    let method = chosen_method(choice, credentials.is_some()).map_err(refused)?;
    if let (PASSWORD_AUTH, Some((user, password))) = (method, credentials) {
        stream
            .write_all(&password_request(user, password))
            .await
            .map_err(failed)?;
        let mut status = [0u8; 2];
        stream.read_exact(&mut status).await.map_err(failed)?;
        password_status(status).map_err(refused)?;
    }

    stream.write_all(&request).await.map_err(failed)?;
    let mut head = [0u8; 5];
    stream.read_exact(&mut head).await.map_err(failed)?;
    let rest = reply_length(head, host, port).map_err(refused)?;
    // The address the proxy bound for us: nothing the client needs.
    let mut bound = vec![0u8; rest];
    stream.read_exact(&mut bound).await.map_err(failed)?;
    Ok(())
}

/// The origin's first address, for `socks5://` (local resolution).
async fn resolve(host: &str, port: u16) -> Result<IpAddr, Error> {
    let addrs = lookup_host(&format!("{host}:{port}"))
        .await
        .map_err(|e| Error::with_source(Kind::Connect, "", e))?;
    addrs
        .first()
        .map(SocketAddr::ip)
        .ok_or_else(|| Error::new(Kind::Connect, format!("{host} resolved to no address")))
}

/// The method selection message: no authentication, and username/password
/// when there are credentials.
pub(crate) fn greeting(with_password: bool) -> Vec<u8> {
    if with_password {
        vec![VERSION, 2, NO_AUTH, PASSWORD_AUTH]
    } else {
        vec![VERSION, 1, NO_AUTH]
    }
}

/// The method the proxy chose, if it is one we offered.
pub(crate) fn chosen_method(reply: [u8; 2], with_password: bool) -> Result<u8, String> {
    match reply {
        [VERSION, NO_AUTH] => Ok(NO_AUTH),
        [VERSION, PASSWORD_AUTH] if with_password => Ok(PASSWORD_AUTH),
        [VERSION, NO_ACCEPTABLE_METHOD] if with_password => {
            Err("accepts neither no authentication nor a user name and password".into())
        }
        [VERSION, NO_ACCEPTABLE_METHOD] => Err(
            "requires authentication: put the user name and password in the proxy URL \
             (socks5://user:password@host:port)"
                .into(),
        ),
        [VERSION, other] => Err(format!(
            "chose authentication method {other:#04x}, which was not offered"
        )),
        [version, _] => Err(not_socks5(version)),
    }
}

/// The RFC 1929 request. Lengths were checked when the proxy URL was
/// parsed (at most 255 bytes each).
pub(crate) fn password_request(user: &[u8], password: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + user.len() + password.len());
    out.push(PASSWORD_AUTH_VERSION);
    out.push(user.len() as u8);
    out.extend_from_slice(user);
    out.push(password.len() as u8);
    out.extend_from_slice(password);
    out
}

/// Whether the proxy accepted the user name and password.
pub(crate) fn password_status(reply: [u8; 2]) -> Result<(), String> {
    match reply {
        [PASSWORD_AUTH_VERSION, 0] => Ok(()),
        [PASSWORD_AUTH_VERSION, status] => Err(format!(
            "refused the user name and password (status {status:#04x})"
        )),
        [version, _] => Err(format!(
            "answered the user name and password with version {version}, not 1"
        )),
    }
}

/// The CONNECT request for `destination:port`.
pub(crate) fn connect_request(destination: &Destination<'_>, port: u16) -> Result<Vec<u8>, String> {
    let mut out = vec![VERSION, CMD_CONNECT, 0];
    match destination {
        Destination::Addr(IpAddr::V4(ip)) => {
            out.push(ATYP_IPV4);
            out.extend_from_slice(&ip.octets());
        }
        Destination::Addr(IpAddr::V6(ip)) => {
            out.push(ATYP_IPV6);
            out.extend_from_slice(&ip.octets());
        }
        Destination::Name(name) => {
            let len = u8::try_from(name.len())
                .map_err(|_| format!("the name is {} bytes long; SOCKS5 allows 255", name.len()))?;
            out.push(ATYP_NAME);
            out.push(len);
            out.extend_from_slice(name.as_bytes());
        }
    }
    out.extend_from_slice(&port.to_be_bytes());
    Ok(out)
}

/// Reads the first five bytes of the reply to CONNECT: on success, how many
/// bytes of it are left (the rest of the bound address, and its port).
pub(crate) fn reply_length(head: [u8; 5], host: &str, port: u16) -> Result<usize, String> {
    let [version, reply, _, atyp, first] = head;
    if version != VERSION {
        return Err(not_socks5(version));
    }
    if reply != 0 {
        return Err(format!(
            "could not connect to {host}:{port}: {} (reply {reply:#04x})",
            reply_text(reply)
        ));
    }
    match atyp {
        ATYP_IPV4 => Ok(4 - 1 + 2),
        ATYP_IPV6 => Ok(16 - 1 + 2),
        ATYP_NAME => Ok(usize::from(first) + 2),
        other => Err(format!("answered with unknown address type {other:#04x}")),
    }
}

fn not_socks5(version: u8) -> String {
    format!("answered with version {version}, not 5: is it a SOCKS5 proxy?")
}

/// RFC 1928 section 6.
fn reply_text(reply: u8) -> &'static str {
    match reply {
        0x01 => "general SOCKS server failure",
        0x02 => "connection not allowed by ruleset",
        0x03 => "network unreachable",
        0x04 => "host unreachable",
        0x05 => "connection refused",
        0x06 => "TTL expired",
        0x07 => "command not supported",
        0x08 => "address type not supported",
        _ => "unassigned failure code",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn greetings_offer_password_only_with_credentials() {
        assert_eq!(greeting(false), [5, 1, 0]);
        assert_eq!(greeting(true), [5, 2, 0, 2]);
        assert_eq!(chosen_method([5, 0], false), Ok(NO_AUTH));
        assert_eq!(chosen_method([5, 2], true), Ok(PASSWORD_AUTH));
        let e = chosen_method([5, 2], false).unwrap_err();
        assert!(e.contains("not offered"), "{e}");
        let e = chosen_method([5, 0xff], false).unwrap_err();
        assert!(e.contains("requires authentication"), "{e}");
        let e = chosen_method([4, 0], false).unwrap_err();
        assert!(e.contains("version 4"), "{e}");
    }

    #[test]
    fn password_subnegotiation() {
        assert_eq!(password_request(b"ann", b"pw"), b"\x01\x03ann\x02pw");
        assert_eq!(password_request(b"ann", b""), b"\x01\x03ann\x00");
        assert_eq!(password_status([1, 0]), Ok(()));
        let e = password_status([1, 1]).unwrap_err();
        assert!(e.contains("refused the user name and password"), "{e}");
    }

    #[test]
    fn connect_requests_carry_addresses_or_names() {
        let v4 = Destination::Addr(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)));
        assert_eq!(
            connect_request(&v4, 8080).unwrap(),
            [5, 1, 0, 1, 127, 0, 0, 1, 0x1f, 0x90]
        );
        let v6 = Destination::Addr(IpAddr::V6(Ipv6Addr::LOCALHOST));
        let req = connect_request(&v6, 443).unwrap();
        assert_eq!((req[3], req.len(), &req[20..]), (4, 22, &[1u8, 187][..]));
        let name = connect_request(&Destination::Name("example.com"), 443).unwrap();
        assert_eq!(&name[..5], [5, 1, 0, 3, 11]);
        assert_eq!(&name[5..16], b"example.com");
        assert_eq!(&name[16..], [1, 187]);
        let long = "a".repeat(256);
        let e = connect_request(&Destination::Name(&long), 443).unwrap_err();
        assert!(e.contains("256 bytes"), "{e}");
    }

    #[test]
    fn replies_say_what_failed() {
        assert_eq!(reply_length([5, 0, 0, 1, 127], "h", 1), Ok(5));
        assert_eq!(reply_length([5, 0, 0, 4, 0], "h", 1), Ok(17));
        assert_eq!(reply_length([5, 0, 0, 3, 9], "h", 1), Ok(11));
        assert_eq!(
            reply_length([5, 5, 0, 1, 0], "example.com", 443).unwrap_err(),
            "could not connect to example.com:443: connection refused (reply 0x05)"
        );
        let e = reply_length([5, 0, 0, 7, 0], "h", 1).unwrap_err();
        assert!(e.contains("address type 0x07"), "{e}");
        let e = reply_length([0, 90, 0, 0, 0], "h", 1).unwrap_err();
        assert!(e.contains("version 0"), "{e}");
    }
}
