//! `Condition` (asyncio.Condition): wait, with a [`Mutex`] released, until
//! another task notifies.

use crate::lock::{Mutex, MutexGuard};
use crate::std_or_loom::{lock, Mutex as StateMutex};
use crate::waiters::{Removed, WaitList, WaiterKey, Wakeups};
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};

/// A condition variable for tasks (asyncio.Condition), used with a
/// [`Mutex`]'s guard.
///
/// [`wait`](Condition::wait) queues the task, unlocks the mutex, waits to
/// be notified, locks the mutex again and returns the guard. Notifications
/// go to waiters in the order they started waiting; a notification with
/// nobody waiting is not remembered (as in asyncio), which is why a waiter
/// checks its predicate under the lock: [`wait_while`](Condition::wait_while)
/// and [`wait_for`](Condition::wait_for) do that loop.
///
/// Cancel-safe: a `wait` dropped before it was notified just leaves the
/// queue; one dropped after its notification but before it returned (it
/// may be re-locking the mutex) passes the notification to the next waiter,
/// so no wake-up is lost.
///
/// Use one condition with one mutex: the condition does not check which
/// mutex a guard belongs to.
///
/// ```
/// use aio_sync::{Condition, Mutex};
/// use std::sync::Arc;
///
/// aio_executor::block_on(async {
///     let ready = Arc::new((Mutex::new(false), Condition::new()));
///     let waiter = {
///         let ready = Arc::clone(&ready);
///         aio_executor::spawn(async move {
///             let (flag, condition) = &*ready;
///             let guard = condition.wait_for(flag.lock().await, |ready| *ready).await;
///             assert!(*guard);
///         })
///     };
///     let (flag, condition) = &*ready;
///     *flag.lock().await = true;
///     condition.notify_all();
///     waiter.await.unwrap();
/// });
/// ```
pub struct Condition {
    waiters: StateMutex<WaitList<()>>,
}

impl Condition {
    /// A condition nobody waits on.
    ///
    /// ```
    /// let condition = aio_sync::Condition::new();
    /// assert_eq!(condition.notify(1), 0, "nobody waits yet");
    /// ```
    pub fn new() -> Condition {
        Condition {
            waiters: StateMutex::new(WaitList::new()),
        }
    }

    /// Unlock `guard`'s mutex, wait for a notification, lock it again.
    ///
    /// The task is queued before the mutex is unlocked, so a notification
    /// sent by whoever takes the mutex next is never missed. Wake-ups come
    /// only from notifications, but another task may change the data before
    /// this one re-locks: check the condition again (or use
    /// [`wait_while`](Condition::wait_while)).
    ///
    /// ```
    /// use aio_sync::{Condition, Mutex};
    /// use std::sync::Arc;
    ///
    /// let shared = Arc::new((Mutex::new(0), Condition::new()));
    /// aio_executor::block_on(async {
    ///     let waiter = aio_executor::spawn({
    ///         let shared = Arc::clone(&shared);
    ///         async move {
    ///             let (count, condition) = &*shared;
    ///             let mut guard = count.lock().await;
    ///             while *guard == 0 {
    ///                 guard = condition.wait(guard).await; // unlocks while waiting
    ///             }
    ///             *guard
    ///         }
    ///     });
    ///     aio_executor::yield_now().await; // the waiter is queued now
    ///     let (count, condition) = &*shared;
    ///     *count.lock().await = 5;
    ///     condition.notify_one();
    ///     assert_eq!(waiter.await.unwrap(), 5);
    /// });
    /// ```
    pub async fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let mutex: &'a Mutex<T> = MutexGuard::mutex(&guard);
        // Queue before unlocking, so a notification sent by whoever locks
        // the mutex next finds us.
        let waker = poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
        let notified = Notified {
            condition: self,
            waiter: Some(lock(&self.waiters).push_back((), waker)),
        };
        drop(guard);
        notified.await;
        // From here the notification is ours; if we are dropped before
        // returning, it goes on to the next waiter.
        let pass_on = PassOnNotification {
            condition: self,
            armed: true,
        };
        let guard = mutex.lock().await;
        pass_on.disarm();
        guard
    }

    /// Wait while `condition` holds for the guarded value, re-checking it
    /// with the mutex locked after every notification.
    ///
    /// ```
    /// use aio_sync::{Condition, Mutex};
    /// use std::sync::Arc;
    ///
    /// let shared = Arc::new((Mutex::new(Vec::<u32>::new()), Condition::new()));
    /// aio_executor::block_on(async {
    ///     let consumer = aio_executor::spawn({
    ///         let shared = Arc::clone(&shared);
    ///         async move {
    ///             let (items, condition) = &*shared;
    ///             let mut items = condition.wait_while(items.lock().await, |items| items.is_empty()).await;
    ///             items.pop()
    ///         }
    ///     });
    ///     let (items, condition) = &*shared;
    ///     items.lock().await.push(9);
    ///     condition.notify_all();
    ///     assert_eq!(consumer.await.unwrap(), Some(9));
    /// });
    /// ```
    pub async fn wait_while<'a, T: ?Sized, F>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: F,
    ) -> MutexGuard<'a, T>
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut *guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Wait until `predicate` holds (asyncio's `wait_for`): the opposite
    /// test of [`wait_while`](Condition::wait_while).
    ///
    /// ```
    /// use aio_sync::{Condition, Mutex};
    ///
    /// let (count, condition) = (Mutex::new(3), Condition::new());
    /// aio_executor::block_on(async {
    ///     // Already true: returns at once, the mutex still locked.
    ///     let guard = condition.wait_for(count.lock().await, |n| *n >= 3).await;
    ///     assert_eq!(*guard, 3);
    /// });
    /// ```
    pub async fn wait_for<'a, T: ?Sized, F>(
        &self,
        guard: MutexGuard<'a, T>,
        mut predicate: F,
    ) -> MutexGuard<'a, T>
    where
        F: FnMut(&mut T) -> bool,
    {
        self.wait_while(guard, |value| !predicate(value)).await
    }

    /// Wake the longest-waiting task, if any.
    ///
    /// ```
    /// use aio_sync::{Condition, Mutex};
    /// use std::sync::Arc;
    ///
    /// let shared = Arc::new((Mutex::new(false), Condition::new()));
    /// aio_executor::block_on(async {
    ///     let waiter = aio_executor::spawn({
    ///         let shared = Arc::clone(&shared);
    ///         async move {
    ///             let (flag, condition) = &*shared;
    ///             drop(condition.wait_for(flag.lock().await, |set| *set).await);
    ///         }
    ///     });
    ///     let (flag, condition) = &*shared;
    ///     *flag.lock().await = true;
    ///     condition.notify_one();
    ///     waiter.await.unwrap();
    /// });
    /// ```
    pub fn notify_one(&self) {
        self.notify(1);
    }

    /// Wake up to `n` waiting tasks, longest-waiting first (asyncio's
    /// `notify(n)`). Returns how many were woken.
    ///
    /// ```
    /// use aio_sync::{Condition, Mutex};
    /// use std::sync::Arc;
    ///
    /// let shared = Arc::new((Mutex::new(()), Condition::new()));
    /// aio_executor::block_on(async {
    ///     let waiters: Vec<_> = (0..3)
    ///         .map(|_| {
    ///             let shared = Arc::clone(&shared);
    ///             aio_executor::spawn(async move {
    ///                 let (mutex, condition) = &*shared;
    ///                 drop(condition.wait(mutex.lock().await).await);
    ///             })
    ///         })
    ///         .collect();
    ///     aio_executor::yield_now().await; // all three are waiting now
    ///     let condition = &shared.1;
    ///     assert_eq!(condition.notify(2), 2);
    ///     assert_eq!(condition.notify(5), 1, "only one was left");
    ///     for waiter in waiters {
    ///         waiter.await.unwrap();
    ///     }
    /// });
    /// ```
    pub fn notify(&self, n: usize) -> usize {
        let mut waiters = lock(&self.waiters);
        let mut wakeups = Wakeups::new();
        let mut woken = 0;
        while woken < n && !waiters.is_empty() {
            wakeups.push(waiters.grant_front());
            woken += 1;
        }
        drop(waiters);
        wakeups.wake_all();
        woken
    }

    /// Wake every waiting task.
    ///
    /// ```
    /// use aio_sync::{Condition, Mutex};
    /// use std::sync::Arc;
    ///
    /// let shared = Arc::new((Mutex::new(()), Condition::new()));
    /// aio_executor::block_on(async {
    ///     let waiters: Vec<_> = (0..2)
    ///         .map(|_| {
    ///             let shared = Arc::clone(&shared);
    ///             aio_executor::spawn(async move {
    ///                 let (mutex, condition) = &*shared;
    ///                 drop(condition.wait(mutex.lock().await).await);
    ///             })
    ///         })
    ///         .collect();
    ///     aio_executor::yield_now().await;
    ///     shared.1.notify_all();
    ///     for waiter in waiters {
    ///         waiter.await.unwrap();
    ///     }
    ///     assert_eq!(shared.1.notify(1), 0, "nobody is left waiting");
    /// });
    /// ```
    pub fn notify_all(&self) {
        self.notify(usize::MAX);
    }
}

impl Default for Condition {
    fn default() -> Condition {
        Condition::new()
    }
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("waiters", &lock(&self.waiters).len())
            .finish()
    }
}

/// A queued waiter; resolves once notified. Dropped before that, it leaves
/// the queue, and passes on a notification it got but did not take.
struct Notified<'a> {
    condition: &'a Condition,
    waiter: Option<WaiterKey>,
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match &this.waiter {
            None => Poll::Ready(()),
            Some(key) => {
                let granted = lock(&this.condition.waiters).take_grant(key, cx.waker());
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

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(key) = self.waiter.take() else {
            return;
        };
        let granted = matches!(
            lock(&self.condition.waiters).remove(key),
            Removed::Granted(())
        );
        if granted {
            self.condition.notify_one();
        }
    }
}

/// Passes a consumed notification on unless disarmed.
struct PassOnNotification<'a> {
    condition: &'a Condition,
    armed: bool,
}

impl PassOnNotification<'_> {
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for PassOnNotification<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.condition.notify_one();
        }
    }
}
