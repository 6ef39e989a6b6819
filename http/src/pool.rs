//! The keep-alive pool: idle connections per [`Route`] (scheme, host, port,
//! and the proxy they go through).
//!
//! Every decision is a small pure function ([`release_decision`],
//! [`is_expired`], [`may_retry`]) so it can be tested without sockets; the
//! [`Pool`] only stores connections and applies them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use aio_reactor::time::Instant;
use http::Method;

use crate::conn::{Conn, Route};

/// What is known about a connection when its response ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Finished {
    /// The decoder says another request may follow (body read to the end,
    /// keep-alive, not close-delimited).
    pub(crate) reusable: bool,
    /// Bytes arrived after the end of the response (in our buffer or, over
    /// TLS, decrypted inside rustls).
    pub(crate) leftover: bool,
    /// Idle connections already kept for this host.
    pub(crate) idle_for_host: usize,
    /// `pool_max_idle_per_host`.
    pub(crate) max_idle_per_host: usize,
}

/// What to do with a connection whose response ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Release {
    /// Keep it for the next request to this host.
    Keep,
    /// Keep it, making room by closing the host's oldest idle connection.
    KeepEvictingOldest,
    /// Close it.
    Close,
}

/// The release rule: only a cleanly finished, reusable connection with no
/// stray bytes goes back; a full pool makes room by dropping its oldest
/// (the most likely to have been closed by the server).
pub(crate) fn release_decision(f: Finished) -> Release {
    if !f.reusable || f.leftover || f.max_idle_per_host == 0 {
        Release::Close
    } else if f.idle_for_host >= f.max_idle_per_host {
        Release::KeepEvictingOldest
    } else {
        Release::Keep
    }
}

/// Whether a connection idle since `since` has outlived `idle_timeout`.
pub(crate) fn is_expired(since: Instant, now: Instant, idle_timeout: Option<Duration>) -> bool {
    match idle_timeout {
        Some(limit) => now.saturating_duration_since(since) >= limit,
        None => false,
    }
}

/// Whether a request that failed on a connection may be sent again on a
/// fresh one: only when the connection came from the pool (so the failure is
/// most likely the server having closed it while idle), nothing of a
/// response arrived, and the method is idempotent (the body is always held
/// in memory, so it can be replayed).
pub(crate) fn may_retry(method: &Method, reused: bool, nothing_received: bool) -> bool {
    reused && nothing_received && is_idempotent(method)
}

/// RFC 9110 9.2.2 idempotent methods.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Idle connections, shared by every clone of a client.
pub(crate) struct Pool {
    idle: Mutex<HashMap<Route, Vec<Conn>>>,
    max_idle_per_host: usize,
    idle_timeout: Option<Duration>,
}

impl Pool {
    pub(crate) fn new(max_idle_per_host: usize, idle_timeout: Option<Duration>) -> Pool {
        Pool {
            idle: Mutex::new(HashMap::new()),
            max_idle_per_host,
            idle_timeout,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Route, Vec<Conn>>> {
        // A panic while holding the lock leaves the map consistent.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The most recently used idle connection for `route` that has not
    /// expired and still looks usable. Connections found dead are closed.
    /// `retry_safe`: the request may be retried on a fresh connection, so a
    /// cheaper liveness check will do (see [`Conn::is_idle_usable`]).
    pub(crate) fn checkout(&self, route: &Route, retry_safe: bool) -> Option<Conn> {
        let now = Instant::now();
        let mut dead = Vec::new();
        let found = {
            let mut idle = self.lock();
            let list = idle.get_mut(route)?;
            // Oldest first: expired ones sit at the front.
            let expired = list
                .iter()
                .take_while(|c| is_expired(c.idle_since, now, self.idle_timeout))
                .count();
            dead.extend(list.drain(..expired));
            let mut found = None;
            while let Some(conn) = list.pop() {
                if conn.is_idle_usable(retry_safe) {
                    found = Some(conn);
                    break;
                }
                dead.push(conn);
            }
            if list.is_empty() {
                idle.remove(route);
            }
            found
        };
        // Closing sockets deregisters them from the reactor: not under our lock.
        drop(dead);
        found.map(|mut conn| {
            conn.reused = true;
            conn
        })
    }

    /// Takes back a connection whose response ended, if the rules allow.
    pub(crate) fn release(&self, mut conn: Conn, reusable: bool) {
        let leftover = conn.has_unread();
        let mut evicted = None;
        {
            let mut idle = self.lock();
            let list = idle.entry(conn.route.clone()).or_default();
            let decision = release_decision(Finished {
                reusable,
                leftover,
                idle_for_host: list.len(),
                max_idle_per_host: self.max_idle_per_host,
            });
            match decision {
                Release::Close => {
                    if list.is_empty() {
                        idle.remove(&conn.route);
                    }
                    evicted = Some(conn);
                }
                Release::Keep | Release::KeepEvictingOldest => {
                    if decision == Release::KeepEvictingOldest {
                        evicted = Some(list.remove(0));
                    }
                    conn.mark_idle();
                    list.push(conn);
                }
            }
        }
        drop(evicted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(reusable: bool, leftover: bool, idle: usize, max: usize) -> Finished {
        Finished {
            reusable,
            leftover,
            idle_for_host: idle,
            max_idle_per_host: max,
        }
    }

    #[test]
    fn only_clean_reusable_connections_go_back() {
        assert_eq!(release_decision(finished(true, false, 0, 4)), Release::Keep);
        assert_eq!(
            release_decision(finished(false, false, 0, 4)),
            Release::Close
        );
        assert_eq!(release_decision(finished(true, true, 0, 4)), Release::Close);
        assert_eq!(
            release_decision(finished(true, false, 0, 0)),
            Release::Close
        );
        assert_eq!(
            release_decision(finished(true, false, 4, 4)),
            Release::KeepEvictingOldest
        );
    }

    #[test]
    fn expiry_is_inclusive_and_optional() {
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(90);
        assert!(is_expired(t0, later, Some(Duration::from_secs(90))));
        assert!(!is_expired(t0, later, Some(Duration::from_secs(91))));
        assert!(!is_expired(t0, later, None));
    }

    #[test]
    fn retry_only_idempotent_requests_on_reused_untouched_connections() {
        assert!(may_retry(&Method::GET, true, true));
        assert!(may_retry(&Method::PUT, true, true));
        assert!(!may_retry(&Method::POST, true, true));
        assert!(!may_retry(&Method::PATCH, true, true));
        assert!(!may_retry(&Method::GET, false, true));
        assert!(!may_retry(&Method::GET, true, false));
    }
}
