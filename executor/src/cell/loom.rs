//! Loom models of the task state word: every interleaving of a waker, the
//! loop thread running the task, and the `JoinHandle` (abort, drop, waker
//! registration) is explored. Run by `make loom` (`--cfg loom`).
//!
//! Most models drive the real `State` transitions and stand in for the rest
//! of the task with counters, then check the invariants the raw task relies
//! on: no lost wakeup, one poll at a time, output dropped exactly once,
//! memory freed exactly once. The last ones run real tasks through the
//! `Schedule` seam, with a test scheduler (a queue the model drains) in
//! place of the loop's: one woken remotely, and tasks spawned from another
//! thread (`RemoteTask`), registered by the loop or refused by it.

use super::state::{AfterPending, StartRun, State, WakeAction, JOIN_INTEREST, JOIN_WAKER};
use super::{Origin, OwnedTasks, Ran, RemoteTask, Runnable, Schedule, TaskId};
use loom::sync::atomic::{AtomicBool, AtomicUsize};
use loom::sync::{Arc, Mutex};
use loom::thread;
use std::collections::VecDeque;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::Ordering::SeqCst;
use std::task::{Context, Poll, Wake, Waker};

/// The pieces of a task other than its state word.
struct Model {
    state: State,
    /// Runnables handed to the scheduler by wakes and aborts.
    submitted: AtomicUsize,
    polls: AtomicUsize,
    output_drops: AtomicUsize,
    deallocs: AtomicUsize,
    /// Set by the waker thread just before it wakes.
    woken: AtomicBool,
    /// What the most recent poll saw of `woken`.
    last_poll_saw_wake: AtomicBool,
}

impl Model {
    fn new() -> Arc<Model> {
        Arc::new(Model {
            state: State::new(),
            submitted: AtomicUsize::new(0),
            polls: AtomicUsize::new(0),
            output_drops: AtomicUsize::new(0),
            deallocs: AtomicUsize::new(0),
            woken: AtomicBool::new(false),
            last_poll_saw_wake: AtomicBool::new(false),
        })
    }

    fn ref_dec(&self) {
        if self.state.ref_dec() {
            self.deallocs.fetch_add(1, SeqCst);
        }
    }

    /// The loop thread runs one runnable. The future is ready on its
    /// `ready_on_poll`-th poll. Returns true when the task completed.
    fn run(&self, ready_on_poll: usize) -> bool {
        match self.state.start_run() {
            StartRun::Done => {
                self.ref_dec();
                return false;
            }
            StartRun::Cancel => {
                self.complete();
                return true;
            }
            StartRun::Poll => {}
        }
        let n = self.polls.fetch_add(1, SeqCst) + 1;
        self.last_poll_saw_wake
            .store(self.woken.load(SeqCst), SeqCst);
        if n >= ready_on_poll {
            self.complete();
            return true;
        }
        match self.state.finish_pending() {
            // The transition released the runnable's reference itself.
            AfterPending::Idle => {}
            // Same runnable goes back in the queue.
            AfterPending::Reschedule => {
                self.submitted.fetch_add(1, SeqCst);
            }
        }
        false
    }

    /// Completion as the raw task does it, then the owned set lets go.
    fn complete(&self) {
        let before = self.state.complete();
        if !before.has(JOIN_INTEREST) {
            self.output_drops.fetch_add(1, SeqCst);
        }
        self.ref_dec(); // owned set
        self.ref_dec(); // the runnable
    }

    /// Run whatever was submitted until the queue is empty.
    fn drain(&self, ready_on_poll: usize) {
        while self
            .submitted
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            self.run(ready_on_poll);
        }
    }

    fn drop_handle(&self) {
        if self.state.drop_join_interest() {
            self.output_drops.fetch_add(1, SeqCst);
        }
        self.ref_dec();
    }
}

#[test]
fn wake_racing_with_poll_is_never_lost() {
    loom::model(|| {
        let task = Model::new();
        task.state.ref_inc(); // the waker's reference
        let waker = {
            let task = task.clone();
            thread::spawn(move || {
                task.woken.store(true, SeqCst);
                // By value: the waker's reference moves or is released.
                match task.state.wake_by_val() {
                    (WakeAction::Submit, _) => {
                        task.submitted.fetch_add(1, SeqCst);
                    }
                    (WakeAction::Nothing, true) => {
                        task.deallocs.fetch_add(1, SeqCst);
                    }
                    (WakeAction::Nothing, false) => {}
                }
            })
        };
        // First poll is pending; the task completes on its second poll.
        task.run(2);
        waker.join().unwrap();
        task.drain(2);
        // Whatever the order, the wake was followed by a poll that saw it.
        assert!(task.last_poll_saw_wake.load(SeqCst), "lost wakeup");
        assert!(
            task.polls.load(SeqCst) <= 2,
            "woken once, polled at most twice"
        );
        task.drop_handle();
        if task.polls.load(SeqCst) == 2 {
            assert_eq!(task.output_drops.load(SeqCst), 1);
            assert_eq!(task.deallocs.load(SeqCst), 1);
        }
    });
}

#[test]
fn double_wake_before_run_submits_once() {
    loom::model(|| {
        let task = Model::new();
        task.run(2); // pending, idle
        task.state.ref_inc();
        task.state.ref_inc();
        let wakers: Vec<_> = (0..2)
            .map(|_| {
                let task = task.clone();
                thread::spawn(move || {
                    if task.state.wake() == WakeAction::Submit {
                        task.submitted.fetch_add(1, SeqCst);
                    }
                    task.ref_dec();
                })
            })
            .collect();
        for w in wakers {
            w.join().unwrap();
        }
        assert_eq!(task.submitted.load(SeqCst), 1, "one runnable for two wakes");
        task.drain(2);
        assert_eq!(task.polls.load(SeqCst), 2);
        task.drop_handle();
        assert_eq!(task.deallocs.load(SeqCst), 1);
    });
}

#[test]
fn abort_racing_with_completion_and_handle_drop() {
    loom::model(|| {
        let task = Model::new();
        let handle = {
            let task = task.clone();
            thread::spawn(move || {
                if task.state.cancel() == WakeAction::Submit {
                    task.submitted.fetch_add(1, SeqCst);
                }
                task.drop_handle();
            })
        };
        // The first runnable: polled (ready at once) or cancelled.
        task.run(1);
        handle.join().unwrap();
        task.drain(1);
        assert!(task.polls.load(SeqCst) <= 1);
        assert_eq!(
            task.output_drops.load(SeqCst),
            1,
            "output dropped exactly once"
        );
        assert_eq!(task.deallocs.load(SeqCst), 1, "freed exactly once");
    });
}

#[test]
fn abort_racing_with_wake_while_pending() {
    loom::model(|| {
        let task = Model::new();
        task.run(3); // pending, idle
        task.state.ref_inc(); // waker
        let waker = {
            let task = task.clone();
            thread::spawn(move || {
                if task.state.wake() == WakeAction::Submit {
                    task.submitted.fetch_add(1, SeqCst);
                }
                task.ref_dec();
            })
        };
        let aborter = {
            let task = task.clone();
            thread::spawn(move || {
                if task.state.cancel() == WakeAction::Submit {
                    task.submitted.fetch_add(1, SeqCst);
                }
            })
        };
        waker.join().unwrap();
        aborter.join().unwrap();
        task.drain(3);
        // The abort always wins before the future would finish: never a
        // third poll, and the task is complete.
        assert!(task.polls.load(SeqCst) <= 2);
        assert!(task.state.load().has(super::state::COMPLETE));
        task.drop_handle();
        assert_eq!(task.output_drops.load(SeqCst), 1);
        assert_eq!(task.deallocs.load(SeqCst), 1);
    });
}

#[test]
fn join_waker_registration_racing_with_completion() {
    loom::model(|| {
        let task = Model::new();
        let completer_woke = Arc::new(AtomicBool::new(false));
        let handle_saw_complete = Arc::new(AtomicBool::new(false));
        let handle = {
            let task = task.clone();
            let saw = handle_saw_complete.clone();
            thread::spawn(move || {
                if task.state.set_join_waker().is_err() {
                    saw.store(true, SeqCst);
                }
            })
        };
        // Completion as in `raw::complete`, reading JOIN_WAKER atomically.
        assert_eq!(task.state.start_run(), StartRun::Poll);
        let before = task.state.complete();
        if before.has(JOIN_WAKER) {
            completer_woke.store(true, SeqCst);
        }
        handle.join().unwrap();
        // The handle is never left waiting: either it saw completion itself
        // or the completer found its waker.
        assert!(handle_saw_complete.load(SeqCst) ^ completer_woke.load(SeqCst));
    });
}

#[test]
fn shutdown_cancel_racing_with_a_remote_wake() {
    loom::model(|| {
        let task = Model::new();
        task.run(2); // pending, idle: refs = owned set + handle
        task.state.ref_inc(); // a waker held by another thread
        let waker = {
            let task = task.clone();
            thread::spawn(move || {
                if task.state.wake() == WakeAction::Submit {
                    // The loop is closed: the injector drops the runnable.
                    task.ref_dec();
                }
                task.ref_dec();
            })
        };
        // Shutdown takes the future on the loop thread, no runnable needed.
        if task.state.claim_for_shutdown() {
            let before = task.state.complete();
            if !before.has(JOIN_INTEREST) {
                task.output_drops.fetch_add(1, SeqCst);
            }
        }
        task.ref_dec(); // the owned set lets go
        waker.join().unwrap();
        assert_eq!(task.polls.load(SeqCst), 1, "never polled after shutdown");
        task.drop_handle();
        assert_eq!(task.output_drops.load(SeqCst), 1);
        assert_eq!(task.deallocs.load(SeqCst), 1);
    });
}

/// The model's scheduler: wakes push onto a queue that the loop thread of
/// the model drains. Its loom `Arc` is freed with the task, so a leaked task
/// fails the model.
struct TestScheduler(Arc<Mutex<VecDeque<Runnable>>>);

impl Schedule for TestScheduler {
    fn schedule(&self, runnable: Runnable) -> Result<(), Runnable> {
        self.0.lock().unwrap().push_back(runnable);
        Ok(())
    }
}

/// Pending on its first poll (parking its waker for another thread), ready
/// on the second; counts polls and its own drop.
struct TwoPolls {
    polls: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
    waker: Arc<Mutex<Option<Waker>>>,
}

impl Future for TwoPolls {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polls.fetch_add(1, SeqCst) == 0 {
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

impl Drop for TwoPolls {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

struct NoopWake;
impl Wake for NoopWake {
    fn wake(self: std::sync::Arc<Self>) {}
}

#[test]
fn real_task_woken_remotely_while_the_loop_runs_it() {
    loom::model(|| {
        let queue = Arc::new(Mutex::new(VecDeque::new()));
        let polls = Arc::new(AtomicUsize::new(0));
        let drops = Arc::new(AtomicUsize::new(0));
        let slot = Arc::new(Mutex::new(None));
        let mut owned = OwnedTasks::new();
        let future = TwoPolls {
            polls: polls.clone(),
            drops: drops.clone(),
            waker: slot.clone(),
        };
        let (first, mut handle) = owned.spawn(future, TestScheduler(queue.clone()), origin(), None);
        // The loop runs the task until one poll leaves it pending.
        let run = |owned: &mut OwnedTasks, runnable: Runnable| match runnable.run() {
            Ran::Idle => {}
            Ran::Reschedule(runnable) => queue.lock().unwrap().push_back(runnable),
            Ran::Completed(done) => owned.remove(&done).release(done),
        };
        run(&mut owned, first);
        let done = Arc::new(AtomicBool::new(false));
        // Another thread wakes it twice, by reference then by value, while
        // the loop runs whatever those wakes queued.
        let waker = {
            let slot = slot.clone();
            let done = done.clone();
            thread::spawn(move || {
                let waker = slot
                    .lock()
                    .unwrap()
                    .take()
                    .expect("parked by the first poll");
                waker.wake_by_ref();
                waker.wake();
                done.store(true, SeqCst);
            })
        };
        loop {
            let next = queue.lock().unwrap().pop_front();
            match next {
                Some(runnable) => run(&mut owned, runnable),
                None if done.load(SeqCst) => break,
                None => thread::yield_now(),
            }
        }
        waker.join().unwrap();
        while let Some(runnable) = {
            let next = queue.lock().unwrap().pop_front();
            next
        } {
            run(&mut owned, runnable);
        }
        assert_eq!(
            polls.load(SeqCst),
            2,
            "the wake was seen, and only one more poll ran"
        );
        assert_eq!(drops.load(SeqCst), 1, "the future was dropped once");
        assert_eq!(owned.len(), 0, "the completed task left the owned set");
        let noop = Waker::from(std::sync::Arc::new(NoopWake));
        let output = Pin::new(&mut handle).poll(&mut Context::from_waker(&noop));
        assert!(matches!(output, Poll::Ready(Ok(()))));
        // Dropping the handle frees the task, and with it the scheduler's
        // loom Arc: loom reports a leak otherwise.
        drop(handle);
        assert_eq!(Arc::strong_count(&queue), 1, "the task was freed");
    });
}

fn origin() -> Origin {
    Origin {
        id: TaskId::next_global(),
        location: Location::caller(),
    }
}

/// Ready on its first poll; counts polls and its own drop.
struct Once {
    polls: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
}

impl Future for Once {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<usize> {
        self.polls.fetch_add(1, SeqCst);
        Poll::Ready(7)
    }
}

impl Drop for Once {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// A join waker that records that it was woken (in a loom atomic, so the
/// model orders it with the task's state).
struct FlagWake(Arc<AtomicBool>);
impl Wake for FlagWake {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

#[test]
fn remote_task_refused_while_its_handle_is_aborted_and_awaited() {
    loom::model(|| {
        let queue = Arc::new(Mutex::new(VecDeque::new()));
        let polls = Arc::new(AtomicUsize::new(0));
        let drops = Arc::new(AtomicUsize::new(0));
        let future = Once {
            polls: polls.clone(),
            drops: drops.clone(),
        };
        let (remote, mut handle) =
            RemoteTask::new(future, TestScheduler(queue.clone()), origin(), None);
        // The handle's thread aborts and awaits while the spawning thread
        // (the loop refused the task) cancels it in place.
        let waiter = thread::spawn(move || {
            handle.abort();
            let flag = Arc::new(AtomicBool::new(false));
            let waker = Waker::from(std::sync::Arc::new(FlagWake(flag.clone())));
            let first = Pin::new(&mut handle).poll(&mut Context::from_waker(&waker));
            let output = match first {
                Poll::Ready(output) => output,
                Poll::Pending => {
                    // Completion must have woken the registered waker.
                    while !flag.load(SeqCst) {
                        thread::yield_now();
                    }
                    match Pin::new(&mut handle).poll(&mut Context::from_waker(&waker)) {
                        Poll::Ready(output) => output,
                        Poll::Pending => panic!("woken but not complete"),
                    }
                }
            };
            assert!(output.unwrap_err().is_cancelled());
        });
        drop(remote);
        waiter.join().unwrap();
        assert_eq!(polls.load(SeqCst), 0, "a refused task is never polled");
        assert_eq!(drops.load(SeqCst), 1, "its future was dropped once");
        assert!(queue.lock().unwrap().is_empty(), "nothing was scheduled");
        assert_eq!(Arc::strong_count(&queue), 1, "the task was freed");
    });
}

#[test]
fn remote_task_registered_and_run_while_its_spawner_aborts() {
    loom::model(|| {
        let queue = Arc::new(Mutex::new(VecDeque::new()));
        // The injector of the model: what the spawner sends the loop.
        let injected: Arc<Mutex<Option<RemoteTask>>> = Arc::new(Mutex::new(None));
        let polls = Arc::new(AtomicUsize::new(0));
        let drops = Arc::new(AtomicUsize::new(0));
        let spawner = {
            let (queue, injected) = (queue.clone(), injected.clone());
            let future = Once {
                polls: polls.clone(),
                drops: drops.clone(),
            };
            thread::spawn(move || {
                let (remote, handle) =
                    RemoteTask::new(future, TestScheduler(queue), origin(), None);
                *injected.lock().unwrap() = Some(remote);
                // Abort races with the loop registering and running it.
                handle.abort();
                handle.is_finished()
            })
        };
        let mut owned = OwnedTasks::new();
        let remote = loop {
            let next = injected.lock().unwrap().take();
            match next {
                Some(remote) => break remote,
                None => thread::yield_now(),
            }
        };
        let mut next = Some(owned.register(remote));
        while let Some(runnable) = next {
            match runnable.run() {
                Ran::Idle => {}
                Ran::Reschedule(runnable) => queue.lock().unwrap().push_back(runnable),
                Ran::Completed(done) => owned.remove(&done).release(done),
            }
            next = queue.lock().unwrap().pop_front();
        }
        spawner.join().unwrap();
        // Whatever the abort found, the task ended in the loop: polled to
        // completion, or cancelled before its poll.
        assert!(polls.load(SeqCst) <= 1);
        assert_eq!(drops.load(SeqCst), 1, "its future was dropped once");
        assert_eq!(owned.len(), 0, "it left the owned set");
        assert_eq!(Arc::strong_count(&queue), 1, "the task was freed");
    });
}
