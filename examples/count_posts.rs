//! GET /posts, decode the JSON array, print how many there are.
//!
//! The asyncio + httpx program it reproduces:
//! ```python
//! async def main():
//!     async with httpx.AsyncClient() as client:
//!         posts = (await client.get(f"{BASE}/posts")).json()
//!         print(f"Total posts: {len(posts)}")
//! asyncio.run(main())
//! ```

mod common;

use common::{base_url, run_or_exit, Post};

async fn count_posts() -> Result<(), aio::http::Error> {
    let client = aio::http::Client::new();
    let posts: Vec<Post> = client
        .get(format!("{}/posts", base_url()))
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("Total posts: {}", posts.len());
    Ok(())
}

fn main() {
    run_or_exit(count_posts());
}
