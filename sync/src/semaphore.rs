//! `Semaphore` and `BoundedSemaphore` (asyncio.Semaphore and
//! asyncio.BoundedSemaphore), and the counting core `Mutex` and `RwLock`
//! are built on.
//!
//! The protocol: one atomic word holds the available permits (shifted left
//! by one) and a `WAITERS` bit. Invariant: the bit is set exactly when the
//! waiter list is not empty, and while it is set the available count is 0
//! and the word changes only under the waiter-list lock. Hence:
//! - uncontended acquire is one compare-and-swap taking permits from the
//!   word, and uncontended release one compare-and-swap putting them back;
//!   neither locks or allocates;
//! - nobody can take permits past a queued waiter (the word holds none while
//!   anyone waits), which makes the semaphore strictly FIFO: a waiter asking
//!   for many permits is handed the released ones as they come, and later
//!   waiters queue behind it;
//! - releasing while the bit is set goes under the lock and hands permits to
//!   the head of the queue directly; whoever empties the queue clears the bit
//!   and puts what is left into the word.
//!
//! A second counter, `total` (available plus held), changes only in
//! `add_permits` and `forget`: it is what the limits (`MAX_PERMITS`, a
//! `BoundedSemaphore`'s bound) are checked against.

use crate::std_or_loom::{lock, AtomicUsize, Mutex, MutexGuard};
use crate::waiters::{Removed, WaitList, WaiterKey, Wakeups};
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::atomic::Ordering::{AcqRel, Relaxed};
use std::sync::Arc;
use std::task::{Context, Poll};

/// The most permits a [`Semaphore`] can have in existence (available plus
/// held), as in tokio: `usize::MAX >> 3`.
pub const MAX_PERMITS: usize = usize::MAX >> 3;

/// Set while tasks wait; the permit count in the word is 0 meanwhile.
const WAITERS: usize = 1;
const PERMIT_SHIFT: u32 = 1;

/// A counter of permits that tasks acquire and release, waiting in FIFO
/// order when there are none (asyncio.Semaphore, tokio::sync::Semaphore).
///
/// [`acquire`](Semaphore::acquire) returns a [`SemaphorePermit`] guard that
/// gives the permit back when dropped. Waiting is fair: permits go to
/// waiters in the order they started waiting, and a task asking for several
/// permits holds back the ones behind it until it has them all.
/// Cancel-safe: dropping an `acquire` future loses nothing, even if it had
/// already been granted its permits and not yet polled.
///
/// There is no `close`: acquiring always ends with a permit (or waits), so
/// `acquire` returns the permit itself rather than a `Result`.
///
/// # Limits
/// At most [`MAX_PERMITS`] permits may exist at once (available plus held);
/// [`new`](Semaphore::new), [`add_permits`](Semaphore::add_permits) and
/// [`acquire_many`](Semaphore::acquire_many) panic above it. A semaphore
/// with 0 permits is fine: acquirers wait for `add_permits`.
///
/// ```
/// use aio_sync::Semaphore;
/// use std::sync::Arc;
///
/// aio_executor::block_on(async {
///     // At most 2 of the 5 jobs run at once.
///     let limit = Arc::new(Semaphore::new(2));
///     let jobs: Vec<_> = (0..5)
///         .map(|i| {
///             let limit = Arc::clone(&limit);
///             aio_executor::spawn(async move {
///                 let _permit = limit.acquire().await;
///                 i * 2
///             })
///         })
///         .collect();
///     let mut total = 0;
///     for job in jobs {
///         total += job.await.unwrap();
///     }
///     assert_eq!(total, 20);
///     assert_eq!(limit.available_permits(), 2);
/// });
/// ```
pub struct Semaphore {
    /// Available permits `<< PERMIT_SHIFT`, plus the `WAITERS` bit.
    state: AtomicUsize,
    /// Permits in existence: available plus held by guards.
    total: AtomicUsize,
    /// Each waiter's data: how many permits it still misses.
    waiters: Mutex<WaitList<usize>>,
}

impl Semaphore {
    /// A semaphore with `permits` permits.
    ///
    /// # Panics
    /// If `permits` exceeds [`MAX_PERMITS`].
    ///
    /// ```
    /// let semaphore = aio_sync::Semaphore::new(3);
    /// assert_eq!(semaphore.available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= MAX_PERMITS,
            "Semaphore::new({permits}): more than MAX_PERMITS ({MAX_PERMITS}) permits"
        );
        Semaphore {
            state: AtomicUsize::new(permits << PERMIT_SHIFT),
            total: AtomicUsize::new(permits),
            waiters: Mutex::new(WaitList::new()),
        }
    }

    /// How many permits can be acquired right now without waiting.
    ///
    /// ```
    /// let semaphore = aio_sync::Semaphore::new(2);
    /// let permit = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// drop(permit);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.state.load(Ordering::Acquire) >> PERMIT_SHIFT
    }

    /// Wait for one permit. The permit goes back when the guard is dropped.
    ///
    /// ```
    /// use aio_sync::Semaphore;
    ///
    /// aio_executor::block_on(async {
    ///     let semaphore = Semaphore::new(1);
    ///     let permit = semaphore.acquire().await;
    ///     assert_eq!(semaphore.available_permits(), 0);
    ///     drop(permit);
    ///     assert_eq!(semaphore.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire(&self) -> SemaphorePermit<'_> {
        self.acquire_raw(1).await;
        SemaphorePermit {
            semaphore: self,
            permits: 1,
        }
    }

    /// Wait for `permits` permits at once. While waiting it keeps its place
    /// in the queue: the released permits go to it until it has them all,
    /// and later waiters wait behind it. Zero permits are granted at once.
    ///
    /// # Panics
    /// If `permits` exceeds [`MAX_PERMITS`]: that many can never exist.
    ///
    /// ```
    /// use aio_sync::Semaphore;
    ///
    /// aio_executor::block_on(async {
    ///     let semaphore = Semaphore::new(5);
    ///     let permit = semaphore.acquire_many(3).await;
    ///     assert_eq!(permit.num_permits(), 3);
    ///     assert_eq!(semaphore.available_permits(), 2);
    /// });
    /// ```
    pub async fn acquire_many(&self, permits: usize) -> SemaphorePermit<'_> {
        check_request(permits);
        self.acquire_raw(permits).await;
        SemaphorePermit {
            semaphore: self,
            permits,
        }
    }

    /// Wait for one permit held through an `Arc`, so the permit can move
    /// into a spawned task.
    ///
    /// ```
    /// use aio_sync::Semaphore;
    /// use std::sync::Arc;
    ///
    /// aio_executor::block_on(async {
    ///     let semaphore = Arc::new(Semaphore::new(1));
    ///     let permit = Arc::clone(&semaphore).acquire_owned().await;
    ///     let task = aio_executor::spawn(async move {
    ///         let _permit = permit; // released when this task ends
    ///     });
    ///     task.await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> OwnedSemaphorePermit {
        self.acquire_raw(1).await;
        OwnedSemaphorePermit {
            owner: PermitOwner::Plain(self),
            permits: 1,
        }
    }

    /// [`acquire_many`](Semaphore::acquire_many) through an `Arc`.
    ///
    /// # Panics
    /// If `permits` exceeds [`MAX_PERMITS`].
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(aio_sync::Semaphore::new(4));
    /// aio_executor::block_on(async {
    ///     let permit = Arc::clone(&semaphore).acquire_many_owned(3).await;
    ///     let task = aio_executor::spawn(async move { permit.num_permits() });
    ///     assert_eq!(task.await.unwrap(), 3);
    ///     assert_eq!(semaphore.available_permits(), 4, "the task dropped them");
    /// });
    /// ```
    pub async fn acquire_many_owned(self: Arc<Self>, permits: usize) -> OwnedSemaphorePermit {
        check_request(permits);
        self.acquire_raw(permits).await;
        OwnedSemaphorePermit {
            owner: PermitOwner::Plain(self),
            permits,
        }
    }

    /// Take a permit if one is available and nobody waits for one.
    ///
    /// ```
    /// use aio_sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(1);
    /// let permit = semaphore.try_acquire().unwrap();
    /// assert!(semaphore.try_acquire().is_err());
    /// drop(permit);
    /// assert!(semaphore.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Take `permits` permits if that many are available and nobody waits
    /// (never more than [`MAX_PERMITS`]: that many cannot exist).
    ///
    /// ```
    /// let semaphore = aio_sync::Semaphore::new(3);
    /// let two = semaphore.try_acquire_many(2).unwrap();
    /// assert!(semaphore.try_acquire_many(2).is_err(), "only 1 left");
    /// assert_eq!(two.num_permits(), 2);
    /// ```
    pub fn try_acquire_many(&self, permits: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        if self.try_acquire_raw(permits) {
            Ok(SemaphorePermit {
                semaphore: self,
                permits,
            })
        } else {
            Err(TryAcquireError(()))
        }
    }

    /// [`try_acquire`](Semaphore::try_acquire) through an `Arc`.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(aio_sync::Semaphore::new(1));
    /// let permit = Arc::clone(&semaphore).try_acquire_owned().unwrap();
    /// assert!(Arc::clone(&semaphore).try_acquire_owned().is_err());
    /// drop(permit);
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        if self.try_acquire_raw(1) {
            Ok(OwnedSemaphorePermit {
                owner: PermitOwner::Plain(self),
                permits: 1,
            })
        } else {
            Err(TryAcquireError(()))
        }
    }

    /// Add `permits` new permits, waking waiters they satisfy (in order).
    ///
    /// # Panics
    /// If the permits in existence (available plus held) would exceed
    /// [`MAX_PERMITS`]; nothing is added then.
    ///
    /// ```
    /// use aio_sync::Semaphore;
    ///
    /// let semaphore = Semaphore::new(0);
    /// semaphore.add_permits(2);
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, permits: usize) {
        if let Err(existing) = self.add_within(permits, MAX_PERMITS) {
            panic!(
                "Semaphore::add_permits({permits}): {existing} permits exist already; \
                 more than MAX_PERMITS ({MAX_PERMITS}) cannot"
            );
        }
    }

    /// The future behind every acquire: resolves once `permits` permits are
    /// the caller's (who must then wrap them in a guard at once).
    pub(crate) fn acquire_raw(&self, permits: usize) -> Acquire<'_> {
        Acquire {
            semaphore: self,
            permits,
            waiter: None,
        }
    }

    /// The fast path: take permits from the word if it has enough. Fails
    /// whenever anyone waits (the word holds no permits then).
    pub(crate) fn try_acquire_raw(&self, permits: usize) -> bool {
        if permits == 0 {
            return true;
        }
        if permits > MAX_PERMITS {
            // That many never exist (and would not fit the shifted word).
            return false;
        }
        let wanted = permits << PERMIT_SHIFT;
        let mut current = self.state.load(Relaxed);
        loop {
            if current < wanted || current & WAITERS != 0 {
                return false;
            }
            match self.state.compare_exchange_weak(
                current,
                current - wanted,
                Ordering::Acquire,
                Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }

    /// Give back permits a guard held.
    pub(crate) fn release(&self, permits: usize) {
        if permits == 0 {
            return;
        }
        let mut current = self.state.load(Relaxed);
        while current & WAITERS == 0 {
            match self.state.compare_exchange_weak(
                current,
                current + (permits << PERMIT_SHIFT),
                AcqRel,
                Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
        let mut waiters = lock(&self.waiters);
        let wakeups = self.release_locked(&mut waiters, permits);
        drop(waiters);
        wakeups.wake_all();
    }

    /// Permits held by a guard vanish: they no longer exist.
    pub(crate) fn forget(&self, permits: usize) {
        self.total.fetch_sub(permits, Relaxed);
    }

    /// Create `permits` permits unless more than `limit` would then exist;
    /// on refusal, returns how many exist.
    pub(crate) fn add_within(&self, permits: usize, limit: usize) -> Result<(), usize> {
        self.total
            .fetch_update(Relaxed, Relaxed, |existing| {
                existing.checked_add(permits).filter(|&sum| sum <= limit)
            })
            .map(drop)?;
        self.release(permits);
        Ok(())
    }

    /// Hand `permits` to the waiters in order (the head may get fewer than
    /// it misses and stay at the head); whoever empties the queue clears the
    /// `WAITERS` bit and puts the rest into the word.
    fn release_locked(
        &self,
        waiters: &mut MutexGuard<'_, WaitList<usize>>,
        permits: usize,
    ) -> Wakeups {
        let mut rest = permits;
        let mut wakeups = Wakeups::new();
        while rest > 0 {
            let Some(missing) = waiters.front_mut() else {
                break;
            };
            if *missing <= rest {
                rest -= *missing;
                *missing = 0;
                wakeups.push(waiters.grant_front());
            } else {
                *missing -= rest;
                rest = 0;
            }
        }
        if waiters.is_empty() {
            let mut current = self.state.load(Relaxed);
            loop {
                let next = (current & !WAITERS) + (rest << PERMIT_SHIFT);
                if next == current {
                    break;
                }
                match self
                    .state
                    .compare_exchange_weak(current, next, AcqRel, Relaxed)
                {
                    Ok(_) => break,
                    Err(actual) => current = actual,
                }
            }
        }
        wakeups
    }

    /// The slow path of a first poll: under the lock, take the permits if
    /// they are there after all, or take what there is, set `WAITERS` and
    /// queue for the rest. `None` means acquired.
    fn acquire_or_enqueue(&self, permits: usize, cx: &Context<'_>) -> Option<WaiterKey> {
        let mut waiters = lock(&self.waiters);
        let mut current = self.state.load(Ordering::Acquire);
        let taken = loop {
            if current & WAITERS != 0 {
                // Others wait: the word holds nothing and only changes under
                // the lock we hold.
                debug_assert_eq!(current, WAITERS);
                break 0;
            }
            let available = current >> PERMIT_SHIFT;
            let (next, taken) = if available >= permits {
                (current - (permits << PERMIT_SHIFT), permits)
            } else {
                (WAITERS, available)
            };
            match self
                .state
                .compare_exchange_weak(current, next, AcqRel, Ordering::Acquire)
            {
                Ok(_) if taken == permits => return None,
                Ok(_) => break taken,
                Err(actual) => current = actual,
            }
        };
        Some(waiters.push_back(permits - taken, cx.waker().clone()))
    }

    /// An acquire future is dropped while queued or granted: give back what
    /// it was given (passing it to the next waiters).
    fn cancel_wait(&self, key: WaiterKey, permits: usize) {
        let mut waiters = lock(&self.waiters);
        let given = match waiters.remove(key) {
            Removed::Waiting(missing) => permits - missing,
            Removed::Granted(_) => permits,
        };
        let wakeups = self.release_locked(&mut waiters, given);
        drop(waiters);
        wakeups.wake_all();
    }
}

fn check_request(permits: usize) {
    assert!(
        permits <= MAX_PERMITS,
        "acquire_many({permits}): more than MAX_PERMITS ({MAX_PERMITS}) permits can never exist"
    );
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available_permits", &self.available_permits())
            .finish_non_exhaustive()
    }
}

/// Resolves once its permits belong to the caller. Dropped before that, it
/// leaves the queue and gives back any permits it was handed.
#[derive(Debug)]
pub(crate) struct Acquire<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
    waiter: Option<WaiterKey>,
}

impl Future for Acquire<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let semaphore = this.semaphore;
        match &this.waiter {
            None => {
                if semaphore.try_acquire_raw(this.permits) {
                    return Poll::Ready(());
                }
                this.waiter = semaphore.acquire_or_enqueue(this.permits, cx);
                if this.waiter.is_none() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
            Some(key) => {
                let granted = lock(&semaphore.waiters).take_grant(key, cx.waker());
                if granted.is_some() {
                    this.waiter = None;
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.waiter.take() {
            self.semaphore.cancel_wait(key, self.permits);
        }
    }
}

/// Permits taken from a [`Semaphore`] (or [`BoundedSemaphore`]), given
/// back when dropped.
///
/// ```
/// let semaphore = aio_sync::Semaphore::new(1);
/// {
///     let _permit = aio_executor::block_on(semaphore.acquire());
///     assert_eq!(semaphore.available_permits(), 0);
/// } // dropped: given back
/// assert_eq!(semaphore.available_permits(), 1);
/// ```
#[must_use = "the permit is released at once if not kept"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
    permits: usize,
}

impl SemaphorePermit<'_> {
    /// Drop the permits without giving them back: the semaphore has that
    /// many fewer from now on (until `add_permits`).
    ///
    /// ```
    /// let semaphore = aio_sync::Semaphore::new(2);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 1, "the permit is gone for good");
    /// ```
    pub fn forget(mut self) {
        let permits = std::mem::take(&mut self.permits);
        self.semaphore.forget(permits);
    }

    /// How many permits this guard holds.
    ///
    /// ```
    /// let semaphore = aio_sync::Semaphore::new(5);
    /// let permits = semaphore.try_acquire_many(3).unwrap();
    /// assert_eq!(permits.num_permits(), 3);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.release(self.permits);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

/// Which semaphore an owned permit goes back to.
enum PermitOwner {
    Plain(Arc<Semaphore>),
    Bounded(Arc<BoundedSemaphore>),
}

impl PermitOwner {
    fn semaphore(&self) -> &Semaphore {
        match self {
            PermitOwner::Plain(semaphore) => semaphore,
            PermitOwner::Bounded(bounded) => &bounded.semaphore,
        }
    }
}

/// Permits taken through an `Arc` (from [`Semaphore::acquire_owned`] or
/// [`BoundedSemaphore::acquire_owned`]): `'static`, so they can move into a
/// spawned task. Given back when dropped.
///
/// ```
/// use std::sync::Arc;
///
/// let semaphore = Arc::new(aio_sync::Semaphore::new(1));
/// let permit = Arc::clone(&semaphore).try_acquire_owned().unwrap();
/// // 'static: it can go to another thread and be given back there.
/// std::thread::spawn(move || drop(permit)).join().unwrap();
/// assert_eq!(semaphore.available_permits(), 1);
/// ```
#[must_use = "the permit is released at once if not kept"]
pub struct OwnedSemaphorePermit {
    owner: PermitOwner,
    permits: usize,
}

impl OwnedSemaphorePermit {
    /// Drop the permits without giving them back.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(aio_sync::Semaphore::new(1));
    /// Arc::clone(&semaphore).try_acquire_owned().unwrap().forget();
    /// assert_eq!(semaphore.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        let permits = std::mem::take(&mut self.permits);
        self.owner.semaphore().forget(permits);
    }

    /// How many permits this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(aio_sync::Semaphore::new(2));
    /// let permit = aio_executor::block_on(semaphore.acquire_many_owned(2));
    /// assert_eq!(permit.num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.owner.semaphore().release(self.permits);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish()
    }
}

/// `try_acquire` found too few permits available (or others waiting).
///
/// ```
/// let semaphore = aio_sync::Semaphore::new(0);
/// let error = semaphore.try_acquire().unwrap_err();
/// assert_eq!(error.to_string(), "no permits available");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryAcquireError(());

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no permits available")
    }
}

impl Error for TryAcquireError {}

/// A [`Semaphore`] that refuses to hold more permits than it started with
/// (asyncio.BoundedSemaphore, whose extra `release()` raises `ValueError`).
///
/// Permits in existence (available plus held by guards) never exceed the
/// bound, the initial count. Guards give their permits back on drop as
/// usual; a permit that was [`forget`](SemaphorePermit::forget)-ten can be
/// restored with [`release`](BoundedSemaphore::release), asyncio-style, and
/// a release or [`add_permits`](BoundedSemaphore::add_permits) that would go
/// above the bound is refused with a [`BoundedSemaphoreError`] (an error
/// value, not a panic: asyncio raises, so callers may want to catch it).
///
/// ```
/// use aio_sync::BoundedSemaphore;
///
/// aio_executor::block_on(async {
///     let semaphore = BoundedSemaphore::new(1);
///     // asyncio style: acquire, and release by hand later.
///     semaphore.acquire().await.forget();
///     assert_eq!(semaphore.available_permits(), 0);
///     semaphore.release().unwrap();
///     // A second release would go above the bound.
///     let refused = semaphore.release().unwrap_err();
///     assert_eq!(refused.bound(), 1);
/// });
/// ```
pub struct BoundedSemaphore {
    semaphore: Semaphore,
    bound: usize,
}

impl BoundedSemaphore {
    /// A semaphore with `permits` permits, never more.
    ///
    /// # Panics
    /// If `permits` exceeds [`MAX_PERMITS`].
    ///
    /// ```
    /// let semaphore = aio_sync::BoundedSemaphore::new(2);
    /// assert_eq!((semaphore.bound(), semaphore.available_permits()), (2, 2));
    /// ```
    pub fn new(permits: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            semaphore: Semaphore::new(permits),
            bound: permits,
        }
    }

    /// The bound: the initial number of permits.
    ///
    /// ```
    /// let semaphore = aio_sync::BoundedSemaphore::new(3);
    /// semaphore.try_acquire().unwrap().forget();
    /// assert_eq!(semaphore.bound(), 3, "the bound does not move");
    /// ```
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// How many permits can be acquired right now without waiting.
    ///
    /// ```
    /// let semaphore = aio_sync::BoundedSemaphore::new(2);
    /// let _permit = semaphore.try_acquire().unwrap();
    /// assert_eq!(semaphore.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.semaphore.available_permits()
    }

    /// Wait for one permit, as [`Semaphore::acquire`].
    ///
    /// ```
    /// let semaphore = aio_sync::BoundedSemaphore::new(1);
    /// aio_executor::block_on(async {
    ///     let permit = semaphore.acquire().await;
    ///     assert!(semaphore.try_acquire().is_err());
    ///     drop(permit);
    ///     assert!(semaphore.try_acquire().is_ok());
    /// });
    /// ```
    pub async fn acquire(&self) -> SemaphorePermit<'_> {
        self.semaphore.acquire().await
    }

    /// Wait for `permits` permits, as [`Semaphore::acquire_many`].
    ///
    /// # Panics
    /// If `permits` exceeds [`MAX_PERMITS`].
    ///
    /// ```
    /// let semaphore = aio_sync::BoundedSemaphore::new(3);
    /// let permits = aio_executor::block_on(semaphore.acquire_many(3));
    /// assert_eq!((permits.num_permits(), semaphore.available_permits()), (3, 0));
    /// ```
    pub async fn acquire_many(&self, permits: usize) -> SemaphorePermit<'_> {
        self.semaphore.acquire_many(permits).await
    }

    /// Wait for one permit through an `Arc`, as [`Semaphore::acquire_owned`].
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let semaphore = Arc::new(aio_sync::BoundedSemaphore::new(1));
    /// aio_executor::block_on(async {
    ///     let permit = Arc::clone(&semaphore).acquire_owned().await;
    ///     aio_executor::spawn(async move { drop(permit) }).await.unwrap();
    ///     assert_eq!(semaphore.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> OwnedSemaphorePermit {
        self.semaphore.acquire_raw(1).await;
        OwnedSemaphorePermit {
            owner: PermitOwner::Bounded(self),
            permits: 1,
        }
    }

    /// Take a permit if one is available and nobody waits.
    ///
    /// ```
    /// let semaphore = aio_sync::BoundedSemaphore::new(1);
    /// let _permit = semaphore.try_acquire().unwrap();
    /// assert!(semaphore.try_acquire().is_err());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.semaphore.try_acquire()
    }

    /// Take `permits` permits if that many are available and nobody waits.
    ///
    /// ```
    /// let semaphore = aio_sync::BoundedSemaphore::new(2);
    /// assert!(semaphore.try_acquire_many(3).is_err(), "more than the bound");
    /// assert_eq!(semaphore.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn try_acquire_many(&self, permits: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.semaphore.try_acquire_many(permits)
    }

    /// Give back one permit that was acquired and forgotten (asyncio's
    /// `release()`). Refused when the bound's worth of permits already
    /// exists; nothing changes then.
    ///
    /// ```
    /// let semaphore = aio_sync::BoundedSemaphore::new(1);
    /// semaphore.try_acquire().unwrap().forget();
    /// semaphore.release().unwrap();
    /// assert!(semaphore.release().is_err(), "one release too many");
    /// ```
    pub fn release(&self) -> Result<(), BoundedSemaphoreError> {
        self.add_permits(1)
    }

    /// Add `permits` permits, refused (all or nothing) when more than the
    /// bound would then exist.
    ///
    /// ```
    /// let semaphore = aio_sync::BoundedSemaphore::new(2);
    /// semaphore.try_acquire_many(2).unwrap().forget();
    /// assert!(semaphore.add_permits(3).is_err(), "all or nothing");
    /// semaphore.add_permits(2).unwrap();
    /// assert_eq!(semaphore.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, permits: usize) -> Result<(), BoundedSemaphoreError> {
        self.semaphore
            .add_within(permits, self.bound)
            .map_err(|existing| BoundedSemaphoreError {
                bound: self.bound,
                existing,
                added: permits,
            })
    }
}

impl fmt::Debug for BoundedSemaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedSemaphore")
            .field("available_permits", &self.available_permits())
            .field("bound", &self.bound)
            .finish()
    }
}

/// A [`BoundedSemaphore`] was released (or given permits) above its bound,
/// asyncio's `ValueError: BoundedSemaphore released too many times`.
///
/// ```
/// let semaphore = aio_sync::BoundedSemaphore::new(1);
/// let error = semaphore.release().unwrap_err();
/// assert!(error.to_string().starts_with("BoundedSemaphore released too many times"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedSemaphoreError {
    bound: usize,
    existing: usize,
    added: usize,
}

impl BoundedSemaphoreError {
    /// The semaphore's bound.
    ///
    /// ```
    /// let error = aio_sync::BoundedSemaphore::new(4).add_permits(1).unwrap_err();
    /// assert_eq!(error.bound(), 4);
    /// ```
    pub fn bound(&self) -> usize {
        self.bound
    }
}

impl fmt::Display for BoundedSemaphoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "BoundedSemaphore released too many times: {} permits exist, {} more would exceed its bound of {}",
            self.existing, self.added, self.bound
        )
    }
}

impl Error for BoundedSemaphoreError {}
