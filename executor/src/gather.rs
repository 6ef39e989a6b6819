//! Running several futures concurrently and collecting their outputs.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// Run every future concurrently (within the current task) and give their
/// outputs in input order, like `asyncio.gather`.
///
/// The items may be anything [`IntoFuture`] (`async` blocks, request
/// builders such as `client.get(url)`, `JoinHandle`s), as `.await` accepts;
/// each is turned into its future here, in order. The futures may borrow
/// from the caller: they are polled in place, not spawned. Only the futures
/// that were woken are polled again, so gathering thousands costs no scan of
/// all of them on each wake.
///
/// ```
/// let doubled = aio_executor::block_on(aio_executor::gather((1..=3).map(|i| async move { i * 2 })));
/// assert_eq!(doubled, vec![2, 4, 6]);
/// ```
pub fn gather<I>(futures: I) -> Gather<<I::Item as IntoFuture>::IntoFuture>
where
    I: IntoIterator,
    I::Item: IntoFuture,
{
    let slots: Vec<Slot<_>> = futures
        .into_iter()
        .map(|future| Slot::Pending(Box::pin(future.into_future())))
        .collect();
    let count = slots.len();
    let wakes = Arc::new(Wakes {
        // Every future starts out woken, so the first poll visits all.
        ready: Mutex::new((0..count).collect()),
        parent: Mutex::new(None),
    });
    let child_wakers = (0..count)
        .map(|index| {
            Arc::new(ChildWake {
                index,
                queued: AtomicBool::new(true),
                wakes: Arc::clone(&wakes),
            })
        })
        .collect();
    Gather {
        slots,
        child_wakers,
        wakes,
        remaining: count,
    }
}

/// The future returned by [`gather`].
///
/// ```
/// let gather: aio_executor::Gather<_> = aio_executor::gather(['a', 'b'].map(|c| async move { c }));
/// assert_eq!(aio_executor::block_on(gather), ['a', 'b']); // in the order given
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Gather<F: Future> {
    slots: Vec<Slot<F>>,
    child_wakers: Vec<Arc<ChildWake>>,
    wakes: Arc<Wakes>,
    remaining: usize,
}

enum Slot<F: Future> {
    // Boxed so the futures stay pinned while the slot vector moves.
    Pending(Pin<Box<F>>),
    Done(F::Output),
    Taken,
}

impl<F: Future> fmt::Debug for Gather<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("futures", &self.slots.len())
            .field("remaining", &self.remaining)
            .finish()
    }
}

// The futures are pinned in their own boxes; nothing else needs pinning.
impl<F: Future> Unpin for Gather<F> {}

struct Wakes {
    /// Children woken since their last poll, in wake order.
    ready: Mutex<VecDeque<usize>>,
    parent: Mutex<Option<Waker>>,
}

struct ChildWake {
    index: usize,
    /// Already in `ready`: a second wake before the poll adds nothing.
    queued: AtomicBool,
    wakes: Arc<Wakes>,
}

impl Wake for ChildWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        lock(&self.wakes.ready).push_back(self.index);
        let parent = lock(&self.wakes.parent).clone();
        if let Some(parent) = parent {
            parent.wake();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl<F: Future> Future for Gather<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<F::Output>> {
        let this = self.get_mut();
        {
            let mut parent = lock(&this.wakes.parent);
            if !parent.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *parent = Some(cx.waker().clone());
            }
        }
        // Take the children woken so far one at a time (not as a batch): if
        // one panics, the rest stay queued with their flags consistent. Wakes
        // during this poll wait for the next one, so a child that wakes
        // itself cannot keep this loop going.
        let woken = lock(&this.wakes.ready).len();
        for _ in 0..woken {
            let Some(index) = lock(&this.wakes.ready).pop_front() else {
                break;
            };
            let child = &this.child_wakers[index];
            child.queued.store(false, Ordering::Release);
            let Slot::Pending(future) = &mut this.slots[index] else {
                continue;
            };
            let waker = Waker::from(Arc::clone(child));
            let mut child_cx = Context::from_waker(&waker);
            if let Poll::Ready(output) = future.as_mut().poll(&mut child_cx) {
                this.slots[index] = Slot::Done(output);
                this.remaining -= 1;
            }
        }
        if this.remaining > 0 {
            return Poll::Pending;
        }
        let outputs = this
            .slots
            .iter_mut()
            .map(|slot| match std::mem::replace(slot, Slot::Taken) {
                Slot::Done(output) => output,
                _ => panic!("gather polled again after it completed"),
            })
            .collect();
        Poll::Ready(outputs)
    }
}
