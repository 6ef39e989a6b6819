//! Bounding every wait by the configured timeouts, with one reusable timer.
//!
//! A wait is raced against a [`Sleep`] only once it turns out to be pending,
//! so reads that find data already buffered never touch the timer queue, and
//! the one `Sleep` is moved (not recreated) from wait to wait.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;
use std::time::Duration;

use aio_reactor::time::{sleep_until, Instant, Sleep};

use crate::error::{Error, Limit, Phase};

/// The limits of one request: an overall deadline, and a bound on each wait.
pub(crate) struct Deadline {
    /// When the whole request (body included) must be done, and its length.
    total: Option<(Instant, Duration)>,
    /// Longest single wait for the connection (read timeout).
    per_wait: Option<Duration>,
    sleep: Option<Sleep>,
}

impl Deadline {
    pub(crate) fn new(total: Option<Duration>, per_wait: Option<Duration>) -> Deadline {
        Deadline {
            total: total.map(|d| (after(d), d)),
            per_wait,
            sleep: None,
        }
    }

    /// Runs `fut` until done or until the first of: the total deadline, and
    /// `bound` (when given) or else the read timeout counted from when the
    /// wait starts. `bound` is `(deadline, limit, configured length)`; the
    /// connect timeout uses it.
    pub(crate) async fn wait<F: Future>(
        &mut self,
        phase: Phase,
        bound: Option<Bound>,
        fut: F,
    ) -> Result<F::Output, Error> {
        let per_wait = self.per_wait;
        if self.total.is_none() && bound.is_none() && per_wait.is_none() {
            return Ok(fut.await);
        }
        let mut fut = pin!(fut);
        let mut armed: Option<(Limit, Duration)> = None;
        let total = self.total;
        let slot = &mut self.sleep;
        poll_fn(|cx| {
            if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                return Poll::Ready(Ok(out));
            }
            let (limit, length) = *armed.get_or_insert_with(|| {
                let bound = bound.or_else(|| per_wait.map(|d| (after(d), Limit::Read, d)));
                let (deadline, limit, length) = earliest(total, bound);
                match slot {
                    Some(sleep) if sleep.deadline() == deadline => {}
                    Some(sleep) => sleep.reset(deadline),
                    None => *slot = Some(sleep_until(deadline)),
                }
                (limit, length)
            });
            let sleep = slot.as_mut().expect("armed above");
            match Pin::new(sleep).poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(Error::timeout(phase, limit, length))),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }

    /// Runs `fut` until done or until the total deadline, whatever the read
    /// timeout.
    pub(crate) async fn wait_total<F: Future>(
        &mut self,
        phase: Phase,
        fut: F,
    ) -> Result<F::Output, Error> {
        let per_wait = self.per_wait.take();
        let out = self.wait(phase, None, fut).await;
        self.per_wait = per_wait;
        out
    }

    /// Time left before the total deadline, if there is one.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.total
            .map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    /// Fails at once when the total deadline has already passed (checked
    /// before work that would otherwise succeed without waiting).
    pub(crate) fn check(&self, phase: Phase) -> Result<(), Error> {
        match self.total {
            Some((at, length)) if Instant::now() >= at => {
                Err(Error::timeout(phase, Limit::Total, length))
            }
            _ => Ok(()),
        }
    }
}

/// A deadline of its own for one wait: when, which limit, its length.
pub(crate) type Bound = (Instant, Limit, Duration);

/// The first of the total deadline and the wait's own bound. At least one
/// is set when this is called.
fn earliest(total: Option<(Instant, Duration)>, wait: Option<Bound>) -> Bound {
    let total = total.map(|(at, d)| (at, Limit::Total, d));
    match (total, wait) {
        (Some(t), Some(w)) => {
            if w.0 < t.0 {
                w
            } else {
                t
            }
        }
        (Some(t), None) => t,
        (None, Some(w)) => w,
        (None, None) => unreachable!("Deadline::wait checks that a limit is set"),
    }
}

/// `now + d`, saturating far in the future instead of overflowing.
pub(crate) fn after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(60 * 60 * 24 * 365 * 30))
}
