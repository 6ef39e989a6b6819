//! Client-side checks for the hostile-server tests: a request that must
//! fail with a given kind and message within a time bound, followed at once
//! by a request on the same client that must succeed.

use std::future::Future;
use std::time::{Duration, Instant};

use aio_http::{Client, ClientBuilder, Error, Kind, Response};

use super::script::{Script, ScriptServer, GOOD_BODY};
use aio::run;

/// Bound on cases that must fail at once (no timeout involved).
pub const PROMPT: Duration = Duration::from_millis(1500);

/// A builder with safety nets: a broken case fails its kind assertion
/// (Timeout) instead of hanging the suite.
pub fn builder() -> ClientBuilder {
    Client::builder()
        .trust_env(false)
        .read_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(4))
}

/// How the body of the bad response is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Bytes,
    Text,
    Json,
    /// Piece by piece with `chunk()` until an error (or the end).
    Chunks,
}

/// Reads the whole body the way `how` says; `Ok` with the bytes seen.
pub async fn read_body(resp: Response, how: Read) -> Result<Vec<u8>, Error> {
    match how {
        Read::Bytes => resp.bytes().await.map(Vec::from),
        Read::Text => resp.text().await.map(String::into_bytes),
        Read::Json => resp
            .json::<serde_json::Value>()
            .await
            .map(|v| v.to_string().into_bytes()),
        Read::Chunks => {
            let mut resp = resp;
            let mut all = Vec::new();
            while let Some(piece) = resp.chunk().await? {
                all.extend_from_slice(&piece);
            }
            Ok(all)
        }
    }
}

/// GET `/good`: must succeed with the good body.
pub async fn follow_up(client: &Client, server: &ScriptServer) {
    let resp = client
        .get(server.url("/good"))
        .await
        .unwrap_or_else(|e| panic!("follow-up request failed: {e}"));
    assert_eq!(resp.status(), 200);
    let body = resp
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("follow-up body failed: {e}"));
    assert_eq!(body, GOOD_BODY);
}

/// What a failing case must produce.
pub struct Expect {
    pub kind: Kind,
    /// Text the message must contain (what was wrong).
    pub says: &'static str,
    /// The failure must come before this.
    pub within: Duration,
    /// And not before this (timeouts must not fire early).
    pub not_before: Duration,
}

impl Expect {
    /// A prompt failure of `kind` whose message contains `says`.
    pub fn prompt(kind: Kind, says: &'static str) -> Expect {
        Expect {
            kind,
            says,
            within: PROMPT,
            not_before: Duration::ZERO,
        }
    }

    /// A failure of kind Timeout after `limit` (with a margin).
    pub fn timeout(says: &'static str, limit: Duration) -> Expect {
        Expect {
            kind: Kind::Timeout,
            says,
            within: limit + Duration::from_millis(1000),
            not_before: limit,
        }
    }
}

/// Plays `script` against a client from `builder`, reading the body with
/// `how`; asserts the failure matches `expect`, then that the same client
/// succeeds right away on `/good`. Returns the error.
pub fn case(script: Script, builder: ClientBuilder, how: Read, expect: Expect) -> Error {
    let server = ScriptServer::start(script);
    case_on(&server, builder, how, expect)
}

/// [`case`] against a running server.
pub fn case_on(server: &ScriptServer, builder: ClientBuilder, how: Read, expect: Expect) -> Error {
    let client = builder.build().unwrap();
    let url = server.url("/bad");
    run(async {
        let (result, elapsed) = timed(async {
            let resp = client.get(&url).await?;
            read_body(resp, how).await
        })
        .await;
        let err = match result {
            Ok(body) => panic!(
                "a hostile response was a success with {} body bytes: {:?}",
                body.len(),
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ),
            Err(e) => e,
        };
        let text = format!("{err:#}");
        assert_eq!(err.kind(), expect.kind, "{text}");
        assert!(
            text.contains(expect.says),
            "expected {:?} in: {text}",
            expect.says
        );
        assert!(text.starts_with(&format!("GET {url}: ")), "{text}");
        assert!(
            elapsed < expect.within && elapsed >= expect.not_before,
            "failed after {elapsed:?}, expected {:?}..{:?}: {text}",
            expect.not_before,
            expect.within
        );
        follow_up(&client, server).await;
        err
    })
}

/// Runs `fut`, measuring how long it took.
pub async fn timed<F: Future>(fut: F) -> (F::Output, Duration) {
    let started = Instant::now();
    let out = fut.await;
    (out, started.elapsed())
}
