//! A producer feeds three workers through a bounded `aio::sync::Queue`;
//! `join` waits until every item was marked done, then the workers are
//! cancelled, as in the asyncio docs' Queue example.
//!
//! The Python it mirrors:
//! ```python
//! async def worker(name, queue, results):
//!     while True:
//!         n = await queue.get()
//!         await asyncio.sleep(0.001 * (n % 3))  # some work
//!         results.append(n * n)
//!         queue.task_done()
//!
//! async def main():
//!     queue = asyncio.Queue(maxsize=5)
//!     results = []
//!     workers = [asyncio.create_task(worker(f"worker-{i}", queue, results)) for i in range(3)]
//!     for n in range(1, 21):
//!         await queue.put(n)          # waits while five items are queued
//!     await queue.join()              # every item taken *and* done
//!     for w in workers:
//!         w.cancel()
//!     print(f"3 workers squared 20 numbers; sum of squares = {sum(results)}")
//! asyncio.run(main())
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use aio::sync::Queue;

const WORKERS: usize = 3;
const ITEMS: u64 = 20;

async fn worker(queue: Queue<u64>, results: Rc<RefCell<Vec<u64>>>) {
    // Ends with an error once the queue is shut down; here the task is
    // cancelled first, as asyncio's workers are.
    while let Ok(n) = queue.get().await {
        aio::time::sleep(Duration::from_millis(n % 3)).await; // some work
        results.borrow_mut().push(n * n);
        queue
            .task_done()
            .expect("one task_done per item taken from the queue");
    }
}

fn main() {
    aio::run(async {
        let queue = Queue::new(5);
        let results = Rc::new(RefCell::new(Vec::new()));
        let workers: Vec<_> = (0..WORKERS)
            .map(|_| aio::spawn(worker(queue.clone(), results.clone())))
            .collect();
        for n in 1..=ITEMS {
            // Waits while five items are queued: the producer never runs
            // ahead of the workers by more than that.
            queue.put(n).await.expect("the queue is not shut down");
        }
        queue.join().await;
        for worker in &workers {
            worker.abort();
        }
        let results = results.borrow();
        println!(
            "{WORKERS} workers squared {} numbers; sum of squares = {}",
            results.len(),
            results.iter().sum::<u64>()
        );
    });
}
