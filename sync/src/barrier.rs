//! asyncio's `Barrier`: tasks wait until `parties` of them have arrived.

use crate::std_or_loom::{lock, Mutex};
use crate::waiters::{Removed, WaitList, WaiterKey, Wakeups};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

struct State {
    parties: usize,
    /// Tasks waiting in the current round.
    arrived: usize,
    waiters: WaitList<()>,
}

/// asyncio's `Barrier` (and tokio's): each [`wait`](Barrier::wait) waits
/// until `parties` tasks are waiting, then all of them go on together and
/// the barrier starts the next round, so it can be used again.
///
/// **Cancellation**: a waiter dropped before its round is complete takes
/// its arrival back, so the round still waits for `parties` live waiters
/// (as asyncio's `wait`, whose count is decremented on the way out; unlike
/// tokio's, which keeps counting a cancelled waiter). The barrier is never
/// "broken". A waiter dropped after its round completed has passed the
/// barrier; nothing changes for the others.
///
/// ```
/// use aio_sync::Barrier;
/// use std::sync::Arc;
///
/// aio_executor::block_on(async {
///     let barrier = Arc::new(Barrier::new(3));
///     let tasks: Vec<_> = (0..3)
///         .map(|_| {
///             let barrier = Arc::clone(&barrier);
///             aio_executor::spawn(async move { barrier.wait().await.is_leader() })
///         })
///         .collect();
///     let mut leaders = 0;
///     for task in tasks {
///         leaders += usize::from(task.await.unwrap());
///     }
///     assert_eq!(leaders, 1, "one waiter per round is the leader");
/// });
/// ```
pub struct Barrier {
    state: Mutex<State>,
}

/// What [`Barrier::wait`] returns.
///
/// ```
/// let barrier = aio_sync::Barrier::new(1);
/// let result = aio_executor::block_on(barrier.wait());
/// assert!(result.is_leader()); // alone, it completes its round
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    leader: bool,
}

impl BarrierWaitResult {
    /// Whether this waiter completed the round (the last to arrive):
    /// exactly one waiter per round is the leader.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let barrier = Arc::new(aio_sync::Barrier::new(2));
    /// let leaders = aio_executor::block_on(async {
    ///     let other = aio_executor::spawn({
    ///         let barrier = Arc::clone(&barrier);
    ///         async move { barrier.wait().await.is_leader() }
    ///     });
    ///     let mine = barrier.wait().await.is_leader();
    ///     usize::from(mine) + usize::from(other.await.unwrap())
    /// });
    /// assert_eq!(leaders, 1);
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    /// When `parties` is 0 (asyncio raises `ValueError`): no round could
    /// ever be complete.
    ///
    /// ```
    /// let barrier = aio_sync::Barrier::new(3);
    /// assert_eq!((barrier.parties(), barrier.n_waiting()), (3, 0));
    /// ```
    pub fn new(parties: usize) -> Self {
        assert!(parties > 0, "Barrier::new: parties must be at least 1");
        Barrier {
            state: Mutex::new(State {
                parties,
                arrived: 0,
                waiters: WaitList::new(),
            }),
        }
    }

    /// The number of tasks each round waits for.
    ///
    /// ```
    /// assert_eq!(aio_sync::Barrier::new(4).parties(), 4);
    /// ```
    pub fn parties(&self) -> usize {
        lock(&self.state).parties
    }

    /// How many tasks are waiting in the current round (asyncio's
    /// `n_waiting`).
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let barrier = Arc::new(aio_sync::Barrier::new(2));
    /// aio_executor::block_on(async {
    ///     let first = aio_executor::spawn({
    ///         let barrier = Arc::clone(&barrier);
    ///         async move { barrier.wait().await }
    ///     });
    ///     aio_executor::yield_now().await; // let it arrive
    ///     assert_eq!(barrier.n_waiting(), 1);
    ///     barrier.wait().await; // the second arrival completes the round
    ///     first.await.unwrap();
    ///     assert_eq!(barrier.n_waiting(), 0);
    /// });
    /// ```
    pub fn n_waiting(&self) -> usize {
        lock(&self.state).arrived
    }

    /// Arrive at the barrier and wait until `parties` tasks have; the
    /// arrival counts from the first poll.
    ///
    /// ```
    /// let barrier = aio_sync::Barrier::new(1);
    /// let result = aio_executor::block_on(barrier.wait());
    /// assert!(result.is_leader());
    /// ```
    pub fn wait(&self) -> impl Future<Output = BarrierWaitResult> + '_ {
        BarrierWait {
            barrier: self,
            key: None,
        }
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("Barrier")
            .field("parties", &state.parties)
            .field("n_waiting", &state.arrived)
            .finish()
    }
}

struct BarrierWait<'a> {
    barrier: &'a Barrier,
    key: Option<WaiterKey>,
}

impl Future for BarrierWait<'_> {
    type Output = BarrierWaitResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<BarrierWaitResult> {
        let mut state = lock(&self.barrier.state);
        match &self.key {
            None => {
                state.arrived += 1;
                if state.arrived < state.parties {
                    let key = state.waiters.push_back((), cx.waker().clone());
                    drop(state);
                    self.key = Some(key);
                    return Poll::Pending;
                }
                // The last arrival releases the round and starts the next.
                state.arrived = 0;
                let mut wakeups = Wakeups::new();
                state.waiters.grant_all(&mut wakeups);
                drop(state);
                wakeups.wake_all();
                Poll::Ready(BarrierWaitResult { leader: true })
            }
            Some(key) => match state.waiters.take_grant(key, cx.waker()) {
                None => Poll::Pending,
                // Released with its round.
                Some(()) => {
                    drop(state);
                    self.key = None;
                    Poll::Ready(BarrierWaitResult { leader: false })
                }
            },
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut state = lock(&self.barrier.state);
            if let Removed::Waiting(()) = state.waiters.remove(key) {
                // Its round is not complete: take the arrival back.
                state.arrived -= 1;
            }
        }
    }
}
