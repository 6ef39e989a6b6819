//! What a task looks like from outside: its id, name, spawn site and state.
//!
//! Plain data, no `unsafe`: [`TaskInfo`] is a snapshot taken on the loop
//! thread by `aio::task::current` and `aio::task::all`.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A task's identity: unique among all the tasks of the process, on every
/// loop, and never reused.
///
/// Displays as its number. Of the tasks spawned on one loop's thread,
/// later ones get larger ids.
///
/// ```
/// aio_executor::block_on(async {
///     let a = aio_executor::spawn(async {});
///     let b = aio_executor::spawn(async {});
///     assert_ne!(a.id(), b.id());
///     assert!(a.id() < b.id());
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    /// The id as a number.
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let task = aio_executor::spawn(async {});
    ///     assert_eq!(task.id().as_u64().to_string(), task.id().to_string());
    /// });
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }

    /// A fresh id straight from the process-wide counter (for tasks spawned
    /// from other threads, which have no loop-local block at hand).
    pub(crate) fn next_global() -> TaskId {
        TaskId::from_counter(NEXT_ID.fetch_add(1, Ordering::Relaxed))
    }

    fn from_counter(n: u64) -> TaskId {
        match NonZeroU64::new(n) {
            Some(n) => TaskId(n),
            // 2^64 spawns would take centuries; wrapping would break uniqueness.
            None => panic!("aio: task ids exhausted"),
        }
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TaskId({})", self.0)
    }
}

/// The next unused id of the process. Starts at 1 (ids are non-zero).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// How many ids a loop takes from [`NEXT_ID`] at a time, so that a spawn
/// costs a `Cell` increment rather than a shared atomic.
const ID_BLOCK: u64 = 1024;

/// A loop's source of task ids: a block of the process-wide counter,
/// refilled when used up. Lives on the loop thread.
pub(crate) struct IdAllocator {
    next: Cell<u64>,
    end: Cell<u64>,
}

impl IdAllocator {
    pub(crate) fn new() -> IdAllocator {
        IdAllocator {
            next: Cell::new(0),
            end: Cell::new(0),
        }
    }

    #[inline]
    pub(crate) fn next(&self) -> TaskId {
        let mut next = self.next.get();
        if next == self.end.get() {
            next = NEXT_ID.fetch_add(ID_BLOCK, Ordering::Relaxed);
            self.end.set(next + ID_BLOCK);
        }
        self.next.set(next + 1);
        TaskId::from_counter(next)
    }
}

/// Who a task is, fixed when it is spawned.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin {
    pub(crate) id: TaskId,
    /// Where `spawn` was called (`#[track_caller]`).
    pub(crate) location: &'static Location<'static>,
}

/// A task's name. Behind an `Arc` (one pointer in the task's slot, and
/// nothing for unnamed tasks), so a [`TaskInfo`] copies it cheaply.
pub(crate) type TaskName = Arc<String>;

/// What a task is doing right now.
///
/// ```
/// use aio_executor::task::{self, TaskState};
///
/// aio_executor::block_on(async {
///     let waiting = aio_executor::spawn(std::future::pending::<()>());
///     let _ready = aio_executor::spawn(async {});
///     aio_executor::yield_now().await; // both ran once; one parked
///     let states: Vec<_> = task::all().iter().map(|info| info.state()).collect();
///     assert_eq!(states, [TaskState::Running, TaskState::Waiting]); // main, `waiting`
///     waiting.abort();
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Being polled at this moment (the task asking is always `Running`).
    Running,
    /// Woken (or new) and waiting in a run queue for its turn.
    Ready,
    /// Parked until something wakes it (I/O, a timer, another task).
    Waiting,
}

/// A snapshot of one task: who it is, where it was spawned, what it was
/// doing when the snapshot was taken.
///
/// Given by `task::current` and `task::all`.
/// Its `Display` is the form debug-mode messages use:
/// `task "fetcher" (id 7, spawned at src/main.rs:12:5)`.
///
/// ```
/// aio_executor::block_on(async {
///     let handle = aio_executor::task::Builder::new()
///         .name("fetcher")
///         .spawn(async { aio_executor::task::current().unwrap() });
///     let info = handle.await.unwrap();
///     assert_eq!(info.name(), Some("fetcher"));
///     assert_eq!(info.state(), aio_executor::task::TaskState::Running);
///     assert!(info.to_string().starts_with("task \"fetcher\" (id "));
/// });
/// ```
#[derive(Clone)]
pub struct TaskInfo {
    origin: Origin,
    name: Option<TaskName>,
    state: TaskState,
}

impl TaskInfo {
    pub(crate) fn new(origin: Origin, name: Option<TaskName>, state: TaskState) -> TaskInfo {
        TaskInfo {
            origin,
            name,
            state,
        }
    }

    /// The task's id (the same as its [`JoinHandle::id`](crate::JoinHandle::id)).
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let task = aio_executor::spawn(std::future::pending::<()>());
    ///     aio_executor::yield_now().await;
    ///     assert_eq!(aio_executor::task::all()[1].id(), task.id());
    ///     task.abort();
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.origin.id
    }

    /// The name given with `task::Builder::name`, if
    /// any. The future passed to `run`/`block_on` is named `"main"`.
    ///
    /// ```
    /// use aio_executor::task;
    ///
    /// aio_executor::block_on(async {
    ///     assert_eq!(task::current().unwrap().name(), Some("main"));
    ///     let unnamed = aio_executor::spawn(async { task::current().unwrap().name().is_none() });
    ///     assert!(unnamed.await.unwrap());
    /// });
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref().map(String::as_str)
    }

    /// Where the task was spawned (for the main future: where `run` or
    /// `block_on` was called).
    ///
    /// ```
    /// aio_executor::block_on(async {
    ///     let task = aio_executor::spawn(async { aio_executor::task::current().unwrap().location() });
    ///     let spawned_at = task.await.unwrap();
    ///     assert_eq!(spawned_at.line(), line!() - 2);
    /// });
    /// ```
    pub fn location(&self) -> &'static Location<'static> {
        self.origin.location
    }

    /// What the task was doing when this snapshot was taken.
    ///
    /// ```
    /// use aio_executor::task::{self, TaskState};
    ///
    /// aio_executor::block_on(async {
    ///     assert_eq!(task::current().unwrap().state(), TaskState::Running);
    /// });
    /// ```
    pub fn state(&self) -> TaskState {
        self.state
    }
}

impl fmt::Debug for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskInfo")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("location", &self.location())
            .field("state", &self.state)
            .finish()
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(
                f,
                "task {name:?} (id {}, spawned at {})",
                self.id(),
                self.location()
            ),
            None => write!(f, "task {} (spawned at {})", self.id(), self.location()),
        }
    }
}
