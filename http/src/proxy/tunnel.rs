//! HTTP `CONNECT` (RFC 9110 9.3.6): asking an HTTP proxy for a tunnel to
//! an origin, over which the client then speaks TLS with the origin itself.
//!
//! ```text
//!  CONNECT example.com:443 HTTP/1.1      ──►  proxy
//!  Host: example.com:443
//!  Proxy-Authorization: Basic ...             (when the proxy URL has them)
//!                                       ◄──  HTTP/1.1 200 Connection established
//!  (TLS handshake with example.com, end to end)
//! ```
//!
//! The answer is read with the response decoder; any status but 2xx is an
//! error naming the proxy and the status, and so is a byte after a 2xx head
//! (the client speaks first in TLS, so it can only be garbage).

use std::io;

use aio_reactor::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use http::header::{PROXY_AUTHENTICATE, PROXY_AUTHORIZATION, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::ProxyTarget;
use crate::error::{Error, Kind};
use crate::proto::{encode_request_head, Event, Limits, ResponseDecoder, ResponseHead};

/// Bytes read at a time from the proxy while waiting for its answer.
const READ_CHUNK: usize = 4 * 1024;

/// Asks the HTTP proxy at the other end of `stream` for a tunnel to
/// `authority` (`host:port`). Errors are kind [`Connect`](Kind::Connect)
/// and name the proxy; a refusal also carries the proxy's status.
pub(crate) async fn open<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    proxy: &ProxyTarget,
    authority: &str,
    user_agent: &HeaderValue,
) -> Result<(), Error> {
    let failed = |e: io::Error| {
        Error::with_source(
            Kind::Connect,
            &format!("CONNECT to {authority} through proxy {proxy} failed"),
            e,
        )
    };
    let mut headers = HeaderMap::new();
    headers.insert(USER_AGENT, user_agent.clone());
    if let Some(credentials) = &proxy.authorization {
        headers.insert(PROXY_AUTHORIZATION, credentials.clone());
    }
    let mut head = Vec::new();
    encode_request_head(
        &Method::CONNECT,
        authority,
        authority,
        &headers,
        None,
        &mut head,
    );
    stream.write_all(&head).await.map_err(failed)?;
    stream.flush().await.map_err(failed)?;

    let mut decoder = ResponseDecoder::new(&Method::CONNECT, Limits::new());
    let invalid = |e| {
        Error::with_source(
            Kind::Connect,
            &format!("proxy {proxy} sent an invalid answer to CONNECT {authority}"),
            e,
        )
    };
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = stream.read(&mut buf).await.map_err(failed)?;
        if n == 0 {
            return Err(match decoder.eof() {
                Err(e) => invalid(e),
                Ok(_) => Error::new(
                    Kind::Connect,
                    format!(
                        "proxy {proxy} closed the connection before answering CONNECT {authority}"
                    ),
                ),
            });
        }
        let mut input = &buf[..n];
        loop {
            let (used, event) = decoder.decode(input).map_err(invalid)?;
            input = &input[used..];
            match event {
                Event::Head(head) if head.status.is_success() => {
                    if !input.is_empty() {
                        return Err(Error::new(
                            Kind::Connect,
                            format!(
                                "proxy {proxy} sent {} bytes after accepting CONNECT {authority}, \
                                 before the client's first TLS message",
                                input.len()
                            ),
                        ));
                    }
                    return Ok(());
                }
                Event::Head(head) => {
                    let what = format!("refused the tunnel to {authority}");
                    return Err(refusal(proxy, &head, &what, proxy.authorization.is_some()));
                }
                Event::Informational(_) => {}
                Event::NeedMore | Event::Data(_) | Event::Trailers(_) | Event::End => break,
            }
        }
    }
}

/// A proxy's refusal (kind [`Connect`](Kind::Connect), with its status):
/// `proxy <url> <what>: <status>`, and for a 407 whether credentials were
/// sent and which scheme the proxy asks for (its `Proxy-Authenticate`).
pub(crate) fn refusal(
    proxy: &ProxyTarget,
    head: &ResponseHead,
    what: &str,
    credentials_sent: bool,
) -> Error {
    let mut text = format!("proxy {proxy} {what}: {}", head.status);
    if head.status == StatusCode::PROXY_AUTHENTICATION_REQUIRED {
        text.push_str(if credentials_sent {
            " (it refused the credentials sent"
        } else {
            " (no credentials were sent: give them in the proxy URL, http://user:password@host:port"
        });
        if let Some(challenge) = head.headers.get(PROXY_AUTHENTICATE) {
            let challenge = String::from_utf8_lossy(challenge.as_bytes());
            text.push_str("; it asks for ");
            text.extend(challenge.chars().take(200));
        }
        text.push(')');
    }
    Error::new(Kind::Connect, text).with_status(head.status)
}
