//! Running a request: pick or open a connection, write the request, read the
//! response head, retry once on a stale pooled connection, follow redirects.

use std::sync::Arc;

use http::header::{
    HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION,
    PROXY_AUTHORIZATION, TRANSFER_ENCODING, USER_AGENT,
};
use http::{HeaderMap, Method};
use url::{Position, Url};

use crate::body::BodyReader;
use crate::client::{Client, ClientInner};
use crate::conn::{self, Conn, SendError, Target};
use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase};
use crate::pool::{is_idempotent, may_retry, PoolKey};
use crate::proto::{encode_request_head, Event, Limits, ResponseDecoder, ResponseHead};
use crate::redirect::next_hop;
use crate::request::Request;
use crate::response::Response;

/// Redirect bodies up to this size are read and dropped so their connection
/// can be reused; larger ones close it.
const DRAIN_REDIRECT_BODY_MAX: u64 = 64 * 1024;

/// Sends `req`, following redirects, and returns the final response.
pub(crate) async fn execute(client: Client, req: Request) -> Result<Response, Error> {
    let inner = client.inner;
    let Request {
        mut method,
        mut url,
        mut headers,
        mut body,
        timeout,
    } = req;
    let mut deadline = Deadline::new(timeout.or(inner.timeout), inner.read_timeout);
    if !headers.contains_key(USER_AGENT) {
        headers.insert(USER_AGENT, inner.user_agent.clone());
    }
    if !headers.contains_key(ACCEPT) {
        headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
    }
    let mut followed = 0;
    loop {
        let exchange = Exchange {
            inner: &inner,
            method: &method,
            url: &url,
            headers: &headers,
            body: body.as_deref(),
        };
        let (conn, decoder, head) = exchange
            .run(&mut deadline)
            .await
            .map_err(|e| e.for_request(&method, &url))?;
        let hop = next_hop(
            head.status,
            &method,
            head.headers.get(LOCATION),
            &url,
            followed,
            inner.redirect_limit,
        )
        .map_err(|e| e.for_request(&method, &url))?;
        let Some(hop) = hop else {
            let body = BodyReader::new(conn, decoder, Arc::clone(&inner), deadline);
            return Ok(Response::new(head, method, url, body));
        };
        // The redirect's own body is small as a rule: read it so its
        // connection can carry the next hop.
        let mut rest = BodyReader::new(conn, decoder, Arc::clone(&inner), deadline);
        // Boxed for the same reason as connecting: rare, and not worth
        // carrying in every request's future.
        Box::pin(rest.discard(DRAIN_REDIRECT_BODY_MAX)).await;
        deadline = rest.into_deadline();
        followed += 1;
        if !hop.keep_body {
            body = None;
            for name in [CONTENT_TYPE, CONTENT_LENGTH, TRANSFER_ENCODING] {
                headers.remove(name);
            }
        }
        if hop.cross_origin {
            for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION] {
                headers.remove(name);
            }
        }
        method = hop.method;
        url = hop.url;
    }
}

/// One request/response exchange on one connection (plus one retry).
struct Exchange<'a> {
    inner: &'a ClientInner,
    method: &'a Method,
    url: &'a Url,
    headers: &'a HeaderMap,
    body: Option<&'a [u8]>,
}

/// A failed attempt, and whether the server can have seen nothing of it
/// that produced a response (so an idempotent request may be sent again).
struct Failure {
    error: Error,
    nothing_received: bool,
}

impl Exchange<'_> {
    /// Sends the request and reads the response head. A pooled connection
    /// that fails before any response byte is replaced by a fresh one once,
    /// for idempotent methods.
    async fn run(
        &self,
        deadline: &mut Deadline,
    ) -> Result<(Conn, ResponseDecoder, ResponseHead), Error> {
        let key = pool_key(self.url)?;
        let mut fresh_only = false;
        loop {
            deadline.check(Phase::Connect)?;
            let pooled = if fresh_only {
                None
            } else {
                self.inner.pool.checkout(&key, is_idempotent(self.method))
            };
            let mut conn = match pooled {
                Some(conn) => conn,
                // Boxed: connecting (DNS, TLS handshake) is rare and its future is
                // large; inline, every request's future would carry its size.
                None => Box::pin(self.connect(&key, deadline)).await?,
            };
            match self.attempt(&mut conn, deadline).await {
                Ok((decoder, head)) => return Ok((conn, decoder, head)),
                Err(f) => {
                    if !fresh_only && may_retry(self.method, conn.reused, f.nothing_received) {
                        fresh_only = true;
                        continue;
                    }
                    return Err(f.error);
                }
            }
        }
    }

    async fn connect(&self, key: &PoolKey, deadline: &mut Deadline) -> Result<Conn, Error> {
        let target = Target {
            key,
            url: self.url,
            tls: key.https.then_some(&self.inner.tls),
        };
        conn::connect(target, self.inner.connect_timeout, deadline).await
    }

    async fn attempt(
        &self,
        conn: &mut Conn,
        deadline: &mut Deadline,
    ) -> Result<(ResponseDecoder, ResponseHead), Failure> {
        let body = self.body.unwrap_or_default();
        let body_len = match self.body {
            Some(b) => Some(b.len() as u64),
            // Servers may insist on a length for methods that carry a body.
            None if matches!(*self.method, Method::POST | Method::PUT | Method::PATCH) => Some(0),
            None => None,
        };
        let host = host_header(self.url);
        let target = &self.url[Position::BeforePath..Position::AfterQuery];
        let encode = |out: &mut Vec<u8>| {
            encode_request_head(self.method, target, &host, self.headers, body_len, out)
        };
        if let Err(e) = conn.send(encode, body, deadline).await {
            return Err(match e {
                SendError::Timeout(error) => Failure {
                    error,
                    nothing_received: false,
                },
                SendError::Io(e) => Failure {
                    error: Error::with_source(Kind::Protocol, "could not send the request", e),
                    nothing_received: true,
                },
            });
        }
        read_head(conn, self.method, deadline).await
    }
}

/// Reads until the final response head (1xx responses are skipped).
async fn read_head(
    conn: &mut Conn,
    method: &Method,
    deadline: &mut Deadline,
) -> Result<(ResponseDecoder, ResponseHead), Failure> {
    let mut decoder = ResponseDecoder::new(method, Limits::new());
    let refused = |e| Failure {
        error: Error::with_source(Kind::Protocol, "invalid response head", e),
        nothing_received: false,
    };
    loop {
        let (consumed, event) = decoder.decode(conn.buffered()).map_err(refused)?;
        conn.consume(consumed);
        match event {
            Event::Head(head) => return Ok((decoder, head)),
            Event::Informational(_) => {}
            Event::NeedMore => {
                let read = deadline
                    .wait(Phase::ResponseHead, None, conn.fill())
                    .await
                    .map_err(|error| Failure {
                        error,
                        nothing_received: false,
                    })?;
                match read {
                    Ok(0) => {
                        if let Err(e) = decoder.eof() {
                            return Err(Failure {
                                nothing_received: decoder.is_untouched(),
                                error: Error::with_source(Kind::Protocol, "", e),
                            });
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        return Err(Failure {
                            nothing_received: decoder.is_untouched(),
                            error: Error::with_source(
                                Kind::Protocol,
                                "connection failed while waiting for the response head",
                                e,
                            ),
                        })
                    }
                }
            }
            Event::Data(_) | Event::Trailers(_) | Event::End => {
                return Err(Failure {
                    error: Error::new(Kind::Protocol, "response body before its head"),
                    nothing_received: false,
                })
            }
        }
    }
}

/// The pool key of a URL, refusing what this client cannot fetch.
fn pool_key(url: &Url) -> Result<PoolKey, Error> {
    let https = match url.scheme() {
        "http" => false,
        "https" => true,
        other => {
            return Err(Error::new(
                Kind::InvalidUrl,
                format!("unsupported URL scheme \"{other}\" (only http and https are supported)"),
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
    Ok(PoolKey { https, host, port })
}

/// `host` or `host:port` when the port is not the scheme's default (the url
/// crate drops a default port when parsing); IPv6 hosts keep brackets.
fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_header_has_port_only_when_not_default() {
        let h = |s: &str| host_header(&Url::parse(s).unwrap());
        assert_eq!(h("http://example.com/"), "example.com");
        assert_eq!(h("http://example.com:80/"), "example.com");
        assert_eq!(h("https://example.com:443/"), "example.com");
        assert_eq!(h("https://example.com:8443/"), "example.com:8443");
        assert_eq!(h("http://[::1]:8080/"), "[::1]:8080");
        assert_eq!(h("http://[::1]/"), "[::1]");
    }

    #[test]
    fn pool_keys_refuse_other_schemes() {
        let k = pool_key(&Url::parse("https://Example.COM/x").unwrap()).unwrap();
        assert_eq!(
            (k.https, k.host.as_str(), k.port),
            (true, "example.com", 443)
        );
        let k = pool_key(&Url::parse("http://[::1]:81/").unwrap()).unwrap();
        assert_eq!(k.authority(), "[::1]:81");
        let e = pool_key(&Url::parse("ftp://h/f").unwrap()).unwrap_err();
        assert_eq!(e.kind(), Kind::InvalidUrl);
        assert!(e.to_string().contains("\"ftp\""), "{e}");
    }
}
