//! What the jsonplaceholder examples share: where the API is, what a post is,
//! and how a failure is reported.

use serde::Deserialize;

/// The real API; `JSONPLACEHOLDER_URL` points the examples elsewhere (the
/// local `serve_posts` stand-in, for `make demo`).
const DEFAULT_BASE_URL: &str = "https://jsonplaceholder.typicode.com";

/// The API's base URL, without a trailing slash.
pub fn base_url() -> String {
    let base = std::env::var("JSONPLACEHOLDER_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.into());
    base.trim_end_matches('/').to_string()
}

/// One post; fields the examples do not print are ignored by serde.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // Each example reads a different subset of the fields.
pub struct Post {
    pub id: u64,
    pub title: String,
}

/// Run `main` on an event loop; on failure print one `error: ...` line (an
/// `aio::http::Error` names the method, the URL and, with `{:#}`, the whole
/// cause chain; an `anyhow::Error` its contexts, then that) and exit 1.
pub fn run_or_exit<F, E>(main: F)
where
    F: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    if let Err(e) = aio::run(main) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
