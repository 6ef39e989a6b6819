//! Fetch all 100 posts, at most 10 requests at a time, and stop everything
//! at the first failure: a `TaskGroup` owns the fetches, a `Semaphore`
//! bounds them.
//!
//! The asyncio + httpx program it reproduces:
//! ```python
//! async def main():
//!     limit = asyncio.Semaphore(10)
//!     async with httpx.AsyncClient() as client:
//!         async def fetch(post_id):
//!             async with limit:                      # at most 10 at a time
//!                 response = await client.get(f"{BASE}/posts/{post_id}")
//!                 response.raise_for_status()
//!                 return response.json()
//!         async with asyncio.TaskGroup() as group:   # first failure cancels the rest
//!             tasks = [group.create_task(fetch(i)) for i in range(1, 101)]
//!         posts = [task.result() for task in tasks]
//!     print(f"Fetched {len(posts)} posts, at most 10 at a time")
//!     print(f"Post 100: {posts[-1]['title']}")
//! asyncio.run(main())
//! ```

mod common;

use std::cell::Cell;
use std::rc::Rc;

use aio::sync::Semaphore;
use aio::{ChildFailure, TaskGroup};
use common::{base_url, run_or_exit, Post};

const POSTS: u64 = 100;
const AT_ONCE: usize = 10;

/// How many fetches hold a permit right now, and the most there ever were.
#[derive(Default)]
struct InFlight {
    now: Cell<usize>,
    peak: Cell<usize>,
}

async fn fetch_all() -> Result<(), aio::http::Error> {
    let client = aio::http::Client::new();
    let base = base_url();
    let limit = Rc::new(Semaphore::new(AT_ONCE));
    let in_flight = Rc::new(InFlight::default());
    let group: TaskGroup<aio::http::Error> = TaskGroup::default();
    let fetches: Vec<_> = (1..=POSTS)
        .map(|id| {
            let (client, limit, in_flight) = (client.clone(), limit.clone(), in_flight.clone());
            let url = format!("{base}/posts/{id}");
            group.spawn(async move {
                let _permit = limit.acquire().await;
                in_flight.now.set(in_flight.now.get() + 1);
                in_flight
                    .peak
                    .set(in_flight.peak.get().max(in_flight.now.get()));
                let post = client
                    .get(url)
                    .await?
                    .error_for_status()?
                    .json::<Post>()
                    .await;
                in_flight.now.set(in_flight.now.get() - 1);
                post
            })
        })
        .collect();
    // Every fetch has ended here. On a failure the others were cancelled;
    // the group's error holds every failure, and the first is reported.
    if let Err(failed) = group.join().await {
        if let Some(first) = failed.into_failures().into_iter().next() {
            match first {
                ChildFailure::Failed(e) => return Err(e),
                ChildFailure::Panicked(panic) => std::panic::resume_unwind(panic.into_payload()),
            }
        }
    }
    let mut posts = Vec::with_capacity(fetches.len());
    for fetch in fetches {
        posts.push(fetch.await.expect("the group joined without a failure"));
    }
    println!(
        "Fetched {} posts, at most {} at a time",
        posts.len(),
        in_flight.peak.get()
    );
    if let Some(last) = posts.last() {
        println!("Post {}: {}", last.id, last.title);
    }
    Ok(())
}

fn main() {
    run_or_exit(fetch_all());
}
