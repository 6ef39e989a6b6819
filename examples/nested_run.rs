//! Calling `aio::run` from inside a running loop is refused, as asyncio
//! refuses `asyncio.run()` inside a running loop; `.await` is the fix.
//!
//! ```python
//! async def main():
//!     asyncio.run(compute())   # RuntimeError: asyncio.run() cannot be called from a running event loop
//!     await compute()          # the fix
//! ```

use aio::time::{sleep, Duration};

async fn compute() -> u32 {
    sleep(Duration::from_millis(10)).await;
    42
}

fn main() {
    aio::run(async {
        // `aio::run(compute())` here would panic with the message below;
        // `try_run` hands the same refusal back as a value.
        match aio::try_run(compute()) {
            Ok(_) => unreachable!("a nested loop is always refused"),
            Err(refusal) => println!("aio::run() inside the loop: {refusal}"),
        }
        println!("compute().await inside the loop: {}", compute().await);
    });
    // Outside any loop, run works as usual.
    println!(
        "aio::run(compute()) outside a loop: {}",
        aio::run(compute())
    );
}
