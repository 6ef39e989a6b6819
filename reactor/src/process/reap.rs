//! Knowing when a child exits, and reaping it, without a thread per child.
//!
//! Linux: a pidfd (`pidfd_open`, kernel 5.3+) registered with the reactor
//! turns readable when the child exits; the waiter then reaps it with
//! `waitpid(WNOHANG)` (std's `try_wait`). Elsewhere, or when `pidfd_open`
//! fails (old kernel: ENOSYS; a sandbox: EPERM), a loop timer re-checks
//! `try_wait` with a backoff from 1 ms up to [`MAX_POLL_INTERVAL`]. A SIGCHLD
//! driven path for those systems is a follow-up: it belongs with the signal
//! module.
//!
//! A `Child` dropped before it was reaped becomes an [`Orphan`]: the orphan
//! is its own waker, so the reactor reaps it on the turn that sees it exit,
//! and at shutdown (when every waker is woken) it reaps it if it has exited.
//! A child still running then was killed if it asked for `kill_on_drop` (it
//! is then waited for, which a SIGKILL makes quick); otherwise it is left
//! running, as tokio does, and parked in a process-wide list that the next
//! `spawn` (on any loop) checks again.

use std::io;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crate::handle::Handle;
use crate::lock::lock;
use crate::timer::TimerKey;

#[cfg(target_os = "linux")]
use crate::net::evented::PollEvented;
#[cfg(target_os = "linux")]
use crate::registration::Direction;

/// The longest the polling fallback waits between two checks of a child.
pub(crate) const MAX_POLL_INTERVAL: Duration = Duration::from_millis(100);
const FIRST_POLL_INTERVAL: Duration = Duration::from_millis(1);

/// The error of a wait that can no longer be woken.
pub(crate) fn loop_gone() -> io::Error {
    io::Error::other("the aio event loop that owns this child process has shut down")
}

#[cfg(test)]
thread_local! {
    /// Unit tests switch the pidfd path off to exercise the fallback.
    pub(crate) static FORCE_POLLING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A pidfd as a mio source: readable once the process has exited.
#[cfg(target_os = "linux")]
#[derive(Debug)]
pub(crate) struct PidFd(std::os::fd::OwnedFd);

#[cfg(target_os = "linux")]
impl mio::event::Source for PidFd {
    fn register(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        mio::unix::SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &mio::Registry,
        token: mio::Token,
        interests: mio::Interest,
    ) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        mio::unix::SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        mio::unix::SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}

/// A pidfd for `child`, or None when the kernel will not give one.
#[cfg(target_os = "linux")]
fn open_pidfd(child: &std::process::Child) -> Option<PidFd> {
    #[cfg(test)]
    if FORCE_POLLING.with(|f| f.get()) {
        return None;
    }
    // The pid cannot be reused before we reap it, so this names our child.
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).ok()?)?;
    rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty())
        .ok()
        .map(PidFd)
}

/// How a child's exit reaches the loop.
pub(crate) enum ExitWatch {
    /// Linux: the pidfd's readiness.
    #[cfg(target_os = "linux")]
    PidFd(PollEvented<PidFd>),
    /// Fallback: re-check on a timer with backoff.
    Polling(PollTimer),
}

impl std::fmt::Debug for ExitWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            #[cfg(target_os = "linux")]
            ExitWatch::PidFd(_) => f.write_str("PidFd"),
            ExitWatch::Polling(_) => f.write_str("Polling"),
        }
    }
}

impl ExitWatch {
    /// Watch `child` on `handle`'s loop; fails only if the loop is gone.
    pub(crate) fn new(handle: &Arc<Handle>, child: &std::process::Child) -> io::Result<ExitWatch> {
        #[cfg(target_os = "linux")]
        if let Some(fd) = open_pidfd(child) {
            let io = PollEvented::new(handle.clone(), fd, mio::Interest::READABLE)?;
            return Ok(ExitWatch::PidFd(io));
        }
        #[cfg(not(target_os = "linux"))]
        let _ = child;
        if lock(&handle.timers).is_shut_down() {
            return Err(loop_gone());
        }
        Ok(ExitWatch::Polling(PollTimer::new(handle.clone())))
    }

    #[cfg(test)]
    pub(crate) fn is_pidfd(&self) -> bool {
        !matches!(self, ExitWatch::Polling(_))
    }

    /// Ready with `child`'s status once it has exited (and is reaped); an
    /// error if the loop shut down first or waiting failed.
    pub(crate) fn poll_wait(
        &mut self,
        child: &mut std::process::Child,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<ExitStatus>> {
        loop {
            if let Some(status) = child.try_wait()? {
                return Poll::Ready(Ok(status));
            }
            match self {
                #[cfg(target_os = "linux")]
                ExitWatch::PidFd(io) => match io.poll_ready(cx, Direction::Read) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(_)) => return Poll::Ready(Err(loop_gone())),
                    Poll::Ready(Ok(event)) => {
                        if let Some(status) = child.try_wait()? {
                            return Poll::Ready(Ok(status));
                        }
                        // Readable yet not exited: stale; wait for the next edge.
                        io.sio().clear_readiness(event);
                    }
                },
                ExitWatch::Polling(timer) => match timer.poll_due(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Ready(Ok(())) => {}
                },
            }
        }
    }
}

/// A loop timer for the polling fallback; each firing doubles the interval.
pub(crate) struct PollTimer {
    handle: Arc<Handle>,
    deadline: Instant,
    interval: Duration,
    key: Option<TimerKey>,
}

impl PollTimer {
    fn new(handle: Arc<Handle>) -> PollTimer {
        PollTimer {
            handle,
            deadline: Instant::now() + FIRST_POLL_INTERVAL,
            interval: FIRST_POLL_INTERVAL,
            key: None,
        }
    }

    /// Ready once the current interval has passed (then the next, longer one
    /// starts); an error once the loop has shut down.
    fn poll_due(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let now = Instant::now();
        if now >= self.deadline {
            self.cancel();
            self.interval = (self.interval * 2).min(MAX_POLL_INTERVAL);
            self.deadline = now + self.interval;
            return Poll::Ready(Ok(()));
        }
        let mut replaced = None;
        let unpark = {
            let mut timers = lock(&self.handle.timers);
            if timers.is_shut_down() {
                self.key = None;
                return Poll::Ready(Err(loop_gone()));
            }
            match self.key {
                Some(key) if timers.set_waker(key, cx.waker(), &mut replaced) => false,
                _ => {
                    let (key, unpark) = timers.insert(self.deadline, cx.waker().clone());
                    self.key = Some(key);
                    unpark
                }
            }
        };
        // Dropped unlocked: see TimerQueue::set_waker.
        drop(replaced);
        if unpark {
            self.handle.unparker.unpark();
        }
        Poll::Pending
    }

    fn cancel(&mut self) {
        if let Some(key) = self.key.take() {
            let waker = lock(&self.handle.timers).remove(key);
            drop(waker);
        }
    }
}

impl Drop for PollTimer {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Children that outlived their loop while still running; rechecked (and
/// reaped once exited) by every later spawn.
static DETACHED: Mutex<Vec<std::process::Child>> = Mutex::new(Vec::new());

/// Reap the detached children that have exited since they were parked.
pub(crate) fn reap_detached() {
    let mut detached = lock(&DETACHED);
    if !detached.is_empty() {
        detached.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
    }
}

struct OrphanState {
    child: std::process::Child,
    watch: ExitWatch,
    killed: bool,
}

/// A dropped, unreaped child: its own waker, so the loop reaps it when its
/// exit (or the loop's shutdown) wakes it.
pub(crate) struct Orphan {
    state: Mutex<Option<OrphanState>>,
}

impl Orphan {
    /// Take over `child`; `killed` says SIGKILL was sent (kill_on_drop).
    pub(crate) fn adopt(child: std::process::Child, watch: ExitWatch, killed: bool) {
        let orphan = Arc::new(Orphan {
            state: Mutex::new(Some(OrphanState {
                child,
                watch,
                killed,
            })),
        });
        orphan.check();
    }

    fn check(self: &Arc<Self>) {
        let waker = Waker::from(self.clone());
        let mut cx = Context::from_waker(&waker);
        // Held while polling, so a wake from the loop thread that races with
        // storing our waker waits here and then checks again: none is lost.
        let settled = {
            let mut state = lock(&self.state);
            let Some(st) = state.as_mut() else { return };
            match st.watch.poll_wait(&mut st.child, &mut cx) {
                Poll::Pending => None,
                Poll::Ready(_) => state.take(),
            }
        };
        // Outside the lock: dropping the watch deregisters from the reactor.
        if let Some(mut st) = settled {
            drop(st.watch);
            match st.child.try_wait() {
                // Reaped, or not ours to reap any more (ECHILD).
                Ok(Some(_)) | Err(_) => {}
                Ok(None) if st.killed => {
                    // SIGKILL was sent: this wait is short.
                    let _ = st.child.wait();
                }
                Ok(None) => lock(&DETACHED).push(st.child),
            }
        }
    }
}

impl Wake for Orphan {
    fn wake(self: Arc<Self>) {
        self.check();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.check();
    }
}
