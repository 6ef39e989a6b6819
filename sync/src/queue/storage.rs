//! Where a queue keeps its items: the only thing that differs between
//! `Queue` (first in, first out), `LifoQueue` and `PriorityQueue`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// The order a queue hands its items out in.
pub(crate) trait Storage<T>: Default {
    /// Keep a newly put item.
    fn push(&mut self, item: T);
    /// Take the item the next `get` receives.
    fn pop(&mut self) -> Option<T>;
    /// Give back an item that was popped for a getter which was then
    /// cancelled: it must be the next one popped again, so that cancelling
    /// a getter does not reorder the queue.
    fn push_returned(&mut self, item: T);
    fn len(&self) -> usize;
}

/// First in, first out.
#[derive(Debug)]
pub(crate) struct Fifo<T>(VecDeque<T>);

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo(VecDeque::new())
    }
}

impl<T> Storage<T> for Fifo<T> {
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn push_returned(&mut self, item: T) {
        self.0.push_front(item);
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Last in, first out.
#[derive(Debug)]
pub(crate) struct Lifo<T>(Vec<T>);

impl<T> Default for Lifo<T> {
    fn default() -> Self {
        Lifo(Vec::new())
    }
}

impl<T> Storage<T> for Lifo<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn push_returned(&mut self, item: T) {
        self.0.push(item);
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// Smallest first, as Python's heapq-based `PriorityQueue`.
#[derive(Debug)]
pub(crate) struct Smallest<T>(BinaryHeap<Reverse<T>>);

impl<T: Ord> Default for Smallest<T> {
    fn default() -> Self {
        Smallest(BinaryHeap::new())
    }
}

impl<T: Ord> Storage<T> for Smallest<T> {
    fn push(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(item)| item)
    }
    fn push_returned(&mut self, item: T) {
        // The heap puts it back in its place by priority.
        self.0.push(Reverse(item));
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}
