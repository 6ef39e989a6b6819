//! Every way of starting work takes anything `IntoFuture`, as `.await`
//! does: `gather`, `spawn`, `task::Builder::spawn`/`spawn_on`,
//! `Handle::spawn`, `as_completed` and `TaskGroup::spawn`. (`select!` is
//! tested in select.rs.)

use aio_executor::task::{self, Builder};
use aio_executor::{as_completed, block_on, gather, spawn, yield_now, Handle, TaskGroup};
use std::error::Error;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::thread;

/// Not a future: it becomes one only when asked, as a request builder does.
/// Its future yields `turns` times, then gives `value`.
struct Later<T> {
    turns: u32,
    value: T,
}

fn later<T>(turns: u32, value: T) -> Later<T> {
    Later { turns, value }
}

impl<T: Send + 'static> IntoFuture for Later<T> {
    type Output = T;
    type IntoFuture = Pin<Box<dyn Future<Output = T> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            for _ in 0..self.turns {
                yield_now().await;
            }
            self.value
        })
    }
}

#[test]
fn gather_takes_into_future_items_and_keeps_input_order() {
    let outputs = block_on(gather([
        later(3, "slow"),
        later(0, "quick"),
        later(1, "mid"),
    ]));
    assert_eq!(outputs, ["slow", "quick", "mid"]);
}

#[test]
fn spawn_and_builder_spawn_take_into_future_values() {
    block_on(async {
        let plain = spawn(later(2, 'a'));
        let named = Builder::new().name("builder").spawn(later(1, 'b'));
        // Spawned means running without being awaited: both are done after
        // enough turns of the loop, before either handle is polled.
        for _ in 0..4 {
            yield_now().await;
        }
        assert_eq!(task::all().len(), 1, "only the main future is left");
        assert_eq!(plain.await.unwrap(), 'a');
        assert_eq!(named.await.unwrap(), 'b');
    });
}

#[test]
fn handle_spawn_and_spawn_on_take_into_future_values_from_other_threads() {
    block_on(async {
        let handle = Handle::current();
        let (first, second) = thread::spawn(move || {
            let first = handle.spawn(later(1, 40)).unwrap();
            let second = Builder::new()
                .name("from a thread")
                .spawn_on(&handle, later(2, 2))
                .unwrap();
            (first, second)
        })
        .join()
        .unwrap();
        assert_eq!(first.await.unwrap() + second.await.unwrap(), 42);
    });
}

#[test]
fn as_completed_takes_into_future_items_in_finishing_order() {
    block_on(async {
        let mut finished = as_completed([later(5, "last"), later(0, "first"), later(2, "second")]);
        assert_eq!(finished.next().await, Some("first"));
        assert_eq!(finished.next().await, Some("second"));
        assert_eq!(finished.next().await, Some("last"));
        assert_eq!(finished.next().await, None);
    });
}

#[test]
fn task_group_spawn_takes_into_future_children() {
    block_on(async {
        let group = TaskGroup::new();
        let ok = group.spawn(later(1, Ok(7)));
        group.join().await.unwrap();
        assert_eq!(ok.await.unwrap(), 7);

        let group = TaskGroup::new();
        let error: Box<dyn Error + Send + Sync> = "refused".into();
        group.spawn(later(1, Err::<(), _>(error)));
        let failure = group.join().await.unwrap_err();
        assert_eq!(
            format!("{failure:#}"),
            "1 task in the group failed: refused"
        );
    });
}
