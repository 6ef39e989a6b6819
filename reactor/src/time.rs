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
///
/// ```
/// use aio::time::{sleep, Duration, Instant};
///
/// aio::run(async {
///     let start = Instant::now();
///     sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10), "never early");
/// });
/// ```
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
///
/// ```
/// use aio::time::{sleep_until, Duration, Instant};
///
/// aio::run(async {
///     let deadline = Instant::now() + Duration::from_millis(10);
///     sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(context::current("aio::time::sleep_until()"), deadline)
}

/// The future of [`sleep`] / [`sleep_until`]. Dropping it cancels the timer.
///
/// The timer is registered on first poll, so a `Sleep` that is never polled
/// costs nothing in the reactor.
///
/// ```
/// use aio::time::{sleep, Duration};
///
/// aio::run(async {
///     let timer = sleep(Duration::from_secs(60));
///     drop(timer); // never polled, or dropped midway: no timer is left behind
///     assert_eq!(aio::loop_stats().timers, 0);
/// });
/// ```
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
    ///
    /// ```
    /// use aio::time::{sleep_until, Duration, Instant};
    ///
    /// aio::run(async {
    ///     let at = Instant::now() + Duration::from_millis(5);
    ///     assert_eq!(sleep_until(at).deadline(), at);
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed.
    ///
    /// ```
    /// use aio::time::{sleep, Duration};
    ///
    /// aio::run(async {
    ///     assert!(!sleep(Duration::from_secs(60)).is_elapsed());
    ///     let mut timer = sleep(Duration::from_millis(1));
    ///     (&mut timer).await; // Sleep is Unpin: await it by reference
    ///     assert!(timer.is_elapsed());
    /// });
    /// ```
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Move the deadline (earlier or later). The task is not woken by this:
    /// poll the sleep again to wait for the new deadline.
    ///
    /// ```
    /// use aio::time::{sleep, Duration, Instant};
    ///
    /// aio::run(async {
    ///     let mut timer = sleep(Duration::from_secs(3600));
    ///     let sooner = Instant::now() + Duration::from_millis(5);
    ///     timer.reset(sooner);
    ///     timer.await;
    ///     assert!(Instant::now() >= sooner);
    /// });
    /// ```
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
///
/// ```
/// use aio::time::{timeout, Duration};
///
/// aio::run(async {
///     let elapsed = timeout(Duration::from_millis(1), std::future::pending::<()>()).await.unwrap_err();
///     assert_eq!(elapsed.to_string(), "deadline has elapsed");
///     // `?` turns it into an io::Error of kind TimedOut.
///     assert_eq!(std::io::Error::from(elapsed).kind(), std::io::ErrorKind::TimedOut);
/// });
/// ```
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
///
/// ```
/// use aio::time::{sleep, timeout, Duration};
///
/// aio::run(async {
///     assert_eq!(timeout(Duration::from_secs(5), async { 7 }).await, Ok(7));
///     let slow = sleep(Duration::from_secs(60));
///     assert!(timeout(Duration::from_millis(5), slow).await.is_err());
/// });
/// ```
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
///
/// ```
/// use aio::time::{timeout_at, Duration, Instant};
///
/// aio::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     let result = timeout_at(deadline, std::future::pending::<()>()).await;
///     assert!(result.is_err() && Instant::now() >= deadline);
/// });
/// ```
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
///
/// ```
/// use aio::time::{timeout, Duration};
///
/// aio::run(async {
///     let limited = timeout(Duration::from_secs(1), async { "fast" });
///     assert_eq!(limited.await, Ok("fast"));
/// });
/// ```
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
    ///
    /// ```
    /// use aio::time::{sleep_until, timeout, Duration, Instant};
    ///
    /// aio::run(async {
    ///     let wake_at = Instant::now() + Duration::from_secs(2);
    ///     let limited = timeout(Duration::from_secs(1), sleep_until(wake_at));
    ///     assert_eq!(limited.get_ref().deadline(), wake_at);
    /// });
    /// ```
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// When the timeout elapses.
    ///
    /// ```
    /// use aio::time::{timeout, Duration, Instant};
    ///
    /// aio::run(async {
    ///     let before = Instant::now();
    ///     let limited = timeout(Duration::from_secs(1), async {});
    ///     assert!(limited.deadline() >= before + Duration::from_secs(1));
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline
    }

    /// Take the wrapped future back (pinned, as it may have been polled).
    ///
    /// ```
    /// use aio::time::{timeout, Duration};
    ///
    /// aio::run(async {
    ///     let limited = timeout(Duration::from_secs(1), async { 3 });
    ///     // Give up the limit and await the future itself.
    ///     assert_eq!(limited.into_inner().await, 3);
    /// });
    /// ```
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
///
/// ```
/// use aio::time::{interval, Duration};
///
/// aio::run(async {
///     let mut ticks = interval(Duration::from_millis(5));
///     let first = ticks.tick().await; // at once
///     let second = ticks.tick().await;
///     assert_eq!(second - first, Duration::from_millis(5)); // scheduled times
/// });
/// ```
pub fn interval(period: Duration) -> Interval {
    Interval::new("aio::time::interval()", Instant::now(), period)
}

/// Like [`interval`], with the first tick at `start`.
///
/// # Panics
/// When called outside of `aio::run()`, or if `period` is zero.
///
/// ```
/// use aio::time::{interval_at, Duration, Instant};
///
/// aio::run(async {
///     let start = Instant::now() + Duration::from_millis(5);
///     let mut ticks = interval_at(start, Duration::from_millis(5));
///     assert_eq!(ticks.tick().await, start);
/// });
/// ```
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    Interval::new("aio::time::interval_at()", start, period)
}

/// The stream of ticks made by [`interval`].
///
/// ```
/// use aio::time::{interval, Duration};
///
/// aio::run(async {
///     let mut ticks = interval(Duration::from_millis(1));
///     for _ in 0..3 {
///         ticks.tick().await; // once a millisecond: poll something, say
///     }
/// });
/// ```
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
    ///
    /// ```
    /// use aio::time::{interval, Duration, Instant};
    ///
    /// aio::run(async {
    ///     let mut ticks = interval(Duration::from_millis(2));
    ///     let first = ticks.tick().await;
    ///     assert!(first <= Instant::now());
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        std::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Poll form of [`tick`](Self::tick).
    ///
    /// ```
    /// use aio::time::{interval, Duration};
    /// use std::future::poll_fn;
    ///
    /// aio::run(async {
    ///     let mut ticks = interval(Duration::from_millis(2));
    ///     // For a hand-written future or stream: the first tick is ready at once.
    ///     let first = poll_fn(|cx| ticks.poll_tick(cx)).await;
    ///     assert!(first <= aio::time::Instant::now());
    /// });
    /// ```
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
    ///
    /// ```
    /// use aio::time::{interval, Duration};
    ///
    /// aio::run(async {
    ///     assert_eq!(interval(Duration::from_millis(250)).period(), Duration::from_millis(250));
    /// });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restart the schedule: the next tick is one period from now.
    ///
    /// ```
    /// use aio::time::{interval, Duration, Instant};
    ///
    /// aio::run(async {
    ///     let mut ticks = interval(Duration::from_millis(5));
    ///     ticks.tick().await;
    ///     let reset_at = Instant::now();
    ///     ticks.reset(); // the next tick is a full period from now
    ///     assert!(ticks.tick().await >= reset_at + Duration::from_millis(5));
    /// });
    /// ```
    pub fn reset(&mut self) {
        self.sleep.reset(deadline_after(self.period));
    }
}
