//! A hedged request: ask for post 1, ask again 50 ms later if no answer has
//! come, take whichever response arrives first and cancel the other one.
//!
//! The asyncio + httpx program it reproduces:
//! ```python
//! async def main():
//!     async with httpx.AsyncClient() as client:
//!         async def fetch(delay):
//!             await asyncio.sleep(delay)
//!             response = await client.get(f"{BASE}/posts/1")
//!             response.raise_for_status()
//!             return response.json()
//!         requests = [asyncio.create_task(fetch(0)), asyncio.create_task(fetch(0.05))]
//!         done, pending = await asyncio.wait(requests, return_when=asyncio.FIRST_COMPLETED)
//!         for request in pending:
//!             request.cancel()                       # the loser is cancelled
//!         post = done.pop().result()
//!         print(f"Post {post['id']}: {post['title']}")
//! asyncio.run(main())
//! ```

mod common;

use std::time::Duration;

use common::{base_url, run_or_exit, Post};

/// GET `url` after `delay`.
async fn fetch(
    client: &aio::http::Client,
    url: &str,
    delay: Duration,
) -> Result<Post, aio::http::Error> {
    aio::time::sleep(delay).await;
    client.get(url).await?.error_for_status()?.json().await
}

async fn first_response() -> Result<(), aio::http::Error> {
    let client = aio::http::Client::new();
    let url = format!("{}/posts/1", base_url());
    // Both run at once inside this task; when one finishes, the other is
    // dropped, which cancels its request (its connection is closed, not
    // returned to the pool half-read).
    let post = aio::select! {
        post = fetch(&client, &url, Duration::ZERO) => post?,
        post = fetch(&client, &url, Duration::from_millis(50)) => post?,
    };
    println!("Post {}: {}", post.id, post.title);
    Ok(())
}

fn main() {
    run_or_exit(first_response());
}
