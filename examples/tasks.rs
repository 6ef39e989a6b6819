//! The runtime on its own: run, spawn, sleep, gather, spawn_blocking.
//!
//! The Python it mirrors:
//! ```python
//! async def say_after(delay, what):
//!     await asyncio.sleep(delay)
//!     return what
//! async def main():
//!     task = asyncio.create_task(say_after(0.2, "world"))
//!     print(await asyncio.gather(say_after(0.1, "hello"), say_after(0.1, "there")))
//!     print(await task)
//! asyncio.run(main())
//! ```

use aio::time::{sleep, Duration, Instant};

async fn say_after(delay: Duration, what: &str) -> String {
    sleep(delay).await;
    what.to_string()
}

fn main() {
    let start = Instant::now();
    aio::run(async {
        let task = aio::spawn(say_after(Duration::from_millis(200), "world"));
        let greetings = aio::gather([
            say_after(Duration::from_millis(100), "hello"),
            say_after(Duration::from_millis(100), "there"),
        ])
        .await;
        println!("{greetings:?}");
        println!(
            "{}",
            task.await
                .expect("the task neither panicked nor was aborted")
        );
        let sum = aio::spawn_blocking(|| (1..=1_000_000u64).sum::<u64>())
            .await
            .unwrap();
        println!("sum computed on the blocking pool: {sum}");
    });
    // Concurrent, so about 200 ms rather than 400.
    println!("finished in {} ms", start.elapsed().as_millis());
}
