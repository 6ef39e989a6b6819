//! Debug mode, as asyncio's: warn on stderr about every poll that held the
//! loop longer than `slow_callback_duration`, and list the tasks shutdown
//! had to cancel.
//!
//! Off, it costs the loop one well-predicted branch per poll: no clock is
//! read. On, each poll reads the clock twice.

use crate::cell::TaskInfo;
use std::cell::Cell;
use std::time::{Duration, Instant};

/// asyncio's default `slow_callback_duration`.
pub(crate) const DEFAULT_SLOW_CALLBACK_DURATION: Duration = Duration::from_millis(100);

/// A loop's debug settings. Lives in the loop's core (one thread).
pub(super) struct Debug {
    enabled: Cell<bool>,
    threshold: Cell<Duration>,
}

impl Debug {
    pub(super) fn new() -> Debug {
        Debug {
            enabled: Cell::new(false),
            threshold: Cell::new(DEFAULT_SLOW_CALLBACK_DURATION),
        }
    }

    #[inline]
    pub(super) fn enabled(&self) -> bool {
        self.enabled.get()
    }

    pub(super) fn set_enabled(&self, on: bool) {
        self.enabled.set(on);
    }

    pub(super) fn set_threshold(&self, threshold: Duration) {
        self.threshold.set(threshold);
    }

    /// Run one poll, and warn when it took longer than the threshold.
    /// `describe` is asked before the poll (a task that completes leaves
    /// the owned set), and only in debug mode.
    #[inline(never)]
    pub(super) fn time<R>(
        &self,
        poll: impl FnOnce() -> R,
        describe: impl FnOnce() -> Option<TaskInfo>,
    ) -> R {
        let task = describe();
        let start = Instant::now();
        let output = poll();
        let held = start.elapsed();
        let threshold = self.threshold.get();
        if held > threshold {
            if let Some(task) = task {
                eprintln!("{}", slow_poll_message(&task, held, threshold));
            }
        }
        output
    }
}

/// `aio: task "fetcher" (id 7, spawned at src/main.rs:12:5) held the loop
/// for 201ms; slow_callback_duration is 100ms`
fn slow_poll_message(task: &TaskInfo, held: Duration, threshold: Duration) -> String {
    // Whole milliseconds read best; below one, microseconds say something.
    let held = if held >= Duration::from_millis(1) {
        format!("{}ms", held.as_millis())
    } else {
        format!("{}µs", held.as_micros())
    };
    format!("aio: {task} held the loop for {held}; slow_callback_duration is {threshold:?}")
}

/// At shutdown: the tasks that were still alive and got cancelled.
pub(super) fn report_cancelled(tasks: &[TaskInfo]) {
    if tasks.is_empty() {
        return;
    }
    let mut message = format!(
        "aio: the event loop cancelled {} unfinished task(s) at exit:",
        tasks.len()
    );
    for task in tasks {
        message.push_str("\naio:   ");
        message.push_str(&task.to_string());
    }
    // One write, so lines from other threads do not interleave with it.
    eprintln!("{message}");
}
