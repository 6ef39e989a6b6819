//! The one queue behind `Queue`, `LifoQueue` and `PriorityQueue`, generic
//! over where items are kept (`Storage`).
//!
//! Everything happens under one `Mutex` per queue; an uncontended put or
//! get takes it once and allocates nothing (waiter nodes are reused).
//!
//! Fairness and cancel-safety come from two hand-offs:
//! - a put that finds getters waiting gives its item straight to the oldest
//!   one (into that getter's waiter node), so a later `get` cannot overtake
//!   it;
//! - a get that frees room takes the oldest waiting putter's item from its
//!   node into the queue, so putters' items enter in arrival order and a
//!   putter is done (its item is in) even if it is dropped before it runs.
//!
//! An item handed to a getter still counts toward `len` and `maxsize`
//! (`reserved`) until that getter runs; a getter dropped before that gives
//! the item to the next waiting getter, or back to the front of the queue.

use super::error::{QueueShutDown, TaskDoneError, TryGetError, TryPutError};
use super::storage::Storage;
use crate::std_or_loom::{lock, Arc, Mutex, MutexGuard};
use crate::waiters::{Removed, WaitList, WaiterKey, Wakeups};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifecycle {
    Open,
    /// `shutdown()`: no more puts; gets drain what is left, then fail.
    Draining,
    /// `shutdown_immediate()`: items discarded, everything fails at once.
    Discarded,
}

struct State<T, S> {
    storage: S,
    /// 0: unbounded.
    maxsize: usize,
    /// Items handed to a getter that has not run yet.
    reserved: usize,
    /// Each waiting getter's node receives the item handed to it.
    getters: WaitList<Option<T>>,
    /// Each waiting putter's node holds its item until the queue takes it.
    putters: WaitList<Option<T>>,
    joiners: WaitList<()>,
    /// Items put and not yet marked done with `task_done`.
    unfinished: usize,
    lifecycle: Lifecycle,
}

impl<T, S: Storage<T>> State<T, S> {
    fn len(&self) -> usize {
        self.storage.len() + self.reserved
    }

    fn is_full(&self) -> bool {
        self.maxsize != 0 && self.len() >= self.maxsize
    }

    /// Accept an item (there is room): to the oldest waiting getter, else
    /// into storage. Returns the getter to wake.
    fn accept(&mut self, item: T) -> Option<Waker> {
        let waker = match self.getters.front_mut() {
            Some(slot) => {
                *slot = Some(item);
                self.reserved += 1;
                self.getters.grant_front()
            }
            None => {
                self.storage.push(item);
                None
            }
        };
        self.unfinished += 1;
        waker
    }

    /// One place was freed: let the oldest waiting putter's item in.
    fn admit_putter(&mut self, wakeups: &mut Wakeups) {
        if self.is_full() {
            return;
        }
        // A waiting putter's node holds its item until it is granted.
        if let Some(item) = self.putters.front_mut().and_then(Option::take) {
            wakeups.push(self.putters.grant_front());
            let getter = self.accept(item);
            wakeups.push(getter);
        }
    }

    fn take_stored(&mut self, wakeups: &mut Wakeups) -> Option<T> {
        let item = self.storage.pop()?;
        self.admit_putter(wakeups);
        Some(item)
    }

    /// An item reserved for a getter that was dropped: to the next waiting
    /// getter, else back where the next get finds it first.
    fn return_reserved(&mut self, item: T) -> Option<Waker> {
        match self.getters.front_mut() {
            Some(slot) => {
                *slot = Some(item);
                self.getters.grant_front()
            }
            None => {
                self.reserved -= 1;
                self.storage.push_returned(item);
                None
            }
        }
    }
}

/// The shared handle: the state behind an `Arc`, cloned cheaply.
pub(crate) struct Engine<T, S> {
    shared: Arc<Mutex<State<T, S>>>,
}

impl<T, S> Clone for Engine<T, S> {
    fn clone(&self) -> Self {
        Engine {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T, S: Storage<T>> Engine<T, S> {
    /// `Debug` for the public queue type called `name`.
    pub(crate) fn debug_as(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct(name)
            .field("len", &state.len())
            .field("maxsize", &state.maxsize)
            .field("unfinished", &state.unfinished)
            .field("waiting_getters", &state.getters.len())
            .field("waiting_putters", &state.putters.len())
            .field("lifecycle", &state.lifecycle)
            .finish()
    }
}

impl<T, S: Storage<T>> Engine<T, S> {
    pub(crate) fn new(maxsize: usize) -> Self {
        Engine {
            shared: Arc::new(Mutex::new(State {
                storage: S::default(),
                maxsize,
                reserved: 0,
                getters: WaitList::new(),
                putters: WaitList::new(),
                joiners: WaitList::new(),
                unfinished: 0,
                lifecycle: Lifecycle::Open,
            })),
        }
    }

    fn state(&self) -> MutexGuard<'_, State<T, S>> {
        lock(&self.shared)
    }

    pub(crate) fn put(&self, item: T) -> Put<'_, T, S> {
        Put {
            engine: self,
            item: Some(item),
            key: None,
        }
    }

    pub(crate) fn get(&self) -> Get<'_, T, S> {
        Get {
            engine: self,
            key: None,
        }
    }

    pub(crate) fn join(&self) -> Join<'_, T, S> {
        Join {
            engine: self,
            key: None,
        }
    }

    pub(crate) fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let getter = {
            let mut state = self.state();
            if state.lifecycle != Lifecycle::Open {
                return Err(TryPutError::ShutDown(item));
            }
            if state.is_full() {
                return Err(TryPutError::Full(item));
            }
            state.accept(item)
        };
        if let Some(waker) = getter {
            waker.wake();
        }
        Ok(())
    }

    pub(crate) fn try_get(&self) -> Result<T, TryGetError> {
        let mut wakeups = Wakeups::new();
        let result = {
            let mut state = self.state();
            match state.take_stored(&mut wakeups) {
                Some(item) => Ok(item),
                None if state.lifecycle != Lifecycle::Open => Err(TryGetError::ShutDown),
                None => Err(TryGetError::Empty),
            }
        };
        wakeups.wake_all();
        result
    }

    pub(crate) fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut joiners = Wakeups::new();
        {
            let mut state = self.state();
            if state.unfinished == 0 {
                return Err(TaskDoneError);
            }
            state.unfinished -= 1;
            if state.unfinished == 0 {
                state.joiners.grant_all(&mut joiners);
            }
        }
        joiners.wake_all();
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.state().len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.state().is_full()
    }

    pub(crate) fn maxsize(&self) -> usize {
        self.state().maxsize
    }

    pub(crate) fn unfinished_tasks(&self) -> usize {
        self.state().unfinished
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.state().lifecycle != Lifecycle::Open
    }

    pub(crate) fn shutdown(&self) {
        let mut wakeups = Wakeups::new();
        {
            let mut state = self.state();
            if state.lifecycle == Lifecycle::Open {
                state.lifecycle = Lifecycle::Draining;
            }
            // Granted with their item still in their node: they fail.
            state.putters.grant_all(&mut wakeups);
            // Granted with no item: they drain what is left, then fail.
            state.getters.grant_all(&mut wakeups);
        }
        wakeups.wake_all();
    }

    pub(crate) fn shutdown_immediate(&self) {
        let mut wakeups = Wakeups::new();
        let (stored, reserved) = {
            let mut state = self.state();
            state.lifecycle = Lifecycle::Discarded;
            let stored = std::mem::take(&mut state.storage);
            let mut reserved = Vec::with_capacity(state.reserved);
            state
                .getters
                .for_each_data_mut(|slot| reserved.extend(slot.take()));
            state.reserved = 0;
            // Discarded items count as done, as in Python; items already
            // got still await their task_done.
            let discarded = stored.len() + reserved.len();
            state.unfinished = state.unfinished.saturating_sub(discarded);
            state.putters.grant_all(&mut wakeups);
            state.getters.grant_all(&mut wakeups);
            if state.unfinished == 0 {
                state.joiners.grant_all(&mut wakeups);
            }
            (stored, reserved)
        };
        // Items' destructors run outside the lock: they may use the queue.
        drop(stored);
        drop(reserved);
        wakeups.wake_all();
    }
}

/// The future of `put`: done once the queue has accepted the item.
pub(crate) struct Put<'a, T, S> {
    engine: &'a Engine<T, S>,
    /// The item until the first poll, which either accepts it or parks it
    /// in the putter's waiter node.
    item: Option<T>,
    key: Option<WaiterKey>,
}

// The item is only moved, never pinned.
impl<T, S> Unpin for Put<'_, T, S> {}

impl<T, S: Storage<T>> Future for Put<'_, T, S> {
    type Output = Result<(), QueueShutDown<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut state = this.engine.state();
        let Some(key) = &this.key else {
            let Some(item) = this.item.take() else {
                panic!("queue put future polled after it completed");
            };
            if state.lifecycle != Lifecycle::Open {
                return Poll::Ready(Err(QueueShutDown(item)));
            }
            if state.is_full() {
                this.key = Some(state.putters.push_back(Some(item), cx.waker().clone()));
                return Poll::Pending;
            }
            let getter = state.accept(item);
            drop(state);
            if let Some(waker) = getter {
                waker.wake();
            }
            return Poll::Ready(Ok(()));
        };
        let Some(granted) = state.putters.take_grant(key, cx.waker()) else {
            return Poll::Pending;
        };
        this.key = None;
        match granted {
            // Taken into the queue by a get that made room.
            None => Poll::Ready(Ok(())),
            // Woken by shutdown with the item still here.
            Some(item) => Poll::Ready(Err(QueueShutDown(item))),
        }
    }
}

impl<T, S> Drop for Put<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            // Still waiting: the item goes with the future. Already taken:
            // the item is in the queue, the put happened.
            let unsent = match lock(&self.engine.shared).putters.remove(key) {
                Removed::Waiting(item) | Removed::Granted(item) => item,
            };
            drop(unsent);
        }
    }
}

/// The future of `get`.
pub(crate) struct Get<'a, T, S: Storage<T>> {
    engine: &'a Engine<T, S>,
    key: Option<WaiterKey>,
}

impl<T, S: Storage<T>> Future for Get<'_, T, S> {
    type Output = Result<T, QueueShutDown>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut wakeups = Wakeups::new();
        let result = {
            let mut state = this.engine.state();
            match &this.key {
                None => {
                    if let Some(item) = state.take_stored(&mut wakeups) {
                        Poll::Ready(Ok(item))
                    } else if state.lifecycle != Lifecycle::Open {
                        Poll::Ready(Err(QueueShutDown(())))
                    } else {
                        this.key = Some(state.getters.push_back(None, cx.waker().clone()));
                        Poll::Pending
                    }
                }
                Some(key) => match state.getters.take_grant(key, cx.waker()) {
                    None => Poll::Pending,
                    Some(handed) => {
                        this.key = None;
                        match handed {
                            Some(item) => {
                                state.reserved -= 1;
                                state.admit_putter(&mut wakeups);
                                Poll::Ready(Ok(item))
                            }
                            // Woken by shutdown: drain what a cancelled
                            // getter may have given back, then fail.
                            None => match state.take_stored(&mut wakeups) {
                                Some(item) => Poll::Ready(Ok(item)),
                                None => Poll::Ready(Err(QueueShutDown(()))),
                            },
                        }
                    }
                },
            }
        };
        wakeups.wake_all();
        result
    }
}

impl<T, S: Storage<T>> Drop for Get<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let next_getter = {
                let mut state = lock(&self.engine.shared);
                match state.getters.remove(key) {
                    // Handed an item it will never take: pass it on.
                    Removed::Granted(Some(item)) => state.return_reserved(item),
                    // Still waiting, or woken by shutdown: nothing to pass.
                    Removed::Granted(None) | Removed::Waiting(_) => None,
                }
            };
            if let Some(waker) = next_getter {
                waker.wake();
            }
        }
    }
}

/// The future of `join`.
pub(crate) struct Join<'a, T, S> {
    engine: &'a Engine<T, S>,
    key: Option<WaiterKey>,
}

impl<T, S: Storage<T>> Future for Join<'_, T, S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut state = this.engine.state();
        match &this.key {
            None if state.unfinished == 0 => Poll::Ready(()),
            None => {
                this.key = Some(state.joiners.push_back((), cx.waker().clone()));
                Poll::Pending
            }
            Some(key) => match state.joiners.take_grant(key, cx.waker()) {
                None => Poll::Pending,
                Some(()) => {
                    this.key = None;
                    Poll::Ready(())
                }
            },
        }
    }
}

impl<T, S> Drop for Join<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(&self.engine.shared).joiners.remove(key);
        }
    }
}
