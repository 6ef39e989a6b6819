//! The timer queue: a slab of live timers plus a min-heap of deadlines.
//!
//! Cancelling (dropping a `Sleep`) only frees the slab slot; its heap entry
//! goes stale and is skipped when it reaches the top ("lazy deletion"). The
//! heap is compacted whenever stale entries outnumber live ones, so
//! register-then-drop cycles cannot grow memory without bound, and a turn
//! only ever touches due or stale entries, never all timers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::task::Waker;
use std::time::{Duration, Instant};

use slab::Slab;

/// Identifies one registered timer; the generation detects a reused slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    key: usize,
    generation: u64,
}

struct Entry {
    deadline: Instant,
    generation: u64,
    waker: Option<Waker>,
}

/// Heap order: deadline, then registration order (equal deadlines fire FIFO).
type HeapItem = Reverse<(Instant, u64, usize)>;

// Below this size a heap full of stale entries is not worth compacting.
const MIN_COMPACT_LEN: usize = 64;

pub(crate) struct TimerQueue {
    entries: Slab<Entry>,
    heap: BinaryHeap<HeapItem>,
    next_generation: u64,
    /// True while the loop is blocked in `turn`: a timer that becomes the
    /// earliest then needs an unpark, or the loop would oversleep it.
    parked: bool,
    shut_down: bool,
}

impl TimerQueue {
    pub(crate) fn new() -> TimerQueue {
        TimerQueue {
            entries: Slab::new(),
            heap: BinaryHeap::new(),
            next_generation: 0,
            parked: false,
            shut_down: false,
        }
    }

    /// Timers registered and not yet fired or cancelled.
    pub(crate) fn live_count(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.shut_down
    }

    fn live(&self, item: &HeapItem) -> bool {
        let Reverse((deadline, generation, key)) = *item;
        self.entries
            .get(key)
            .is_some_and(|e| e.generation == generation && e.deadline == deadline)
    }

    /// Whether a new timer at `deadline` must interrupt a parked loop.
    fn needs_unpark(&self, deadline: Instant) -> bool {
        self.parked
            && self
                .heap
                .peek()
                .map_or(true, |Reverse((d, _, _))| deadline < *d)
    }

    fn push(&mut self, deadline: Instant, generation: u64, key: usize) {
        if self.heap.len() >= MIN_COMPACT_LEN && self.heap.len() > 2 * self.entries.len() {
            let mut heap = std::mem::take(&mut self.heap);
            heap.retain(|item| self.live(item));
            self.heap = heap;
        }
        self.heap.push(Reverse((deadline, generation, key)));
    }

    /// Register a timer. Returns its key and whether the loop must be unparked.
    pub(crate) fn insert(&mut self, deadline: Instant, waker: Waker) -> (TimerKey, bool) {
        let unpark = self.needs_unpark(deadline);
        let generation = self.next_generation;
        self.next_generation += 1;
        let key = self.entries.insert(Entry {
            deadline,
            generation,
            waker: Some(waker),
        });
        self.push(deadline, generation, key);
        (TimerKey { key, generation }, unpark)
    }

    fn entry_mut(&mut self, k: TimerKey) -> Option<&mut Entry> {
        self.entries
            .get_mut(k.key)
            .filter(|e| e.generation == k.generation)
    }

    /// Refresh the waker of a live timer; false if it already fired or was
    /// removed. A replaced waker is moved to `old`, for the caller to drop
    /// after unlocking (dropping a waker can drop a task, whose `Sleep` locks
    /// this queue again).
    pub(crate) fn set_waker(
        &mut self,
        k: TimerKey,
        waker: &Waker,
        old: &mut Option<Waker>,
    ) -> bool {
        match self.entry_mut(k) {
            Some(e) => {
                if !e.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    *old = e.waker.replace(waker.clone());
                }
                true
            }
            None => false,
        }
    }

    /// Move a live timer to `deadline`. Returns None if it is no longer live,
    /// else whether the loop must be unparked.
    pub(crate) fn reset(&mut self, k: TimerKey, deadline: Instant) -> Option<bool> {
        let unpark = self.needs_unpark(deadline);
        let e = self.entry_mut(k)?;
        if e.deadline == deadline {
            // Its heap entry is still the live one: pushing another would
            // leave a duplicate that compaction cannot tell from the original.
            return Some(false);
        }
        e.deadline = deadline;
        self.push(deadline, k.generation, k.key);
        Some(unpark)
    }

    /// Cancel a timer; returns its waker so the caller drops it unlocked.
    pub(crate) fn remove(&mut self, k: TimerKey) -> Option<Waker> {
        self.entry_mut(k)?;
        self.entries.remove(k.key).waker
    }

    /// The earliest live deadline, dropping stale heap tops on the way.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(top) = self.heap.peek() {
            if self.live(top) {
                return Some(top.0 .0);
            }
            self.heap.pop();
        }
        None
    }

    /// Called before the loop blocks: marks it parked and returns how long it
    /// may sleep before the next timer is due.
    pub(crate) fn park(&mut self, now: Instant) -> Option<Duration> {
        self.parked = true;
        self.next_deadline()
            .map(|d| d.saturating_duration_since(now))
    }

    /// Fire every timer whose deadline is <= `now`, in deadline order, pushing
    /// their wakers onto `out`. Also clears the parked mark.
    pub(crate) fn fire(&mut self, now: Instant, out: &mut Vec<Waker>) {
        self.parked = false;
        while let Some(top) = self.heap.peek() {
            let Reverse((deadline, _, key)) = *top;
            if deadline > now {
                break;
            }
            let live = self.live(top);
            self.heap.pop();
            if live {
                out.extend(self.entries.remove(key).waker);
            }
        }
    }

    /// Fire everything (sleeps complete once the loop is gone). Returns how many were live.
    pub(crate) fn shutdown(&mut self, out: &mut Vec<Waker>) -> usize {
        self.shut_down = true;
        let live = self.entries.len();
        out.extend(self.entries.drain().filter_map(|e| e.waker));
        self.heap = BinaryHeap::new();
        live
    }

    #[cfg(test)]
    fn sizes(&self) -> (usize, usize) {
        (self.entries.len(), self.heap.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::task::Wake;

    struct Record(usize, Arc<Mutex<Vec<usize>>>);
    impl Wake for Record {
        fn wake(self: Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    #[test]
    fn resetting_to_the_same_deadline_adds_no_heap_entry() {
        let mut q = TimerQueue::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let deadline = Instant::now() + Duration::from_secs(60);
        let (key, _) = q.insert(deadline, Waker::from(Arc::new(Record(0, log))));
        for _ in 0..10_000 {
            assert_eq!(q.reset(key, deadline), Some(false));
        }
        assert_eq!(q.heap.len(), 1);
    }

    #[test]
    fn fires_in_deadline_order_only_when_due() {
        let mut q = TimerQueue::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let base = Instant::now();
        let offsets = [50u64, 10, 30, 10, 40];
        for (i, ms) in offsets.iter().enumerate() {
            let w = Waker::from(Arc::new(Record(i, log.clone())));
            q.insert(base + Duration::from_millis(*ms), w);
        }
        let mut out = Vec::new();
        q.fire(base + Duration::from_millis(9), &mut out);
        assert!(out.is_empty(), "nothing is due yet");
        q.fire(base + Duration::from_millis(35), &mut out);
        out.drain(..).for_each(Waker::wake);
        assert_eq!(*log.lock().unwrap(), vec![1, 3, 2]);
        assert_eq!(q.next_deadline(), Some(base + Duration::from_millis(40)));
    }

    #[test]
    fn cancelled_and_reset_timers_do_not_fire_and_do_not_leak() {
        let mut q = TimerQueue::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let base = Instant::now();
        let keep = q
            .insert(
                base + Duration::from_secs(60),
                Waker::from(Arc::new(Record(0, log.clone()))),
            )
            .0;
        let w = Waker::from(Arc::new(Record(1, log.clone())));
        for i in 0..1_000_000u64 {
            let (k, _) = q.insert(base + Duration::from_millis(i % 1000), w.clone());
            q.remove(k);
            let (entries, heap) = q.sizes();
            assert!(
                entries <= 2 && heap <= MIN_COMPACT_LEN * 2,
                "grew to {entries}/{heap}"
            );
        }
        // Moving a timer later leaves its old heap entry stale.
        assert_eq!(q.reset(keep, base + Duration::from_secs(90)), Some(false));
        let mut out = Vec::new();
        q.fire(base + Duration::from_secs(70), &mut out);
        assert!(out.is_empty());
        assert_eq!(q.next_deadline(), Some(base + Duration::from_secs(90)));
        q.fire(base + Duration::from_secs(90), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(q.sizes(), (0, 0));
        assert!(
            !q.set_waker(keep, &out[0], &mut None),
            "fired timers are no longer live"
        );
    }

    #[test]
    fn parked_loop_is_unparked_only_for_an_earlier_timer() {
        let mut q = TimerQueue::new();
        let log = Arc::new(Mutex::new(Vec::new()));
        let w = Waker::from(Arc::new(Record(0, log)));
        let base = Instant::now();
        assert!(
            !q.insert(base + Duration::from_secs(5), w.clone()).1,
            "not parked"
        );
        q.park(base);
        assert!(!q.insert(base + Duration::from_secs(6), w.clone()).1);
        assert!(q.insert(base + Duration::from_secs(1), w.clone()).1);
        let mut out = Vec::new();
        q.fire(base, &mut out);
        assert!(
            !q.insert(base + Duration::from_millis(1), w).1,
            "no longer parked"
        );
    }
}
