//! The waiter list under `Queue`, `Event` and `Barrier`: parked tasks in
//! arrival order, each with its own state (an item handed to it, an item it
//! offers), kept in a slab so that parking allocates nothing once the slab
//! has grown to the largest number of simultaneous waiters.
//!
//! It is plain data, always used under the owning primitive's `Mutex`: no
//! atomics, no unsafe. A waiter is identified by its [`WaiterKey`], which
//! only the future that parked owns. Waking a waiter *unlinks* it (it no
//! longer counts as waiting) but leaves its slot, with its state, in place
//! until the owning future reads it and calls [`WaitList::remove`]; so a
//! future dropped between being granted something and being polled again
//! finds the grant in its slot and can pass it on.

use std::task::Waker;

/// `std`'s `Arc` and `Mutex`, or loom's when model checking.
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

/// Lock, ignoring poisoning: the states guarded here stay consistent
/// between statements, so a panic elsewhere (a user's `Ord`, a waker)
/// must not turn every later call into a panic.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const NIL: usize = usize::MAX;

/// Names one parked waiter's slot. Owned by the waiting future.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaiterKey(usize);

#[derive(Debug)]
struct Entry<S> {
    state: S,
    waker: Option<Waker>,
    // Still waiting: in the arrival-order list.
    linked: bool,
    prev: usize,
    next: usize,
}

#[derive(Debug)]
enum Slot<S> {
    Vacant { next_free: usize },
    Occupied(Entry<S>),
}

/// Parked waiters in arrival order, each carrying a state `S`.
#[derive(Debug)]
pub(crate) struct WaitList<S> {
    slots: Vec<Slot<S>>,
    free_head: usize,
    head: usize,
    tail: usize,
    linked: usize,
}

impl<S> WaitList<S> {
    pub(crate) fn new() -> Self {
        WaitList {
            slots: Vec::new(),
            free_head: NIL,
            head: NIL,
            tail: NIL,
            linked: 0,
        }
    }

    /// How many waiters are still waiting (linked).
    pub(crate) fn waiting(&self) -> usize {
        self.linked
    }

    /// Park a new waiter behind every earlier one.
    pub(crate) fn push_back(&mut self, state: S, waker: Waker) -> WaiterKey {
        let entry = Entry {
            state,
            waker: Some(waker),
            linked: true,
            prev: self.tail,
            next: NIL,
        };
        let index = if self.free_head != NIL {
            let index = self.free_head;
            self.free_head = match self.slots[index] {
                Slot::Vacant { next_free } => next_free,
                Slot::Occupied(_) => unreachable!("free list points at an occupied slot"),
            };
            self.slots[index] = Slot::Occupied(entry);
            index
        } else {
            self.slots.push(Slot::Occupied(entry));
            self.slots.len() - 1
        };
        if self.tail != NIL {
            self.entry_mut(self.tail).next = index;
        } else {
            self.head = index;
        }
        self.tail = index;
        self.linked += 1;
        WaiterKey(index)
    }

    fn entry(&self, index: usize) -> &Entry<S> {
        match &self.slots[index] {
            Slot::Occupied(entry) => entry,
            Slot::Vacant { .. } => unreachable!("waiter key names a vacant slot"),
        }
    }

    fn entry_mut(&mut self, index: usize) -> &mut Entry<S> {
        match &mut self.slots[index] {
            Slot::Occupied(entry) => entry,
            Slot::Vacant { .. } => unreachable!("waiter key names a vacant slot"),
        }
    }

    /// Whether this waiter is still waiting (not yet woken).
    pub(crate) fn is_linked(&self, key: WaiterKey) -> bool {
        self.entry(key.0).linked
    }

    pub(crate) fn state_mut(&mut self, key: WaiterKey) -> &mut S {
        &mut self.entry_mut(key.0).state
    }

    /// Keep the waker of the latest poll (the task may have moved).
    pub(crate) fn update_waker(&mut self, key: WaiterKey, waker: &Waker) {
        let entry = self.entry_mut(key.0);
        match &mut entry.waker {
            Some(old) if old.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }

    fn unlink(&mut self, index: usize) {
        let (prev, next) = {
            let entry = self.entry_mut(index);
            debug_assert!(entry.linked);
            entry.linked = false;
            (entry.prev, entry.next)
        };
        if prev != NIL {
            self.entry_mut(prev).next = next;
        } else {
            self.head = next;
        }
        if next != NIL {
            self.entry_mut(next).prev = prev;
        } else {
            self.tail = prev;
        }
        self.linked -= 1;
    }

    /// Unlink the oldest waiter and return its key and waker; its slot
    /// stays for its future to read.
    pub(crate) fn pop_front(&mut self) -> Option<(WaiterKey, Option<Waker>)> {
        if self.head == NIL {
            return None;
        }
        let index = self.head;
        self.unlink(index);
        let waker = self.entry_mut(index).waker.take();
        Some((WaiterKey(index), waker))
    }

    /// Unlink every waiter, oldest first, and return their wakers (to be
    /// woken once the lock is released).
    pub(crate) fn drain_waiting(&mut self) -> Vec<Waker> {
        let mut wakers = Vec::with_capacity(self.linked);
        while let Some((_, waker)) = self.pop_front() {
            wakers.extend(waker);
        }
        wakers
    }

    /// Visit the state of every slot, waiting or woken-but-not-yet-read.
    pub(crate) fn for_each_state(&mut self, mut visit: impl FnMut(&mut S)) {
        for slot in &mut self.slots {
            if let Slot::Occupied(entry) = slot {
                visit(&mut entry.state);
            }
        }
    }

    /// Free the waiter's slot (unlinking it if it was still waiting) and
    /// return its state and whether it was still waiting.
    pub(crate) fn remove(&mut self, key: WaiterKey) -> (S, bool) {
        let index = key.0;
        let was_linked = self.entry(index).linked;
        if was_linked {
            self.unlink(index);
        }
        let slot = std::mem::replace(
            &mut self.slots[index],
            Slot::Vacant {
                next_free: self.free_head,
            },
        );
        self.free_head = index;
        match slot {
            Slot::Occupied(entry) => (entry.state, was_linked),
            Slot::Vacant { .. } => unreachable!("waiter key names a vacant slot"),
        }
    }
}

/// Up to two wakers collected under a lock and woken after it is released
/// (a put may complete a waiting putter and hand its item to a getter),
/// without allocating.
#[derive(Debug, Default)]
pub(crate) struct Wakeups {
    wakers: [Option<Waker>; 2],
}

impl Wakeups {
    pub(crate) fn add(&mut self, waker: Option<Waker>) {
        if let Some(waker) = waker {
            match &mut self.wakers {
                [slot @ None, _] | [_, slot @ None] => *slot = Some(waker),
                // Not reached by the queue (one freed slot admits one
                // putter); waking at once is still correct, just under a lock.
                _ => waker.wake(),
            }
        }
    }

    pub(crate) fn wake(self) {
        for waker in self.wakers.into_iter().flatten() {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::{Wake, Waker};

    struct Noop;
    impl Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }

    fn noop() -> Waker {
        Waker::from(std::sync::Arc::new(Noop))
    }

    #[test]
    fn arrival_order_and_slot_reuse() {
        let mut list = WaitList::new();
        let a = list.push_back('a', noop());
        let b = list.push_back('b', noop());
        let c = list.push_back('c', noop());
        assert_eq!(list.waiting(), 3);
        // Cancelling the middle one keeps the others in order.
        assert_eq!(list.remove(b), ('b', true));
        let (first, _) = list.pop_front().unwrap();
        assert_eq!(first, a);
        assert!(!list.is_linked(a));
        assert_eq!(*list.state_mut(a), 'a');
        let d = list.push_back('d', noop());
        assert_eq!(d, b, "a freed slot is reused");
        assert_eq!(list.pop_front().unwrap().0, c);
        assert_eq!(list.pop_front().unwrap().0, d);
        assert!(list.pop_front().is_none());
        assert_eq!(list.remove(a), ('a', false));
    }
}

#[cfg(all(test, loom))]
mod loom_models;
