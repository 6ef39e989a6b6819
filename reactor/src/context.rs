//! The thread-local "current reactor" that constructors like `sleep` look up.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::handle::Handle;
use crate::lock::lock;

thread_local! {
    static CURRENT: RefCell<Option<Arc<Handle>>> = const { RefCell::new(None) };
}

/// Keeps a reactor current on this thread; restores the previous one on drop.
///
/// Returned by [`Reactor::enter`](crate::Reactor::enter). It is `!Send`: the
/// thread-local it restores belongs to the thread that created it.
///
/// ```
/// let outer = aio_reactor::Reactor::new()?;
/// let inner = aio_reactor::Reactor::new()?;
/// let _outer_guard = outer.enter();
/// {
///     let _inner_guard = inner.enter(); // `inner` is current here
/// }
/// assert!(aio_reactor::is_entered(), "`outer` is current again");
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "the reactor is only current while the guard is alive"]
pub struct EnterGuard<'a> {
    prev: Option<Arc<Handle>>,
    // Borrow of the reactor + `!Send` (a raw pointer is neither Send nor Sync).
    _marker: PhantomData<(&'a (), *const ())>,
}

impl std::fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

pub(crate) fn enter(handle: Arc<Handle>) -> EnterGuard<'static> {
    let prev = CURRENT.with(|c| c.borrow_mut().replace(handle));
    EnterGuard {
        prev,
        _marker: PhantomData,
    }
}

impl Drop for EnterGuard<'_> {
    fn drop(&mut self) {
        let prev = self.prev.take();
        // `try_with`: during thread teardown the slot may already be gone.
        let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
    }
}

/// True when this thread is inside [`Reactor::enter`](crate::Reactor::enter),
/// i.e. when `sleep`, `TcpStream::connect`, `blocking::run` ... would not panic.
///
/// ```
/// assert!(!aio_reactor::is_entered());
/// aio::run(async { assert!(aio_reactor::is_entered()) });
/// ```
pub fn is_entered() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}

/// The current reactor's handle, or a panic naming `what` (e.g. "aio::time::sleep()").
pub(crate) fn current(what: &str) -> Arc<Handle> {
    match CURRENT.try_with(|c| c.borrow().clone()) {
        Ok(Some(h)) => h,
        _ => panic!("{what} called outside of aio::run()"),
    }
}

/// The current loop's number, unique among the reactors of this process
/// (never reused), or `None` outside `aio::run()`.
///
/// Cheap (a thread-local read). For state shared between loops that must
/// stay with the loop it was made on: a socket registered with one loop's
/// reactor is driven by that loop, so a connection pool shared by several
/// loops keys its idle connections on this number.
///
/// ```
/// assert!(aio_reactor::current_loop_id().is_none());
/// let first = aio::run(async { aio_reactor::current_loop_id().unwrap() });
/// let second = aio::run(async { aio_reactor::current_loop_id().unwrap() });
/// assert_ne!(first, second, "each loop has its own number");
/// ```
pub fn current_loop_id() -> Option<u64> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(|handle| handle.loop_id))
        .ok()
        .flatten()
}

/// What the current reactor holds right now; `None` outside `aio::run()`.
///
/// Cheap (two uncontended locks): meant for leak checks in tests and for
/// debugging a loop that will not go idle.
///
/// ```
/// use aio::time::{sleep, Duration};
///
/// assert!(aio_reactor::current_stats().is_none());
/// aio::run(async {
///     let socket = aio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let timer = aio::spawn(sleep(Duration::from_secs(60)));
///     aio::yield_now().await; // the timer registers on its first poll
///     let stats = aio_reactor::current_stats().unwrap();
///     assert_eq!((stats.sockets, stats.timers), (1, 1));
///     timer.abort();
///     drop(socket);
/// });
/// ```
pub fn current_stats() -> Option<ReactorStats> {
    let handle = CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()?;
    let sockets = lock(&handle.io).live_count();
    let timers = lock(&handle.timers).live_count();
    Some(ReactorStats { sockets, timers })
}

/// A snapshot of a reactor's registrations, from [`current_stats`].
///
/// ```
/// let reactor = aio_reactor::Reactor::new()?;
/// let _enter = reactor.enter();
/// let _socket = aio_reactor::net::UdpSocket::from_std(std::net::UdpSocket::bind("127.0.0.1:0")?)?;
/// let stats = aio_reactor::current_stats().unwrap();
/// assert_eq!(stats, aio_reactor::ReactorStats { sockets: 1, timers: 0 });
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReactorStats {
    /// Sockets registered with the reactor (listeners, streams, UDP sockets).
    pub sockets: usize,
    /// Timers pending (sleeps, timeouts, intervals not yet fired or dropped).
    pub timers: usize,
}
