//! Queue, LifoQueue and PriorityQueue: order, bounds, fairness of waiting
//! getters and putters, cancellation at every point, task_done/join and
//! shutdown. Waiters are polled by hand to stop them at exact points.

mod poll_by_hand;

use aio_sync::{
    LifoQueue, PriorityQueue, Queue, QueueShutDown, TaskDoneError, TryGetError, TryPutError,
};
use poll_by_hand::{assert_send, ByHand, DropCount};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::future::Future;
use std::task::Poll;

/// Counts allocations per thread, so that a test can check the queue's
/// steady state allocates nothing while other tests run on other threads.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// thread-local counter is a const-initialised Cell, which never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations_on_this_thread() -> usize {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn put_then_get_in_fifo_order_with_sizes() {
    let queue = Queue::new(0);
    assert!(queue.is_empty());
    assert_eq!(queue.maxsize(), 0);
    aio_executor::block_on(async {
        for item in 1..=3 {
            queue.put(item).await.unwrap();
        }
        assert_eq!(queue.len(), 3);
        assert!(!queue.is_empty());
        assert_eq!(queue.get().await, Ok(1));
        assert_eq!(queue.try_get(), Ok(2));
        assert_eq!(queue.get().await, Ok(3));
        assert_eq!(queue.try_get(), Err(TryGetError::Empty));
    });
}

#[test]
fn clones_are_the_same_queue() {
    let queue = Queue::new(0);
    let other = queue.clone();
    other.try_put("shared").unwrap();
    assert_eq!(queue.try_get(), Ok("shared"));
}

#[test]
fn exactly_maxsize_items_fit_then_try_put_gives_the_item_back() {
    let queue = Queue::new(3);
    for item in 0..3 {
        assert!(!queue.is_full());
        queue.try_put(item).unwrap();
    }
    assert!(queue.is_full());
    assert_eq!(queue.len(), 3);
    let refused = queue.try_put(99).unwrap_err();
    assert_eq!(refused, TryPutError::Full(99));
    assert!(refused.is_full());
    assert_eq!(refused.into_inner(), 99);
    assert_eq!(queue.len(), 3, "a refused item is not in the queue");
}

#[test]
fn a_put_on_a_full_queue_waits_until_a_get_makes_room() {
    let queue = Queue::new(2);
    queue.try_put(1).unwrap();
    queue.try_put(2).unwrap();
    let mut put = ByHand::new(queue.put(3));
    put.pending();
    put.pending(); // polling again keeps it waiting, not queued twice
    assert_eq!(queue.len(), 2);
    assert_eq!(put.wakes(), 0);

    assert_eq!(queue.try_get(), Ok(1));
    assert_eq!(put.wakes(), 1, "the freed place wakes the putter");
    // Its item went in when the room was made, behind the others.
    assert_eq!(queue.len(), 2);
    assert_eq!(put.ready(), Ok(()));
    assert_eq!(queue.try_get(), Ok(2));
    assert_eq!(queue.try_get(), Ok(3));
}

#[test]
fn maxsize_zero_is_unbounded() {
    let queue = Queue::new(0);
    for item in 0..10_000 {
        queue.try_put(item).unwrap();
    }
    assert!(!queue.is_full());
    assert_eq!(queue.len(), 10_000);
    let mut put = ByHand::new(queue.put(10_000));
    assert_eq!(put.ready(), Ok(()), "an unbounded put never waits");
}

#[test]
fn a_get_on_an_empty_queue_waits_until_a_put() {
    let queue = Queue::new(0);
    let mut get = ByHand::new(queue.get());
    get.pending();
    get.pending();
    assert_eq!(get.wakes(), 0);
    queue.try_put("item").unwrap();
    assert_eq!(get.wakes(), 1);
    assert_eq!(get.ready(), Ok("item"));
}

#[test]
fn waiting_getters_are_served_in_arrival_order() {
    let queue = Queue::new(0);
    let mut first = ByHand::new(queue.get());
    let mut second = ByHand::new(queue.get());
    let mut third = ByHand::new(queue.get());
    first.pending();
    second.pending();
    third.pending();
    for item in ["a", "b", "c"] {
        queue.try_put(item).unwrap();
    }
    assert_eq!((first.wakes(), second.wakes(), third.wakes()), (1, 1, 1));
    // Polled in reverse order, each still gets the item of its turn.
    assert_eq!(third.ready(), Ok("c"));
    assert_eq!(second.ready(), Ok("b"));
    assert_eq!(first.ready(), Ok("a"));
}

#[test]
fn an_item_handed_to_a_waiting_getter_cannot_be_taken_by_a_later_get() {
    let queue = Queue::new(0);
    let mut waiting = ByHand::new(queue.get());
    waiting.pending();
    queue.try_put(1).unwrap();
    assert_eq!(
        queue.len(),
        1,
        "the handed item counts until its getter runs"
    );
    assert_eq!(queue.try_get(), Err(TryGetError::Empty));
    let mut late = ByHand::new(queue.get());
    late.pending();
    assert_eq!(waiting.ready(), Ok(1));
    assert!(queue.is_empty());
    queue.try_put(2).unwrap();
    assert_eq!(late.ready(), Ok(2));
}

#[test]
fn an_item_handed_to_a_getter_counts_toward_maxsize() {
    let queue = Queue::new(1);
    let mut get = ByHand::new(queue.get());
    get.pending();
    queue.try_put(1).unwrap();
    assert!(queue.is_full());
    assert_eq!(queue.try_put(2), Err(TryPutError::Full(2)));
    let mut put = ByHand::new(queue.put(2));
    put.pending();
    assert_eq!(get.ready(), Ok(1));
    assert_eq!(put.wakes(), 1, "the getter taking its item makes room");
    assert_eq!(put.ready(), Ok(()));
    assert_eq!(queue.try_get(), Ok(2));
}

#[test]
fn waiting_putters_get_their_items_in_in_arrival_order() {
    let queue = Queue::new(1);
    queue.try_put('x').unwrap();
    let mut first = ByHand::new(queue.put('a'));
    let mut second = ByHand::new(queue.put('b'));
    let mut third = ByHand::new(queue.put('c'));
    first.pending();
    second.pending();
    third.pending();
    // A put arriving now must not overtake them.
    assert_eq!(queue.try_put('z'), Err(TryPutError::Full('z')));
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(queue.try_get().unwrap());
    }
    assert_eq!(got, ['x', 'a', 'b', 'c']);
    // Polled in reverse order, all report success.
    assert_eq!(third.ready(), Ok(()));
    assert_eq!(second.ready(), Ok(()));
    assert_eq!(first.ready(), Ok(()));
}

#[test]
fn a_waiting_putters_item_goes_straight_to_a_waiting_getter() {
    // maxsize 1: one item reserved for the first getter, a putter waits,
    // a second getter waits; the first getter taking its item lets the
    // putter's item in, straight to the second getter.
    let queue = Queue::new(1);
    let mut first_get = ByHand::new(queue.get());
    let mut second_get = ByHand::new(queue.get());
    first_get.pending();
    second_get.pending();
    queue.try_put(1).unwrap();
    let mut put = ByHand::new(queue.put(2));
    put.pending();
    assert_eq!(first_get.ready(), Ok(1));
    assert_eq!((put.wakes(), second_get.wakes()), (1, 1));
    assert_eq!(put.ready(), Ok(()));
    assert_eq!(second_get.ready(), Ok(2));
}

#[test]
fn a_getter_cancelled_before_an_item_came_is_skipped() {
    let queue = Queue::new(0);
    let mut cancelled = ByHand::new(queue.get());
    let mut next = ByHand::new(queue.get());
    cancelled.pending();
    next.pending();
    drop(cancelled);
    queue.try_put(5).unwrap();
    assert_eq!(next.wakes(), 1);
    assert_eq!(next.ready(), Ok(5));
}

#[test]
fn a_getter_cancelled_after_the_hand_off_passes_the_item_to_the_next_getter() {
    let queue = Queue::new(0);
    let mut cancelled = ByHand::new(queue.get());
    let mut next = ByHand::new(queue.get());
    cancelled.pending();
    next.pending();
    queue.try_put(5).unwrap();
    assert_eq!((cancelled.wakes(), next.wakes()), (1, 0));
    drop(cancelled); // granted, never polled again
    assert_eq!(next.wakes(), 1, "the item's new owner is woken");
    assert_eq!(next.ready(), Ok(5));
    assert!(queue.is_empty());
}

#[test]
fn a_getter_cancelled_after_the_hand_off_puts_the_item_back_in_front() {
    let queue = Queue::new(0);
    let mut cancelled = ByHand::new(queue.get());
    cancelled.pending();
    queue.try_put(1).unwrap();
    queue.try_put(2).unwrap();
    drop(cancelled);
    assert_eq!(queue.len(), 2);
    assert_eq!(queue.try_get(), Ok(1), "the item keeps its place");
    assert_eq!(queue.try_get(), Ok(2));
}

#[test]
fn a_lifo_getter_cancelled_after_the_hand_off_puts_the_item_back_on_top() {
    let queue = LifoQueue::new(0);
    let mut cancelled = ByHand::new(queue.get());
    cancelled.pending();
    queue.try_put(1).unwrap();
    queue.try_put(2).unwrap();
    drop(cancelled);
    assert_eq!(queue.try_get(), Ok(1), "the item it was given comes next");
    assert_eq!(queue.try_get(), Ok(2));
}

#[test]
fn a_getter_cancelled_after_the_hand_off_keeps_the_bound() {
    let queue = Queue::new(1);
    let mut cancelled = ByHand::new(queue.get());
    cancelled.pending();
    queue.try_put(1).unwrap();
    drop(cancelled);
    assert_eq!(queue.len(), 1);
    assert_eq!(queue.try_put(2), Err(TryPutError::Full(2)));
    assert_eq!(queue.try_get(), Ok(1));
}

#[test]
fn a_putter_cancelled_while_waiting_drops_its_item_and_nothing_else() {
    let drops = DropCount::default();
    let queue = Queue::new(1);
    queue.try_put(drops.item(1)).unwrap();
    let mut cancelled = ByHand::new(queue.put(drops.item(2)));
    let mut next = ByHand::new(queue.put(drops.item(3)));
    cancelled.pending();
    next.pending();
    drop(cancelled);
    assert_eq!(drops.dropped(), 1, "the cancelled put's item is dropped");
    assert_eq!(queue.try_get().unwrap().value, 1);
    assert_eq!(next.wakes(), 1, "the next putter takes the freed place");
    assert!(next.ready().is_ok());
    assert_eq!(queue.try_get().unwrap().value, 3);
    assert_eq!(drops.dropped(), 3);
}

#[test]
fn a_putter_cancelled_after_its_item_was_taken_in_has_put_it() {
    let queue = Queue::new(1);
    queue.try_put(1).unwrap();
    let mut put = ByHand::new(queue.put(2));
    put.pending();
    assert_eq!(queue.try_get(), Ok(1));
    assert_eq!(put.wakes(), 1);
    drop(put); // accepted, never polled again
    assert_eq!(queue.len(), 1);
    assert_eq!(queue.try_get(), Ok(2));
    assert_eq!(queue.unfinished_tasks(), 2);
}

#[test]
fn a_waiter_polled_with_a_new_waker_is_woken_through_it() {
    // A task that moved (another waker) must be woken through the new one.
    let queue = Queue::new(0);
    let mut get = Box::pin(queue.get());
    let first = ByHand::new(std::future::pending::<()>());
    let second = ByHand::new(std::future::pending::<()>());
    let mut poll_with = |waker: std::task::Waker| {
        let mut cx = std::task::Context::from_waker(&waker);
        get.as_mut().poll(&mut cx)
    };
    assert!(poll_with(first.waker()).is_pending());
    assert!(poll_with(second.waker()).is_pending());
    queue.try_put(1).unwrap();
    assert_eq!((first.wakes(), second.wakes()), (0, 1));
    assert_eq!(poll_with(second.waker()), Poll::Ready(Ok(1)));
}

#[test]
fn task_done_and_join() {
    let queue = Queue::new(0);
    let mut idle = ByHand::new(queue.join());
    assert_eq!(idle.ready(), (), "nothing put: join returns at once");

    queue.try_put(1).unwrap();
    queue.try_put(2).unwrap();
    assert_eq!(queue.unfinished_tasks(), 2);
    let mut join = ByHand::new(queue.join());
    let mut other_join = ByHand::new(queue.join());
    join.pending();
    other_join.pending();
    queue.try_get().unwrap();
    queue.try_get().unwrap();
    join.pending(); // got, not done
    queue.task_done().unwrap();
    assert_eq!(join.wakes(), 0);
    join.pending();
    queue.task_done().unwrap();
    assert_eq!((join.wakes(), other_join.wakes()), (1, 1));
    join.ready();
    other_join.ready();

    let error = queue.task_done().unwrap_err();
    assert_eq!(error, TaskDoneError);
    assert_eq!(
        error.to_string(),
        "task_done() called more times than there were items put in the queue"
    );
    assert_eq!(queue.unfinished_tasks(), 0);
}

#[test]
fn a_cancelled_join_does_not_disturb_the_others() {
    let queue = Queue::new(0);
    queue.try_put(1).unwrap();
    let mut cancelled = ByHand::new(queue.join());
    let mut join = ByHand::new(queue.join());
    cancelled.pending();
    join.pending();
    drop(cancelled);
    queue.try_get().unwrap();
    queue.task_done().unwrap();
    assert_eq!(join.wakes(), 1);
    join.ready();
}

#[test]
fn producer_and_consumers_with_join_on_the_executor() {
    aio_executor::block_on(async {
        let queue = Queue::new(2);
        let results = Queue::new(0);
        for _ in 0..3 {
            let (jobs, results) = (queue.clone(), results.clone());
            aio_executor::spawn(async move {
                while let Ok(job) = jobs.get().await {
                    aio_executor::yield_now().await;
                    results.put(job * 10).await.unwrap();
                    jobs.task_done().unwrap();
                }
            });
        }
        for job in 0..30 {
            queue.put(job).await.unwrap();
        }
        queue.join().await;
        assert_eq!(results.len(), 30);
        let mut got: Vec<i32> = std::iter::from_fn(|| results.try_get().ok()).collect();
        got.sort_unstable();
        assert_eq!(got, (0..30).map(|job| job * 10).collect::<Vec<_>>());
    });
}

#[test]
fn bounded_one_ping_pong_between_tasks_keeps_order() {
    aio_executor::block_on(async {
        let (ping, pong) = (Queue::new(1), Queue::new(1));
        let echo = {
            let (ping, pong) = (ping.clone(), pong.clone());
            aio_executor::spawn(async move {
                while let Ok(value) = ping.get().await {
                    pong.put(value + 1).await.unwrap();
                }
            })
        };
        for value in 0..1_000 {
            ping.put(value).await.unwrap();
            assert_eq!(pong.get().await, Ok(value + 1));
        }
        ping.shutdown();
        echo.await.unwrap();
    });
}

#[test]
fn a_queue_connects_two_threads() {
    let queue = Queue::new(1);
    let consumer = {
        let queue = queue.clone();
        std::thread::spawn(move || {
            aio_executor::block_on(async {
                let mut got = Vec::new();
                while let Ok(item) = queue.get().await {
                    got.push(item);
                }
                got
            })
        })
    };
    aio_executor::block_on(async {
        for item in 0..200 {
            queue.put(item).await.unwrap();
        }
    });
    queue.shutdown();
    assert_eq!(consumer.join().unwrap(), (0..200).collect::<Vec<_>>());
}

#[test]
fn shutdown_fails_puts_and_drains_gets() {
    let queue = Queue::new(0);
    queue.try_put(1).unwrap();
    queue.try_put(2).unwrap();
    assert!(!queue.is_shut_down());
    queue.shutdown();
    assert!(queue.is_shut_down());
    assert_eq!(queue.try_put(3), Err(TryPutError::ShutDown(3)));
    let mut put = ByHand::new(queue.put(4));
    let refused = put.ready().unwrap_err();
    assert_eq!(refused.to_string(), "queue is shut down");
    assert_eq!(refused.into_inner(), 4);
    let mut get = ByHand::new(queue.get());
    assert_eq!(get.ready(), Ok(1));
    assert_eq!(queue.try_get(), Ok(2));
    let mut get = ByHand::new(queue.get());
    assert_eq!(get.ready(), Err(QueueShutDown(())));
    assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
    queue.shutdown(); // again: nothing changes
    assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
}

#[test]
fn shutdown_wakes_waiting_getters_and_putters_and_they_fail() {
    let getters = Queue::<u8>::new(1);
    let mut get = ByHand::new(getters.get());
    get.pending();
    getters.shutdown();
    assert_eq!(get.wakes(), 1);
    assert_eq!(get.ready(), Err(QueueShutDown(())));

    let putters = Queue::new(1);
    putters.try_put(1).unwrap();
    let mut put = ByHand::new(putters.put(2));
    put.pending();
    putters.shutdown();
    assert_eq!(put.wakes(), 1);
    assert_eq!(put.ready(), Err(QueueShutDown(2)), "the item comes back");
    assert_eq!(putters.try_get(), Ok(1));
    assert_eq!(putters.try_get(), Err(TryGetError::ShutDown));
}

#[test]
fn shutdown_keeps_an_item_already_handed_to_a_getter() {
    let queue = Queue::new(0);
    let mut get = ByHand::new(queue.get());
    get.pending();
    queue.try_put(1).unwrap();
    queue.shutdown();
    assert_eq!(get.ready(), Ok(1));

    // Cancelled after the hand-off: the item goes back and is drained.
    let queue = Queue::new(0);
    let mut cancelled = ByHand::new(queue.get());
    cancelled.pending();
    queue.try_put(1).unwrap();
    queue.shutdown();
    drop(cancelled);
    assert_eq!(queue.try_get(), Ok(1));
    assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
}

#[test]
fn a_getter_woken_by_shutdown_still_drains_an_item_given_back() {
    // One getter holds an item, another waits; shutdown wakes the waiting
    // one; the holder is then cancelled and gives its item back. The woken
    // getter must receive it rather than fail with an item left behind.
    let queue = Queue::new(0);
    let mut holder = ByHand::new(queue.get());
    holder.pending();
    queue.try_put(1).unwrap();
    let mut waiting = ByHand::new(queue.get());
    waiting.pending();
    queue.shutdown();
    assert_eq!(waiting.wakes(), 1);
    drop(holder);
    assert_eq!(waiting.ready(), Ok(1));
    assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
}

#[test]
fn shutdown_immediate_discards_items_fails_waiters_and_releases_join() {
    let drops = DropCount::default();
    let queue = Queue::new(2);
    let mut holder = ByHand::new(queue.get());
    holder.pending();
    queue.try_put(drops.item(1)).unwrap(); // handed to the holder
    queue.try_put(drops.item(2)).unwrap();
    let mut put = ByHand::new(queue.put(drops.item(3)));
    put.pending();
    let mut join = ByHand::new(queue.join());
    join.pending();
    assert_eq!(queue.unfinished_tasks(), 2);

    queue.shutdown_immediate();
    assert_eq!(drops.dropped(), 2, "the queued and the handed item");
    assert!(queue.is_empty());
    assert_eq!(queue.unfinished_tasks(), 0, "discarded items count as done");
    assert_eq!((holder.wakes(), put.wakes(), join.wakes()), (1, 1, 1));
    assert!(holder.ready().is_err());
    assert_eq!(put.ready().unwrap_err().into_inner().value, 3);
    join.ready();
    assert!(matches!(queue.try_get(), Err(TryGetError::ShutDown)));
    assert!(queue.try_put(drops.item(4)).unwrap_err().is_shut_down());
    ByHand::new(queue.join()).ready();
    queue.shutdown(); // a plain shutdown afterwards changes nothing
    assert!(queue.try_get().is_err());
}

#[test]
fn shutdown_immediate_lets_join_wait_for_items_already_got() {
    // Python's rule: only the discarded items count as done; one a worker
    // is still processing keeps join waiting for its task_done.
    let queue = Queue::new(0);
    queue.try_put(1).unwrap();
    queue.try_put(2).unwrap();
    queue.try_get().unwrap(); // being processed, not done
    let mut join = ByHand::new(queue.join());
    join.pending();
    queue.shutdown_immediate();
    assert_eq!(queue.unfinished_tasks(), 1, "item 2 was discarded");
    assert_eq!(join.wakes(), 0);
    join.pending();
    assert_eq!(queue.task_done(), Ok(()));
    assert_eq!(join.wakes(), 1);
    join.ready();
    assert_eq!(queue.task_done(), Err(TaskDoneError));
}

#[test]
fn priority_queue_returns_the_smallest_first() {
    let queue = PriorityQueue::new(0);
    for item in [5, 1, 4, 2, 3] {
        queue.try_put(item).unwrap();
    }
    let got: Vec<_> = std::iter::from_fn(|| queue.try_get().ok()).collect();
    assert_eq!(got, [1, 2, 3, 4, 5]);
}

#[test]
fn priority_queue_bound_and_waiting_putters() {
    let queue = PriorityQueue::new(2);
    queue.try_put((3, "c")).unwrap();
    queue.try_put((2, "b")).unwrap();
    assert_eq!(queue.try_put((0, "z")), Err(TryPutError::Full((0, "z"))));
    let mut put = ByHand::new(queue.put((1, "a")));
    put.pending();
    assert_eq!(queue.try_get(), Ok((2, "b")));
    assert_eq!(put.ready(), Ok(()));
    assert_eq!(queue.try_get(), Ok((1, "a")));
    assert_eq!(queue.try_get(), Ok((3, "c")));
}

#[test]
fn lifo_queue_returns_the_last_put_first() {
    let queue = LifoQueue::new(3);
    for item in 1..=3 {
        queue.try_put(item).unwrap();
    }
    assert_eq!(queue.try_put(4), Err(TryPutError::Full(4)));
    let got: Vec<_> = std::iter::from_fn(|| queue.try_get().ok()).collect();
    assert_eq!(got, [3, 2, 1]);
}

#[test]
fn lifo_and_priority_queues_share_join_and_shutdown() {
    aio_executor::block_on(async {
        let lifo = LifoQueue::new(0);
        lifo.put(1).await.unwrap();
        lifo.shutdown();
        assert_eq!(lifo.get().await, Ok(1));
        assert!(lifo.get().await.is_err());

        let priority = PriorityQueue::new(0);
        priority.put(1).await.unwrap();
        priority.get().await.unwrap();
        priority.task_done().unwrap();
        priority.join().await;
        assert!(priority.task_done().is_err());
    });
}

#[test]
fn error_messages() {
    assert_eq!(TryPutError::Full(()).to_string(), "queue is full");
    assert_eq!(TryPutError::ShutDown(()).to_string(), "queue is shut down");
    assert_eq!(TryGetError::Empty.to_string(), "queue is empty");
    assert_eq!(TryGetError::ShutDown.to_string(), "queue is shut down");
    assert_eq!(QueueShutDown(()).to_string(), "queue is shut down");
    // Usable as boxed errors, for any item type.
    struct NotDebug;
    let boxed: Box<dyn std::error::Error> = Box::new(QueueShutDown(NotDebug));
    assert_eq!(boxed.to_string(), "queue is shut down");
    let boxed: Box<dyn std::error::Error> = Box::new(TryPutError::Full(NotDebug));
    assert_eq!(format!("{boxed:?}"), "Full(..)");
}

#[test]
fn debug_shows_the_state() {
    let queue = Queue::new(4);
    queue.try_put(1).unwrap();
    let text = format!("{queue:?}");
    assert!(text.contains("len: 1"), "{text}");
    assert!(text.contains("maxsize: 4"), "{text}");
    assert!(text.starts_with("Queue {"), "{text}");
    let lifo = LifoQueue::<u8>::new(0);
    assert!(format!("{lifo:?}").starts_with("LifoQueue {"));
}

#[test]
fn queues_and_their_futures_are_send_when_items_are() {
    fn assert_sync_clone<T: Send + Sync + Clone>(_: &T) {}
    let queue = Queue::<String>::new(1);
    let lifo = LifoQueue::<String>::new(1);
    let priority = PriorityQueue::<String>::new(1);
    assert_sync_clone(&queue);
    assert_sync_clone(&lifo);
    assert_sync_clone(&priority);
    assert_send(&queue.put(String::new()));
    assert_send(&queue.get());
    assert_send(&queue.join());
    assert_send(&lifo.put(String::new()));
    assert_send(&lifo.get());
    assert_send(&lifo.join());
    assert_send(&priority.put(String::new()));
    assert_send(&priority.get());
    assert_send(&priority.join());
    // An async block holding them across awaits is Send too.
    assert_send(&async move {
        queue.put("x".to_string()).await.unwrap();
        queue.get().await.unwrap();
        queue.join().await;
    });
}

#[test]
fn put_and_get_allocate_nothing_once_warmed_up() {
    let queue = Queue::new(1);
    let waker_source = ByHand::new(std::future::pending::<()>());
    let waker = waker_source.waker();
    let mut cx = std::task::Context::from_waker(&waker);
    let mut round = |value: u32| {
        // Uncontended: a put and a get that never wait.
        let mut put = std::pin::pin!(queue.put(value));
        assert!(put.as_mut().poll(&mut cx).is_ready());
        let mut get = std::pin::pin!(queue.get());
        assert_eq!(get.as_mut().poll(&mut cx), Poll::Ready(Ok(value)));
        // Contended: a getter parks, a put hands the item over.
        let mut get = std::pin::pin!(queue.get());
        assert!(get.as_mut().poll(&mut cx).is_pending());
        queue.try_put(value).unwrap();
        assert_eq!(get.as_mut().poll(&mut cx), Poll::Ready(Ok(value)));
        // A putter parks on the full queue, a get lets its item in.
        queue.try_put(value).unwrap();
        let mut put = std::pin::pin!(queue.put(value + 1));
        assert!(put.as_mut().poll(&mut cx).is_pending());
        assert_eq!(queue.try_get(), Ok(value));
        assert!(put.as_mut().poll(&mut cx).is_ready());
        assert_eq!(queue.try_get(), Ok(value + 1));
    };
    let start = allocations_on_this_thread();
    round(0); // grows the storage and the waiter slabs once
    let before = allocations_on_this_thread();
    assert!(before > start, "the counter sees the first round's growth");
    for value in 1..100 {
        round(value);
    }
    assert_eq!(allocations_on_this_thread() - before, 0);
}

#[test]
fn a_get_that_lets_a_putter_in_for_a_waiting_getter_allocates_nothing_once_warmed_up() {
    let queue = Queue::new(1);
    let waker_source = ByHand::new(std::future::pending::<()>());
    let waker = waker_source.waker();
    let mut cx = std::task::Context::from_waker(&waker);
    let mut round = |value: u32| {
        // Two getters wait; the first is handed an item, which fills the
        // queue, so the next putter waits too.
        let mut first = std::pin::pin!(queue.get());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        let mut second = std::pin::pin!(queue.get());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        queue.try_put(value).unwrap();
        let mut put = std::pin::pin!(queue.put(value + 1));
        assert!(put.as_mut().poll(&mut cx).is_pending());
        // The first getter takes its item and makes room: one step lets
        // the putter's item in and hands it to the second getter, waking
        // both of them.
        let wakes = waker_source.wakes();
        assert_eq!(first.as_mut().poll(&mut cx), Poll::Ready(Ok(value)));
        assert_eq!(waker_source.wakes() - wakes, 2);
        assert!(put.as_mut().poll(&mut cx).is_ready());
        assert_eq!(second.as_mut().poll(&mut cx), Poll::Ready(Ok(value + 1)));
        assert!(queue.is_empty());
    };
    let start = allocations_on_this_thread();
    round(0); // grows the waiter slabs once
    let before = allocations_on_this_thread();
    assert!(before > start, "the counter sees the first round's growth");
    for value in 1..100 {
        round(value);
    }
    assert_eq!(allocations_on_this_thread() - before, 0);
}
