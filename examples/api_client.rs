//! A typed client for jsonplaceholder's API: the shape a first real program
//! takes. One `Api` value holds an `aio::http::Client` (every request limited
//! to 10 s) and the base URL; each call is a method returning serde structs;
//! failures travel up as `anyhow` errors whose context says what was being
//! done, and the whole session has a 30 s budget (`aio::time::timeout`).
//!
//! Against jsonplaceholder, or `serve_posts` (see the README), it prints:
//! ```text
//! User 1: Leanne Graham <Sincere@april.biz>
//! 10 posts by Leanne Graham, the first: sunt aut facere repellat provident occaecati excepturi optio reprehenderit
//! 5 comments on post 1, the first by Eliseo@gardner.biz
//! Created post 101: Hello from aio
//! ```
//!
//! The asyncio + httpx program it reproduces:
//! ```python
//! async def main():
//!     async with httpx.AsyncClient(base_url=BASE, timeout=10) as client, asyncio.timeout(30):
//!         user = (await client.get("/users/1")).raise_for_status().json()
//!         posts = (await client.get("/posts", params={"userId": user["id"]})).json()
//!         comments = (await client.get(f"/posts/{posts[0]['id']}/comments")).json()
//!         new = {"userId": user["id"], "title": "Hello from aio", "body": "Posted by a typed client."}
//!         created = (await client.post("/posts", json=new)).raise_for_status().json()
//! asyncio.run(main())
//! ```

mod common;

use std::time::Duration;

use anyhow::{Context, Result};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use common::{base_url, run_or_exit, Post};

/// The parts of a user this program reads; serde skips the rest.
#[derive(Debug, Deserialize)]
struct User {
    id: u64,
    name: String,
    email: String,
}

#[derive(Debug, Deserialize)]
struct Comment {
    email: String,
}

/// A post to create: jsonplaceholder's field names are camelCase.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct NewPost<'a> {
    user_id: u64,
    title: &'a str,
    body: &'a str,
}

/// jsonplaceholder's API, one method per call.
struct Api {
    client: aio::http::Client,
    base: String,
}

impl Api {
    fn new(base: String) -> Result<Api> {
        let client = aio::http::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .context("setting up the HTTP client")?;
        Ok(Api { client, base })
    }

    async fn user(&self, id: u64) -> Result<User> {
        self.get(&format!("/users/{id}"), &[])
            .await
            .with_context(|| format!("fetching user {id}"))
    }

    /// `GET /posts?userId=...`: the server filters.
    async fn posts_by(&self, user: &User) -> Result<Vec<Post>> {
        self.get("/posts", &[("userId", user.id)])
            .await
            .with_context(|| format!("fetching the posts of user {}", user.id))
    }

    async fn comments_on(&self, post: &Post) -> Result<Vec<Comment>> {
        self.get(&format!("/posts/{}/comments", post.id), &[])
            .await
            .with_context(|| format!("fetching the comments on post {}", post.id))
    }

    /// `POST /posts` with a JSON body; the answer is the post with its new id.
    async fn create_post(&self, post: &NewPost<'_>) -> Result<Post> {
        call(self.client.post(format!("{}/posts", self.base)).json(post)).await
    }

    /// A GET with a query.
    async fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, u64)]) -> Result<T> {
        call(self.client.get(format!("{}{path}", self.base)).query(query)).await
    }
}

/// Sends `request` and decodes its JSON answer into `T`; a 4xx or 5xx
/// status is an error (`error_for_status`), not a body to decode.
async fn call<T: DeserializeOwned>(request: aio::http::RequestBuilder) -> Result<T> {
    let response = request.await?.error_for_status()?;
    Ok(response.json().await?)
}

async fn session(api: &Api) -> Result<()> {
    let user = api.user(1).await?;
    println!("User {}: {} <{}>", user.id, user.name, user.email);

    let posts = api.posts_by(&user).await?;
    let first = posts
        .first()
        .with_context(|| format!("user {} has no posts", user.id))?;
    println!(
        "{} posts by {}, the first: {}",
        posts.len(),
        user.name,
        first.title
    );

    let comments = api.comments_on(first).await?;
    let by = comments.first().map_or("nobody", |c| c.email.as_str());
    println!(
        "{} comments on post {}, the first by {by}",
        comments.len(),
        first.id
    );

    let new = NewPost {
        user_id: user.id,
        title: "Hello from aio",
        body: "Posted by a typed client.",
    };
    let created = api.create_post(&new).await.context("creating a post")?;
    println!("Created post {}: {}", created.id, created.title);
    Ok(())
}

async fn main_async() -> Result<()> {
    let api = Api::new(base_url())?;
    aio::time::timeout(Duration::from_secs(30), session(&api))
        .await
        .context("the session took longer than 30 s")?
}

fn main() {
    run_or_exit(main_async());
}
