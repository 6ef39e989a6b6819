//! Tasks you can see: names, ids, spawn sites, states (`aio::task`).

use aio_executor::task::{self, Builder, TaskState};
use aio_executor::{block_on, spawn, yield_now};
use std::cell::Cell;
use std::collections::HashSet;
use std::future::poll_fn;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

/// Pending until the waker it parked in `slot` is called; counts its polls.
fn park_in(
    slot: Rc<Cell<Option<Waker>>>,
    polls: Rc<Cell<usize>>,
) -> impl std::future::Future<Output = ()> {
    let mut woken = false;
    poll_fn(move |cx| {
        polls.set(polls.get() + 1);
        if woken {
            return Poll::Ready(());
        }
        woken = true;
        slot.set(Some(cx.waker().clone()));
        Poll::Pending
    })
}

#[test]
fn named_task_knows_its_name_id_and_spawn_site() {
    block_on(async {
        let (handle, line) = (
            Builder::new()
                .name("fetcher")
                .spawn(async { task::current().unwrap() }),
            line!(),
        );
        let id = handle.id();
        let info = handle.await.unwrap();
        assert_eq!(info.name(), Some("fetcher"));
        assert_eq!(info.id(), id);
        assert_eq!(info.state(), TaskState::Running);
        assert_eq!(info.location().file(), file!());
        assert_eq!(info.location().line(), line - 1);
        assert_eq!(
            info.to_string(),
            format!("task \"fetcher\" (id {id}, spawned at {})", info.location())
        );
    });
}

#[test]
fn plain_spawn_records_where_it_was_called() {
    block_on(async {
        let line = line!() + 1;
        let handle = spawn(async { task::current().unwrap() });
        let info = handle.await.unwrap();
        assert_eq!(info.name(), None);
        assert_eq!(
            (info.location().file(), info.location().line()),
            (file!(), line)
        );
        assert!(info
            .to_string()
            .starts_with(&format!("task {} (spawned at ", info.id())));
    });
}

#[test]
fn main_future_is_a_task_named_main() {
    let line = line!() + 1;
    let (main, all) = block_on(async { (task::current().unwrap(), task::all()) });
    assert_eq!(main.name(), Some("main"));
    assert_eq!(main.state(), TaskState::Running);
    assert_eq!(
        (main.location().file(), main.location().line()),
        (file!(), line)
    );
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].id(), main.id());
}

#[test]
fn all_tells_running_ready_and_waiting_apart() {
    block_on(async {
        let slot = Rc::new(Cell::new(None));
        let polls = Rc::new(Cell::new(0));
        let parked = Builder::new()
            .name("parked")
            .spawn(park_in(slot.clone(), polls.clone()));
        let fresh = Builder::new().name("fresh").spawn(async {});
        let state_of = |name: &str| {
            task::all()
                .into_iter()
                .find(|t| t.name() == Some(name))
                .map(|t| t.state())
        };
        // Spawned, not run yet: waiting in the run queue.
        assert_eq!(state_of("parked"), Some(TaskState::Ready));
        assert_eq!(state_of("fresh"), Some(TaskState::Ready));
        assert_eq!(state_of("main"), Some(TaskState::Running));
        // Let both run: one finishes, the other parks its waker.
        while polls.get() == 0 || !fresh.is_finished() {
            yield_now().await;
        }
        assert_eq!(state_of("parked"), Some(TaskState::Waiting));
        assert_eq!(state_of("fresh"), None, "a finished task leaves all()");
        // Woken, not run yet: ready again.
        slot.take().expect("parked its waker").wake();
        assert_eq!(state_of("parked"), Some(TaskState::Ready));
        parked.await.unwrap();
        assert_eq!(state_of("parked"), None);
        fresh.await.unwrap();
    });
}

#[test]
fn all_lists_tasks_in_spawn_order_with_their_handles_ids() {
    block_on(async {
        let handles: Vec<_> = (0..5)
            .map(|i| Builder::new().name(format!("worker-{i}")).spawn(async {}))
            .collect();
        let all = task::all();
        let names: Vec<_> = all.iter().map(|t| t.name().unwrap().to_string()).collect();
        assert_eq!(
            names,
            ["main", "worker-0", "worker-1", "worker-2", "worker-3", "worker-4"]
        );
        let ids: Vec<_> = all[1..].iter().map(|t| t.id()).collect();
        let handle_ids: Vec<_> = handles.iter().map(|h| h.id()).collect();
        assert_eq!(ids, handle_ids);
        for handle in handles {
            handle.await.unwrap();
        }
    });
}

#[test]
fn task_ids_are_unique_across_loops_and_threads() {
    let ids = Arc::new(Mutex::new(HashSet::new()));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let ids = ids.clone();
            std::thread::spawn(move || {
                block_on(async move {
                    for _ in 0..2000 {
                        let handle = spawn(async {});
                        assert!(ids.lock().unwrap().insert(handle.id()), "id reused");
                        handle.await.unwrap();
                    }
                })
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(ids.lock().unwrap().len(), 8000);
}

#[test]
fn current_is_none_outside_a_loop_and_all_refuses_clearly() {
    assert!(task::current().is_none());
    let refused = catch_unwind(task::all).unwrap_err();
    assert_eq!(
        refused.downcast_ref::<&str>().copied(),
        Some("aio::task::all() called outside of aio::run()")
    );
    let refused = catch_unwind(AssertUnwindSafe(|| {
        Builder::new().name("x").spawn(async {})
    }))
    .unwrap_err();
    assert_eq!(
        refused.downcast_ref::<&str>().copied(),
        Some("aio::task::Builder::spawn() called outside of aio::run()")
    );
}

#[test]
fn current_is_none_in_a_destructor_run_by_shutdown() {
    struct SeesCurrent(Rc<Cell<Option<bool>>>);
    impl Drop for SeesCurrent {
        fn drop(&mut self) {
            self.0.set(Some(task::current().is_some()));
        }
    }
    let seen = Rc::new(Cell::new(None));
    let guard = SeesCurrent(seen.clone());
    block_on(async move {
        drop(spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        }));
        yield_now().await;
    });
    assert_eq!(seen.get(), Some(false), "cancelled outside any poll");
}

#[test]
fn task_info_and_builder_debug_print_their_fields() {
    block_on(async {
        let builder = Builder::new().name("n");
        assert_eq!(format!("{builder:?}"), "Builder { name: Some(\"n\") }");
        let info = task::current().unwrap();
        let debug = format!("{info:?}");
        assert!(debug.starts_with(&format!(
            "TaskInfo {{ id: TaskId({}), name: Some(\"main\"), location: ",
            info.id()
        )));
        assert!(debug.ends_with("state: Running }"));
        let handle = spawn(async {});
        assert!(format!("{handle:?}").starts_with("JoinHandle { id: TaskId("));
        handle.await.unwrap();
    });
}
