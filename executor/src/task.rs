//! Tasks you can see: names, ids, where they were spawned, what they are
//! doing, like asyncio's `Task.get_name()`, `current_task()` and
//! `all_tasks()`.
//!
//! - [`Builder`] spawns a task with a name;
//! - [`current`] describes the task that is running (the future given to
//!   `run`/`block_on` counts as a task named `"main"`, as in asyncio);
//! - [`all`] describes every task of the loop that has not finished;
//! - a [`TaskInfo`] gives the [`TaskId`] (also [`JoinHandle::id`]), the
//!   name, the spawn site (`#[track_caller]`) and the [`TaskState`].
//!
//! ```
//! use aio_executor::task::{self, TaskState};
//!
//! aio_executor::block_on(async {
//!     let fetcher = task::Builder::new().name("fetcher").spawn(async { 7 });
//!     let names: Vec<_> = task::all().iter().map(|t| t.name().map(String::from)).collect();
//!     assert_eq!(names, [Some("main".to_string()), Some("fetcher".to_string())]);
//!     assert_eq!(task::all()[1].state(), TaskState::Ready); // spawned, not run yet
//!     assert_eq!(fetcher.await.unwrap(), 7);
//! });
//! ```
//!
//! Tasks cost a 16-byte id and spawn site each; a name costs an allocation
//! only for the tasks that have one.

pub use crate::cell::{JoinError, JoinHandle, TaskId, TaskInfo, TaskState};
pub use crate::executor::Builder;
pub use crate::scheduler::{all, current};
