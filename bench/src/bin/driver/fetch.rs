//! One GET with aio's client, for the driver's own checks: the bodies it
//! takes from `serve_posts` and the ones nginx then serves.

use std::path::Path;

/// What a GET returned; the body decoded if it came compressed.
pub struct Fetched {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// GETs `url` on a fresh event loop, trusting the CA in `ca_file` if given.
pub fn get(url: &str, ca_file: Option<&Path>) -> Result<Fetched, String> {
    let mut builder = aio::http::Client::builder();
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        builder = builder.add_root_certificate(pem);
    }
    let client = builder.build().map_err(|e| format!("{e:#}"))?;
    aio::run(async {
        let response = client.get(url).await?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let body = response.bytes().await?.to_vec();
        Ok(Fetched {
            status,
            content_type,
            body,
        })
    })
    .map_err(|e: aio::http::Error| format!("{e:#}"))
}
