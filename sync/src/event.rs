//! asyncio's `Event`: a flag that tasks can wait for.

use crate::std_or_loom::{lock, Mutex};
use crate::waiters::{WaitList, WaiterKey, Wakeups};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

struct State {
    set: bool,
    waiters: WaitList<()>,
}

/// asyncio's `Event`: [`wait`](Event::wait) returns once the event is set;
/// [`set`](Event::set) releases every task waiting, and later waits return
/// at once until [`clear`](Event::clear).
///
/// Share it with `Arc` (or by reference). A waiter released by `set` returns
/// even if the event is cleared again before it runs, as in asyncio.
///
/// ```
/// use aio_sync::Event;
/// use std::sync::Arc;
///
/// aio_executor::block_on(async {
///     let ready = Arc::new(Event::new());
///     let waiter = {
///         let ready = Arc::clone(&ready);
///         aio_executor::spawn(async move {
///             ready.wait().await;
///             "went on"
///         })
///     };
///     ready.set();
///     assert_eq!(waiter.await.unwrap(), "went on");
/// });
/// ```
pub struct Event {
    state: Mutex<State>,
}

impl Event {
    /// An event that is not set.
    ///
    /// ```
    /// let event = aio_sync::Event::new();
    /// assert!(!event.is_set());
    /// ```
    pub fn new() -> Self {
        Event {
            state: Mutex::new(State {
                set: false,
                waiters: WaitList::new(),
            }),
        }
    }

    /// Set the event and wake every task waiting for it.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let event = Arc::new(aio_sync::Event::new());
    /// aio_executor::block_on(async {
    ///     let waiter = aio_executor::spawn({
    ///         let event = Arc::clone(&event);
    ///         async move { event.wait().await }
    ///     });
    ///     event.set(); // releases the waiter
    ///     waiter.await.unwrap();
    /// });
    /// ```
    pub fn set(&self) {
        let mut wakeups = Wakeups::new();
        {
            let mut state = lock(&self.state);
            state.set = true;
            state.waiters.grant_all(&mut wakeups);
        }
        wakeups.wake_all();
    }

    /// Unset the event: later waits wait again for [`set`](Self::set).
    ///
    /// ```
    /// let event = aio_sync::Event::new();
    /// event.set();
    /// event.clear();
    /// assert!(!event.is_set());
    /// ```
    pub fn clear(&self) {
        lock(&self.state).set = false;
    }

    /// Whether the event is set.
    ///
    /// ```
    /// let event = aio_sync::Event::new();
    /// assert!(!event.is_set());
    /// event.set();
    /// assert!(event.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        lock(&self.state).set
    }

    /// Wait until the event is set; at once if it is set now.
    ///
    /// Cancel-safe: dropping the future just stops waiting.
    ///
    /// ```
    /// let event = aio_sync::Event::new();
    /// event.set();
    /// aio_executor::block_on(event.wait());
    /// ```
    pub fn wait(&self) -> impl Future<Output = ()> + '_ {
        Wait {
            event: self,
            key: None,
        }
    }
}

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Event")
            .field("set", &state.set)
            .field("waiters", &state.waiters.len())
            .finish()
    }
}

struct Wait<'a> {
    event: &'a Event,
    key: Option<WaiterKey>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = lock(&self.event.state);
        match &self.key {
            None if state.set => Poll::Ready(()),
            None => {
                let key = state.waiters.push_back((), cx.waker().clone());
                drop(state);
                self.key = Some(key);
                Poll::Pending
            }
            Some(key) => match state.waiters.take_grant(key, cx.waker()) {
                None => Poll::Pending,
                // Released by `set`, whatever the flag is now.
                Some(()) => {
                    drop(state);
                    self.key = None;
                    Poll::Ready(())
                }
            },
        }
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(&self.event.state).waiters.remove(key);
        }
    }
}
