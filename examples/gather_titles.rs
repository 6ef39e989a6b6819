//! The posts of `fetch_titles`, fetched concurrently with `aio::gather` over
//! one client, printed in id order. `--count N` fetches posts 1..=N (default 3).
//!
//! The asyncio + httpx program it reproduces:
//! ```python
//! async def main():
//!     async with httpx.AsyncClient() as client:
//!         responses = await asyncio.gather(*(client.get(f"{BASE}/posts/{i}") for i in range(1, 4)))
//!         for response in responses:
//!             post = response.json()
//!             print(f"Post {post['id']}: {post['title']}")
//! asyncio.run(main())
//! ```

mod common;

use common::{base_url, run_or_exit, Post};

/// `--count N` from the command line, or 3.
fn count_from_args() -> Result<u64, String> {
    let mut args = std::env::args().skip(1);
    let mut count = 3;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--count" => {
                let value = args.next().ok_or("--count needs a number")?;
                count = value
                    .parse()
                    .map_err(|_| format!("--count needs a number, not {value:?}"))?;
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (usage: gather_titles [--count N])"
                ))
            }
        }
    }
    Ok(count)
}

async fn gather_titles(count: u64) -> Result<(), aio::http::Error> {
    let client = aio::http::Client::new();
    let base = base_url();
    let fetches = (1..=count).map(|id| {
        let request = client.get(format!("{base}/posts/{id}"));
        async move { request.await?.error_for_status()?.json::<Post>().await }
    });
    // gather keeps input order, so the posts come out in id order.
    for post in aio::gather(fetches).await {
        let post = post?;
        println!("Post {}: {}", post.id, post.title);
    }
    Ok(())
}

fn main() {
    let count = count_from_args().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2);
    });
    run_or_exit(gather_titles(count));
}
