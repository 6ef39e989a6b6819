//! `Mutex<T>` (asyncio.Lock, guarding data) and `RwLock<T>`, both on the
//! FIFO [`Semaphore`] core: a mutex is a semaphore of one permit, a
//! read-write lock one of `MAX_READS` permits where a read takes one and a
//! write takes them all.
//!
//! This is the crate's only module with `unsafe` code: handing out `&T` and
//! `&mut T` from an `UnsafeCell` while the semaphore says we may. It is
//! needed for the API itself, not for speed: a guard must be `Send` and
//! live across `.await`s, which no safe std lock guard allows.

use crate::semaphore::Semaphore;
use std::cell::UnsafeCell;
use std::error::Error;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// An async mutual-exclusion lock owning the data it guards
/// (asyncio.Lock, tokio::sync::Mutex).
///
/// [`lock`](Mutex::lock) waits, without blocking the thread, until no other
/// task holds the lock, then returns a guard that gives access to the data
/// and unlocks when dropped; a guard may be held across `.await`s and moved
/// between threads. Waiters get the lock in the order they asked for it,
/// and a `lock()` future dropped at any point loses nothing: if the lock had
/// just been handed to it, it goes to the next waiter.
///
/// ```
/// use aio_sync::Mutex;
/// use std::sync::Arc;
///
/// aio_executor::block_on(async {
///     let counter = Arc::new(Mutex::new(0));
///     let tasks: Vec<_> = (0..10)
///         .map(|_| {
///             let counter = Arc::clone(&counter);
///             aio_executor::spawn(async move {
///                 let mut value = counter.lock().await;
///                 aio_executor::yield_now().await; // still ours across an await
///                 *value += 1;
///             })
///         })
///         .collect();
///     for task in tasks {
///         task.await.unwrap();
///     }
///     assert_eq!(*counter.lock().await, 10);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    semaphore: Semaphore,
    value: UnsafeCell<T>,
}

// SAFETY: the mutex hands its value to one guard at a time, possibly on
// another thread, so it may be shared when the value may be sent; it moves
// with its value.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above: shared access only ever yields exclusive access to the
// value, one guard at a time, so `T: Send` suffices (as for std's Mutex).
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// An unlocked mutex guarding `value`.
    ///
    /// ```
    /// let mutex = aio_sync::Mutex::new(vec![1, 2]);
    /// assert_eq!(mutex.try_lock().unwrap().len(), 2);
    /// ```
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            semaphore: Semaphore::new(1),
            value: UnsafeCell::new(value),
        }
    }

    /// The guarded value, consuming the mutex.
    ///
    /// ```
    /// let mutex = aio_sync::Mutex::new(String::from("kept"));
    /// assert_eq!(mutex.into_inner(), "kept");
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Wait for the lock. Fair: waiters are served in arrival order.
    ///
    /// ```
    /// let mutex = aio_sync::Mutex::new(0);
    /// aio_executor::block_on(async {
    ///     *mutex.lock().await += 1;
    ///     assert_eq!(*mutex.lock().await, 1);
    /// });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.semaphore.acquire_raw(1).await;
        MutexGuard { mutex: self }
    }

    /// Take the lock if it is free and nobody waits for it.
    ///
    /// ```
    /// use aio_sync::Mutex;
    ///
    /// let mutex = Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(mutex.try_lock().is_err());
    /// drop(guard);
    /// assert_eq!(*mutex.try_lock().unwrap(), 1);
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        if self.semaphore.try_acquire_raw(1) {
            Ok(MutexGuard { mutex: self })
        } else {
            Err(TryLockError(()))
        }
    }

    /// Wait for the lock through an `Arc`: the guard is `'static` and can
    /// move into a spawned task.
    ///
    /// ```
    /// use aio_sync::Mutex;
    /// use std::sync::Arc;
    ///
    /// aio_executor::block_on(async {
    ///     let shared = Arc::new(Mutex::new(Vec::new()));
    ///     let mut guard = Arc::clone(&shared).lock_owned().await;
    ///     let task = aio_executor::spawn(async move { guard.push(1) });
    ///     task.await.unwrap();
    ///     assert_eq!(*shared.lock().await, [1]);
    /// });
    /// ```
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        self.semaphore.acquire_raw(1).await;
        OwnedMutexGuard { mutex: self }
    }

    /// [`try_lock`](Mutex::try_lock) through an `Arc`.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let mutex = Arc::new(aio_sync::Mutex::new(1));
    /// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
    /// assert!(Arc::clone(&mutex).try_lock_owned().is_err());
    /// drop(guard);
    /// assert!(mutex.try_lock_owned().is_ok());
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        if self.semaphore.try_acquire_raw(1) {
            Ok(OwnedMutexGuard { mutex: self })
        } else {
            Err(TryLockError(()))
        }
    }

    /// The value, through exclusive access to the mutex (no locking needed).
    ///
    /// ```
    /// let mut mutex = aio_sync::Mutex::new(1);
    /// *mutex.get_mut() = 2;
    /// assert_eq!(mutex.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(guard) => out.field("value", &&*guard),
            Err(_) => out.field("value", &format_args!("<locked>")),
        };
        out.finish()
    }
}

/// Access to a [`Mutex`]'s value; unlocks when dropped.
///
/// ```
/// let mutex = aio_sync::Mutex::new(1);
/// let mut guard = mutex.try_lock().unwrap();
/// *guard += 1; // DerefMut: the data itself
/// drop(guard); // unlocks
/// assert_eq!(*mutex.try_lock().unwrap(), 2);
/// ```
#[must_use = "the mutex unlocks at once if the guard is not kept"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
}

// SAFETY: `&MutexGuard` gives `&T` to whoever shares it, so sharing needs
// `T: Sync` (the automatic impl would only ask for `T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks (an associated function, so it does not
    /// shadow a method of `T`).
    ///
    /// ```
    /// use aio_sync::{Mutex, MutexGuard};
    ///
    /// let mutex = Mutex::new(1);
    /// let guard = mutex.try_lock().unwrap();
    /// assert!(std::ptr::eq(MutexGuard::mutex(&guard), &mutex));
    /// ```
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.mutex
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit, so no other
        // reference to the value exists until it is dropped; the permit was
        // taken with Acquire ordering, so earlier holders' writes are seen.
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access
        // through the guard.
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// Access to the value of a [`Mutex`] held through an `Arc`; unlocks when
/// dropped.
///
/// ```
/// use std::sync::Arc;
///
/// let mutex = Arc::new(aio_sync::Mutex::new(0));
/// let mut guard = Arc::clone(&mutex).try_lock_owned().unwrap();
/// // 'static: it can move to another thread (or task) and unlock there.
/// std::thread::spawn(move || *guard = 7).join().unwrap();
/// assert_eq!(*mutex.try_lock().unwrap(), 7);
/// ```
#[must_use = "the mutex unlocks at once if the guard is not kept"]
pub struct OwnedMutexGuard<T: ?Sized> {
    mutex: Arc<Mutex<T>>,
}

// SAFETY: `&OwnedMutexGuard` gives `&T`, so sharing it needs `T: Sync`.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    ///
    /// ```
    /// use aio_sync::{Mutex, OwnedMutexGuard};
    /// use std::sync::Arc;
    ///
    /// let mutex = Arc::new(Mutex::new(1));
    /// let guard = Arc::clone(&mutex).try_lock_owned().unwrap();
    /// assert!(Arc::ptr_eq(OwnedMutexGuard::mutex(&guard), &mutex));
    /// ```
    pub fn mutex(this: &Self) -> &Arc<Mutex<T>> {
        &this.mutex
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit (see MutexGuard).
        unsafe { &*self.mutex.value.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the mutex's only permit (see MutexGuard).
        unsafe { &mut *self.mutex.value.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.mutex.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// `try_lock`, `try_read` or `try_write` found the lock taken (or others
/// waiting for it).
///
/// ```
/// let mutex = aio_sync::Mutex::new(());
/// let _held = mutex.try_lock().unwrap();
/// let error = mutex.try_lock().unwrap_err();
/// assert_eq!(error.to_string(), "the lock is held or awaited by another task");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the lock is held or awaited by another task")
    }
}

impl Error for TryLockError {}

/// How many readers may hold a [`RwLock`] at once; a writer takes them all.
const MAX_READS: usize = (u32::MAX >> 3) as usize;

/// An async read-write lock: many readers or one writer
/// (tokio::sync::RwLock; asyncio has none).
///
/// Fair: requests are served in arrival order, so a waiting writer holds
/// back the readers that come after it (writers cannot starve), and readers
/// queued together behind a writer get in together when it leaves.
/// Cancel-safe like [`Mutex`].
///
/// ```
/// use aio_sync::RwLock;
///
/// aio_executor::block_on(async {
///     let config = RwLock::new(String::from("v1"));
///     {
///         let a = config.read().await;
///         let b = config.read().await; // readers share
///         assert_eq!(*a, *b);
///     }
///     config.write().await.push_str("-patched");
///     assert_eq!(*config.read().await, "v1-patched");
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    semaphore: Semaphore,
    value: UnsafeCell<T>,
}

// SAFETY: the lock moves with its value.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: sharing the lock shares `&T` between readers (needs `T: Sync`)
// and hands `&mut T` to writers on any thread (needs `T: Send`).
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// An unlocked read-write lock guarding `value`.
    ///
    /// ```
    /// let lock = aio_sync::RwLock::new(3);
    /// assert_eq!(*lock.try_read().unwrap(), 3);
    /// ```
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            semaphore: Semaphore::new(MAX_READS),
            value: UnsafeCell::new(value),
        }
    }

    /// The guarded value, consuming the lock.
    ///
    /// ```
    /// let lock = aio_sync::RwLock::new(vec![1]);
    /// assert_eq!(lock.into_inner(), [1]);
    /// ```
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Wait for shared access, behind every earlier request.
    ///
    /// ```
    /// let lock = aio_sync::RwLock::new(1);
    /// aio_executor::block_on(async {
    ///     let (a, b) = (lock.read().await, lock.read().await); // shared
    ///     assert_eq!(*a + *b, 2);
    /// });
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.semaphore.acquire_raw(1).await;
        RwLockReadGuard { lock: self }
    }

    /// Wait for exclusive access, behind every earlier request; later
    /// readers wait behind it.
    ///
    /// ```
    /// let lock = aio_sync::RwLock::new(1);
    /// aio_executor::block_on(async {
    ///     let mut writer = lock.write().await;
    ///     *writer += 1;
    ///     assert!(lock.try_read().is_err(), "nobody reads while it writes");
    ///     drop(writer);
    ///     assert_eq!(*lock.read().await, 2);
    /// });
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.semaphore.acquire_raw(MAX_READS).await;
        RwLockWriteGuard { lock: self }
    }

    /// Take shared access if no writer holds or awaits the lock.
    ///
    /// ```
    /// use aio_sync::RwLock;
    ///
    /// let lock = RwLock::new(5);
    /// let reader = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_err());
    /// assert_eq!(*lock.try_read().unwrap(), *reader);
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        if self.semaphore.try_acquire_raw(1) {
            Ok(RwLockReadGuard { lock: self })
        } else {
            Err(TryLockError(()))
        }
    }

    /// Take exclusive access if nobody holds or awaits the lock.
    ///
    /// ```
    /// let lock = aio_sync::RwLock::new(1);
    /// *lock.try_write().unwrap() = 2;
    /// let reader = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_err());
    /// assert_eq!(*reader, 2);
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        if self.semaphore.try_acquire_raw(MAX_READS) {
            Ok(RwLockWriteGuard { lock: self })
        } else {
            Err(TryLockError(()))
        }
    }

    /// The value, through exclusive access to the lock (no locking needed).
    ///
    /// ```
    /// let mut lock = aio_sync::RwLock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(guard) => out.field("value", &&*guard),
            Err(_) => out.field("value", &format_args!("<locked>")),
        };
        out.finish()
    }
}

/// Shared access to a [`RwLock`]'s value; released when dropped.
///
/// ```
/// let lock = aio_sync::RwLock::new(String::from("v1"));
/// let guard = lock.try_read().unwrap();
/// assert_eq!(guard.len(), 2); // Deref to the value
/// assert!(lock.try_write().is_err());
/// drop(guard);
/// assert!(lock.try_write().is_ok());
/// ```
#[must_use = "the read lock is released at once if the guard is not kept"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds one of the lock's permits, so no writer
        // (who needs all of them) holds it until the guard is dropped; other
        // readers only take `&T` too.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(1);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive access to a [`RwLock`]'s value; released when dropped.
///
/// ```
/// let lock = aio_sync::RwLock::new(String::from("v1"));
/// let mut guard = lock.try_write().unwrap();
/// guard.push_str("-patched"); // DerefMut to the value
/// drop(guard);
/// assert_eq!(*lock.try_read().unwrap(), "v1-patched");
/// ```
#[must_use = "the write lock is released at once if the guard is not kept"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds all of the lock's permits: no other guard
        // exists until it is dropped.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.semaphore.release(MAX_READS);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
