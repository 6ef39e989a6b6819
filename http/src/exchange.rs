//! The engine: runs one request from taking a connection to giving it back.
//!
//! [`execute`] is the single owner of a request's lifecycle. The public layers
//! above it ([`RequestBuilder`](crate::RequestBuilder), [`Client`](crate::Client))
//! only build a [`Request`]; the layers below it only do one thing each: the
//! pool stores idle connections, [`conn`](crate::conn) opens and drives one,
//! [`proto`](crate::proto) decodes bytes, the [`BodyReader`] reads a body.
//!
//! ```text
//!  step                                                          owns the connection
//!  Request ──► Exchange (method, URL, headers, body, Deadline)
//!                 │
//!  ┌─────────────►├─ 0 cookies   the jar's Cookie for this URL
//!  │              │              (unless the caller set one)
//!  │              │
//!  │              ├─ 1 checkout  Route: Origin::of(url) and the    Pool ──► Exchange
//!  │              │              proxy for it; Pool::checkout
//!  │              │              nothing usable: conn::connect     Exchange
//!  │              │              (through the proxy, if any)
//!  │              │
//!  │              ├─ 2 attempt   write the request, read the head  Exchange
//!  │              │    (a streamed body is pulled as it is
//!  │              │    written: chunked, or its declared length)
//!  │              │    (absolute form with Proxy-Authorization
//!  │              │    when an HTTP proxy forwards it; its 407
//!  │              │    is an error)
//!  │              │    failed on a REUSED connection before any
//!  │              │    response byte, idempotent method, body
//!  │              │    in memory (not streamed):
//!  │              │    STALE RETRY, once: drop it ──► 1 (connect)
//!  │              │
//!  │              ├─ 3 redirect? the jar keeps the Set-Cookie fields;
//!  │              │    redirect::next_hop(status, Location); a hop
//!  │              │    that keeps a streamed (spent) body is not
//!  │              │    made: the 3xx is the answer
//!  │  follow(hop) │    yes: drain the 3xx body (≤ 64 KiB) ──► 5    BodyReader
//!  └──────────────┤         then re-enter at 0 with the new
//!                 │         method and URL (body, credentials
//!                 │         dropped as the hop says)
//!                 │    no:
//!                 ├─ 4 Response  head + BodyReader to the caller   BodyReader
//!                 │
//!                 └─ 5 release   body read to its end:             BodyReader ──► Pool
//!                                Pool::release keeps it (reusable,
//!                                no stray bytes, room) or closes it;
//!                                error, over max_body_size, or the
//!                                Response dropped unread: closed
//! ```
//!
//! One [`Deadline`] (total and read timeouts, one timer) goes along the whole
//! way, through redirects and into the body reader.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use aio_reactor::time::sleep;
use http::header::{
    HeaderValue, ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE,
    LOCATION, PROXY_AUTHORIZATION, RANGE, RETRY_AFTER, TRANSFER_ENCODING, USER_AGENT,
};
use http::{HeaderMap, Method, StatusCode};
use url::{Position, Url};

use crate::body::BodyReader;
use crate::conn::{self, Conn, Origin, Route, SendError};
use crate::deadline::Deadline;
use crate::decode;
use crate::error::{Error, Kind, Phase};
#[cfg(feature = "http2")]
use crate::http2::{self, Checkout};
use crate::pool::{is_resendable, may_retry, Acquired};
use crate::proto::{encode_request_head, Event, Limits, ResponseDecoder, ResponseHead};
use crate::proxy::tunnel::refusal;
use crate::redact::redacted;
use crate::redirect::{next_hop, Hop};
use crate::request_body::{Body, Payload};
use crate::response::{Parts, Response};
use crate::retry::Outcome;
use crate::shared::Shared;

/// Redirect bodies up to this size are read and dropped so their connection
/// can be reused; larger ones close it.
const DRAIN_REDIRECT_BODY_MAX: u64 = 64 * 1024;

/// A request ready to go, as the builder made it.
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Body>,
    pub(crate) timeout: Option<Duration>,
    /// Overrides the client's `decompress` setting.
    pub(crate) decompress: Option<bool>,
}

/// Sends `request`, following redirects, and returns the final response.
pub(crate) async fn execute(shared: Arc<Shared>, request: Request) -> Result<Response, Error> {
    Exchange::new(shared, request).run().await
}

/// One request on its way: what is sent (updated by each redirect hop), the
/// client's shared state, and the deadline that bounds it all.
struct Exchange {
    shared: Arc<Shared>,
    method: Method,
    url: Url,
    headers: HeaderMap,
    /// The caller's own `Proxy-Authorization`, kept apart from `headers`:
    /// it goes to a proxy that forwards the request, never to an origin.
    proxy_authorization: Option<HeaderValue>,
    body: Option<Body>,
    /// The caller set `Cookie` (and it still applies): the jar stays out.
    caller_cookie: bool,
    deadline: Deadline,
    /// Undo the response's Content-Encoding.
    decompress: bool,
    /// The URLs redirected from so far, in order.
    redirects: Vec<Url>,
}

/// What the response head arrived on; the body follows on it.
// Lives for one move into the body reader; see `body::Source` on the size.
#[allow(clippy::large_enum_variant)]
enum Wire {
    Http1(Conn, ResponseDecoder),
    #[cfg(feature = "http2")]
    Http2(h2::RecvStream, Option<std::net::SocketAddr>),
}

/// A failed attempt, and whether the server can have seen nothing of it
/// that produced a response (so an idempotent request may be sent again).
struct Failure {
    error: Error,
    nothing_received: bool,
}

impl Exchange {
    fn new(shared: Arc<Shared>, request: Request) -> Exchange {
        let Request {
            method,
            url,
            mut headers,
            body,
            timeout,
            decompress,
        } = request;
        let decompress = decompress.unwrap_or(shared.decompress);
        let deadline = Deadline::new(timeout.or(shared.timeout), shared.read_timeout);
        // The request's own headers win, name by name, over the defaults.
        for name in shared.default_headers.keys() {
            if !headers.contains_key(name) {
                for value in shared.default_headers.get_all(name) {
                    headers.append(name.clone(), value.clone());
                }
            }
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, shared.user_agent.clone());
        }
        if !headers.contains_key(ACCEPT) {
            headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        }
        // Credentials for a proxy are for a proxy only: sent (in attempt)
        // only on a route whose proxy reads the request.
        let proxy_authorization = headers.remove(PROXY_AUTHORIZATION);
        // A compressed range is a range of the compressed bytes: ask for
        // compression only when the whole body is wanted.
        if decompress && !headers.contains_key(ACCEPT_ENCODING) && !headers.contains_key(RANGE) {
            if let Some(codings) = decode::accept_encoding() {
                headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(codings));
            }
        }
        Exchange {
            shared,
            method,
            url,
            caller_cookie: headers.contains_key(COOKIE),
            headers,
            proxy_authorization,
            body,
            deadline,
            decompress,
            redirects: Vec::new(),
        }
    }

    /// Steps 0 to 5 of the module docs, once per redirect hop.
    async fn run(mut self) -> Result<Response, Error> {
        let mut retries = 0;
        loop {
            self.attach_cookies();
            let (wire, head) = match self.response_head().await {
                Ok(got) => got,
                Err(e) => {
                    let retry = (e.kind() == Kind::Connect)
                        .then(|| self.retry_wait(retries, Outcome::ConnectFailed))
                        .flatten();
                    let Some(wait) = retry else {
                        let e = match retries {
                            0 => e,
                            n => e.with_note(&format!("gave up after {n} retries")),
                        };
                        return Err(e.for_request(&self.method, &self.url));
                    };
                    retries += 1;
                    sleep(wait).await;
                    continue;
                }
            };
            if let Some(jar) = &self.shared.cookies {
                jar.store(&self.url, &head.headers);
            }
            let hop = next_hop(
                head.status,
                &self.method,
                head.headers.get(LOCATION),
                &self.url,
                self.redirects.len(),
                self.shared.redirect_limit,
            )
            .map_err(|e| e.for_request(&self.method, &self.url))?;
            // A streamed body was used up by this hop: one that would send
            // it again is not made.
            let hop = hop.filter(|h| !h.keep_body || self.body_replayable());
            let retry = match hop {
                None => {
                    let answer = Outcome::Status(head.status, head.headers.get(RETRY_AFTER));
                    self.retry_wait(retries, answer)
                }
                Some(_) => None,
            };
            // From here the body reader owns the connection (or stream),
            // and the deadline.
            let shared = Arc::clone(&self.shared);
            let (body, remote_addr) = match wire {
                Wire::Http1(conn, decoder) => {
                    let remote_addr = conn.peer_addr();
                    (
                        BodyReader::new(conn, decoder, shared, self.deadline),
                        remote_addr,
                    )
                }
                #[cfg(feature = "http2")]
                Wire::Http2(stream, remote_addr) => {
                    let body = http2::ResponseBody::new(stream);
                    let length = head.content_length();
                    let reader = BodyReader::http2(body, length, shared, self.deadline);
                    (reader, remote_addr)
                }
            };
            let Some(hop) = hop else {
                if let Some(wait) = retry {
                    // As for a redirect: read the short answer so its
                    // connection can carry the retry.
                    let mut rest = body;
                    Box::pin(rest.discard(DRAIN_REDIRECT_BODY_MAX)).await;
                    self.deadline = rest.into_deadline();
                    retries += 1;
                    sleep(wait).await;
                    continue;
                }
                return Ok(Response::new(Parts {
                    head,
                    method: self.method,
                    url: self.url,
                    body,
                    decompress: self.decompress,
                    remote_addr,
                    redirects: self.redirects,
                }));
            };
            if is_downgrade(&self.url, &hop.url) && !self.shared.https_to_http_redirects {
                let e = Error::new(
                    Kind::Protocol,
                    format!(
                        "redirect from https to http refused; it would send the rest of the \
                         request in clear text to {} (ClientBuilder::\
                         danger_allow_https_to_http_redirects allows it)",
                        redacted(&hop.url)
                    ),
                );
                return Err(e.for_request(&self.method, &self.url));
            }
            // The redirect's own body is small as a rule: read it so its
            // connection can carry the next hop. Boxed for the same reason as
            // connecting: rare, and not worth carrying in every request's
            // future.
            let mut rest = body;
            Box::pin(rest.discard(DRAIN_REDIRECT_BODY_MAX)).await;
            self.deadline = rest.into_deadline();
            self.follow(hop);
        }
    }

    /// Whether the body (if any) can be sent again: held in memory.
    fn body_replayable(&self) -> bool {
        self.body.as_ref().map_or(true, Body::is_replayable)
    }

    /// Step 0: the jar's cookies for this URL, in place of the last hop's.
    fn attach_cookies(&mut self) {
        let Some(jar) = &self.shared.cookies else {
            return;
        };
        if self.caller_cookie {
            return;
        }
        match jar.header_for(&self.url) {
            Some(value) => {
                self.headers.insert(COOKIE, value);
            }
            None => {
                self.headers.remove(COOKIE);
            }
        }
    }

    /// How long to wait before retry number `attempt` after `outcome`, if
    /// the client retries and the wait ends before the total deadline.
    /// A streamed body is never sent twice: no retry once it was.
    fn retry_wait(&self, attempt: u32, outcome: Outcome<'_>) -> Option<Duration> {
        if !self.body_replayable() {
            return None;
        }
        let wait = self.shared.retry?.delay(&self.method, attempt, outcome)?;
        match self.deadline.remaining() {
            Some(left) if wait >= left => None,
            _ => Some(wait),
        }
    }

    /// Re-enters at step 0 with the hop's method and URL, dropping the
    /// body and the credentials when the hop says so.
    fn follow(&mut self, hop: Hop) {
        if !hop.keep_body {
            self.body = None;
            for name in [CONTENT_TYPE, CONTENT_LENGTH, TRANSFER_ENCODING] {
                self.headers.remove(name);
            }
        }
        if hop.cross_origin {
            for name in [AUTHORIZATION, COOKIE] {
                self.headers.remove(name);
            }
            // The jar, if any, has the cookies for the new origin.
            self.caller_cookie = false;
            self.proxy_authorization = None;
        }
        self.method = hop.method;
        let from = std::mem::replace(&mut self.url, hop.url);
        self.redirects.push(from);
    }

    /// Checkout, attempt, and the one retry: sends the request and reads the
    /// response head. A pooled connection that fails before any response
    /// byte is replaced by a fresh one once, for idempotent methods; a
    /// request an HTTP/2 server says it did not process (GOAWAY, REFUSED_STREAM)
    /// is sent again on a new connection once, whatever its method.
    async fn response_head(&mut self) -> Result<(Wire, ResponseHead), Error> {
        let origin = Origin::of(&self.url)?;
        if self.shared.https_only && !origin.https {
            return Err(Error::new(
                Kind::InvalidUrl,
                "plain-HTTP URL refused: this client is https_only",
            ));
        }
        let resendable = is_resendable(&self.method, self.body_replayable());
        let proxy = self
            .shared
            .proxies
            .select(origin.https, &origin.host, origin.port)
            .cloned();
        let route = Route { origin, proxy };
        let mut fresh_only = false;
        #[cfg(feature = "http2")]
        let mut resent_http2 = false;
        loop {
            self.deadline.check(Phase::Connect)?;
            #[cfg(feature = "http2")]
            let mut negotiation = None;
            #[cfg(feature = "http2")]
            if self.shared.http2.may_use(&route) {
                match self.shared.h2.checkout(&route) {
                    Checkout::Ready(h2) => match self.attempt_http2(h2, &mut resent_http2).await? {
                        Some(got) => return Ok(got),
                        None => continue,
                    },
                    Checkout::Wait => {
                        let settled = self.shared.h2.negotiated(&route);
                        self.deadline.wait_total(Phase::Connect, settled).await?;
                        continue;
                    }
                    Checkout::Negotiate(guard) => negotiation = Some(guard),
                    Checkout::Http1 => {}
                }
            }
            let mut conn = loop {
                let slot = match self.shared.pool.acquire(&route, resendable, fresh_only) {
                    Acquired::Idle(conn) => break conn,
                    Acquired::Room(slot) => slot,
                    Acquired::Full => {
                        // Only the total timeout bounds the wait: the read
                        // timeout is about a silent server, not a busy pool.
                        let room = self.shared.pool.room(&route);
                        self.deadline.wait_total(Phase::PoolWait, room).await?;
                        continue;
                    }
                };
                // Boxed: connecting (DNS, TLS handshake) is rare and its future is
                // large; inline, every request's future would carry its size.
                let mut conn = Box::pin(conn::connect(
                    &route,
                    &self.shared.tls,
                    &self.shared.user_agent,
                    self.shared.connect_timeout,
                    &mut self.deadline,
                ))
                .await?;
                conn.slot = Some(Box::new(slot));
                break conn;
            };
            #[cfg(feature = "http2")]
            if !conn.reused && self.shared.http2.speaks_http2(&route, &conn) {
                let (io, slot) = conn.into_stream();
                let h2 = http2::start(io, slot, &mut self.deadline).await?;
                self.shared.h2.insert(&route, &h2);
                drop(negotiation);
                match self.attempt_http2(h2, &mut resent_http2).await? {
                    Some(got) => return Ok(got),
                    None => continue,
                }
            }
            #[cfg(feature = "http2")]
            if let Some(guard) = negotiation {
                guard.settled_http1();
            }
            match self.attempt(&mut conn).await {
                Ok((decoder, head)) => {
                    // A 407 to a forwarded request is the proxy's own.
                    let proxy = route
                        .forwarding_proxy()
                        .filter(|_| head.status == StatusCode::PROXY_AUTHENTICATION_REQUIRED);
                    if let Some(proxy) = proxy {
                        let sent =
                            self.proxy_authorization.is_some() || proxy.authorization.is_some();
                        return Err(refusal(proxy, &head, "refused the request", sent));
                    }
                    return Ok((Wire::Http1(conn, decoder), head));
                }
                Err(f) => {
                    // The stale-connection retry: the only place a request
                    // is sent twice.
                    if !fresh_only && may_retry(resendable, conn.reused, f.nothing_received) {
                        fresh_only = true;
                        continue;
                    }
                    return Err(f.error);
                }
            }
        }
    }

    /// Sends the request on a stream of `h2` (this request's own handle)
    /// and reads the response head. `Ok(None)`: the server says it never
    /// processed the request, which goes again on a new connection: once,
    /// whatever its method, when its body can be sent again.
    #[cfg(feature = "http2")]
    async fn attempt_http2(
        &mut self,
        mut h2: http2::H2Conn,
        resent: &mut bool,
    ) -> Result<Option<(Wire, ResponseHead)>, Error> {
        let target = absolute_target(&self.url);
        let outgoing = http2::Outgoing {
            method: &self.method,
            uri: &target,
            headers: &self.headers,
            body: self.body.as_mut(),
        };
        match http2::round_trip(&mut h2, outgoing, &mut self.deadline).await {
            Ok((head, stream)) => Ok(Some((Wire::Http2(stream, h2.peer), head))),
            Err(f) if f.unprocessed && !*resent && self.body_replayable() => {
                *resent = true;
                self.shared.h2.forget(&h2);
                Ok(None)
            }
            Err(f) => Err(f.error),
        }
    }

    /// Writes the request on `conn` and reads the response head.
    async fn attempt(
        &mut self,
        conn: &mut Conn,
    ) -> Result<(ResponseDecoder, ResponseHead), Failure> {
        let Exchange {
            method,
            url,
            headers,
            proxy_authorization,
            body,
            deadline,
            shared,
            ..
        } = self;
        let host = host_header(url);
        // A streamed body of unknown length goes chunked.
        if let Some(Payload::Streamed(streamed)) = body.as_mut().map(Body::payload) {
            if streamed.declared_len().is_none() {
                headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
            }
        }
        // An HTTP proxy that forwards the request reads its URL whole, and
        // its own credentials: the caller's if given, else the proxy URL's.
        let (target, headers) = match conn.route.forwarding_proxy() {
            None => (Cow::Borrowed(request_target(url)), Cow::Borrowed(&*headers)),
            Some(proxy) => {
                let mut with_credentials = headers.clone();
                if let Some(value) = proxy_authorization
                    .as_ref()
                    .or(proxy.authorization.as_ref())
                {
                    with_credentials.insert(PROXY_AUTHORIZATION, value.clone());
                }
                (
                    Cow::Owned(absolute_target(url)),
                    Cow::Owned(with_credentials),
                )
            }
        };
        let sent = match body.as_mut().map(Body::payload) {
            Some(Payload::Streamed(streamed)) => {
                let declared = streamed.declared_len();
                let encode = |out: &mut Vec<u8>| {
                    encode_request_head(method, &target, host, &headers, declared, out)
                };
                // Boxed, as connecting is: streamed bodies are rare, and
                // inline every request's future would carry this one's size.
                Box::pin(conn.send_streamed(encode, streamed, declared.is_none(), deadline)).await
            }
            payload => {
                let (bytes, body_len) = match payload {
                    Some(Payload::Bytes(b)) => (b, Some(b.len() as u64)),
                    // Servers may insist on a length for methods that carry
                    // a body.
                    _ if matches!(*method, Method::POST | Method::PUT | Method::PATCH) => {
                        (&[][..], Some(0))
                    }
                    _ => (&[][..], None),
                };
                let encode = |out: &mut Vec<u8>| {
                    encode_request_head(method, &target, host, &headers, body_len, out)
                };
                conn.send(encode, bytes, deadline).await
            }
        };
        if let Err(e) = sent {
            return Err(match e {
                SendError::Timeout(error) => Failure {
                    error,
                    nothing_received: false,
                },
                SendError::Io(e) => Failure {
                    error: Error::with_source(Kind::Protocol, "could not send the request", e),
                    nothing_received: true,
                },
                SendError::Body(error) => Failure {
                    error,
                    nothing_received: false,
                },
            });
        }
        read_head(conn, method, shared.limits, deadline).await
    }
}

/// Reads until the final response head (1xx responses are skipped).
async fn read_head(
    conn: &mut Conn,
    method: &Method,
    limits: Limits,
    deadline: &mut Deadline,
) -> Result<(ResponseDecoder, ResponseHead), Failure> {
    let mut decoder = ResponseDecoder::new(method, limits);
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

/// Whether following `from` to `to` leaves TLS.
fn is_downgrade(from: &Url, to: &Url) -> bool {
    from.scheme() == "https" && to.scheme() == "http"
}

/// The `Host` header: `host` or `host:port` when the port is not the
/// scheme's default (the url crate drops a default port when parsing); IPv6
/// hosts keep brackets. A slice of the URL, so no allocation.
fn host_header(url: &Url) -> &str {
    &url[Position::BeforeHost..Position::AfterPort]
}

/// The request-target (origin-form): path and query, never the fragment.
fn request_target(url: &Url) -> &str {
    &url[Position::BeforePath..Position::AfterQuery]
}

/// The request-target in absolute form, for a proxy: scheme, host, port,
/// path and query; never userinfo (a redirect's `Location` may carry some)
/// nor the fragment.
fn absolute_target(url: &Url) -> String {
    format!(
        "{}://{}",
        url.scheme(),
        &url[Position::BeforeHost..Position::AfterQuery]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_header_has_port_only_when_not_default() {
        let h = |s: &str| host_header(&Url::parse(s).unwrap()).to_owned();
        assert_eq!(h("http://example.com/"), "example.com");
        assert_eq!(h("http://example.com:80/"), "example.com");
        assert_eq!(h("https://example.com:443/"), "example.com");
        assert_eq!(h("https://example.com:8443/"), "example.com:8443");
        assert_eq!(h("http://[::1]:8080/"), "[::1]:8080");
        assert_eq!(h("http://[::1]/"), "[::1]");
        assert_eq!(h("http://user:pw@example.com:81/"), "example.com:81");
    }

    #[test]
    fn absolute_targets_drop_userinfo_and_fragment() {
        let t = |s: &str| absolute_target(&Url::parse(s).unwrap());
        assert_eq!(t("http://example.com"), "http://example.com/");
        assert_eq!(
            t("http://u:pw@example.com:81/a?b=c#d"),
            "http://example.com:81/a?b=c"
        );
        assert_eq!(t("http://[::1]:8080/x"), "http://[::1]:8080/x");
    }

    #[test]
    fn origins_refuse_other_schemes() {
        let o = Origin::of(&Url::parse("https://Example.COM/x").unwrap()).unwrap();
        assert_eq!(
            (o.https, o.host.as_str(), o.port),
            (true, "example.com", 443)
        );
        let o = Origin::of(&Url::parse("http://[::1]:81/").unwrap()).unwrap();
        assert_eq!(o.authority(), "[::1]:81");
        let e = Origin::of(&Url::parse("ftp://h/f").unwrap()).unwrap_err();
        assert_eq!(e.kind(), Kind::InvalidUrl);
        assert!(e.to_string().contains("\"ftp\""), "{e}");
    }
}
