//! The FIFO waiter list every primitive in this crate parks its tasks on.
//!
//! A waiter is a node in a slab, linked into a doubly linked queue by slab
//! keys, so a waiter can leave from the middle (its future was dropped) in
//! O(1) and a warm list allocates nothing per wait. The list lives inside
//! the owning primitive's `Mutex`; all methods run with that lock held.
//!
//! Each node carries data `D` that both sides may use: what the waiter
//! waits for (permits still missing), or what is handed over with the
//! grant (a queue writes the item for a getter into the getter's node with
//! [`WaitList::front_mut`] before granting it, and takes a waiting putter's
//! item out of its node the same way).
//!
//! A grant is whatever waking means to the primitive: permits, the lock, a
//! notification, an item, or a shutdown the waiter must see. Granting is
//! two-step so that nothing is lost when a future is dropped:
//! the granter unlinks the head and marks it granted (the node, with its
//! data, stays in the slab), then wakes it after unlocking; the waiter's
//! future takes the grant when it is polled, or, if it is dropped first,
//! finds the node granted in [`WaitList::remove`] and hands the grant on.

use slab::Slab;
use std::fmt;
use std::task::Waker;

/// Marks "no node" in the links.
const NIL: usize = usize::MAX;

/// Names one waiter's node; held by the waiting future until it removes the
/// node, so a key is never reused while its future still holds it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct WaiterKey(usize);

struct Node<D> {
    /// What the waiter waits for (permits still missing, a read or a
    /// write, ...) or what the grant carries (an item handed to a getter).
    data: D,
    waker: Option<Waker>,
    granted: bool,
    prev: usize,
    next: usize,
}

/// How a waiter left the list.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Removed<D> {
    /// It was still queued; nothing was granted to it.
    Waiting(D),
    /// It had been granted and not yet taken the grant: the caller must
    /// pass on what the grant carried (permits, a notification, an item
    /// handed to it), if anything.
    Granted(D),
}

/// A FIFO queue of parked tasks, each with some data `D`.
pub(crate) struct WaitList<D> {
    nodes: Slab<Node<D>>,
    head: usize,
    tail: usize,
    queued: usize,
}

impl<D> WaitList<D> {
    /// An empty list; allocates nothing until the first waiter.
    pub(crate) fn new() -> WaitList<D> {
        WaitList {
            nodes: Slab::new(),
            head: NIL,
            tail: NIL,
            queued: 0,
        }
    }

    /// No waiter is queued (granted nodes not yet taken do not count).
    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// How many waiters are queued.
    pub(crate) fn len(&self) -> usize {
        self.queued
    }

    /// Queue a waiter at the back.
    pub(crate) fn push_back(&mut self, data: D, waker: Waker) -> WaiterKey {
        let key = self.nodes.insert(Node {
            data,
            waker: Some(waker),
            granted: false,
            prev: self.tail,
            next: NIL,
        });
        if self.tail == NIL {
            self.head = key;
        } else {
            self.nodes[self.tail].next = key;
        }
        self.tail = key;
        self.queued += 1;
        WaiterKey(key)
    }

    /// The data of the first queued waiter, for the granter to read or
    /// fill in before [`grant_front`](Self::grant_front).
    pub(crate) fn front_mut(&mut self) -> Option<&mut D> {
        if self.head == NIL {
            None
        } else {
            Some(&mut self.nodes[self.head].data)
        }
    }

    /// Grant the first queued waiter: unlink it and mark it granted. Returns
    /// its waker, to be woken once the caller has unlocked.
    pub(crate) fn grant_front(&mut self) -> Option<Waker> {
        if self.head == NIL {
            return None;
        }
        let key = self.head;
        self.unlink(key);
        let node = &mut self.nodes[key];
        node.granted = true;
        node.waker.take()
    }

    /// Grant every queued waiter, oldest first, collecting their wakers.
    pub(crate) fn grant_all(&mut self, wakeups: &mut Wakeups) {
        while !self.is_empty() {
            wakeups.push(self.grant_front());
        }
    }

    /// Visit the data of every node: queued, or granted and not yet taken.
    pub(crate) fn for_each_data_mut(&mut self, mut visit: impl FnMut(&mut D)) {
        for (_, node) in self.nodes.iter_mut() {
            visit(&mut node.data);
        }
    }

    /// For the waiter's own poll: if it was granted, remove its node and
    /// return its data; otherwise remember `waker` (the task may have moved)
    /// and return `None`.
    pub(crate) fn take_grant(&mut self, key: &WaiterKey, waker: &Waker) -> Option<D> {
        let node = &mut self.nodes[key.0];
        if node.granted {
            return Some(self.nodes.remove(key.0).data);
        }
        match &mut node.waker {
            Some(old) if old.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
        None
    }

    /// For a waiter that gives up (its future was dropped): remove its node
    /// wherever it is, and say whether it had been granted.
    pub(crate) fn remove(&mut self, key: WaiterKey) -> Removed<D> {
        if !self.nodes[key.0].granted {
            self.unlink(key.0);
        }
        let node = self.nodes.remove(key.0);
        if node.granted {
            Removed::Granted(node.data)
        } else {
            Removed::Waiting(node.data)
        }
    }

    fn unlink(&mut self, key: usize) {
        let (prev, next) = {
            let node = &self.nodes[key];
            (node.prev, node.next)
        };
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes[prev].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next].prev = prev;
        }
        self.queued -= 1;
    }
}

impl<D> fmt::Debug for WaitList<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitList")
            .field("queued", &self.queued)
            .finish_non_exhaustive()
    }
}

/// Wakers collected under a lock, woken after it is released (a waker may
/// run arbitrary code), in the order they were collected. Up to two wakes
/// need no allocation: the common case is one, and a queue's get can
/// complete a waiting putter and hand its item to a waiting getter.
#[derive(Default)]
pub(crate) struct Wakeups {
    first: Option<Waker>,
    second: Option<Waker>,
    rest: Vec<Waker>,
}

impl Wakeups {
    pub(crate) fn new() -> Wakeups {
        Wakeups::default()
    }

    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(waker) = waker else { return };
        if self.first.is_none() {
            self.first = Some(waker);
        } else if self.second.is_none() {
            self.second = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    /// Wake everyone collected; call with no lock held.
    pub(crate) fn wake_all(self) {
        // Filled in order (`first`, then `second`, then `rest`), so an
        // empty slot means nothing follows: the common no-wake and one-wake
        // cases stop early.
        let Some(first) = self.first else { return };
        first.wake();
        let Some(second) = self.second else { return };
        second.wake();
        for waker in self.rest {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    fn noop() -> Waker {
        Waker::from(Arc::new(Noop))
    }

    #[test]
    fn arrival_order_and_slot_reuse() {
        let mut list = WaitList::new();
        let a = list.push_back('a', noop());
        let b = list.push_back('b', noop());
        let c = list.push_back('c', noop());
        assert_eq!(list.len(), 3);
        // Cancelling the middle one keeps the others in order.
        assert_eq!(list.remove(b), Removed::Waiting('b'));
        assert_eq!(list.front_mut(), Some(&mut 'a'));
        assert!(list.grant_front().is_some());
        assert_eq!(list.len(), 1, "a granted waiter no longer counts");
        let d = list.push_back('d', noop());
        assert_eq!(d, WaiterKey(1), "a freed slot is reused");
        assert_eq!(list.front_mut(), Some(&mut 'c'));
        let mut wakeups = Wakeups::new();
        list.grant_all(&mut wakeups);
        assert!(list.is_empty());
        assert_eq!(list.take_grant(&c, &noop()), Some('c'));
        assert_eq!(list.take_grant(&d, &noop()), Some('d'));
        assert_eq!(list.remove(a), Removed::Granted('a'));
    }

    #[test]
    fn granter_fills_in_the_front_waiters_data() {
        let mut list: WaitList<Option<u32>> = WaitList::new();
        let getter = list.push_back(None, noop());
        assert_eq!(list.take_grant(&getter, &noop()), None, "not granted yet");
        *list.front_mut().unwrap() = Some(7);
        assert!(list.grant_front().is_some());
        let mut seen = Vec::new();
        list.for_each_data_mut(|item| seen.push(*item));
        assert_eq!(seen, [Some(7)], "granted, not yet taken, still visited");
        assert_eq!(list.take_grant(&getter, &noop()), Some(Some(7)));
    }

    #[test]
    fn wakeups_keep_their_order() {
        struct Record(usize, Arc<std::sync::Mutex<Vec<usize>>>);
        impl Wake for Record {
            fn wake(self: Arc<Self>) {
                self.1.lock().unwrap().push(self.0);
            }
        }
        let woken = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut wakeups = Wakeups::new();
        for id in 0..4 {
            wakeups.push(Some(Waker::from(Arc::new(Record(id, woken.clone())))));
        }
        wakeups.push(None);
        wakeups.wake_all();
        assert_eq!(*woken.lock().unwrap(), [0, 1, 2, 3]);
    }
}
