//! Timers: [`sleep`], [`sleep_until`], [`timeout`] and [`interval`].
//!
//! A timer never completes early: it is ready only once `Instant::now()` has
//! reached its deadline. After the reactor shuts down, pending timers complete
//! at once (so nothing waits on a loop that is gone).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

pub use std::time::{Duration, Instant};

use crate::context;
use crate::handle::Handle;
use crate::lock::lock;
use crate::timer::TimerKey;

/// `now + d`, saturating to roughly 30 years ahead instead of overflowing.
fn deadline_after(d: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(d)
        .unwrap_or_else(|| now + Duration::from_secs(60 * 60 * 24 * 365 * 30))
}

/// Complete after `duration`.
///
/// # Panics
/// When called outside of `aio::run()`.
pub fn sleep(duration: Duration) -> Sleep {
    Sleep::new(
        context::current("aio::time::sleep()"),
        deadline_after(duration),
    )
}

/// Complete at `deadline`.
///
/// # Panics
/// When called outside of `aio::run()`.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(context::current("aio::time::sleep_until()"), deadline)
}

/// The future of [`sleep`] / [`sleep_until`]. Dropping it cancels the timer.
///
/// The timer is registered on first poll, so a `Sleep` that is never polled
/// costs nothing in the reactor.
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    handle: Arc<Handle>,
    deadline: Instant,
    key: Option<TimerKey>,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Sleep {
    fn new(handle: Arc<Handle>, deadline: Instant) -> Sleep {
        Sleep {
            handle,
            deadline,
            key: None,
        }
    }

    /// When this sleep completes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Move the deadline (earlier or later). The task is not woken by this:
    /// poll the sleep again to wait for the new deadline.
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline;
        let Some(key) = self.key else { return };
        let unpark = lock(&self.handle.timers).reset(key, deadline);
        match unpark {
            Some(true) => self.handle.unparker.unpark(),
            Some(false) => {}
            // Already fired: register again on the next poll.
            None => self.key = None,
        }
    }

    fn cancel(&mut self) {
        if let Some(key) = self.key.take() {
            let waker = lock(&self.handle.timers).remove(key);
            drop(waker); // after unlocking: see TimerQueue::set_waker
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if Instant::now() >= this.deadline {
            this.cancel();
            return Poll::Ready(());
        }
        let mut replaced = None;
        let unpark = {
            let mut timers = lock(&this.handle.timers);
            if timers.is_shut_down() {
                this.key = None;
                return Poll::Ready(());
            }
            match this.key {
                Some(key) if timers.set_waker(key, cx.waker(), &mut replaced) => false,
                _ => {
                    let (key, unpark) = timers.insert(this.deadline, cx.waker().clone());
                    this.key = Some(key);
                    unpark
                }
            }
        };
        drop(replaced);
        if unpark {
            // The loop is blocked on a later deadline (we were polled from another thread).
            this.handle.unparker.unpark();
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The error of a [`timeout`] whose deadline passed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(e: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, e)
    }
}

/// Run `future` for at most `duration`: `Err(Elapsed)` if the deadline comes
/// first. A future that is ready when first polled wins even after the deadline.
///
/// # Panics
/// When called outside of `aio::run()`.
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    let sleep = Sleep::new(
        context::current("aio::time::timeout()"),
        deadline_after(duration),
    );
    Timeout {
        future: Box::pin(future.into_future()),
        sleep,
    }
}

/// Like [`timeout`], with an absolute deadline.
///
/// # Panics
/// When called outside of `aio::run()`.
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    let sleep = Sleep::new(context::current("aio::time::timeout_at()"), deadline);
    Timeout {
        future: Box::pin(future.into_future()),
        sleep,
    }
}

/// The future of [`timeout`]: `Ok(output)` or `Err(Elapsed)`.
///
/// The wrapped future is boxed: that one allocation per timeout is what lets
/// this crate poll a `!Unpin` future without any `unsafe` pin projection.
#[must_use = "futures do nothing unless awaited"]
pub struct Timeout<F> {
    future: Pin<Box<F>>,
    sleep: Sleep,
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.sleep.deadline)
            .finish()
    }
}

impl<F> Timeout<F> {
    /// The wrapped future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// When the timeout elapses.
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline
    }

    /// Take the wrapped future back (pinned, as it may have been polled).
    pub fn into_inner(self) -> Pin<Box<F>> {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Poll::Ready(v) = this.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(&mut this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Ticks every `period`; the first tick completes immediately.
///
/// Missed ticks (the task was busy) are delivered back to back until it has
/// caught up, like tokio's default `MissedTickBehavior::Burst`.
///
/// # Panics
/// When called outside of `aio::run()`, or if `period` is zero.
pub fn interval(period: Duration) -> Interval {
    Interval::new("aio::time::interval()", Instant::now(), period)
}

/// Like [`interval`], with the first tick at `start`.
///
/// # Panics
/// When called outside of `aio::run()`, or if `period` is zero.
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    Interval::new("aio::time::interval_at()", start, period)
}

/// The stream of ticks made by [`interval`].
#[derive(Debug)]
pub struct Interval {
    sleep: Sleep,
    period: Duration,
}

impl Interval {
    fn new(what: &str, start: Instant, period: Duration) -> Interval {
        assert!(!period.is_zero(), "{what}: the period must be non-zero");
        Interval {
            sleep: Sleep::new(context::current(what), start),
            period,
        }
    }

    /// Wait for the next tick; returns its scheduled time.
    pub async fn tick(&mut self) -> Instant {
        std::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Poll form of [`tick`](Self::tick).
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        match Pin::new(&mut self.sleep).poll(cx) {
            Poll::Ready(()) => {
                let at = self.sleep.deadline();
                let next = at.checked_add(self.period).unwrap_or(at);
                self.sleep.reset(next);
                Poll::Ready(at)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// The tick period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restart the schedule: the next tick is one period from now.
    pub fn reset(&mut self) {
        self.sleep.reset(deadline_after(self.period));
    }
}
