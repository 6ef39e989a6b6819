//! The `count_posts` example (GET /posts, decode, print the count) written
//! with reqwest on tokio's current_thread runtime, for `count_posts_e2e`;
//! `build_weight` builds this same file on its own.
//! Like aio's client it trusts the PEM bundle named by `SSL_CERT_FILE` and
//! reads the base URL from `JSONPLACEHOLDER_URL`.

#[derive(serde::Deserialize)]
#[allow(dead_code)] // Decoded like aio's example, which reads these two fields.
struct Post {
    id: u64,
    title: String,
}

async fn count_posts() -> Result<(), reqwest::Error> {
    let mut builder = reqwest::Client::builder();
    if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
        let pem = std::fs::read(&path).expect("read SSL_CERT_FILE");
        for cert in reqwest::Certificate::from_pem_bundle(&pem)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    let client = builder.build()?;
    let base = std::env::var("JSONPLACEHOLDER_URL")
        .unwrap_or_else(|_| "https://jsonplaceholder.typicode.com".into());
    let posts: Vec<Post> = client
        .get(format!("{}/posts", base.trim_end_matches('/')))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("Total posts: {}", posts.len());
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = count_posts().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
