//! HTTP/2: one connection per origin (and loop), many requests on it.
//!
//! The h2 crate does the protocol (framing, HPACK, flow control, stream
//! states); this module fits it to the client:
//!
//! - [`start`] runs the h2 handshake on a connection that negotiated `h2`
//!   (or on a cleartext one, with prior knowledge) and spawns an aio task
//!   that drives it until the server or the client is done with it. The
//!   task holds the connection's pool slot, so the connection counts
//!   against the pool's limits while it is open.
//! - The [`Registry`] holds each origin's open HTTP/2 connections (per
//!   loop: a socket is driven by the reactor of the loop it was opened on),
//!   and makes requests that race a connection still negotiating wait for
//!   it instead of opening their own.
//! - [`round_trip`] sends one request on a stream and waits for the
//!   response head; [`ResponseBody`] reads the body, handing the flow-control
//!   window back as it goes.
//!
//! Requests beyond the server's `SETTINGS_MAX_CONCURRENT_STREAMS` wait, in
//! order, for a stream on the same connection (the h2 crate queues them):
//! one connection per origin, as browsers do.

mod io;

use std::collections::{HashMap, HashSet};
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use h2::client::SendRequest;
use h2::{Reason, RecvStream, SendStream};
use http::header::{
    HeaderName, CONNECTION, CONTENT_LENGTH, HOST, PROXY_AUTHORIZATION, TE, TRANSFER_ENCODING,
    UPGRADE,
};
use http::{HeaderMap, HeaderValue, Method, Uri, Version};

use crate::conn::{Conn, Route, Transport};
use crate::deadline::Deadline;
use crate::error::{Error, Kind, Phase};
use crate::proto::ResponseHead;
use crate::request_body::{Body, Payload};

pub use io::TokioIo;

/// Flow-control windows offered to the server: how much it may send before
/// the client reads. Per stream, and for the whole connection (the sum of
/// unread bodies on it is bounded by the latter).
const STREAM_WINDOW: u32 = 2 * 1024 * 1024;
const CONNECTION_WINDOW: u32 = 5 * 1024 * 1024;

/// Largest header list accepted from the server (decoded), as for an
/// HTTP/1.1 head.
const MAX_HEADER_LIST: u32 = 64 * 1024;

/// Streams opened at once before the server's SETTINGS say how many it
/// allows. The protocol's default is unlimited, but a server enforces its
/// own limit from the first stream: requests sent before its SETTINGS
/// arrive would be refused (REFUSED_STREAM) beyond it. 100 is the least a
/// server should allow (RFC 9113 6.5.2); the rest wait in order.
const INITIAL_MAX_SEND_STREAMS: usize = 100;

/// Whether a client speaks HTTP/2, and how it finds out a server does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// HTTP/1.1 only (`http1_only`).
    Off,
    /// Offered by ALPN on TLS; plain-HTTP URLs use HTTP/1.1.
    Negotiate,
    /// Spoken from the first byte, on TLS and in clear text
    /// (`http2_prior_knowledge`).
    PriorKnowledge,
}

impl Mode {
    /// Whether a request on `route` may go over HTTP/2. Never through an
    /// HTTP proxy that forwards plain-HTTP requests: it reads them as
    /// HTTP/1.1.
    pub(crate) fn may_use(self, route: &Route) -> bool {
        let direct = route.forwarding_proxy().is_none();
        match self {
            Mode::Off => false,
            Mode::Negotiate => route.origin.https && direct,
            Mode::PriorKnowledge => direct,
        }
    }

    /// Whether the new connection `conn` on `route` goes on as HTTP/2.
    pub(crate) fn speaks_http2(self, route: &Route, conn: &Conn) -> bool {
        self.may_use(route) && (self == Mode::PriorKnowledge || conn.negotiated_h2())
    }
}

/// An open HTTP/2 connection, shared by every request on it.
#[derive(Clone)]
pub(crate) struct H2Conn {
    send: SendRequest<Bytes>,
    /// Set by the driving task when the connection has ended.
    closed: Arc<AtomicBool>,
    loop_id: Option<u64>,
    pub(crate) peer: Option<SocketAddr>,
}

/// Runs the HTTP/2 handshake on `io` and spawns the task that drives the
/// connection; `slot` (the pool's count of it) is dropped when it ends.
pub(crate) async fn start(
    io: Transport,
    slot: Option<Box<dyn Send + Sync>>,
    deadline: &mut Deadline,
) -> Result<H2Conn, Error> {
    let peer = io.peer_addr();
    let handshake = h2::client::Builder::new()
        .enable_push(false)
        .initial_max_send_streams(INITIAL_MAX_SEND_STREAMS)
        .initial_window_size(STREAM_WINDOW)
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_header_list_size(MAX_HEADER_LIST)
        .handshake::<_, Bytes>(TokioIo::new(io));
    let (send, connection) = deadline
        .wait(Phase::Connect, None, handshake)
        .await?
        .map_err(|e| h2_error("HTTP/2 handshake failed", e))?;
    let closed = Arc::new(AtomicBool::new(false));
    let done = Arc::clone(&closed);
    // The connection ends when the server closes it, on a protocol error,
    // or when every handle to it (the registry's and the requests') is gone.
    aio_executor::spawn(async move {
        // Marked closed however the task ends: the connection finished, or
        // the task was cancelled with its loop (a client may outlive it).
        let _closed = MarkClosed {
            closed: done,
            _slot: slot,
        };
        let _ = connection.await;
    });
    Ok(H2Conn {
        send,
        closed,
        loop_id: aio_reactor::current_loop_id(),
        peer,
    })
}

/// Marks a connection closed, and gives its pool slot up, when dropped.
struct MarkClosed {
    closed: Arc<AtomicBool>,
    /// Held only to be dropped with the connection.
    _slot: Option<Box<dyn Send + Sync>>,
}

impl Drop for MarkClosed {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Release);
    }
}

impl H2Conn {
    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Whether `self` and `other` are handles to one connection.
    fn same_as(&self, other: &H2Conn) -> bool {
        Arc::ptr_eq(&self.closed, &other.closed)
    }
}

/// What [`Registry::checkout`] found for a request.
pub(crate) enum Checkout {
    /// An open HTTP/2 connection to send on.
    Ready(H2Conn),
    /// Another request of this loop is connecting to the route and may
    /// get HTTP/2: wait for it ([`Registry::negotiated`]), then check again.
    Wait,
    /// Open a connection; the guard tells waiters when it is settled.
    Negotiate(Negotiation),
    /// The route speaks HTTP/1.1: go the HTTP/1.1 way.
    Http1,
}

/// The client's HTTP/2 connections, shared by its clones and loops.
#[derive(Default)]
pub(crate) struct Registry {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    conns: HashMap<Route, Vec<H2Conn>>,
    /// Routes (per loop) with a connection being opened that may become
    /// HTTP/2, and the requests waiting for it.
    negotiating: HashMap<(Route, Option<u64>), Vec<Waker>>,
    /// Routes whose server answered ALPN with HTTP/1.1: no waiting there.
    http1: HashSet<Route>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // Every update leaves the state consistent: a panic elsewhere while
    // holding the lock does not make it unusable.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Registry {
    /// An open connection of this loop to `route`, or what to do instead.
    pub(crate) fn checkout(&self, route: &Route) -> Checkout {
        let here = aio_reactor::current_loop_id();
        let mut st = lock(&self.state);
        if let Some(list) = st.conns.get_mut(route) {
            list.retain(|c| !c.is_closed());
            let found = list.iter().find(|c| c.loop_id == here).cloned();
            if list.is_empty() {
                st.conns.remove(route);
            }
            if let Some(conn) = found {
                return Checkout::Ready(conn);
            }
        }
        if st.http1.contains(route) {
            return Checkout::Http1;
        }
        let key = (route.clone(), here);
        if st.negotiating.contains_key(&key) {
            return Checkout::Wait;
        }
        st.negotiating.insert(key.clone(), Vec::new());
        Checkout::Negotiate(Negotiation {
            state: Arc::downgrade(&self.state),
            key: Some(key),
        })
    }

    /// Resolves when the connection being opened to `route` on this loop
    /// is settled (HTTP/2, HTTP/1.1, or failed).
    pub(crate) fn negotiated(&self, route: &Route) -> impl Future<Output = ()> + '_ {
        let key = (route.clone(), aio_reactor::current_loop_id());
        poll_fn(move |cx| {
            let mut st = lock(&self.state);
            match st.negotiating.get_mut(&key) {
                None => Poll::Ready(()),
                Some(waiters) => {
                    if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
                        waiters.push(cx.waker().clone());
                    }
                    Poll::Pending
                }
            }
        })
    }

    /// Shares `conn` with later requests to `route` on this loop.
    pub(crate) fn insert(&self, route: &Route, conn: &H2Conn) {
        let mut st = lock(&self.state);
        st.http1.remove(route);
        st.conns
            .entry(route.clone())
            .or_default()
            .push(conn.clone());
    }

    /// Stops handing out `conn` (the server is going away from it).
    pub(crate) fn forget(&self, conn: &H2Conn) {
        let mut st = lock(&self.state);
        for list in st.conns.values_mut() {
            list.retain(|c| !c.same_as(conn));
        }
        st.conns.retain(|_, list| !list.is_empty());
    }
}

/// A connection being opened to a route that may speak HTTP/2. Dropping it
/// (however the attempt ended) lets the requests waiting for it go on.
pub(crate) struct Negotiation {
    state: Weak<Mutex<State>>,
    key: Option<(Route, Option<u64>)>,
}

impl Negotiation {
    /// The server picked HTTP/1.1: later requests open their own.
    pub(crate) fn settled_http1(mut self) {
        self.settle(|st, route| {
            st.http1.insert(route.clone());
        });
    }

    fn settle(&mut self, update: impl FnOnce(&mut State, &Route)) {
        let Some(key) = self.key.take() else {
            return;
        };
        let Some(state) = self.state.upgrade() else {
            return;
        };
        let mut st = lock(&state);
        update(&mut st, &key.0);
        let waiters = st.negotiating.remove(&key).unwrap_or_default();
        drop(st);
        waiters.into_iter().for_each(Waker::wake);
    }
}

impl Drop for Negotiation {
    fn drop(&mut self) {
        self.settle(|_, _| {});
    }
}

/// A request that failed on an HTTP/2 connection.
pub(crate) struct Failure {
    pub(crate) error: Error,
    /// The server says it did not process the request (a GOAWAY whose last
    /// stream id is below it, REFUSED_STREAM, or the connection was already
    /// going away): it may be sent again on a new connection, whatever its
    /// method.
    pub(crate) unprocessed: bool,
}

impl Failure {
    fn from_h2(context: &str, e: h2::Error) -> Failure {
        let unprocessed = (e.is_go_away() && e.is_remote())
            || (e.is_reset() && e.is_remote() && e.reason() == Some(Reason::REFUSED_STREAM));
        Failure {
            error: h2_error(context, e),
            unprocessed,
        }
    }

    fn timeout(error: Error) -> Failure {
        Failure {
            error,
            unprocessed: false,
        }
    }
}

fn h2_error(context: &str, e: h2::Error) -> Error {
    Error::with_source(Kind::Protocol, context, e)
}

/// The request's parts as the engine holds them.
pub(crate) struct Outgoing<'a> {
    pub(crate) method: &'a Method,
    /// Absolute: scheme, authority, path and query.
    pub(crate) uri: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: Option<&'a mut Body>,
}

/// Sends a request on a new stream of `conn` and waits for the response
/// head. The body (held in memory or streamed) is sent as the server's
/// flow-control window allows; a window that stays shut is bounded by the
/// read timeout.
pub(crate) async fn round_trip(
    conn: &mut H2Conn,
    outgoing: Outgoing<'_>,
    deadline: &mut Deadline,
) -> Result<(ResponseHead, RecvStream), Failure> {
    let Outgoing {
        method,
        uri,
        headers,
        body,
    } = outgoing;
    let uri: Uri = uri.parse().map_err(|e| Failure {
        error: Error::with_source(Kind::InvalidUrl, "URL not usable as an HTTP/2 target", e),
        unprocessed: false,
    })?;
    let mut payload = body.map(Body::payload);
    let length = match &payload {
        Some(Payload::Bytes(b)) => Some(b.len() as u64),
        Some(Payload::Streamed(s)) => s.declared_len(),
        None if matches!(*method, Method::POST | Method::PUT | Method::PATCH) => Some(0),
        None => None,
    };
    let mut request = http::Request::new(());
    *request.method_mut() = method.clone();
    *request.uri_mut() = uri;
    *request.version_mut() = Version::HTTP_2;
    *request.headers_mut() = h2_headers(headers, length);
    let empty = match &payload {
        None => true,
        Some(Payload::Bytes(b)) => b.is_empty(),
        Some(Payload::Streamed(_)) => false,
    };
    // `conn` is this request's own handle (checked out for it): waits only
    // if the connection is going away (then it fails, never sent).
    let send = &mut conn.send;
    deadline
        .wait(Phase::SendRequest, None, poll_fn(|cx| send.poll_ready(cx)))
        .await
        .map_err(Failure::timeout)?
        .map_err(|e| Failure {
            unprocessed: true,
            ..Failure::from_h2("the HTTP/2 connection is closing", e)
        })?;
    // A refusal here comes before the stream was opened: nothing was sent.
    let (response, mut stream) = send.send_request(request, empty).map_err(|e| Failure {
        unprocessed: true,
        ..Failure::from_h2("could not send the request", e)
    })?;
    match payload.as_mut() {
        Some(Payload::Bytes(bytes)) if !bytes.is_empty() => {
            let data = Bytes::copy_from_slice(bytes);
            send_windowed(&mut stream, data, true, deadline).await?;
        }
        Some(Payload::Streamed(streamed)) => {
            send_streamed(&mut stream, streamed, deadline).await?;
        }
        _ => {}
    }
    let response = deadline
        .wait(Phase::ResponseHead, None, response)
        .await
        .map_err(Failure::timeout)?
        .map_err(|e| Failure::from_h2("HTTP/2 stream failed before the response head", e))?;
    let (parts, body) = response.into_parts();
    let head = ResponseHead {
        status: parts.status,
        version: Version::HTTP_2,
        reason: None,
        headers: parts.headers,
    };
    Ok((head, body))
}

/// Pulls the streamed body piece by piece, sending each as the server's
/// window allows: nothing is buffered beyond what the server allowed but
/// the piece at hand.
async fn send_streamed(
    stream: &mut SendStream<Bytes>,
    body: &mut crate::request_body::Streamed,
    deadline: &mut Deadline,
) -> Result<(), Failure> {
    loop {
        let n = deadline
            .wait_total(Phase::SendRequest, body.fill())
            .await
            .map_err(Failure::timeout)?
            .map_err(|error| Failure {
                error,
                unprocessed: false,
            })?;
        if n == 0 {
            return stream
                .send_data(Bytes::new(), true)
                .map_err(|e| Failure::from_h2("could not send the request body", e));
        }
        let piece = Bytes::copy_from_slice(body.piece());
        send_windowed(stream, piece, false, deadline).await?;
    }
}

/// Sends `data` as the server's flow-control window opens, ending the
/// stream with it when `end`. Each wait for window is bounded by the read
/// timeout and counts as sending the request: a window that stays shut
/// times out here, and a large body still flowing is not mistaken for a
/// server slow to answer.
async fn send_windowed(
    stream: &mut SendStream<Bytes>,
    mut data: Bytes,
    end: bool,
    deadline: &mut Deadline,
) -> Result<(), Failure> {
    while !data.is_empty() {
        stream.reserve_capacity(data.len());
        while stream.capacity() == 0 {
            let granted = deadline
                .wait(
                    Phase::SendRequest,
                    None,
                    poll_fn(|cx| stream.poll_capacity(cx)),
                )
                .await
                .map_err(Failure::timeout)?;
            match granted {
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(Failure::from_h2("could not send the request body", e)),
                None => {
                    return Err(Failure {
                        error: Error::new(
                            Kind::Protocol,
                            "the server closed the HTTP/2 stream while the request body was sent",
                        ),
                        unprocessed: false,
                    })
                }
            }
        }
        let now = data.split_to(stream.capacity().min(data.len()));
        stream
            .send_data(now, end && data.is_empty())
            .map_err(|e| Failure::from_h2("could not send the request body", e))?;
    }
    Ok(())
}

/// The request headers as HTTP/2 carries them: without the fields that
/// are about one HTTP/1.1 connection (RFC 9113 8.2.2), which h2 refuses;
/// `Host` becomes the `:authority` the URI gives; the length, when known.
fn h2_headers(headers: &HeaderMap, length: Option<u64>) -> HeaderMap {
    const HOP_BY_HOP: [HeaderName; 4] = [CONNECTION, TRANSFER_ENCODING, UPGRADE, HOST];
    let mut out = HeaderMap::with_capacity(headers.len() + 1);
    for (name, value) in headers {
        if HOP_BY_HOP.contains(name)
            || name == PROXY_AUTHORIZATION
            || name.as_str() == "keep-alive"
            || name.as_str() == "proxy-connection"
            || (name == TE && value != "trailers")
        {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    if let Some(len) = length {
        out.insert(CONTENT_LENGTH, HeaderValue::from(len));
    }
    out
}

/// A response body arriving on an HTTP/2 stream.
pub(crate) struct ResponseBody {
    stream: RecvStream,
}

impl ResponseBody {
    pub(crate) fn new(stream: RecvStream) -> ResponseBody {
        ResponseBody { stream }
    }

    /// Whether the stream already ended (no body, or all of it arrived).
    pub(crate) fn is_end(&self) -> bool {
        self.stream.is_end_stream()
    }

    /// The next piece of body, `None` at its end. Each piece's window is
    /// handed back to the server as it is taken.
    pub(crate) fn poll_piece(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Error>>> {
        loop {
            let piece = match std::task::ready!(self.stream.poll_data(cx)) {
                None => return Poll::Ready(None),
                Some(Err(e)) => {
                    return Poll::Ready(Some(Err(h2_error("HTTP/2 stream failed mid-body", e))))
                }
                Some(Ok(piece)) => piece,
            };
            // Fails only if the stream is gone, which the next poll reports.
            let _ = self.stream.flow_control().release_capacity(piece.len());
            if !piece.is_empty() {
                return Poll::Ready(Some(Ok(piece)));
            }
        }
    }
}
