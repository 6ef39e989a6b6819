//! The reactor proper: the mio `Poll`, `turn`, the unpark path and shutdown.

use std::io;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::{Duration, Instant};

use mio::{Events, Poll};

use crate::blocking::pool::BlockingPool;
use crate::context::{self, EnterGuard};
use crate::handle::{next_loop_id, Handle};
use crate::lock::lock;
use crate::registration::{
    IoState, ERROR, READABLE, READ_CLOSED, TICK_MASK, WAKE_TOKEN, WRITABLE, WRITE_CLOSED,
};
use crate::timer::TimerQueue;
use crate::unpark::Unparker;
use crate::wake;

/// Default upper bound on blocking-pool threads (like tokio's 512, but smaller:
/// this pool mostly runs DNS lookups and the odd file operation).
pub const DEFAULT_MAX_BLOCKING_THREADS: usize = 64;

/// Tunables for [`Reactor::with_config`]; `Default` gives the documented defaults.
///
/// ```
/// use aio_reactor::{Reactor, ReactorConfig};
/// use std::time::Duration;
///
/// let config = ReactorConfig {
///     max_blocking_threads: 4,
///     blocking_keep_alive: Duration::from_secs(1),
///     ..ReactorConfig::default()
/// };
/// assert_eq!(config.events_capacity, 1024);
/// let reactor = Reactor::with_config(config)?;
/// reactor.shutdown(Duration::ZERO);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ReactorConfig {
    /// Most threads the blocking pool runs at once (default 64; at least 1 is used).
    pub max_blocking_threads: usize,
    /// How long an idle blocking thread waits for work before exiting (default 10 s).
    pub blocking_keep_alive: Duration,
    /// How many I/O events one `turn` can take from the kernel (default 1024).
    pub events_capacity: usize,
}

impl Default for ReactorConfig {
    fn default() -> Self {
        ReactorConfig {
            max_blocking_threads: DEFAULT_MAX_BLOCKING_THREADS,
            blocking_keep_alive: Duration::from_secs(10),
            events_capacity: 1024,
        }
    }
}

/// What [`Reactor::shutdown`] left behind.
///
/// ```
/// use aio_reactor::{net::UdpSocket, Reactor};
/// use std::time::Duration;
///
/// let reactor = Reactor::new()?;
/// let enter = reactor.enter();
/// let socket = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
/// drop(enter);
/// let report = reactor.shutdown(Duration::ZERO);
/// assert_eq!((report.sockets_open, report.timers_pending, report.blocking_jobs_abandoned), (1, 0, 0));
/// assert!(socket.local_addr().is_ok());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Blocking jobs still running when the wait bound ran out (they finish on
    /// their own threads; their results are dropped).
    pub blocking_jobs_abandoned: usize,
    /// Sockets still alive at shutdown; their operations now fail.
    pub sockets_open: usize,
    /// Timers still pending at shutdown; they were completed early.
    pub timers_pending: usize,
}

/// The event loop's waiting half: I/O readiness, timers and the blocking pool.
///
/// Owned by the loop thread (one per `aio::run`). Sockets, timers and jobs
/// find it through [`Reactor::enter`]; the executor drives it with
/// [`Reactor::turn`] and wakes it from other threads with an [`Unparker`].
///
/// ```
/// use aio_reactor::Reactor;
/// use std::time::Duration;
///
/// // What `aio::run` does around the executor, in short.
/// let mut reactor = Reactor::new()?;
/// let enter = reactor.enter(); // sockets and timers find it now
/// assert!(aio_reactor::is_entered());
/// reactor.turn(Some(Duration::ZERO)); // the executor's "park"
/// drop(enter);
/// reactor.shutdown(Duration::from_secs(1));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Reactor {
    poll: Poll,
    events: Events,
    handle: Arc<Handle>,
    tick: usize,
    /// Reused between turns so waking costs no allocation.
    wake_buf: Vec<Waker>,
    shut_down: bool,
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("tick", &self.tick)
            .finish_non_exhaustive()
    }
}

impl Reactor {
    /// A reactor with the default [`ReactorConfig`].
    ///
    /// ```
    /// let reactor = aio_reactor::Reactor::new()?;
    /// let _enter = reactor.enter();
    /// assert_eq!(aio_reactor::current_stats().unwrap().sockets, 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Reactor> {
        Reactor::with_config(ReactorConfig::default())
    }

    /// A reactor with explicit limits (blocking threads, keep-alive, event batch).
    ///
    /// ```
    /// use aio_reactor::{Reactor, ReactorConfig};
    ///
    /// let reactor = Reactor::with_config(ReactorConfig { events_capacity: 64, ..Default::default() })?;
    /// drop(reactor); // without `shutdown`: released all the same
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_config(config: ReactorConfig) -> io::Result<Reactor> {
        let poll = Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN)?;
        // Sockets register and deregister from any thread, so they need their
        // own registry handle (a dup of the epoll fd, closed at shutdown).
        let registry = poll.registry().try_clone()?;
        let handle = Arc::new(Handle {
            io: Mutex::new(IoState::new(Some(registry))),
            timers: Mutex::new(TimerQueue::new()),
            blocking: BlockingPool::new(
                config.max_blocking_threads.max(1),
                config.blocking_keep_alive,
            ),
            unparker: Unparker::new(waker),
            signal_source: AtomicBool::new(false),
            loop_id: next_loop_id(),
        });
        Ok(Reactor {
            poll,
            events: Events::with_capacity(config.events_capacity.max(1)),
            handle,
            tick: 0,
            wake_buf: Vec::new(),
            shut_down: false,
        })
    }

    /// Make this reactor the thread's current one, so net types, timers and
    /// the blocking pool find it. The guard restores the previous value on
    /// drop, also during unwinding.
    ///
    /// The guard holds its own reference to the reactor's shared state rather
    /// than a borrow of `self`, so the loop can call [`turn`](Self::turn)
    /// (`&mut self`) while it is entered.
    ///
    /// ```
    /// let reactor = aio_reactor::Reactor::new()?;
    /// assert!(!aio_reactor::is_entered());
    /// let guard = reactor.enter();
    /// assert!(aio_reactor::is_entered());
    /// drop(guard);
    /// assert!(!aio_reactor::is_entered());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn enter(&self) -> EnterGuard<'static> {
        context::enter(self.handle.clone())
    }

    /// A cheap, cloneable, thread-safe handle that interrupts `turn`.
    ///
    /// ```
    /// let mut reactor = aio_reactor::Reactor::new()?;
    /// let unparker = reactor.unparker();
    /// let other = std::thread::spawn(move || unparker.unpark());
    /// reactor.turn(None); // would wait forever: nothing else can happen
    /// other.join().unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unparker(&self) -> Unparker {
        self.handle.unparker.clone()
    }

    /// Wait for I/O readiness or a due timer, at most `timeout` (`None`: until
    /// something happens; `Some(ZERO)`: just poll), then wake the wakers of
    /// ready sockets and due timers. Returns early when unparked. Never sleeps
    /// past the next timer deadline, and never fires a timer before it.
    ///
    /// ```
    /// use aio_reactor::net::UdpSocket;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use std::task::{Context, Wake, Waker};
    ///
    /// struct Flag(AtomicBool);
    /// impl Wake for Flag {
    ///     fn wake(self: Arc<Self>) {
    ///         self.0.store(true, Ordering::SeqCst);
    ///     }
    /// }
    ///
    /// let mut reactor = aio_reactor::Reactor::new()?;
    /// let _enter = reactor.enter();
    /// let socket = UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
    /// let flag = Arc::new(Flag(AtomicBool::new(false)));
    /// let waker = Waker::from(Arc::clone(&flag));
    /// let mut buf = [0; 8];
    /// // Nothing to read yet: the poll leaves its waker with the reactor.
    /// assert!(socket.poll_recv_from(&mut Context::from_waker(&waker), &mut buf).is_pending());
    /// std::net::UdpSocket::bind("127.0.0.1:0")?.send_to(b"hi", socket.local_addr()?)?;
    /// reactor.turn(None); // the socket is readable: its waker is woken
    /// assert!(flag.0.load(Ordering::SeqCst));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn turn(&mut self, timeout: Option<Duration>) {
        self.tick = (self.tick + 1) & TICK_MASK;
        let now = Instant::now();
        let mut timer_due = None;
        let wait = if timeout == Some(Duration::ZERO) {
            timeout
        } else {
            let timer_wait = lock(&self.handle.timers).park(now);
            match (timeout, timer_wait) {
                (Some(limit), Some(timer)) if limit < timer => Some(limit),
                (_, Some(timer)) => {
                    timer_due = Some(now + timer);
                    Some(timer)
                }
                (limit, None) => limit,
            }
        };
        match timer_due {
            // epoll counts whole milliseconds (mio rounds up), which would
            // make every timer up to 1 ms late: wait the whole milliseconds
            // for I/O, then sleep the rest precisely unless something woke us.
            Some(due) => {
                let whole_ms = Duration::from_millis(wait.unwrap_or_default().as_millis() as u64);
                self.poll_events(Some(whole_ms));
                if self.events.is_empty() && !self.handle.unparker.is_pending() {
                    let rest = due.saturating_duration_since(Instant::now());
                    // Only the sub-millisecond tail: an epoll_wait cut short
                    // (by a signal, say) must not turn into a long blind sleep.
                    if !rest.is_zero() && rest <= Duration::from_millis(1) {
                        std::thread::sleep(rest);
                    }
                }
            }
            None => self.poll_events(wait),
        }
        self.handle.unparker.clear_pending();

        let mut wakers = std::mem::take(&mut self.wake_buf);
        let mut signalled = false;
        if !self.events.is_empty() {
            let io = lock(&self.handle.io);
            for event in self.events.iter() {
                if event.token() == WAKE_TOKEN {
                    continue;
                }
                if event.token() == crate::signal::SIGNAL_TOKEN {
                    signalled = true;
                    continue;
                }
                let mut bits = 0;
                if event.is_readable() {
                    bits |= READABLE;
                }
                if event.is_writable() {
                    bits |= WRITABLE;
                }
                if event.is_read_closed() {
                    bits |= READ_CLOSED;
                }
                if event.is_write_closed() {
                    bits |= WRITE_CLOSED;
                }
                if event.is_error() {
                    bits |= ERROR;
                }
                io.dispatch(event.token(), bits, self.tick, &mut wakers);
            }
        }
        if signalled {
            crate::signal::dispatch(&mut wakers);
        }
        lock(&self.handle.timers).fire(Instant::now(), &mut wakers);
        // No lock is held while wakers run: they may re-enter the reactor.
        // Each is woken under catch_unwind (see `wake`): a panicking waker
        // neither unwinds out of `turn` nor cancels the wakes after it, and
        // the buffer is put back as on any other turn.
        wake::wake_all(&mut wakers);
        self.wake_buf = wakers;
    }

    /// Wait for I/O events, at most `wait` (`None`: no limit).
    fn poll_events(&mut self, wait: Option<Duration>) {
        if let Err(e) = self.poll.poll(&mut self.events, wait) {
            if e.kind() != io::ErrorKind::Interrupted {
                panic!("aio reactor: waiting for I/O events failed: {e}");
            }
        }
    }

    /// Shut down: stop the blocking pool (queued jobs are dropped and their
    /// futures fail; running jobs get at most `blocking_wait` to finish), then
    /// wake every pending socket and timer waker and make every socket of this
    /// reactor fail its operations, then close the epoll fd and the waker fd.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let reactor = aio_reactor::Reactor::new()?;
    /// let report = reactor.shutdown(Duration::from_secs(1));
    /// assert_eq!(report, aio_reactor::ShutdownReport::default(), "nothing was left");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(mut self, blocking_wait: Duration) -> ShutdownReport {
        self.shutdown_inner(blocking_wait)
        // `self` drops here, closing the mio Poll.
    }

    fn shutdown_inner(&mut self, blocking_wait: Duration) -> ShutdownReport {
        if self.shut_down {
            return ShutdownReport::default();
        }
        self.shut_down = true;
        let blocking_jobs_abandoned = self.handle.blocking.shutdown(blocking_wait);
        let mut wakers = std::mem::take(&mut self.wake_buf);
        let sockets_open = lock(&self.handle.io).shutdown(&mut wakers);
        let timers_pending = lock(&self.handle.timers).shutdown(&mut wakers);
        self.handle.unparker.close();
        // Also reached from Drop while unwinding, where a second panic aborts.
        wake::wake_all(&mut wakers);
        ShutdownReport {
            blocking_jobs_abandoned,
            sockets_open,
            timers_pending,
        }
    }
}

impl Drop for Reactor {
    /// A reactor dropped without `shutdown` (e.g. while unwinding) still
    /// releases everything, without waiting for blocking jobs.
    fn drop(&mut self) {
        self.shutdown_inner(Duration::ZERO);
    }
}
