//! `TaskGroup`: values through handles, the first failure cancelling the
//! siblings (destructors run), every failure reported, panics, nested
//! groups, dropping unjoined, aborting one child, spawning after a failure.

use aio_executor::{
    block_on, live_tasks, spawn, yield_now, ChildFailure, JoinError, TaskGroup, TaskGroupError,
};
use std::cell::{Cell, RefCell};
use std::error::Error;
use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;

type BoxError = Box<dyn Error + Send + Sync>;

mod support;

use support::{flag, DropFlag, Signal};

/// A child that holds a drop flag, tells `started` it is waiting, and never
/// finishes on its own.
fn waits_forever(
    dropped: &Rc<Cell<bool>>,
    started: &Signal,
) -> impl Future<Output = Result<(), BoxError>> {
    let guard = DropFlag(Rc::clone(dropped));
    let started = started.clone();
    async move {
        let _guard = guard;
        started.set();
        pending::<()>().await;
        Ok(())
    }
}

#[test]
fn children_values_are_read_from_their_handles_after_join() {
    block_on(async {
        let group = TaskGroup::new();
        let go = Signal::default();
        let first = group.spawn(async { Ok(1) });
        let later = {
            let go = go.clone();
            group.spawn(async move {
                go.wait().await;
                Ok("later")
            })
        };
        let setter = group.spawn({
            let go = go.clone();
            async move {
                go.set();
                Ok(())
            }
        });
        assert_eq!(group.running(), 3);
        group.join().await.unwrap();
        // join came back only after every child ended.
        assert!(first.is_finished() && later.is_finished() && setter.is_finished());
        assert_eq!(first.await.unwrap(), 1);
        assert_eq!(later.await.unwrap(), "later");
        setter.await.unwrap();
    });
}

#[test]
fn join_with_no_children_is_ready_at_its_first_poll() {
    block_on(async {
        let mut join = pin!(TaskGroup::new().join());
        let polled = poll_fn(|cx| Poll::Ready(join.as_mut().poll(cx))).await;
        assert!(matches!(polled, Poll::Ready(Ok(()))));
    });
}

#[test]
fn first_failure_cancels_siblings_and_their_destructors_run_before_join_returns() {
    block_on(async {
        let group = TaskGroup::new();
        let (a_dropped, b_dropped) = (flag(), flag());
        let (a_started, b_started) = (Signal::default(), Signal::default());
        let a = group.spawn(waits_forever(&a_dropped, &a_started));
        let b = group.spawn(waits_forever(&b_dropped, &b_started));
        let failing = group.spawn(async move {
            a_started.wait().await;
            b_started.wait().await;
            Err::<(), _>("boom".into())
        });
        let error = group.join().await.unwrap_err();
        assert!(
            a_dropped.get() && b_dropped.get(),
            "siblings' destructors ran"
        );
        assert_eq!(error.failures().len(), 1);
        assert_eq!(error.failures()[0].to_string(), "boom");
        assert_eq!(error.to_string(), "1 task in the group failed");
        assert_eq!(format!("{error:#}"), "1 task in the group failed: boom");
        assert_eq!(error.source().unwrap().to_string(), "boom");
        assert!(a.await.unwrap_err().is_cancelled());
        assert!(b.await.unwrap_err().is_cancelled());
        assert!(failing.await.unwrap_err().is_cancelled());
        assert_eq!(live_tasks(), Some(0), "no child task is left on the loop");
    });
}

#[test]
fn every_failure_is_reported_when_two_children_fail_in_the_same_turn() {
    block_on(async {
        let group = TaskGroup::new();
        let go = Signal::default();
        let (forever_dropped, forever_started) = (flag(), Signal::default());
        for name in ["first", "second"] {
            let go = go.clone();
            group.spawn(async move {
                go.wait().await;
                Err::<(), BoxError>(name.into())
            });
        }
        group.spawn(waits_forever(&forever_dropped, &forever_started));
        group.spawn(async move {
            forever_started.wait().await;
            // Wakes both failing children at once.
            go.set();
            Ok(())
        });
        let error = group.join().await.unwrap_err();
        let failures: Vec<String> = error.failures().iter().map(|f| f.to_string()).collect();
        assert_eq!(failures, ["first", "second"]);
        assert_eq!(error.to_string(), "2 tasks in the group failed");
        assert_eq!(
            format!("{error:#}"),
            "2 tasks in the group failed: first; second"
        );
        assert!(forever_dropped.get());
    });
}

#[test]
fn a_panicking_child_is_reported_with_its_payload_and_cancels_siblings() {
    block_on(async {
        let group = TaskGroup::new();
        let (dropped, started) = (flag(), Signal::default());
        let sibling = group.spawn(waits_forever(&dropped, &started));
        let panicking = group.spawn(async move {
            started.wait().await;
            if started.is_set() {
                panic!("child exploded");
            }
            Ok(())
        });
        let error = group.join().await.unwrap_err();
        assert!(dropped.get());
        assert_eq!(error.to_string(), "1 task in the group failed");
        assert_eq!(
            format!("{error:#}"),
            "1 task in the group failed: task panicked: child exploded"
        );
        let mut failures = error.into_failures();
        let Some(ChildFailure::Panicked(panic)) = failures.pop() else {
            panic!("expected a panic failure");
        };
        assert_eq!(panic.message(), Some("child exploded"));
        let payload = panic.into_payload();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"child exploded"));
        assert!(panicking.await.unwrap_err().is_cancelled());
        assert!(sibling.await.unwrap_err().is_cancelled());
    });
}

#[test]
fn a_destructor_that_panics_while_its_child_is_cancelled_is_a_failure_too() {
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            panic!("cleanup failed");
        }
    }
    block_on(async {
        let group = TaskGroup::new();
        let started = Signal::default();
        group.spawn({
            let started = started.clone();
            async move {
                let _cleanup = PanicsOnDrop;
                started.set();
                pending::<()>().await;
                Ok(())
            }
        });
        group.spawn(async move {
            started.wait().await;
            Err::<(), BoxError>("boom".into())
        });
        let error = group.join().await.unwrap_err();
        let texts: Vec<String> = error.failures().iter().map(|f| f.to_string()).collect();
        assert_eq!(texts, ["boom", "task panicked: cleanup failed"]);
    });
}

#[test]
fn a_nested_group_failure_propagates_through_its_parent_child() {
    block_on(async {
        let outer = TaskGroup::new();
        let (inner_sibling_dropped, outer_sibling_dropped) = (flag(), flag());
        let (inner_started, outer_started) = (Signal::default(), Signal::default());
        outer.spawn(waits_forever(&outer_sibling_dropped, &outer_started));
        let inner_dropped = Rc::clone(&inner_sibling_dropped);
        outer.spawn(async move {
            outer_started.wait().await;
            let inner = TaskGroup::new();
            inner.spawn(waits_forever(&inner_dropped, &inner_started));
            inner.spawn(async move {
                inner_started.wait().await;
                Err::<(), BoxError>("deep".into())
            });
            inner.join().await?;
            Ok(())
        });
        let error = outer.join().await.unwrap_err();
        assert!(inner_sibling_dropped.get() && outer_sibling_dropped.get());
        assert_eq!(
            format!("{error:#}"),
            "1 task in the group failed: 1 task in the group failed: deep"
        );
        let inner_error = error.failures()[0]
            .error()
            .unwrap()
            .downcast_ref::<TaskGroupError<BoxError>>()
            .unwrap();
        assert_eq!(inner_error.failures()[0].to_string(), "deep");
        // The cause chain reaches the innermost failure.
        let mut chain = Vec::new();
        let mut cause: Option<&(dyn Error + 'static)> = Some(&error);
        while let Some(current) = cause {
            chain.push(current.to_string());
            cause = current.source();
        }
        assert_eq!(
            chain,
            [
                "1 task in the group failed",
                "1 task in the group failed",
                "deep"
            ]
        );
    });
}

#[test]
fn dropping_a_group_without_join_cancels_its_children() {
    block_on(async {
        let (a_dropped, b_dropped) = (flag(), flag());
        let (a_started, b_started) = (Signal::default(), Signal::default());
        let group = TaskGroup::new();
        let a = group.spawn(waits_forever(&a_dropped, &a_started));
        let b = group.spawn(waits_forever(&b_dropped, &b_started));
        a_started.wait().await;
        b_started.wait().await;
        drop(group);
        let (a, b) = (a.await.unwrap_err(), b.await.unwrap_err());
        assert!(a.is_cancelled());
        assert!(b.is_cancelled());
        assert!(a_dropped.get() && b_dropped.get());
    });
}

#[test]
fn dropping_the_join_future_before_it_finished_cancels_the_children() {
    block_on(async {
        let (dropped, started) = (flag(), Signal::default());
        let group = TaskGroup::new();
        let child = group.spawn(waits_forever(&dropped, &started));
        started.wait().await;
        {
            let mut join = pin!(group.join());
            let polled = poll_fn(|cx| Poll::Ready(join.as_mut().poll(cx))).await;
            assert!(polled.is_pending());
        }
        assert!(child.await.unwrap_err().is_cancelled());
        assert!(dropped.get());
    });
}

#[test]
fn a_child_spawned_that_outlives_its_group_only_through_aio_spawn() {
    // The group's children are cancelled with it; a plain task is not.
    block_on(async {
        let go = Signal::default();
        let plain = spawn({
            let go = go.clone();
            async move {
                go.wait().await;
                "still here"
            }
        });
        let (dropped, started) = (flag(), Signal::default());
        let group = TaskGroup::new();
        let child = group.spawn(waits_forever(&dropped, &started));
        started.wait().await;
        drop(group);
        assert!(child.await.is_err());
        go.set();
        assert_eq!(plain.await.unwrap(), "still here");
    });
}

#[test]
fn aborting_one_child_is_reported_as_cancelled_not_as_a_failure() {
    block_on(async {
        let group = TaskGroup::new();
        let (dropped, started) = (flag(), Signal::default());
        let go = Signal::default();
        let aborted = group.spawn(waits_forever(&dropped, &started));
        let sibling = group.spawn({
            let go = go.clone();
            async move {
                go.wait().await;
                Ok(5)
            }
        });
        started.wait().await;
        aborted.abort();
        assert!(matches!(aborted.await, Err(JoinError::Cancelled)));
        assert!(dropped.get());
        assert!(!group.is_cancelling(), "an abort does not cancel siblings");
        assert_eq!(group.running(), 1);
        go.set();
        group.join().await.unwrap();
        assert_eq!(sibling.await.unwrap(), 5);
    });
}

#[test]
fn a_child_spawned_after_a_failure_is_cancelled_at_once() {
    block_on(async {
        let group = TaskGroup::new();
        let go = Signal::default();
        let (forever_dropped, forever_started) = (flag(), Signal::default());
        group.spawn(waits_forever(&forever_dropped, &forever_started));
        group.spawn({
            let go = go.clone();
            async move {
                go.wait().await;
                Err::<(), BoxError>("boom".into())
            }
        });
        forever_started.wait().await;
        go.set();
        // A fact, waited for a bounded number of turns (fails, never hangs).
        for _ in 0..10 {
            if group.is_cancelling() {
                break;
            }
            yield_now().await;
        }
        assert!(group.is_cancelling());
        let late_dropped = flag();
        let late_polled = flag();
        let late = group.spawn({
            let guard = DropFlag(Rc::clone(&late_dropped));
            let polled = Rc::clone(&late_polled);
            async move {
                let _guard = guard;
                polled.set(true);
                Ok(())
            }
        });
        assert!(late_dropped.get(), "dropped inside spawn, never polled");
        assert!(late.await.unwrap_err().is_cancelled());
        assert!(!late_polled.get());
        let error = group.join().await.unwrap_err();
        assert_eq!(error.failures().len(), 1);
        assert!(forever_dropped.get());
    });
}

#[test]
fn a_group_with_its_own_error_type() {
    block_on(async {
        let group = TaskGroup::<std::io::Error>::default();
        let ok = group.spawn(async { Ok(1u8) });
        group.spawn(async {
            Err::<(), _>(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such post",
            ))
        });
        let error = group.join().await.unwrap_err();
        let io = error.failures()[0].error().unwrap();
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(error.source().unwrap().to_string(), "no such post");
        assert!(!error.failures()[0].is_panic());
        // `ok` finished before the failure: it keeps its value.
        assert_eq!(ok.await.unwrap(), 1);
    });
}

#[test]
fn the_error_can_travel_as_a_boxed_send_sync_error() {
    fn boxed<E: Error + Send + Sync + 'static>(error: E) -> BoxError {
        Box::new(error)
    }
    let error = block_on(async {
        let group = TaskGroup::new();
        group.spawn(async { Err::<(), BoxError>("boom".into()) });
        group.join().await.unwrap_err()
    });
    assert_eq!(boxed(error).to_string(), "1 task in the group failed");
}

#[test]
fn a_sibling_already_ready_when_the_failure_happened_still_finishes() {
    block_on(async {
        let group = TaskGroup::new();
        let go = Signal::default();
        let failing = {
            let go = go.clone();
            group.spawn(async move {
                go.wait().await;
                Err::<(), BoxError>("boom".into())
            })
        };
        let ready_too = {
            let go = go.clone();
            group.spawn(async move {
                go.wait().await;
                Ok(7)
            })
        };
        group.spawn(async move {
            // Wakes both: the failing child runs first, the other is queued.
            go.set();
            Ok(())
        });
        let error = group.join().await.unwrap_err();
        assert_eq!(error.failures().len(), 1);
        assert_eq!(ready_too.await.unwrap(), 7);
        assert!(failing.await.is_err());
    });
}

#[test]
fn a_child_aborted_while_it_yields_after_failing_still_cancels_its_siblings() {
    block_on(async {
        let group = TaskGroup::new();
        let failing_handle = Rc::new(RefCell::new(None));
        let failing = group.spawn(async { Err::<(), BoxError>("failed first".into()) });
        *failing_handle.borrow_mut() = Some(failing);
        // Runs in the failing child's turn, before its yield is over.
        group.spawn({
            let failing_handle = Rc::clone(&failing_handle);
            async move {
                failing_handle.borrow().as_ref().unwrap().abort();
                Ok(())
            }
        });
        let (dropped, started) = (flag(), Signal::default());
        group.spawn(waits_forever(&dropped, &started));
        started.wait().await;
        // The aborted child owed its siblings a cancellation: it starts
        // when the abort ends that child, a turn or two from now.
        for _ in 0..4 {
            yield_now().await;
        }
        assert!(dropped.get(), "the waiting sibling was cancelled");
        let error = group.join().await.unwrap_err();
        let texts: Vec<String> = error.failures().iter().map(|f| f.to_string()).collect();
        assert_eq!(texts, ["failed first"]);
        let failing = failing_handle.borrow_mut().take().unwrap();
        assert!(matches!(failing.await, Err(JoinError::Cancelled)));
    });
}

#[test]
fn cancellation_reaches_every_waiting_child_after_others_freed_their_slots() {
    block_on(async {
        let group = TaskGroup::new();
        let release = Signal::default();
        let mut waiting = Vec::new();
        // Children that wait, then finish: their slots are freed and reused.
        let finishers: Vec<_> = (0..3)
            .map(|i| {
                let release = release.clone();
                group.spawn(async move {
                    release.wait().await;
                    Ok(i)
                })
            })
            .collect();
        for _ in 0..2 {
            let (dropped, started) = (flag(), Signal::default());
            group.spawn(waits_forever(&dropped, &started));
            waiting.push((dropped, started));
        }
        for (_, started) in &waiting {
            started.wait().await;
        }
        release.set();
        for (i, finisher) in finishers.into_iter().enumerate() {
            assert_eq!(finisher.await.unwrap(), i);
        }
        // New waiting children take the freed slots.
        for _ in 0..3 {
            let (dropped, started) = (flag(), Signal::default());
            group.spawn(waits_forever(&dropped, &started));
            started.wait().await;
            waiting.push((dropped, started));
        }
        assert_eq!(group.running(), 5);
        group.spawn(async { Err::<(), BoxError>("stop".into()) });
        let error = group.join().await.unwrap_err();
        assert_eq!(error.failures().len(), 1);
        assert!(waiting.iter().all(|(dropped, _)| dropped.get()));
    });
}

#[test]
fn a_child_that_drops_its_own_group_in_its_first_poll_is_cancelled_too() {
    block_on(async {
        let owner: Rc<RefCell<Option<TaskGroup>>> = Rc::new(RefCell::new(Some(TaskGroup::new())));
        let dropped = flag();
        let child = owner.borrow().as_ref().unwrap().spawn({
            let (owner, dropped) = (owner.clone(), dropped.clone());
            async move {
                let _flag = DropFlag(dropped);
                // The last owner of the group goes away inside this poll.
                drop(owner.borrow_mut().take());
                pending::<Result<(), Box<dyn Error + Send + Sync>>>().await
            }
        });
        // Bounded, so that a regression fails instead of hanging.
        for _ in 0..10 {
            if dropped.get() {
                break;
            }
            yield_now().await;
        }
        assert!(dropped.get(), "the child outlived its group");
        assert!(child.await.unwrap_err().is_cancelled());
    });
}
