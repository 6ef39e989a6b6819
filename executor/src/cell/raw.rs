//! The task allocation and every `unsafe` block of the executor.
//!
//! A task is one heap block: a type-erased [`Header`], the scheduler's value
//! (the [`Schedule`] implementor it was spawned with), then the stage (the
//! future, then its output). Runnables, wakers, the owned set and the
//! `JoinHandle` all point at the header and reach the typed parts through the
//! vtable. Who may touch what is decided by the state word (see `state.rs`):
//! - the stage: the holder of `RUNNING` while the future lives; after
//!   `COMPLETE`, the `JoinHandle` (if `JOIN_INTEREST` was set) or else the
//!   completer;
//! - the join waker slot: the handle while `JOIN_WAKER` is clear, readers
//!   only while it is set;
//! - the scheduler value: shared by every wake, from any thread (it is
//!   `Sync`), until the allocation is freed;
//! - the allocation: freed by whoever drops the last reference.
//!
//! Futures need not be `Send`: the future is only ever polled or dropped on
//! the loop thread, because the owned set keeps a reference until the loop
//! itself has completed or cancelled the task. Other threads only touch the
//! state word, the join waker, the scheduler value, the output (which the
//! `JoinHandle` makes `Send` only when the output is) and the memory.
//! The one exception is a task spawned from another thread (`RemoteTask`):
//! its future is `Send`, and until the loop registers it, the thread that
//! allocated it may cancel it in place, because no runnable or waker of it
//! exists anywhere else.
//!
//! The waker functions are compiled per future and scheduler type, so a wake
//! calls the scheduler directly, as a call to a known queue would.

use super::error::JoinError;
use super::info::{Origin, TaskId};
use super::state::{
    AfterPending, Snapshot, StartRun, State, WakeAction, COMPLETE, JOIN_INTEREST, JOIN_WAKER,
};
use super::{Runnable, Schedule};
use std::cell::UnsafeCell;
use std::future::Future;
use std::mem::{self, ManuallyDrop};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// The type-erased start of every task allocation.
pub(super) struct Header {
    pub(super) state: State,
    vtable: &'static Vtable,
    /// The task's slot in its owned set. Set at allocation on the loop
    /// thread, or, for a task spawned from another thread, when the loop
    /// registers it; only the loop thread reads it. Atomic only so that the
    /// header stays shareable without an argument about who writes when
    /// (relaxed accesses compile to plain moves).
    key: AtomicUsize,
    /// Id and spawn site, for `aio::task::current`/`all` and debug mode.
    origin: Origin,
    join_waker: UnsafeCell<Option<Waker>>,
}

struct Vtable {
    /// The task's wakers. It lives in the task's vtable, not in a constant
    /// of its own, so that every waker of a task points at one table:
    /// `Waker::will_wake` compares table addresses, and two uses of a
    /// generic constant need not share one address.
    waker: RawWakerVTable,
    run: unsafe fn(NonNull<Header>) -> RunResult,
    read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    drop_output: unsafe fn(NonNull<Header>),
    cancel_now: unsafe fn(NonNull<Header>),
    schedule: unsafe fn(NonNull<Header>),
    dealloc: unsafe fn(NonNull<Header>),
}

// `repr(C)` keeps the header at offset 0, so a header pointer is a cell pointer.
#[repr(C)]
struct TaskCell<F: Future, S> {
    header: Header,
    scheduler: S,
    stage: UnsafeCell<Stage<F>>,
}

impl<F: Future, S: Schedule> TaskCell<F, S> {
    const VTABLE: Vtable = Vtable {
        waker: RawWakerVTable::new(
            waker_clone,
            waker_wake::<F, S>,
            waker_wake_by_ref::<F, S>,
            waker_drop,
        ),
        run: run::<F, S>,
        read_output: read_output::<F, S>,
        drop_output: drop_output::<F, S>,
        cancel_now: cancel_now::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
    };
}

enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

/// What happened when the loop ran a task.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum RunResult {
    /// Waiting for a wake; the runnable's reference was already released
    /// by the state transition.
    Pending,
    /// Woken while running: the runnable goes back in the queue.
    Reschedule,
    /// The future is gone: remove the task from the owned set.
    Completed,
    /// It had already completed (shutdown got there first).
    AlreadyComplete,
}

/// A pointer to a task. Not a reference by itself: every holder (the handle
/// types of this module and the wakers) owns one, which is what keeps the
/// allocation behind `header` alive. Private to the task module, so that
/// invariant is kept in one place.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct RawTask(NonNull<Header>);

impl RawTask {
    /// Allocate a task with three references (owned set, first runnable,
    /// join handle), already marked scheduled.
    pub(super) fn allocate<F, S>(future: F, scheduler: S, key: usize, origin: Origin) -> RawTask
    where
        F: Future + 'static,
        S: Schedule,
    {
        let cell = Box::new(TaskCell {
            header: Header {
                state: State::new(),
                vtable: &TaskCell::<F, S>::VTABLE,
                key: AtomicUsize::new(key),
                origin,
                join_waker: UnsafeCell::new(None),
            },
            scheduler,
            stage: UnsafeCell::new(Stage::Running(future)),
        });
        RawTask(NonNull::from(Box::leak(cell)).cast())
    }

    /// # Safety
    /// `ptr` is the data pointer of a waker made by `into_waker` (or a clone
    /// of one), and that waker still owns its reference.
    unsafe fn from_waker_data(ptr: *const ()) -> RawTask {
        // SAFETY: such a pointer is a task's non-null header pointer.
        RawTask(unsafe { NonNull::new_unchecked(ptr as *mut Header) })
    }

    fn header(&self) -> &Header {
        // SAFETY: whoever holds this RawTask owns a reference (see the type's
        // doc), which keeps the allocation alive.
        unsafe { self.0.as_ref() }
    }

    pub(super) fn key(self) -> usize {
        self.header().key.load(Relaxed)
    }

    /// Move the task to another slot (a task spawned from another thread
    /// gets its slot when the loop registers it, on the loop thread).
    pub(super) fn set_key(self, key: usize) {
        self.header().key.store(key, Relaxed);
    }

    pub(super) fn origin(self) -> Origin {
        self.header().origin
    }

    pub(super) fn id(self) -> TaskId {
        self.header().origin.id
    }

    pub(super) fn is_complete(self) -> bool {
        self.header().state.load().has(COMPLETE)
    }

    /// The state word as it is now (for `aio::task::all`'s running, ready
    /// or waiting).
    pub(super) fn snapshot(self) -> Snapshot {
        self.header().state.load()
    }

    /// Poll (or cancel) the future.
    ///
    /// # Safety
    /// The caller owns the task's runnable reference and runs on the thread
    /// that spawned the task (the future may not be `Send`).
    pub(super) unsafe fn run(self) -> RunResult {
        // SAFETY: the caller holds a runnable, so the task is alive and ours
        // to run, on the right thread; the vtable matches the allocation it
        // was made with.
        unsafe { (self.header().vtable.run)(self.0) }
    }

    /// Move the output into `dst` if the task completed; otherwise register
    /// `waker` to be woken at completion.
    ///
    /// # Safety
    /// `T` must be the output type of the task's future, and only the
    /// `JoinHandle` may call this.
    pub(super) unsafe fn read_output<T>(self, dst: &mut Poll<Result<T, JoinError>>, waker: &Waker) {
        // SAFETY: the caller guarantees `T` is the output type, which is what
        // `read_output::<F, S>` casts `dst` back to.
        unsafe { (self.header().vtable.read_output)(self.0, dst as *mut _ as *mut (), waker) }
    }

    /// The `JoinHandle` lets go: drop the output if the task completed (it
    /// is the handle's then), and give back the handle's reference.
    pub(super) fn drop_join_handle(self) {
        if self.header().state.drop_join_interest() {
            // SAFETY: `drop_join_interest` reported COMPLETE with the
            // interest still set, which hands the stage to the handle.
            unsafe { (self.header().vtable.drop_output)(self.0) }
        }
        self.ref_dec();
    }

    /// Shutdown: drop the future of an idle task.
    ///
    /// # Safety
    /// Called on the loop thread, and not while the task is being polled;
    /// or, for a task whose future is `Send` and that was never handed to a
    /// loop (no runnable or waker of it exists elsewhere), on the thread that
    /// holds its owned reference.
    pub(super) unsafe fn cancel_now(self) {
        // SAFETY: the caller is on the loop thread outside any poll;
        // `cancel_now` itself claims the stage through the state word.
        unsafe { (self.header().vtable.cancel_now)(self.0) }
    }

    /// Give one reference back, freeing the task when it was the last.
    pub(super) fn ref_dec(self) {
        if self.header().state.ref_dec() {
            // SAFETY: that was the last reference: nobody else can reach the
            // allocation any more.
            unsafe { (self.header().vtable.dealloc)(self.0) }
        }
    }

    /// Request cancellation; the loop drops the future on its next run.
    pub(super) fn abort(self) {
        if self.header().state.cancel() == WakeAction::Submit {
            // SAFETY: the transition took a reference for the runnable.
            unsafe { (self.header().vtable.schedule)(self.0) }
        }
    }

    /// A waker that owns one reference to this task (the caller gives it).
    fn into_waker(self) -> Waker {
        let vtable = &self.header().vtable.waker;
        // SAFETY: the table's functions uphold RawWaker's contract: clone
        // takes a reference, drop gives one back, wake may run on any thread
        // because it only touches the state word and the scheduler value
        // (`Send + Sync`).
        unsafe { Waker::from_raw(RawWaker::new(self.0.as_ptr() as *const (), vtable)) }
    }
}

/// # Safety
/// `ptr` comes from a live waker of a task (RawWaker's contract for clone).
unsafe fn waker_clone(ptr: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned owns a reference.
    let task = unsafe { RawTask::from_waker_data(ptr) };
    task.header().state.ref_inc();
    RawWaker::new(ptr, &task.header().vtable.waker)
}

/// # Safety
/// `ptr` comes from a waker of a `TaskCell<F, S>`, which gives its reference
/// up here (RawWaker's contract for wake).
unsafe fn waker_wake<F: Future, S: Schedule>(ptr: *const ()) {
    // SAFETY: the waker owns a reference until this call consumes it.
    let task = unsafe { RawTask::from_waker_data(ptr) };
    match task.header().state.wake_by_val() {
        // SAFETY: the waker's reference became the runnable's; this waker
        // belongs to a TaskCell<F, S>.
        (WakeAction::Submit, _) => unsafe { schedule::<F, S>(task.0) },
        (WakeAction::Nothing, false) => {}
        // SAFETY: that was the last reference, of a TaskCell<F, S>.
        (WakeAction::Nothing, true) => unsafe { dealloc::<F, S>(task.0) },
    }
}

/// # Safety
/// `ptr` comes from a live waker of a `TaskCell<F, S>`.
unsafe fn waker_wake_by_ref<F: Future, S: Schedule>(ptr: *const ()) {
    // SAFETY: the waker owns a reference and keeps it.
    let task = unsafe { RawTask::from_waker_data(ptr) };
    if task.header().state.wake() == WakeAction::Submit {
        // SAFETY: the transition took a reference for the runnable; this
        // waker belongs to a TaskCell<F, S>.
        unsafe { schedule::<F, S>(task.0) }
    }
}

/// # Safety
/// `ptr` comes from a waker of a task, which gives its reference up here.
unsafe fn waker_drop(ptr: *const ()) {
    // SAFETY: the waker owns a reference until this call gives it back.
    unsafe { RawTask::from_waker_data(ptr) }.ref_dec();
}

/// # Safety
/// `ptr` heads a live `TaskCell<F, S>`.
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a TaskCell<F, S> {
    // SAFETY: header is at offset 0 of the repr(C) cell; the caller holds a
    // reference that keeps it alive.
    unsafe { ptr.cast::<TaskCell<F, S>>().as_ref() }
}

/// Hand the task's scheduler a runnable.
///
/// # Safety
/// `ptr` heads a `TaskCell<F, S>`, and the caller gives this call one
/// reference (taken by a state transition that set SCHEDULED) for the
/// runnable.
unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: the reference handed to us keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    let refused = cell.scheduler.schedule(Runnable(RawTask(ptr)));
    // Dropped only now that `scheduler` is no longer borrowed: this may be
    // the task's last reference, and `scheduler` lives in the task.
    drop(refused);
}

/// # Safety
/// `ptr` heads a `TaskCell<F, S>`; the caller holds its runnable, on the
/// loop thread.
unsafe fn run<F: Future, S: Schedule>(ptr: NonNull<Header>) -> RunResult {
    // SAFETY: the caller holds a runnable reference.
    let cell = unsafe { cell::<F, S>(ptr) };
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
    let polled = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the future lives in the heap cell and is never moved: it
        // is dropped in place by `drop_future_in_place`.
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
/// complete.
///
/// # Safety
/// The caller set RUNNING (so the stage is its own), on the loop thread.
unsafe fn cancel_stage<F: Future, S>(cell: &TaskCell<F, S>) {
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
///
/// # Safety
/// The caller holds RUNNING and has stored the output (or the
/// cancellation) in the stage.
unsafe fn complete<F: Future, S>(cell: &TaskCell<F, S>) {
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

/// # Safety
/// `ptr` heads a `TaskCell<F, S>` kept alive by the owned set's reference
/// (or a never-registered task's equivalent); called under the conditions
/// of [`RawTask::cancel_now`].
unsafe fn cancel_now<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the owned set's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    if cell.header.state.claim_for_shutdown() {
        // SAFETY: claim_for_shutdown set RUNNING, so nobody else touches the
        // stage; the caller is on the loop thread, or holds a `Send` future
        // nobody else can reach (see `RawTask::cancel_now`).
        unsafe { cancel_stage(cell) };
    }
}

/// # Safety
/// `ptr` heads a `TaskCell<F, S>`, the caller is its `JoinHandle`, and
/// `dst` points at a `Poll<Result<F::Output, JoinError>>`.
unsafe fn read_output<F: Future, S>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    // SAFETY: the handle's reference keeps the cell alive.
    let cell = unsafe { cell::<F, S>(ptr) };
    // SAFETY: the caller is the task's JoinHandle.
    if !unsafe { can_read_output(&cell.header, waker) } {
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
///
/// # Safety
/// Only the task's `JoinHandle` calls this (it alone writes the slot).
unsafe fn can_read_output(header: &Header, waker: &Waker) -> bool {
    let snapshot = header.state.load();
    if snapshot.has(COMPLETE) {
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
    // SAFETY: JOIN_WAKER is clear now (never set, or unset above), and the
    // caller is the handle.
    unsafe { store_join_waker(header, waker.clone()) }
}

/// Store and publish the join waker; true when the task completed first.
///
/// # Safety
/// The caller is the task's `JoinHandle` and JOIN_WAKER is clear.
unsafe fn store_join_waker(header: &Header, waker: Waker) -> bool {
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

/// # Safety
/// `ptr` heads a `TaskCell<F, S>`, the caller is its `JoinHandle`, and the
/// task completed with the handle's interest set.
unsafe fn drop_output<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the handle's reference keeps the cell alive, and it calls this
    // only after completion with join interest: the stage is its own.
    let stage = unsafe { &mut *cell::<F, S>(ptr).stage.get() };
    let _ = catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed));
}

/// # Safety
/// `ptr` heads a `TaskCell<F, S>` made by `allocate` whose last reference
/// is gone.
unsafe fn dealloc<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: the last reference is gone; the box was made by `allocate`.
    // By then the stage holds no future (the owned set keeps a reference
    // until the loop completes or cancels it) and the scheduler value is
    // `Send`, so this drop is thread-safe.
    drop(unsafe { Box::from_raw(ptr.cast::<TaskCell<F, S>>().as_ptr()) });
}
