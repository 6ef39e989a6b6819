//! The pool itself: bounded threads, spawned lazily, that exit after idling,
//! and the [`BlockingJob`] future a job completes through.
//!
//! A leaf: it knows nothing of the current reactor (the public
//! [`run`](super::run) finds the pool through it).

use std::any::Any;
use std::collections::VecDeque;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::lock::lock;
use crate::wake;

/// What a [`BlockingJob`] resolves to: the closure's value, or the payload of
/// its panic (or a `&'static str` payload if the job never ran because the
/// event loop shut down first).
pub type JobResult<T> = Result<T, Box<dyn Any + Send + 'static>>;

/// The payload a job gets when shutdown drops it before it started.
pub const CANCELLED_MESSAGE: &str =
    "blocking job cancelled: the aio event loop shut down before it started";

/// A job running on the blocking pool; resolves to a [`JobResult`].
///
/// ```
/// aio::run(async {
///     let job: aio_reactor::blocking::BlockingJob<String> =
///         aio_reactor::blocking::run(|| "ab".repeat(2));
///     assert_eq!(job.await.unwrap(), "abab");
///     drop(aio_reactor::blocking::run(|| "ab".repeat(3))); // runs anyway; result dropped
/// });
/// ```
#[must_use = "the job runs regardless, but its result is only seen by awaiting this"]
pub struct BlockingJob<T> {
    shared: Arc<Mutex<Slot<T>>>,
}

impl<T> std::fmt::Debug for BlockingJob<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingJob").finish_non_exhaustive()
    }
}

struct Slot<T> {
    result: Option<JobResult<T>>,
    waker: Option<Waker>,
    taken: bool,
}

impl<T> Future for BlockingJob<T> {
    type Output = JobResult<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<JobResult<T>> {
        let mut slot = lock(&self.shared);
        if let Some(r) = slot.result.take() {
            slot.taken = true;
            return Poll::Ready(r);
        }
        assert!(!slot.taken, "BlockingJob polled after it completed");
        match &slot.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// Delivers a job's result exactly once; dropped unrun, it reports cancellation.
struct Completer<T> {
    shared: Option<Arc<Mutex<Slot<T>>>>,
}

impl<T> Completer<T> {
    fn complete(&mut self, result: JobResult<T>) {
        let Some(shared) = self.shared.take() else {
            return;
        };
        let waker = {
            let mut slot = lock(&shared);
            slot.result = Some(result);
            slot.waker.take()
        };
        // Contained: this runs on a pool thread between a job and the pool's
        // bookkeeping (or inside shutdown), where an unwind would leave
        // `running` counted up and the thread gone.
        if let Some(w) = waker {
            wake::wake(w);
        }
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        self.complete(Err(Box::new(CANCELLED_MESSAGE)));
    }
}

type Job = Box<dyn FnOnce() + Send + 'static>;

struct PoolState {
    queue: VecDeque<Job>,
    threads: usize,
    /// Idle threads nobody has handed work yet.
    idle: usize,
    /// Wake-ups handed to idle threads and not yet taken (guards against
    /// spurious condvar wake-ups and timeouts racing with a notify).
    notified: usize,
    running: usize,
    spawned: usize,
    shut_down: bool,
}

struct PoolInner {
    state: Mutex<PoolState>,
    work: Condvar,
    /// Signalled when the last running job finishes after shutdown.
    drained: Condvar,
    max_threads: usize,
    keep_alive: Duration,
}

pub(crate) struct BlockingPool {
    inner: Arc<PoolInner>,
}

impl BlockingPool {
    pub(crate) fn new(max_threads: usize, keep_alive: Duration) -> BlockingPool {
        BlockingPool {
            inner: Arc::new(PoolInner {
                state: Mutex::new(PoolState {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    notified: 0,
                    running: 0,
                    spawned: 0,
                    shut_down: false,
                }),
                work: Condvar::new(),
                drained: Condvar::new(),
                max_threads,
                keep_alive,
            }),
        }
    }

    pub(crate) fn run<F, T>(&self, f: F) -> BlockingJob<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let shared = Arc::new(Mutex::new(Slot {
            result: None,
            waker: None,
            taken: false,
        }));
        let mut completer = Completer {
            shared: Some(shared.clone()),
        };
        self.submit(Box::new(move || {
            let result = catch_unwind(AssertUnwindSafe(f));
            completer.complete(result);
        }));
        BlockingJob { shared }
    }

    fn submit(&self, job: Job) {
        let mut st = lock(&self.inner.state);
        if st.shut_down {
            drop(st);
            drop(job); // its Completer reports the cancellation
            return;
        }
        st.queue.push_back(job);
        if st.idle > 0 {
            st.idle -= 1;
            st.notified += 1;
            self.inner.work.notify_one();
            return;
        }
        if st.threads >= self.inner.max_threads {
            return; // a busy thread picks it up when done
        }
        st.threads += 1;
        let id = st.spawned;
        st.spawned += 1;
        drop(st);
        let inner = self.inner.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("aio-blocking-{id}"))
            .spawn(move || worker(inner));
        if spawned.is_err() {
            let mut st = lock(&self.inner.state);
            st.threads -= 1;
            // With no thread at all the queue would never drain: fail its jobs.
            let orphans = if st.threads == 0 {
                std::mem::take(&mut st.queue)
            } else {
                VecDeque::new()
            };
            drop(st);
            drop(orphans);
        }
    }

    /// Drop queued jobs, wait up to `wait` for running ones; returns how many
    /// were still running when the wait ended.
    pub(crate) fn shutdown(&self, wait: Duration) -> usize {
        let queued = {
            let mut st = lock(&self.inner.state);
            st.shut_down = true;
            self.inner.work.notify_all();
            std::mem::take(&mut st.queue)
        };
        // Outside the lock: each dropped job wakes its future with a cancellation.
        drop(queued);
        let deadline = Instant::now().checked_add(wait);
        let mut st = lock(&self.inner.state);
        while st.running > 0 {
            let now = Instant::now();
            let remaining = match deadline {
                Some(d) if d > now => d - now,
                Some(_) => break,
                None => Duration::from_secs(3600),
            };
            st = self
                .inner
                .drained
                .wait_timeout(st, remaining)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        st.running
    }
}

fn worker(inner: Arc<PoolInner>) {
    let mut st = lock(&inner.state);
    'outer: loop {
        if let Some(job) = st.queue.pop_front() {
            st.running += 1;
            drop(st);
            job(); // never unwinds: it catches the user's panic and contains the waker's
            st = lock(&inner.state);
            st.running -= 1;
            if st.shut_down && st.running == 0 {
                inner.drained.notify_all();
            }
            continue;
        }
        if st.shut_down {
            break;
        }
        st.idle += 1;
        let idle_until = Instant::now() + inner.keep_alive;
        loop {
            let now = Instant::now();
            st = inner
                .work
                .wait_timeout(st, idle_until.saturating_duration_since(now))
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if st.notified > 0 {
                // `submit` already took us off the idle count.
                st.notified -= 1;
                continue 'outer;
            }
            if st.shut_down || Instant::now() >= idle_until {
                st.idle -= 1;
                break 'outer;
            }
        }
    }
    st.threads -= 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// Wait until `fact` holds of the pool's state; bounded, so a bug fails
    /// the test instead of hanging it.
    fn wait_for(pool: &BlockingPool, what: &str, fact: impl Fn(&PoolState) -> bool) {
        let start = Instant::now();
        while !fact(&lock(&pool.inner.state)) {
            assert!(start.elapsed() < Duration::from_secs(30), "{what}");
            std::thread::yield_now();
        }
    }

    #[test]
    fn sequential_jobs_reuse_the_idle_thread() {
        // A keep-alive no loaded machine outlasts: the worker must not exit
        // between rounds, or the next job would rightly spawn a new one.
        let pool = BlockingPool::new(8, Duration::from_secs(600));
        for _ in 0..5 {
            let (done, wait_done) = mpsc::channel();
            pool.submit(Box::new(move || done.send(()).unwrap()));
            wait_done.recv().unwrap();
            // The job has run, but its thread wakes the waiter before it is
            // back to idle; a job submitted in between would spawn a second
            // thread. Wait for the fact itself, not for time to pass.
            wait_for(&pool, "the worker never went back to idle", |st| {
                st.idle == 1
            });
        }
        {
            let st = lock(&pool.inner.state);
            assert_eq!(st.spawned, 1, "one thread served all five jobs");
            assert_eq!(st.threads, 1);
        }
        assert_eq!(pool.shutdown(Duration::from_secs(30)), 0);
    }
}
