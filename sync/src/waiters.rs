//! The FIFO waiter list every primitive in this crate parks its tasks on.
//!
//! A waiter is a node in a slab, linked into a doubly linked queue by slab
//! keys, so a waiter can leave from the middle (its future was dropped) in
//! O(1) and a warm list allocates nothing per wait. The list lives inside
//! the owning primitive's `Mutex`; all methods run with that lock held.
//!
//! Granting is two-step so that nothing is lost when a future is dropped:
//! the granter unlinks the head and marks it granted (the node stays in the
//! slab), then wakes it after unlocking; the waiter's future takes the grant
//! when it is polled, or, if it is dropped first, finds the node granted in
//! [`WaitList::remove`] and hands the grant on.

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
    /// What the waiter waits for (permits still missing, a read or a write, ...).
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
    /// pass the grant on.
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

    /// The data of the first queued waiter.
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
/// run arbitrary code). One wake, the common case, needs no allocation.
#[derive(Default)]
pub(crate) struct Wakeups {
    first: Option<Waker>,
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
        } else {
            self.rest.push(waker);
        }
    }

    /// Wake everyone collected; call with no lock held.
    pub(crate) fn wake_all(self) {
        if let Some(first) = self.first {
            first.wake();
        }
        for waker in self.rest {
            waker.wake();
        }
    }
}
