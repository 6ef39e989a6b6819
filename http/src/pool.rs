//! The keep-alive pool: idle connections per [`Route`] (scheme, host, port,
//! and the proxy they go through).
//!
//! A client may be shared by the loops of a multi-loop run, but a socket is
//! driven by the reactor of the loop it was connected on: each loop reuses
//! only its own idle connections (by [`Conn::loop_id`]). The limits count
//! every loop's connections together; when a loop finds no room and another
//! loop holds an idle connection to the same route, that one is closed to
//! make room.
//!
//! Every decision is a small pure function ([`release_decision`],
//! [`is_expired`], [`may_retry`], [`is_resendable`]) so it can be tested without sockets; the
//! [`Pool`] only stores connections and applies them.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
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
/// fresh one: only when it can be sent twice ([`is_resendable`]), the
/// connection came from the pool (so the failure is most likely the server
/// having closed it while idle), and nothing of a response arrived.
pub(crate) fn may_retry(resendable: bool, reused: bool, nothing_received: bool) -> bool {
    resendable && reused && nothing_received
}

/// Whether a request may be sent a second time: its method is idempotent
/// (RFC 9110 9.2.2) and its body, if any, is held in memory (a streamed
/// body is used up by sending it once).
pub(crate) fn is_resendable(method: &Method, body_replayable: bool) -> bool {
    body_replayable && is_idempotent(method)
}

/// RFC 9110 9.2.2 idempotent methods.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Most connections open at once: per route, and in all (`None`: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConnLimits {
    pub(crate) per_host: Option<usize>,
    pub(crate) total: Option<usize>,
}

/// What [`Pool::acquire`] found for a request.
pub(crate) enum Acquired {
    /// An idle connection to reuse.
    Idle(Conn),
    /// Room for one more connection, counted until the [`Slot`] is dropped
    /// (it goes into the connection made with it).
    Room(Slot),
    /// The limits are reached: wait with [`Pool::room`], then try again.
    Full,
}

/// Idle connections and the count of open ones, shared by every clone of a
/// client.
pub(crate) struct Pool {
    state: Arc<Mutex<State>>,
    max_idle_per_host: usize,
    idle_timeout: Option<Duration>,
    limits: ConnLimits,
}

#[derive(Default)]
struct State {
    idle: HashMap<Route, Vec<Conn>>,
    /// Open connections (idle or in use) per route, and in all.
    open: HashMap<Route, usize>,
    total_open: usize,
    /// Requests waiting for room, per route, first come first served.
    waiting: HashMap<Route, VecDeque<(u64, Waker)>>,
    next_waiter: u64,
}

impl State {
    fn has_room(&self, route: &Route, limits: ConnLimits) -> bool {
        let open = self.open.get(route).copied().unwrap_or(0);
        under(limits.per_host, open) && under(limits.total, self.total_open)
    }

    /// Wakes the first request waiting for `route`, if any.
    fn wake_one(&mut self, route: &Route) {
        if let Some(queue) = self.waiting.get_mut(route) {
            if let Some((_, waker)) = queue.pop_front() {
                waker.wake();
            }
            if queue.is_empty() {
                self.waiting.remove(route);
            }
        }
    }

    /// Wakes the first request waiting for any route.
    fn wake_any(&mut self) {
        if let Some(route) = self.waiting.keys().next().cloned() {
            self.wake_one(&route);
        }
    }
}

/// Whether `count` is under `limit` (no limit: always).
fn under(limit: Option<usize>, count: usize) -> bool {
    limit.map_or(true, |max| count < max)
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves the state consistent.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One open connection as the pool counts it; dropping it (with its
/// connection) makes room for another and wakes a waiting request. It
/// holds the pool weakly: idle connections live in the pool, and must not
/// keep it alive.
pub(crate) struct Slot {
    state: Weak<Mutex<State>>,
    route: Route,
    limits: ConnLimits,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(state) = self.state.upgrade() else {
            return;
        };
        let mut st = lock(&state);
        if let Some(open) = st.open.get_mut(&self.route) {
            *open -= 1;
            if *open == 0 {
                st.open.remove(&self.route);
            }
        }
        st.total_open -= 1;
        st.wake_one(&self.route);
        if self.limits.total.is_some() {
            st.wake_any();
        }
    }
}

impl Pool {
    pub(crate) fn new(
        max_idle_per_host: usize,
        idle_timeout: Option<Duration>,
        limits: ConnLimits,
    ) -> Pool {
        Pool {
            state: Arc::default(),
            max_idle_per_host,
            idle_timeout,
            limits,
        }
    }

    /// The most recently used idle connection for `route` that has not
    /// expired and still looks usable (connections found dead are closed);
    /// else room for a new one if the limits allow; else `Full`.
    /// `retry_safe`: the request may be retried on a fresh connection, so a
    /// cheaper liveness check will do (see [`Conn::is_idle_usable`]).
    /// `fresh`: skip the idle connections.
    pub(crate) fn acquire(&self, route: &Route, retry_safe: bool, fresh: bool) -> Acquired {
        let now = Instant::now();
        let here = aio_reactor::current_loop_id();
        let mut dead = Vec::new();
        let found = {
            let mut st = lock(&self.state);
            let mut found = None;
            if let Some(list) = st.idle.get_mut(route).filter(|_| !fresh) {
                // Oldest first: expired ones sit at the front.
                let expired = list
                    .iter()
                    .take_while(|c| is_expired(c.idle_since, now, self.idle_timeout))
                    .count();
                dead.extend(list.drain(..expired));
                // The most recently used of this loop's own.
                while let Some(newest) = list.iter().rposition(|c| c.loop_id == here) {
                    let conn = list.remove(newest);
                    if conn.is_idle_usable(retry_safe) {
                        found = Some(conn);
                        break;
                    }
                    dead.push(conn);
                }
                if list.is_empty() {
                    st.idle.remove(route);
                }
            }
            let mut same = dead.len();
            if found.is_none() && !st.has_room_after(route, self.limits, same, 0) {
                // Idle connections give way, oldest first: another loop's to
                // this route, else (under a total limit) one to another host.
                if let Some(theirs) = st.take_oldest_idle_of(route) {
                    dead.push(theirs);
                    same += 1;
                } else if let Some(oldest) = st.take_oldest_idle() {
                    dead.push(oldest);
                }
            }
            match found {
                Some(conn) => Acquired::Idle(conn),
                // The dead ones still count until dropped below: count them
                // out here so their room can be taken at once.
                None if st.has_room_after(route, self.limits, same, dead.len() - same) => {
                    *st.open.entry(route.clone()).or_default() += 1;
                    st.total_open += 1;
                    Acquired::Room(Slot {
                        state: Arc::downgrade(&self.state),
                        route: route.clone(),
                        limits: self.limits,
                    })
                }
                None => Acquired::Full,
            }
        };
        // Closing sockets deregisters them from the reactor (and their slots
        // take the lock): not under our lock.
        drop(dead);
        match found {
            Acquired::Idle(mut conn) => {
                conn.reused = true;
                Acquired::Idle(conn)
            }
            other => other,
        }
    }

    /// Resolves when `route` may have room or an idle connection again
    /// (a connection to it was released or closed, or any connection was
    /// closed under a total limit); the caller then tries
    /// [`acquire`](Pool::acquire) again. Waiters are served in order, and
    /// a waiter dropped after being woken passes the turn on.
    pub(crate) fn room(&self, route: &Route) -> RoomWait {
        RoomWait {
            state: Arc::clone(&self.state),
            route: route.clone(),
            limits: self.limits,
            id: None,
            done: false,
        }
    }

    /// Takes back a connection whose response ended, if the rules allow.
    pub(crate) fn release(&self, mut conn: Conn, reusable: bool) {
        let leftover = conn.has_unread();
        let mut evicted = None;
        {
            let mut st = lock(&self.state);
            let list = st.idle.entry(conn.route.clone()).or_default();
            let decision = release_decision(Finished {
                reusable,
                leftover,
                idle_for_host: list.len(),
                max_idle_per_host: self.max_idle_per_host,
            });
            match decision {
                Release::Close => {
                    if list.is_empty() {
                        st.idle.remove(&conn.route);
                    }
                    evicted = Some(conn);
                }
                Release::Keep | Release::KeepEvictingOldest => {
                    if decision == Release::KeepEvictingOldest {
                        evicted = Some(list.remove(0));
                    }
                    conn.mark_idle();
                    let route = conn.route.clone();
                    list.push(conn);
                    st.wake_one(&route);
                }
            }
        }
        drop(evicted);
    }
}

impl State {
    /// Whether there is room once connections held by the caller and about
    /// to be dropped are gone: `same` to `route`, `other` to other hosts.
    fn has_room_after(&self, route: &Route, limits: ConnLimits, same: usize, other: usize) -> bool {
        let open = self.open.get(route).copied().unwrap_or(0);
        under(limits.per_host, open.saturating_sub(same))
            && under(limits.total, self.total_open.saturating_sub(same + other))
    }

    /// Takes the idle connection that has waited longest, of any host.
    fn take_oldest_idle(&mut self) -> Option<Conn> {
        let route = self
            .idle
            .iter()
            .filter_map(|(route, list)| list.first().map(|c| (c.idle_since, route)))
            .min_by_key(|(since, _)| *since)
            .map(|(_, route)| route.clone())?;
        self.take_oldest_idle_of(&route)
    }

    /// Takes the idle connection to `route` that has waited longest.
    fn take_oldest_idle_of(&mut self, route: &Route) -> Option<Conn> {
        let list = self.idle.get_mut(route)?;
        let oldest = list.remove(0);
        if list.is_empty() {
            self.idle.remove(route);
        }
        Some(oldest)
    }
}

/// The future of [`Pool::room`].
pub(crate) struct RoomWait {
    state: Arc<Mutex<State>>,
    route: Route,
    limits: ConnLimits,
    /// Place in the route's queue, once queued.
    id: Option<u64>,
    done: bool,
}

impl Future for RoomWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut st = lock(&this.state);
        let ready = match this.id {
            None => st.idle.contains_key(&this.route) || st.has_room(&this.route, this.limits),
            // Still queued: not woken yet.
            Some(id) => match st
                .waiting
                .get_mut(&this.route)
                .and_then(|q| q.iter_mut().find(|(queued, _)| *queued == id))
            {
                Some((_, waker)) => {
                    waker.clone_from(cx.waker());
                    false
                }
                None => true,
            },
        };
        if ready {
            this.done = true;
            return Poll::Ready(());
        }
        if this.id.is_none() {
            let id = st.next_waiter;
            st.next_waiter += 1;
            let queue = st.waiting.entry(this.route.clone()).or_default();
            queue.push_back((id, cx.waker().clone()));
            this.id = Some(id);
        }
        Poll::Pending
    }
}

impl Drop for RoomWait {
    fn drop(&mut self) {
        let (Some(id), false) = (self.id, self.done) else {
            return;
        };
        let mut st = lock(&self.state);
        let queue = st.waiting.get_mut(&self.route);
        match queue
            .as_ref()
            .and_then(|q| q.iter().position(|(queued, _)| *queued == id))
        {
            Some(at) => {
                let queue = queue.expect("found in it");
                queue.remove(at);
                if queue.is_empty() {
                    st.waiting.remove(&self.route);
                }
            }
            // Woken, but gone before taking the turn: pass it on.
            None => st.wake_one(&self.route),
        }
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
    fn retry_only_resendable_requests_on_reused_untouched_connections() {
        assert!(is_resendable(&Method::GET, true));
        assert!(is_resendable(&Method::PUT, true));
        assert!(!is_resendable(&Method::PUT, false));
        assert!(!is_resendable(&Method::POST, true));
        assert!(!is_resendable(&Method::PATCH, true));
        assert!(may_retry(true, true, true));
        assert!(!may_retry(false, true, true));
        assert!(!may_retry(true, false, true));
        assert!(!may_retry(true, true, false));
    }
}
