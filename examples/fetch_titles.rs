//! GET /posts/1, /2 and /3 one after another over one client (one kept-alive
//! connection), printing each title.
//!
//! The asyncio + httpx program it reproduces:
//! ```python
//! async def main():
//!     async with httpx.AsyncClient() as client:
//!         for post_id in range(1, 4):
//!             post = (await client.get(f"{BASE}/posts/{post_id}")).json()
//!             print(f"Post {post['id']}: {post['title']}")
//! asyncio.run(main())
//! ```

mod common;

use common::{base_url, run_or_exit, Post};

async fn fetch_titles() -> Result<(), aio::http::Error> {
    let client = aio::http::Client::new();
    let base = base_url();
    for id in 1..=3 {
        let post: Post = client
            .get(format!("{base}/posts/{id}"))
            .await?
            .error_for_status()?
            .json()
            .await?;
        println!("Post {}: {}", post.id, post.title);
    }
    Ok(())
}

fn main() {
    run_or_exit(fetch_titles());
}
