//! The task allocation and every `unsafe` block of the executor.
//!
//! A task is one heap block: a type-erased [`Header`] followed by the stage
//! (the future, then its output). Runnables, wakers and the `JoinHandle` all
//! point at the header and reach the typed parts through the vtable. Who may
//! touch what is decided by the state word (see `state.rs`):
//! - the stage: the holder of `RUNNING` while the future lives; after
//!   `COMPLETE`, the `JoinHandle` (if `JOIN_INTEREST` was set) or else the
//!   completer;
//! - the join waker slot: the handle while `JOIN_WAKER` is clear, readers
//!   only while it is set;
//! - the allocation: freed by whoever drops the last reference.
//!
//! Futures need not be `Send`: the future is only ever polled or dropped on
//! the loop thread, because the owned-task set keeps a reference until the
//! loop itself has completed or cancelled the task. Other threads only touch
//! the state word, the join waker, the output (which the `JoinHandle` makes
//! `Send` only when the output is) and the memory.

use super::state::{AfterPending, StartRun, State, WakeAction, JOIN_INTEREST, JOIN_WAKER};
use super::JoinError;
use crate::queue::Shared;
use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::mem::{self, ManuallyDrop};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// The type-erased start of every task allocation.
pub(crate) struct Header {
    pub(crate) state: State,
    vtable: &'static Vtable,
    /// The loop this task belongs to; wakes are queued there.
    pub(crate) shared: Arc<Shared>,
    /// Slot in the loop's owned-task set; only touched on the loop thread.
    owned_key: Cell<usize>,
    join_waker: UnsafeCell<Option<Waker>>,
}

struct Vtable {
    run: unsafe fn(NonNull<Header>) -> RunResult,
    read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    drop_output: unsafe fn(NonNull<Header>),
    cancel_now: unsafe fn(NonNull<Header>),
    dealloc: unsafe fn(NonNull<Header>),
}

// `repr(C)` keeps the header at offset 0, so a header pointer is a cell pointer.
#[repr(C)]
struct TaskCell<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

impl<F: Future> TaskCell<F> {
    const VTABLE: Vtable = Vtable {
        run: run::<F>,
        read_output: read_output::<F>,
        drop_output: drop_output::<F>,
        cancel_now: cancel_now::<F>,
        dealloc: dealloc::<F>,
    };
}

enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

/// What happened when the loop ran a task.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RunResult {
    /// Waiting for a wake; the runnable's reference was already released
    /// by the state transition, so the caller must forget the runnable.
    Pending,
    /// Woken while running: the runnable goes back in the queue.
    Reschedule,
    /// The future is gone: remove the task from the owned set.
    Completed,
    /// It had already completed (shutdown got there first).
    AlreadyComplete,
}

/// A counted pointer to a task; the wrapper types own the counting.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct RawTask(NonNull<Header>);

impl RawTask {
    /// Allocate a task with three references (owned set, first runnable,
    /// join handle), already marked scheduled.
    pub(crate) fn allocate<F: Future + 'static>(future: F, shared: Arc<Shared>) -> RawTask {
        let cell = Box::new(TaskCell {
            header: Header {
                state: State::new(),
                vtable: &TaskCell::<F>::VTABLE,
                shared,
                owned_key: Cell::new(usize::MAX),
                join_waker: UnsafeCell::new(None),
            },
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        RawTask(NonNull::from(Box::leak(cell)).cast())
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a RawTask is only held alongside a reference count, which
        // keeps the allocation alive.
        unsafe { self.0.as_ref() }
    }

    pub(crate) fn owned_key(&self) -> usize {
        self.header().owned_key.get()
    }

    pub(crate) fn set_owned_key(&self, key: usize) {
        self.header().owned_key.set(key)
    }

    /// Poll (or cancel) the future. Only the loop thread, holding the task's
    /// runnable, calls this.
    pub(crate) fn run(self) -> RunResult {
        // SAFETY: the caller holds a runnable, so the task is alive and ours
        // to run; the vtable matches the allocation it was made with.
        unsafe { (self.header().vtable.run)(self.0) }
    }

    /// Move the output into `dst` if the task completed; otherwise register
    /// `waker` to be woken at completion.
    ///
    /// # Safety
    /// `T` must be the output type of the task's future, and only the
    /// `JoinHandle` may call this.
    pub(crate) unsafe fn read_output<T>(self, dst: &mut Poll<Result<T, JoinError>>, waker: &Waker) {
        // SAFETY: the caller guarantees `T` is the output type, which is what
        // `read_output::<F>` casts `dst` back to.
        unsafe { (self.header().vtable.read_output)(self.0, dst as *mut _ as *mut (), waker) }
    }

    /// Drop a completed task's output; called by the `JoinHandle` when it
    /// lets go after completion.
    pub(crate) fn drop_output(self) {
        // SAFETY: the handle only calls this after `drop_join_interest`
        // reported COMPLETE, which hands it the stage.
        unsafe { (self.header().vtable.drop_output)(self.0) }
    }

    /// Shutdown: drop the future of an idle task on the loop thread.
    pub(crate) fn cancel_now(self) {
        // SAFETY: called on the loop thread while nothing is being polled;
        // `cancel_now` itself claims the stage through the state word.
        unsafe { (self.header().vtable.cancel_now)(self.0) }
    }

    /// Take one more reference.
    pub(crate) fn ref_inc(self) {
        self.header().state.ref_inc();
    }

    /// Give one reference back, freeing the task when it was the last.
    pub(crate) fn ref_dec(self) {
        if self.header().state.ref_dec() {
            // SAFETY: that was the last reference: nobody else can reach the
            // allocation any more.
            unsafe { (self.header().vtable.dealloc)(self.0) }
        }
    }

    /// Act on a wake: record it, and queue a runnable when the task was idle.
    pub(crate) fn wake_by_ref(self) {
        if self.header().state.wake() == WakeAction::Submit {
            // The state transition took a reference for this runnable.
            self.header()
                .shared
                .schedule(super::Runnable::from_raw(self));
        }
    }

    /// Request cancellation; the loop drops the future on its next run.
    pub(crate) fn abort(self) {
        if self.header().state.cancel() == WakeAction::Submit {
            self.header()
                .shared
                .schedule(super::Runnable::from_raw(self));
        }
    }

    /// A waker that owns one reference to this task (the caller gives it).
    pub(crate) fn into_waker(self) -> Waker {
        // SAFETY: the vtable's functions uphold RawWaker's contract: clone
        // takes a reference, drop gives one back, wake may run on any thread
        // because it only touches the state word and the scheduler queue.
        unsafe { Waker::from_raw(RawWaker::new(self.0.as_ptr() as *const (), &WAKER_VTABLE)) }
    }
}

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

fn raw_from(ptr: *const ()) -> RawTask {
    // SAFETY: wakers are only built by `into_waker`/`run` from a non-null
    // header pointer.
    RawTask(unsafe { NonNull::new_unchecked(ptr as *mut Header) })
}

unsafe fn waker_clone(ptr: *const ()) -> RawWaker {
    raw_from(ptr).ref_inc();
    RawWaker::new(ptr, &WAKER_VTABLE)
}

unsafe fn waker_wake(ptr: *const ()) {
    let task = raw_from(ptr);
    match task.header().state.wake_by_val() {
        (WakeAction::Submit, _) => task
            .header()
            .shared
            .schedule(super::Runnable::from_raw(task)),
        (WakeAction::Nothing, false) => {}
        // SAFETY: that was the last reference.
        (WakeAction::Nothing, true) => unsafe { (task.header().vtable.dealloc)(task.0) },
    }
}

unsafe fn waker_wake_by_ref(ptr: *const ()) {
    raw_from(ptr).wake_by_ref();
}

unsafe fn waker_drop(ptr: *const ()) {
    raw_from(ptr).ref_dec();
}

/// # Safety
/// `ptr` heads a live `TaskCell<F>`.
unsafe fn cell<'a, F: Future>(ptr: NonNull<Header>) -> &'a TaskCell<F> {
    // SAFETY: header is at offset 0 of the repr(C) cell; the caller holds a
    // reference that keeps it alive.
    unsafe { ptr.cast::<TaskCell<F>>().as_ref() }
}

unsafe fn run<F: Future>(ptr: NonNull<Header>) -> RunResult {
    // SAFETY: the caller holds a runnable reference.
    let cell = unsafe { cell::<F>(ptr) };
    match cell.header.state.start_run() {
        StartRun::Done => return RunResult::AlreadyComplete,
        StartRun::Cancel => {
            // SAFETY: start_run set RUNNING, which gives us the stage.
            unsafe { cancel_stage(cell) };
            return RunResult::Completed;
        }
        StartRun::Poll => {}
    }
    // SAFETY: RUNNING gives this thread exclusive use of the stage.
    let stage = unsafe { &mut *cell.stage.get() };
    let Stage::Running(future) = stage else {
        unreachable!("a task that is not complete still has its future")
    };
    // Borrow the runnable's reference for the poll: no count traffic unless
    // the future clones the waker.
    let waker = ManuallyDrop::new(RawTask(ptr).into_waker());
    let mut cx = Context::from_waker(&waker);
    // SAFETY: the future lives in the heap cell and is never moved: it is
    // dropped in place by `drop_future_in_place`.
    let polled = catch_unwind(AssertUnwindSafe(|| {
        unsafe { Pin::new_unchecked(future) }.poll(&mut cx)
    }));
    let output = match polled {
        Ok(Poll::Pending) => {
            return match cell.header.state.finish_pending() {
                AfterPending::Idle => RunResult::Pending,
                AfterPending::Reschedule => RunResult::Reschedule,
            }
        }
        Ok(Poll::Ready(value)) => Ok(value),
        Err(payload) => Err(JoinError::Panicked(payload)),
    };
    // A panicking destructor after a finished poll still counts as a panic.
    let output = match drop_future_in_place(stage) {
        Ok(()) => output,
        Err(payload) => Err(JoinError::Panicked(payload)),
    };
    *stage = Stage::Finished(output);
    // SAFETY: still RUNNING, the stage is ours until `complete`.
    unsafe { complete(cell) };
    RunResult::Completed
}

/// Drop the future where it lies (it is pinned), leaving `Consumed`.
fn drop_future_in_place<F: Future>(
    stage: &mut Stage<F>,
) -> Result<(), Box<dyn std::any::Any + Send>> {
    catch_unwind(AssertUnwindSafe(|| {
        // Assigning drops the old value in place, which pinning allows.
        *stage = Stage::Consumed;
    }))
    .inspect_err(|_| {
        // The old value's destructor panicked. Make sure the slot holds a
        // valid value without dropping anything again (the language already
        // assigns on that unwind path; this write keeps us independent of it).
        // SAFETY: writing a fieldless variant over a value whose destructor
        // already ran; `ptr::write` drops nothing.
        unsafe { std::ptr::write(stage, Stage::Consumed) };
    })
}

/// Drop the future because the task was aborted, store the result and
/// complete. Caller holds RUNNING.
unsafe fn cancel_stage<F: Future>(cell: &TaskCell<F>) {
    // SAFETY: RUNNING gives exclusive use of the stage.
    let stage = unsafe { &mut *cell.stage.get() };
    let result = match drop_future_in_place(stage) {
        Ok(()) => JoinError::Cancelled,
        Err(payload) => JoinError::Panicked(payload),
    };
    *stage = Stage::Finished(Err(result));
    // SAFETY: still RUNNING.
    unsafe { complete(cell) };
}

/// Publish completion and hand the output to whoever is owed it.
/// Caller holds RUNNING and has stored the output.
unsafe fn complete<F: Future>(cell: &TaskCell<F>) {
    let before = cell.header.state.complete();
    if !before.has(JOIN_INTEREST) {
        // No handle: the output is nobody's; drop it here on the loop thread.
        // SAFETY: without join interest nobody else reads the stage.
        let stage = unsafe { &mut *cell.stage.get() };
        let _ = catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed));
    } else if before.has(JOIN_WAKER) {
        // SAFETY: JOIN_WAKER set and COMPLETE now set: the handle no longer
        // writes the slot, so a shared read is fine.
        let slot = unsafe { &*cell.header.join_waker.get() };
        if let Some(waker) = slot {
            // A waker is user code; its panic must not unwind through the
            // loop (at shutdown that would leave tasks uncancelled).
            let _ = catch_unwind(AssertUnwindSafe(|| waker.wake_by_ref()));
        }
    }
}

unsafe fn cancel_now<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the owned set's reference keeps the cell alive.
    let cell = unsafe { cell::<F>(ptr) };
    if cell.header.state.claim_for_shutdown() {
        // SAFETY: claim_for_shutdown set RUNNING.
        unsafe { cancel_stage(cell) };
    }
}

unsafe fn read_output<F: Future>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    // SAFETY: the handle's reference keeps the cell alive.
    let cell = unsafe { cell::<F>(ptr) };
    if !can_read_output(&cell.header, waker) {
        return;
    }
    // SAFETY: COMPLETE with join interest gives the handle the stage.
    let stage = unsafe { &mut *cell.stage.get() };
    let Stage::Finished(result) = mem::replace(stage, Stage::Consumed) else {
        panic!("JoinHandle polled again after it returned the task's output")
    };
    // SAFETY: `RawTask::read_output` was called with `T = F::Output`.
    let dst = unsafe { &mut *(dst as *mut Poll<Result<F::Output, JoinError>>) };
    *dst = Poll::Ready(result);
}

/// True when the task completed; otherwise make sure `waker` is registered.
fn can_read_output(header: &Header, waker: &Waker) -> bool {
    let snapshot = header.state.load();
    if snapshot.has(super::state::COMPLETE) {
        return true;
    }
    if snapshot.has(JOIN_WAKER) {
        // SAFETY: while JOIN_WAKER is set nobody writes the slot.
        let stored = unsafe { &*header.join_waker.get() };
        if stored.as_ref().is_some_and(|w| w.will_wake(waker)) {
            return false;
        }
        if header.state.unset_join_waker().is_err() {
            return true;
        }
    }
    store_join_waker(header, waker.clone())
}

/// Store and publish the join waker; true when the task completed first.
fn store_join_waker(header: &Header, waker: Waker) -> bool {
    // SAFETY: JOIN_WAKER is clear, so the slot belongs to the handle.
    let slot = unsafe { &mut *header.join_waker.get() };
    *slot = Some(waker);
    if header.state.set_join_waker().is_err() {
        // Completed meanwhile; the completer saw no waker and never reads it.
        *slot = None;
        return true;
    }
    false
}

unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the handle's reference keeps the cell alive, and it calls this
    // only after completion with join interest: the stage is its own.
    let stage = unsafe { &mut *cell::<F>(ptr).stage.get() };
    let _ = catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed));
}

unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the last reference is gone; the box was made by `allocate`.
    // By then the stage holds no future (the owned set keeps a reference
    // until the loop completes or cancels it), so this drop is thread-safe.
    drop(unsafe { Box::from_raw(ptr.cast::<TaskCell<F>>().as_ptr()) });
}
