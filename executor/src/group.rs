//! `TaskGroup`: structured concurrency, as asyncio 3.11's `TaskGroup` and
//! trio's nursery.
//!
//! A group is one shared record on the loop thread (an `Rc`, since tasks
//! never leave their loop): how many children are still running, whether the
//! group is cancelling, the failures so far, each waiting child's waker and
//! the joiner's waker. A child is a plain task whose future is a small
//! wrapper around the caller's future; the wrapper reports to the record
//! when the child ends, and checks the record's cancel flag whenever it is
//! polled. So a child costs one task allocation, plus a slot in the record
//! (a reused slab entry) once it waits; nothing more.
//!
//! A child that failed, or that its group cancelled, ends its own task as
//! cancelled (the scheduler aborts the task being polled, as its handle's
//! `abort` would), so its handle gives `JoinError::Cancelled` and nothing
//! unwinds.
//!
//! What the caller may rely on:
//! - `join` returns only after every child has ended: finished, failed,
//!   cancelled, or aborted through its handle. An ended child's future has
//!   been dropped (its destructors ran) by then.
//! - The first failure (an `Err` or a panic) cancels every other child: each
//!   is woken, and its future is dropped the next time the loop gets to it,
//!   without being polled again. The cancellation starts one turn late: the
//!   failing child first yields once, so that children already ready to run
//!   get their turn (asyncio hears of a failure through a callback queued
//!   behind them, too). Two children that fail in the same turn are thus
//!   both reported, whichever runs first.
//! - A child aborted through [`JoinHandle::abort`] is cancelled, not failed:
//!   it is not in the error and does not cancel its siblings.

use crate::cell::JoinHandle;
use crate::executor::spawn;
use crate::scheduler::abort_current_task;
use pin_project_lite::pin_project;
use slab::Slab;
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

/// A scope for tasks that succeed or fail together, like asyncio's
/// `TaskGroup` (Python 3.11) and trio's nursery.
///
/// Children are spawned with [`spawn`](TaskGroup::spawn); each is a future
/// giving `Result<T, E>`. [`join`](TaskGroup::join) waits for all of them.
/// When a child fails (it returns `Err`, or panics), every other child is
/// cancelled, and `join` returns, once all have ended, a [`TaskGroupError`]
/// that carries every failure. On success `join` gives `Ok(())`; the
/// children's values are read from their handles.
///
/// ```
/// use aio_executor::{block_on, TaskGroup};
///
/// block_on(async {
///     let group = TaskGroup::new();
///     let small = group.spawn(async { Ok(2) });
///     let large = group.spawn(async {
///         let n: u32 = "40".parse()?; // any error converts into the group's
///         Ok(n)
///     });
///     group.join().await.unwrap();
///     assert_eq!(small.await.unwrap() + large.await.unwrap(), 42);
/// });
/// ```
///
/// A failure cancels the other children and is reported by `join`:
///
/// ```
/// use aio_executor::{block_on, TaskGroup};
///
/// block_on(async {
///     let group = TaskGroup::new();
///     let _forever = group.spawn(std::future::pending::<Result<(), _>>());
///     group.spawn(async { Err::<(), _>("no route to host".into()) });
///     let error = group.join().await.unwrap_err();
///     assert_eq!(error.to_string(), "1 task in the group failed");
///     assert_eq!(format!("{error:#}"), "1 task in the group failed: no route to host");
/// });
/// ```
///
/// # The error type
/// [`TaskGroup::new`] makes a group whose children fail with
/// `Box<dyn Error + Send + Sync>`, so `?` works on any error inside them.
/// For another error type, use `TaskGroup::<MyError>::default()`.
///
/// # What a child's handle gives
/// - The child's value, when it returned `Ok`.
/// - [`JoinError::Cancelled`](crate::JoinError::Cancelled) when it was
///   aborted through that handle.
/// - [`JoinError::Cancelled`](crate::JoinError::Cancelled) too when it
///   failed or its group cancelled it: the child has no value, and its error
///   or panic belongs to the group's [`TaskGroupError`]. (Nothing unwinds to
///   end a child this way: the group cancels the task as `abort` does.)
///
/// # Rules
/// - The cancellation starts one loop turn after the first failure:
///   children that were already ready to run take that turn, and may
///   finish (their handles keep the value) or fail too (every failure is
///   reported), as in asyncio. From the failure on, `is_cancelling()` is
///   true.
/// - Children cannot spawn into their own group (`join` takes the group by
///   value); a child that needs children runs a group of its own.
/// - Dropping a group without joining it (or dropping the `join` future
///   before it finished) cancels its children: no child outlives its group.
/// - A child spawned once the group is cancelling (after a failure) is
///   cancelled at once: its future is dropped without being polled, and its
///   handle gives `JoinError::Cancelled` (asyncio refuses new tasks then).
/// - `join` on a group with no children gives `Ok(())` at once.
/// - A group lives on its loop's thread: it is neither `Send` nor `Sync`,
///   and neither are tasks that hold it across an `.await` (`aio::spawn`
///   accepts such tasks). Children may be `!Send` too.
/// - Nested groups: a child may run a group of its own; returning that
///   group's error with `?` makes the child fail in turn.
pub struct TaskGroup<E = Box<dyn Error + Send + Sync>> {
    group: Rc<Group<E>>,
}

/// The record a group and its children share (on the loop thread only).
struct Group<E> {
    /// Children spawned and not ended yet.
    running: Cell<usize>,
    /// Set by the first failure: children spawned from then on are
    /// cancelled at once.
    failed: Cell<bool>,
    /// Set a turn after the first failure, or when the group is dropped
    /// unjoined: running children drop their futures when next polled.
    cancelling: Cell<bool>,
    failures: RefCell<Vec<ChildFailure<E>>>,
    /// The waker of each running child that waited, so that a cancellation
    /// can wake it (and it then drops its future). A child takes its slot
    /// when it first waits: one that finishes in its first poll never
    /// touches this.
    waiting: RefCell<Slab<Waker>>,
    joiner: RefCell<Option<Waker>>,
}

impl TaskGroup {
    /// A group whose children fail with `Box<dyn Error + Send + Sync>`.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let group = aio_executor::TaskGroup::new();
    ///     let child = group.spawn(async { Ok("done") });
    ///     group.join().await.unwrap();
    ///     assert_eq!(child.await.unwrap(), "done");
    /// });
    /// ```
    pub fn new() -> TaskGroup {
        TaskGroup::default()
    }
}

impl<E> Default for TaskGroup<E> {
    /// A group for any error type: `TaskGroup::<MyError>::default()`.
    fn default() -> TaskGroup<E> {
        TaskGroup {
            group: Rc::new(Group {
                running: Cell::new(0),
                failed: Cell::new(false),
                cancelling: Cell::new(false),
                failures: RefCell::new(Vec::new()),
                waiting: RefCell::new(Slab::new()),
                joiner: RefCell::new(None),
            }),
        }
    }
}

impl<E: 'static> TaskGroup<E> {
    /// Spawn `future` as a child of this group (on the running loop, like
    /// [`spawn`](crate::spawn)), and return its handle.
    ///
    /// `Ok(value)` finishes the child; its handle gives `value`. `Err(e)` or
    /// a panic fails it: the group cancels the other children and `join`
    /// reports the failure. Anything [`IntoFuture`] is accepted, as for
    /// [`spawn`](crate::spawn).
    ///
    /// # Panics
    /// Outside a running loop, like [`spawn`](crate::spawn).
    #[track_caller]
    pub fn spawn<F, T>(&self, future: F) -> JoinHandle<T>
    where
        F: IntoFuture<Output = Result<T, E>>,
        F::IntoFuture: 'static,
        T: 'static,
    {
        if self.group.failed.get() || self.group.cancelling.get() {
            // Cancelled at once: dropped here, never turned into a future
            // nor polled.
            drop(future);
            return spawn(cancelled_child());
        }
        self.group.running.set(self.group.running.get() + 1);
        spawn(Child {
            stage: ChildStage::Running {
                future: future.into_future(),
                waiting_key: NOT_WAITING,
            },
            group: Rc::clone(&self.group),
        })
    }

    /// Wait until every child has ended. `Ok(())` when none failed;
    /// otherwise a [`TaskGroupError`] with every failure, in the order they
    /// happened. The group is consumed: nothing can join it after this.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let group = aio_executor::TaskGroup::new();
    ///     group.spawn(async { Ok(()) });
    ///     group.spawn(async { Err::<(), _>("disk full".into()) });
    ///     let error = group.join().await.unwrap_err(); // waits for both
    ///     assert_eq!(error.failures().len(), 1);
    /// });
    /// ```
    pub fn join(self) -> TaskGroupJoin<E> {
        TaskGroupJoin { group: self }
    }

    /// How many children have not ended yet.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let group = aio_executor::TaskGroup::new();
    ///     group.spawn(async { Ok(()) });
    ///     assert_eq!(group.running(), 1);
    ///     group.join().await.unwrap();
    /// });
    /// ```
    pub fn running(&self) -> usize {
        self.group.running.get()
    }

    /// True once a child failed (or the group is otherwise cancelling its
    /// children); children spawned from then on are cancelled at once.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let group = aio_executor::TaskGroup::new();
    ///     group.spawn(async { Err::<(), _>("failed".into()) });
    ///     assert!(!group.is_cancelling());
    ///     aio_executor::yield_now().await; // the child runs and fails
    ///     assert!(group.is_cancelling());
    ///     let late = group.spawn(async { Ok(()) }); // cancelled at once
    ///     assert!(late.await.unwrap_err().is_cancelled());
    ///     assert!(group.join().await.is_err());
    /// });
    /// ```
    pub fn is_cancelling(&self) -> bool {
        self.group.failed.get() || self.group.cancelling.get()
    }
}

impl<E> Drop for TaskGroup<E> {
    fn drop(&mut self) {
        // Not joined (or the join was dropped early): no child outlives it.
        if self.group.running.get() > 0 {
            self.group.cancel_children();
        }
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("running", &self.group.running.get())
            .field("cancelling", &self.group.cancelling.get())
            .field("failures", &self.group.failures.borrow().len())
            .finish()
    }
}

impl<E> Group<E> {
    /// A child ended (however): wake the joiner when it was the last one.
    /// The child freed its waiting slot already.
    fn child_ended(&self) {
        let running = self.running.get() - 1;
        self.running.set(running);
        if running == 0 {
            let joiner = self.joiner.borrow_mut().take();
            if let Some(joiner) = joiner {
                joiner.wake();
            }
        }
    }

    /// Give back a child's slot in `waiting`, if it took one.
    fn forget_waker(&self, waiting_key: u32) {
        if waiting_key != NOT_WAITING {
            // Dropped outside the borrow: a waker's drop is foreign code.
            let waker = self.waiting.borrow_mut().try_remove(waiting_key as usize);
            drop(waker);
        }
    }

    /// Keep a waiting child's waker, so that a cancellation can wake it.
    fn remember_waker(&self, waiting_key: &mut u32, waker: &Waker) {
        let mut waiting = self.waiting.borrow_mut();
        match waiting.get_mut(*waiting_key as usize) {
            Some(known) if known.will_wake(waker) => {}
            Some(known) => {
                let old = std::mem::replace(known, waker.clone());
                drop(waiting);
                drop(old);
            }
            None => {
                let key = waiting.insert(waker.clone());
                // Each slot holds a waker of a live task, so four billion
                // of them cannot fit in memory first.
                *waiting_key = u32::try_from(key)
                    .ok()
                    .filter(|&key| key != NOT_WAITING)
                    .expect("more than 4 billion waiting TaskGroup children");
            }
        }
    }

    /// Record a child's failure: children spawned from now on are
    /// cancelled at once; the running ones a turn later.
    fn record_failure(&self, failure: ChildFailure<E>) {
        self.failures.borrow_mut().push(failure);
        self.failed.set(true);
    }

    /// Wake every waiting child so that it drops its future; children not
    /// polled yet see the flag at their first poll.
    fn cancel_children(&self) {
        if self.cancelling.replace(true) {
            return;
        }
        // The slots stay: each child frees its own as it ends.
        let wakers: Vec<Waker> = self
            .waiting
            .borrow()
            .iter()
            .map(|(_, waker)| waker.clone())
            .collect();
        // Woken outside the borrow: a wake may run foreign code.
        for waker in wakers {
            waker.wake();
        }
    }
}

/// `waiting_key` of a child that has no slot in `Group::waiting`.
const NOT_WAITING: u32 = u32::MAX;

pin_project! {
    /// Where a child is in its life. The caller's future lives in the
    /// `Running` variant, so that the child can drop it in place (catching
    /// a panicking destructor) before the group hears that the child ended.
    ///
    /// Kept small: every byte here is in every child's task allocation, and
    /// a few more bytes move the allocation into a bigger size class. The
    /// tag and the slot key share the word in front of the future (a
    /// `usize` key, or a separate `Option`, would take a word of their own).
    #[project = ChildStageProj]
    enum ChildStage<F> {
        Running {
            #[pin]
            future: F,
            // The child's slot in `Group::waiting`, or `NOT_WAITING`.
            waiting_key: u32,
        },
        // Failed, future dropped, yielding once (see the module doc): it
        // ends at its next poll.
        Failed,
        // The group was told that the child ended.
        Ended,
    }
}

pin_project! {
    /// The future a child task runs: the caller's future, watched.
    ///
    /// Written by hand rather than as an `async fn`: an `async fn` keeps its
    /// argument and the pinned local it moves into side by side, doubling
    /// the room a child's future takes in its task.
    ///
    /// The group hears of the child's end exactly once: from `poll` when
    /// the child finishes, fails or sees the cancellation, or from the drop
    /// when its task is aborted before that (the stage tells which).
    struct Child<F, E> {
        #[pin]
        stage: ChildStage<F>,
        group: Rc<Group<E>>,
    }

    impl<F, E> PinnedDrop for Child<F, E> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before it ended: its task was aborted through its
            // handle (cancelled, not a failure), or the loop shut down.
            let mut this = this.project();
            let _ended = match this.stage.as_mut().project() {
                ChildStageProj::Running { waiting_key, .. } => EndOnDrop {
                    group: this.group,
                    waiting_key: *waiting_key,
                    // Not failed: it owes its siblings nothing.
                    owes_cancellation: false,
                },
                // Aborted while it yielded after failing: the cancellation
                // it owed its siblings starts now.
                ChildStageProj::Failed => EndOnDrop {
                    group: this.group,
                    waiting_key: NOT_WAITING,
                    owes_cancellation: true,
                },
                ChildStageProj::Ended => return,
            };
            // The future goes first; `_ended` tells the group after it,
            // even when a destructor in the future panics.
            this.stage.set(ChildStage::Ended);
        }
    }
}

/// Tells the group that a child dropped before it ended has ended, when
/// dropped itself (after the child's future).
struct EndOnDrop<'a, E> {
    group: &'a Group<E>,
    waiting_key: u32,
    owes_cancellation: bool,
}

impl<E> Drop for EndOnDrop<'_, E> {
    fn drop(&mut self) {
        self.group.forget_waker(self.waiting_key);
        self.group.child_ended();
        if self.owes_cancellation {
            self.group.cancel_children();
        }
    }
}

impl<F, T, E> Future for Child<F, E>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut this = self.project();
        let group: &Group<E> = this.group;
        let (future, waiting_key) = match this.stage.as_mut().project() {
            ChildStageProj::Running {
                future,
                waiting_key,
            } => (future, waiting_key),
            ChildStageProj::Failed => {
                this.stage.set(ChildStage::Ended);
                group.child_ended();
                group.cancel_children();
                return end_cancelled();
            }
            // Never polled again once ended: its task is cancelled or done.
            ChildStageProj::Ended => return end_cancelled(),
        };
        if group.cancelling.get() {
            let waiting_key = *waiting_key;
            group.forget_waker(waiting_key);
            if let Err(payload) = end_future(this.stage.as_mut()) {
                let failure = ChildFailure::Panicked(ChildPanic::new(payload));
                return fail(group, this.stage, failure, cx);
            }
            group.child_ended();
            return end_cancelled();
        }
        let failure = match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => {
                group.remember_waker(waiting_key, cx.waker());
                if group.cancelling.get() {
                    // The cancellation began inside this very poll (the
                    // child dropped its own group), before this waker was
                    // known to it: come back at once to end.
                    cx.waker().wake_by_ref();
                }
                return Poll::Pending;
            }
            Ok(Poll::Ready(Ok(value))) => {
                group.forget_waker(*waiting_key);
                match end_future(this.stage.as_mut()) {
                    Ok(()) => {
                        group.child_ended();
                        return Poll::Ready(value);
                    }
                    // A destructor that panics fails the child too.
                    Err(payload) => ChildFailure::Panicked(ChildPanic::new(payload)),
                }
            }
            Ok(Poll::Ready(Err(error))) => {
                group.forget_waker(*waiting_key);
                // A second panic from the destructor adds nothing: the child
                // failed already.
                let _ = end_future(this.stage.as_mut());
                ChildFailure::Failed(error)
            }
            Err(payload) => {
                group.forget_waker(*waiting_key);
                let _ = end_future(this.stage.as_mut());
                ChildFailure::Panicked(ChildPanic::new(payload))
            }
        };
        fail(group, this.stage, failure, cx)
    }
}

/// Record a child's failure (its future is gone), then yield once, so that
/// children already ready to run get their turn before the cancellation
/// (see the module doc).
fn fail<F, T, E>(
    group: &Group<E>,
    mut stage: Pin<&mut ChildStage<F>>,
    failure: ChildFailure<E>,
    cx: &mut Context<'_>,
) -> Poll<T> {
    group.record_failure(failure);
    stage.set(ChildStage::Failed);
    // Waking while running puts the task at the back of the run queue.
    cx.waker().wake_by_ref();
    Poll::Pending
}

/// Drop the child's future now; a panic from its destructor is returned.
/// The stage is `Ended` afterwards either way (an assignment whose drop
/// panics still stores the new value).
fn end_future<F>(mut stage: Pin<&mut ChildStage<F>>) -> Result<(), Box<dyn Any + Send>> {
    catch_unwind(AssertUnwindSafe(|| stage.set(ChildStage::Ended)))
}

/// End the child's task as cancelled, from inside its poll: the task is
/// aborted, as through its handle, and the loop drops it right after this
/// `Pending`. Its handle then gives `JoinError::Cancelled`.
fn end_cancelled<T>() -> Poll<T> {
    let aborted = abort_current_task();
    // Children are always spawned tasks, so this cannot be the main future.
    debug_assert!(aborted, "a TaskGroup child polled outside its own task");
    Poll::Pending
}

/// The task of a child spawned into a cancelling group.
fn cancelled_child<T>() -> impl Future<Output = T> {
    std::future::poll_fn(|_| end_cancelled())
}

/// The future returned by [`TaskGroup::join`].
///
/// Dropping it before it finished drops the group, which cancels the
/// children still running.
///
/// ```
/// aio_executor::block_on(async {
///     let group = aio_executor::TaskGroup::new();
///     let forever = group.spawn(std::future::pending::<Result<(), _>>());
///     let join: aio_executor::TaskGroupJoin<_> = group.join();
///     drop(join); // drops the group: the child is cancelled
///     assert!(forever.await.unwrap_err().is_cancelled());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct TaskGroupJoin<E> {
    group: TaskGroup<E>,
}

impl<E> Future for TaskGroupJoin<E> {
    type Output = Result<(), TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let group = &self.group.group;
        if group.running.get() > 0 {
            let mut joiner = group.joiner.borrow_mut();
            if !joiner
                .as_ref()
                .is_some_and(|known| known.will_wake(cx.waker()))
            {
                let old = joiner.replace(cx.waker().clone());
                drop(joiner);
                drop(old);
            }
            return Poll::Pending;
        }
        let failures = std::mem::take(&mut *group.failures.borrow_mut());
        if failures.is_empty() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Ready(Err(TaskGroupError { failures }))
        }
    }
}

impl<E> fmt::Debug for TaskGroupJoin<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupJoin")
            .field("group", &self.group)
            .finish()
    }
}

/// Why a [`TaskGroup`] failed: every child failure, in the order they
/// happened (like Python's `ExceptionGroup`). Never empty.
///
/// Display gives the count (`"2 tasks in the group failed"`); the alternate
/// form (`{:#}`) adds every failure; [`source`](Error::source) is the first
/// failure.
///
/// ```
/// aio_executor::block_on(async {
///     let group = aio_executor::TaskGroup::new();
///     group.spawn(async { Err::<(), _>("timeout".into()) });
///     let error = group.join().await.unwrap_err();
///     assert_eq!(error.to_string(), "1 task in the group failed");
///     assert_eq!(format!("{error:#}"), "1 task in the group failed: timeout");
///     assert_eq!(std::error::Error::source(&error).unwrap().to_string(), "timeout");
/// });
/// ```
#[derive(Debug)]
pub struct TaskGroupError<E> {
    failures: Vec<ChildFailure<E>>,
}

impl<E> TaskGroupError<E> {
    /// Every failure, in the order the children failed.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let group = aio_executor::TaskGroup::<String>::default();
    ///     group.spawn(async { Err::<(), _>(String::from("first")) });
    ///     let error = group.join().await.unwrap_err();
    ///     let errors: Vec<_> = error.failures().iter().filter_map(|f| f.error()).collect();
    ///     assert_eq!(errors, ["first"]);
    /// });
    /// ```
    pub fn failures(&self) -> &[ChildFailure<E>] {
        &self.failures
    }

    /// Every failure, by value (to resume a panic, or to look at an error).
    ///
    /// ```
    /// use aio_executor::ChildFailure;
    ///
    /// aio_executor::block_on(async {
    ///     let group = aio_executor::TaskGroup::<u32>::default();
    ///     group.spawn(async { Err::<(), _>(404) });
    ///     let failures = group.join().await.unwrap_err().into_failures();
    ///     assert!(matches!(failures[..], [ChildFailure::Failed(404)]));
    /// });
    /// ```
    pub fn into_failures(self) -> Vec<ChildFailure<E>> {
        self.failures
    }
}

impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.failures.len();
        let tasks = if count == 1 { "task" } else { "tasks" };
        write!(f, "{count} {tasks} in the group failed")?;
        if f.alternate() {
            for (index, failure) in self.failures.iter().enumerate() {
                f.write_str(if index == 0 { ": " } else { "; " })?;
                write!(f, "{failure:#}")?;
            }
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display + 'static> Error for TaskGroupError<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.failures
            .first()
            .map(|failure| failure as &(dyn Error + 'static))
    }
}

/// How one child of a [`TaskGroup`] failed.
///
/// ```
/// use aio_executor::ChildFailure;
///
/// aio_executor::block_on(async {
///     let group = aio_executor::TaskGroup::<&str>::default();
///     group.spawn::<_, ()>(async { panic!("bug") });
///     let failures = group.join().await.unwrap_err().into_failures();
///     match &failures[0] {
///         ChildFailure::Panicked(panic) => assert_eq!(panic.message(), Some("bug")),
///         ChildFailure::Failed(error) => unreachable!("{error}"),
///     }
/// });
/// ```
#[derive(Debug)]
pub enum ChildFailure<E> {
    /// Its future returned `Err`.
    Failed(E),
    /// It panicked (or a destructor panicked while it was being dropped).
    Panicked(ChildPanic),
}

impl<E> ChildFailure<E> {
    /// The error, when the child returned one.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let group = aio_executor::TaskGroup::<&str>::default();
    ///     group.spawn(async { Err::<(), _>("refused") });
    ///     let error = group.join().await.unwrap_err();
    ///     assert_eq!(error.failures()[0].error(), Some(&"refused"));
    /// });
    /// ```
    pub fn error(&self) -> Option<&E> {
        match self {
            ChildFailure::Failed(error) => Some(error),
            ChildFailure::Panicked(_) => None,
        }
    }

    /// True when the child panicked.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let group = aio_executor::TaskGroup::new();
    ///     group.spawn::<_, ()>(async { panic!("bug") });
    ///     let error = group.join().await.unwrap_err();
    ///     assert!(error.failures()[0].is_panic());
    /// });
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self, ChildFailure::Panicked(_))
    }
}

impl<E: fmt::Display> fmt::Display for ChildFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildFailure::Failed(error) if f.alternate() => write!(f, "{error:#}"),
            ChildFailure::Failed(error) => write!(f, "{error}"),
            ChildFailure::Panicked(panic) => write!(f, "{panic}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display + 'static> Error for ChildFailure<E> {
    /// The error's own source when the error is a boxed `dyn Error` (as in
    /// [`TaskGroup::new`]'s groups); without specialization a generic `E`
    /// cannot be asked for one, so other types give `None` (read them with
    /// [`ChildFailure::error`]).
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        let ChildFailure::Failed(error) = self else {
            return None;
        };
        let error = error as &dyn Any;
        if let Some(boxed) = error.downcast_ref::<Box<dyn Error + Send + Sync>>() {
            return boxed.source();
        }
        if let Some(boxed) = error.downcast_ref::<Box<dyn Error + Send>>() {
            return boxed.source();
        }
        if let Some(boxed) = error.downcast_ref::<Box<dyn Error>>() {
            return boxed.source();
        }
        None
    }
}

/// A child's panic: its payload, and its message when it has one.
///
/// The payload sits behind a mutex only so that the error is `Sync` (a
/// panic payload is `Send` alone), which lets a [`TaskGroupError`] travel
/// in a `Box<dyn Error + Send + Sync>`, e.g. out of a nested group.
///
/// ```
/// use aio_executor::ChildFailure;
///
/// aio_executor::block_on(async {
///     let group = aio_executor::TaskGroup::new();
///     group.spawn::<_, ()>(async { panic!("bug") });
///     let failures = group.join().await.unwrap_err().into_failures();
///     let Some(ChildFailure::Panicked(panic)) = failures.into_iter().next() else { unreachable!() };
///     assert_eq!(panic.to_string(), "task panicked: bug");
/// });
/// ```
pub struct ChildPanic {
    message: Option<String>,
    payload: Mutex<Box<dyn Any + Send>>,
}

impl ChildPanic {
    fn new(payload: Box<dyn Any + Send>) -> ChildPanic {
        let message = payload
            .downcast_ref::<&'static str>()
            .map(|message| message.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        ChildPanic {
            message,
            payload: Mutex::new(payload),
        }
    }

    /// The panic message, when the payload is a string.
    ///
    /// ```
    /// use aio_executor::ChildFailure;
    ///
    /// aio_executor::block_on(async {
    ///     let group = aio_executor::TaskGroup::new();
    ///     group.spawn::<_, ()>(async { panic!("index {} out of range", 3) });
    ///     let error = group.join().await.unwrap_err();
    ///     let ChildFailure::Panicked(panic) = &error.failures()[0] else { unreachable!() };
    ///     assert_eq!(panic.message(), Some("index 3 out of range"));
    /// });
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The payload, for `std::panic::resume_unwind`.
    ///
    /// ```
    /// use aio_executor::ChildFailure;
    ///
    /// aio_executor::block_on(async {
    ///     let group = aio_executor::TaskGroup::new();
    ///     group.spawn::<_, ()>(async { std::panic::panic_any(7_i32) });
    ///     let failures = group.join().await.unwrap_err().into_failures();
    ///     let Some(ChildFailure::Panicked(panic)) = failures.into_iter().next() else { unreachable!() };
    ///     // To resume the panic in the caller: std::panic::resume_unwind(payload).
    ///     assert_eq!(panic.into_payload().downcast_ref::<i32>(), Some(&7));
    /// });
    /// ```
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.payload
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for ChildPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(message) => write!(f, "ChildPanic({message:?})"),
            None => f.write_str("ChildPanic(..)"),
        }
    }
}

impl fmt::Display for ChildPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(message) => write!(f, "task panicked: {message}"),
            None => f.write_str("task panicked"),
        }
    }
}
