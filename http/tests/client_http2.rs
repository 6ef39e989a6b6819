//! HTTP/2: negotiation, multiplexing, and every client feature on h2.
//!
//! The servers are the h2 crate's server side running as tasks on the
//! test's own loop (support::h2), raw frame scripts for what that crate
//! will not send, and the std-thread HTTP/1.1 servers of support::server.
//! Every wait is on a fact the server counted (streams seen, resets),
//! never on a sleep.

mod support;

use std::future::Future;
use std::io::Write as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aio::run;
use aio_http::doc_support::serve_h2c;
use aio_http::{Body, Client, ClientBuilder, Kind, Version};
use h2::Reason;
use support::abort::AbortAfter;
use support::certs::{Leaf, TestCa};
use support::h2::{frame, H2Server, Incoming};
use support::server::{response, TestServer};

const H2: &[u8] = b"h2";
const H11: &[u8] = b"http/1.1";

/// A CA, a localhost leaf it signed, and client builders trusting it.
struct Pki {
    ca: TestCa,
    leaf: Leaf,
}

impl Pki {
    fn new() -> Pki {
        let ca = TestCa::new("h2 test CA");
        let leaf = ca.localhost();
        Pki { ca, leaf }
    }

    fn builder(&self) -> ClientBuilder {
        Client::builder()
            .trust_env(false)
            .add_root_certificate(&self.ca.cert_pem)
            // A bound on every test: a hang fails it instead of stalling.
            .timeout(Duration::from_secs(30))
    }

    fn client(&self) -> Client {
        self.builder().build().unwrap()
    }
}

fn h2c_client() -> Client {
    h2c_builder().build().unwrap()
}

fn h2c_builder() -> ClientBuilder {
    Client::builder()
        .trust_env(false)
        .http2_prior_knowledge()
        .timeout(Duration::from_secs(30))
}

/// Answers `METHOD path` (and the request body's length, for bodies).
async fn echo(mut s: Incoming) {
    let line = s.line();
    let body = s.body().await.unwrap_or_default();
    s.reply(200, &[], format!("{line} {}", body.len()));
}

/// The client still works against `server` (an [`echo`] for `/ok`), and
/// the server has accepted `connections` connections in all.
async fn assert_usable(client: &Client, server: &H2Server, connections: usize) {
    let ok = client
        .get(server.url("/ok"))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(ok.version(), Version::HTTP_2);
    assert_eq!(ok.text().await.unwrap(), "GET /ok 0");
    assert_eq!(server.counts().connections, connections);
}

// ---------------------------------------------------------------- 1. ALPN

#[test]
fn h2c_prior_knowledge_get() {
    run(async {
        let url = serve_h2c(&["200 OK\ncontent-type: text/plain\n\n{request}"]).await;
        let client = Client::builder().http2_prior_knowledge().build().unwrap();
        for _ in 0..3 {
            let response = client.get(format!("{url}/a?b=c")).await.unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            let echo = response.text().await.unwrap();
            assert!(echo.starts_with("GET /a\n"), "{echo}");
        }
    });
}

#[test]
fn alpn_h2_is_spoken_when_the_server_offers_it() {
    let pki = Pki::new();
    run(async {
        let server = H2Server::tls(&pki.leaf, &[H2, H11]).start(echo).await;
        let client = pki.client();
        for i in 0..3 {
            let response = client.get(server.url(&format!("/{i}"))).await.unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            assert_eq!(response.text().await.unwrap(), format!("GET /{i} 0"));
        }
        let counts = server.counts();
        assert_eq!((counts.connections, counts.streams), (1, 3));
        assert_eq!(counts.http1_requests, 0);
    });
}

#[test]
fn alpn_http11_only_server_gets_http11() {
    let pki = Pki::new();
    let server = TestServer::https(pki.leaf.server_config(), |peer| {
        peer.serve(|_| response("200 OK", &[], b"one-one"))
    });
    run(async {
        let response = pki.client().get(server.url("/")).await.unwrap();
        assert_eq!(response.version(), Version::HTTP_11);
        assert_eq!(response.text().await.unwrap(), "one-one");
    });
}

#[test]
fn http1_only_client_gets_http11_from_an_h2_server() {
    let pki = Pki::new();
    run(async {
        let server = H2Server::tls(&pki.leaf, &[H2, H11]).start(echo).await;
        let client = pki.builder().http1_only().build().unwrap();
        let response = client.get(server.url("/")).await.unwrap();
        assert_eq!(response.version(), Version::HTTP_11);
        assert_eq!(response.text().await.unwrap(), "http/1.1");
        let counts = server.counts();
        assert_eq!((counts.http1_requests, counts.streams), (1, 0));
    });
}

#[test]
fn h2c_prior_knowledge_on_the_test_server() {
    run(async {
        let server = H2Server::h2c().start(echo).await;
        let client = h2c_client();
        let response = client.post(server.url("/p")).body("abc").await.unwrap();
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.text().await.unwrap(), "POST /p 3");
    });
}

// ------------------------------------------------------ 2, 3. multiplexing

#[test]
fn a_thousand_concurrent_requests_share_one_connection_within_the_stream_limit() {
    let pki = Pki::new();
    run(async {
        let server = H2Server::tls(&pki.leaf, &[H2, H11])
            .max_concurrent_streams(100)
            .start(|mut s: Incoming| async move {
                // Held until two streams were open at once: proof of
                // multiplexing, whatever the scheduling.
                let stats = Arc::clone(&s.stats);
                stats.until(|c| c.peak >= 2).await;
                let line = s.line();
                s.reply(200, &[], line);
            })
            .await;
        let client = pki.client();
        let requests = (0..1000).map(|i| {
            let client = client.clone();
            let url = server.url(&format!("/n/{i}"));
            async move {
                let response = client.get(&url).await.unwrap_or_else(|e| panic!("{e:#}"));
                assert_eq!(response.version(), Version::HTTP_2);
                let body = response.text().await.unwrap();
                assert_eq!(body, format!("GET /n/{i}"));
            }
        });
        aio::gather(requests).await;
        let counts = server.counts();
        assert_eq!(counts.connections, 1, "{counts:?}");
        assert_eq!(counts.streams, 1000);
        assert!(
            counts.peak > 1 && counts.peak <= 100,
            "peak {} streams at once",
            counts.peak
        );
    });
}

#[test]
fn first_requests_racing_a_negotiating_connection_share_it() {
    let pki = Pki::new();
    run(async {
        let server = H2Server::tls(&pki.leaf, &[H2, H11]).start(echo).await;
        let client = pki.client();
        let requests = (0..20).map(|i| {
            let request = client.get(server.url(&format!("/r/{i}")));
            async move {
                let response = request.await.unwrap();
                assert_eq!(response.version(), Version::HTTP_2);
                assert_eq!(response.text().await.unwrap(), format!("GET /r/{i} 0"));
            }
        });
        aio::gather(requests).await;
        let counts = server.counts();
        assert_eq!((counts.connections, counts.streams), (1, 20));
    });
}

// ------------------------------------------- 4. the HTTP/1.1 features on h2

/// `/never`: no head, ever; `/stall`: a head and one piece, then nothing.
async fn stalling(s: Incoming) {
    match s.path() {
        "/never" => {
            let mut s = s;
            s.until_reset().await;
        }
        "/stall" => {
            s.stall_after(&[], "first").await;
        }
        _ => echo(s).await,
    }
}

#[test]
fn read_timeouts_on_h2_name_the_phase_and_spare_the_connection() {
    run(async {
        let server = H2Server::h2c().start(stalling).await;
        let client = h2c_builder()
            .read_timeout(Duration::from_millis(200))
            .build()
            .unwrap();
        let e = client.get(server.url("/never")).await.unwrap_err();
        assert!(e.is_timeout(), "{e:#}");
        let text = e.to_string();
        assert!(
            text.starts_with(&format!("GET {}: ", server.url("/never"))),
            "{text}"
        );
        assert!(text.contains("waiting for the response head"), "{text}");
        assert!(text.contains("read timeout"), "{text}");

        let mut response = client.get(server.url("/stall")).await.unwrap();
        assert_eq!(response.chunk().await.unwrap().unwrap(), "first");
        let e = response.chunk().await.unwrap_err();
        assert!(e.is_timeout(), "{e:#}");
        let text = e.to_string();
        assert!(text.starts_with("GET "), "{text}");
        assert!(text.contains("reading the response body"), "{text}");
        assert!(text.contains("read timeout"), "{text}");
        drop(response);

        // Both streams were reset, the connection lives on.
        server.stats.until(|c| c.resets.len() == 2).await;
        assert_usable(&client, &server, 1).await;
    });
}

#[test]
fn total_timeouts_on_h2_name_the_phase() {
    run(async {
        let server = H2Server::h2c().start(stalling).await;
        let client = h2c_builder()
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let e = client.get(server.url("/never")).await.unwrap_err();
        assert!(e.is_timeout(), "{e:#}");
        let text = e.to_string();
        assert!(text.contains("waiting for the response head"), "{text}");
        assert!(text.contains("total timeout"), "{text}");

        let response = client.get(server.url("/stall")).await.unwrap();
        let e = response.bytes().await.unwrap_err();
        assert!(e.is_timeout(), "{e:#}");
        let text = e.to_string();
        assert!(text.contains("reading the response body"), "{text}");
        assert!(text.contains("total timeout"), "{text}");

        server.stats.until(|c| c.resets.len() == 2).await;
        assert_usable(&client, &server, 1).await;
    });
}

/// `/301` → `/302` → `/303` → `/307` → `/final`; `/away` → `elsewhere`.
fn redirecting(elsewhere: String) -> impl Fn(Incoming) -> Pin<Box<dyn Future<Output = ()>>> {
    move |mut s: Incoming| {
        let elsewhere = elsewhere.clone();
        Box::pin(async move {
            let next = match s.path() {
                "/301" => Some((301, "/302".to_owned())),
                "/302" => Some((302, "/303".to_owned())),
                "/303" => Some((303, "/307".to_owned())),
                "/307" => Some((307, "/final".to_owned())),
                "/away" => Some((302, elsewhere)),
                _ => None,
            };
            match next {
                Some((status, location)) => {
                    let _ = s.body().await;
                    s.reply(status, &[("location", &location)], "moved");
                }
                None => echo(s).await,
            }
        })
    }
}

#[test]
fn redirects_on_one_h2_origin_and_to_another() {
    run(async {
        let other = H2Server::h2c().start(echo).await;
        let server = H2Server::h2c()
            .start(redirecting(other.url("/final")))
            .await;
        let client = h2c_client();

        let response = client.get(server.url("/301")).await.unwrap();
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.redirects().len(), 4);
        assert_eq!(response.url().as_str(), server.url("/final"));
        assert_eq!(response.text().await.unwrap(), "GET /final 0");

        // 307 keeps the method and the body; 302 turns a POST into a GET.
        let response = client.post(server.url("/307")).body("data").await.unwrap();
        assert_eq!(response.text().await.unwrap(), "POST /final 4");
        let response = client.post(server.url("/302")).body("data").await.unwrap();
        assert_eq!(response.text().await.unwrap(), "GET /final 0");

        let response = client.get(server.url("/away")).await.unwrap();
        assert_eq!(response.url().as_str(), other.url("/final"));
        assert_eq!(response.text().await.unwrap(), "GET /final 0");

        // Every hop rode the one connection of its origin.
        assert_eq!(server.counts().connections, 1);
        assert_eq!(server.counts().streams, 5 + 2 + 4 + 1);
        assert_eq!(other.counts().connections, 1);
    });
}

#[test]
fn max_body_size_on_h2() {
    run(async {
        let server = H2Server::h2c()
            .start(|mut s: Incoming| async move {
                match s.path() {
                    // Declares a million bytes, sends none: only a client
                    // that refuses at once sees an error before its timeout.
                    "/declared" => {
                        s.stall_after(&[("content-length", "1000000")], "").await;
                    }
                    "/unsized" => {
                        let Ok(mut stream) =
                            s.respond.send_response(support::h2::head(200, &[]), false)
                        else {
                            return;
                        };
                        for _ in 0..20 {
                            let _ = stream.send_data(vec![b'x'; 100].into(), false);
                        }
                        let _ = stream.send_data(Default::default(), true);
                    }
                    _ => echo(s).await,
                }
            })
            .await;
        let client = h2c_builder()
            .max_body_size(1000)
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();

        let response = client.get(server.url("/declared")).await.unwrap();
        let e = response.bytes().await.unwrap_err();
        assert_eq!(e.kind(), Kind::Body, "{e:#}");
        let text = e.to_string();
        assert!(text.contains("Content-Length"), "{text}");
        assert!(text.contains("max_body_size"), "{text}");
        // The client reset the stream rather than wait for the body.
        server.stats.until(|c| !c.resets.is_empty()).await;

        let mut response = client.get(server.url("/unsized")).await.unwrap();
        let mut got = 0;
        let e = loop {
            match response.chunk().await {
                Ok(Some(piece)) => got += piece.len(),
                Ok(None) => panic!("a 2,000-byte body passed a limit of 1,000"),
                Err(e) => break e,
            }
        };
        assert!(got <= 1000, "{got} bytes handed out past the limit");
        assert_eq!(e.kind(), Kind::Body, "{e:#}");
        assert!(e.to_string().contains("max_body_size"), "{e}");

        assert_usable(&client, &server, 1).await;
    });
}

#[test]
fn gzip_bodies_are_decoded_on_h2() {
    let text = "a line of text that compresses well\n".repeat(200);
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).unwrap();
    let gzipped = encoder.finish().unwrap();
    run(async {
        let server = H2Server::h2c()
            .start(move |mut s: Incoming| {
                let gzipped = gzipped.clone();
                async move {
                    let accepts = s.request.headers()["accept-encoding"].to_str().unwrap();
                    assert!(accepts.contains("gzip"), "{accepts}");
                    s.reply(200, &[("content-encoding", "gzip")], gzipped);
                }
            })
            .await;
        let response = h2c_client().get(server.url("/gz")).await.unwrap();
        assert_eq!(response.version(), Version::HTTP_2);
        assert_eq!(response.text().await.unwrap(), text);
    });
}

/// Byte `i` of the test bodies.
fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

#[test]
fn streamed_request_and_response_bodies_on_h2() {
    const UPLOAD: usize = 6 << 20;
    const DOWNLOAD: usize = 3 << 20;
    const PIECE: usize = 64 << 10;
    run(async {
        let server = H2Server::h2c()
            .start(|mut s: Incoming| async move {
                if s.path() == "/upload" {
                    let body = s.body().await.unwrap();
                    let intact = body.iter().enumerate().all(|(i, b)| *b == pattern(i));
                    s.reply(200, &[], format!("{} {intact}", body.len()));
                    return;
                }
                let Ok(mut stream) = s.respond.send_response(support::h2::head(200, &[]), false)
                else {
                    return;
                };
                let body: Vec<u8> = (0..DOWNLOAD).map(pattern).collect();
                for piece in body.chunks(PIECE) {
                    let _ = stream.send_data(piece.to_vec().into(), false);
                }
                let _ = stream.send_data(Default::default(), true);
            })
            .await;
        let client = h2c_client();

        let pieces = (0..UPLOAD / PIECE).map(|n| {
            let piece: Vec<u8> = (n * PIECE..(n + 1) * PIECE).map(pattern).collect();
            Ok::<_, std::io::Error>(piece)
        });
        let body = Body::wrap_stream(futures_lite::stream::iter(pieces));
        let response = client.put(server.url("/upload")).body(body).await.unwrap();
        assert_eq!(response.text().await.unwrap(), format!("{UPLOAD} true"));

        let mut response = client.get(server.url("/download")).await.unwrap();
        let (mut got, mut pieces) = (Vec::new(), 0);
        while let Some(piece) = response.chunk().await.unwrap() {
            got.extend_from_slice(&piece);
            pieces += 1;
        }
        assert_eq!(got.len(), DOWNLOAD);
        assert!(got.iter().enumerate().all(|(i, b)| *b == pattern(i)));
        assert!(pieces > 1, "the body came in {pieces} piece");
    });
}

#[test]
fn post_json_on_h2() {
    run(async {
        let server = H2Server::h2c()
            .start(|mut s: Incoming| async move {
                let kind = s.request.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                let body = String::from_utf8(s.body().await.unwrap()).unwrap();
                let answer = format!(r#"{{"type":"{kind}","got":{body}}}"#);
                s.reply(200, &[("content-type", "application/json")], answer);
            })
            .await;
        let sent = serde_json::json!({"name": "ann", "tags": [1, 2, null]});
        let response = h2c_client()
            .post(server.url("/json"))
            .json(&sent)
            .await
            .unwrap();
        let answer: serde_json::Value = response.json().await.unwrap();
        assert_eq!(answer["type"], "application/json");
        assert_eq!(answer["got"], sent);
    });
}

// ------------------------------------------------- 6. resets and GOAWAY

/// `/refuse-once/..`: REFUSED_STREAM the first time, answered after;
/// `/refuse`: REFUSED_STREAM always; `/boom`: INTERNAL_ERROR.
fn resetting() -> impl Fn(Incoming) -> Pin<Box<dyn Future<Output = ()>>> {
    let refused = Arc::new(AtomicUsize::new(0));
    move |mut s: Incoming| {
        let refused = Arc::clone(&refused);
        Box::pin(async move {
            let reason = match s.path() {
                "/refuse" => Some(Reason::REFUSED_STREAM),
                "/refuse-once" if refused.fetch_add(1, Ordering::SeqCst) == 0 => {
                    Some(Reason::REFUSED_STREAM)
                }
                "/boom" => Some(Reason::INTERNAL_ERROR),
                _ => None,
            };
            match reason {
                Some(reason) => s.respond.send_reset(reason),
                None => echo(s).await,
            }
        })
    }
}

#[test]
fn refused_streams_are_resent_once() {
    run(async {
        let server = H2Server::h2c().start(resetting()).await;
        let client = h2c_client();
        // A POST too: a refused stream was never processed.
        let response = client
            .post(server.url("/refuse-once"))
            .body("abc")
            .await
            .unwrap_or_else(|e| panic!("{e:#} {:?}", server.counts()));
        assert_eq!(response.text().await.unwrap(), "POST /refuse-once 3");
        assert_eq!(server.counts().streams, 2);

        // Refused again: an error, after exactly one resend.
        let e = client.get(server.url("/refuse")).await.unwrap_err();
        assert!(e.is_protocol(), "{e:#}");
        assert!(
            e.to_string()
                .starts_with(&format!("GET {}: ", server.url("/refuse"))),
            "{e}"
        );
        assert!(format!("{e:#}").contains("refused"), "{e:#}");
        assert_eq!(server.counts().streams, 4);

        let ok = client.get(server.url("/ok")).await.unwrap();
        assert_eq!(ok.text().await.unwrap(), "GET /ok 0");
    });
}

#[test]
fn internal_error_resets_name_the_request_and_hide_the_password() {
    run(async {
        let server = H2Server::h2c().start(resetting()).await;
        let client = h2c_client();
        let url = server.url("/boom").replace("//", "//ann:secret@");
        let e = client.delete(&url).await.unwrap_err();
        assert!(e.is_protocol(), "{e:#}");
        // The userinfo became an Authorization header: the URL shown has
        // none, as on HTTP/1.1.
        let shown = server.url("/boom");
        assert!(
            e.to_string().starts_with(&format!("DELETE {shown}: ")),
            "{e}"
        );
        let full = format!("{e:#}");
        assert!(
            full.contains("INTERNAL_ERROR") || full.contains("internal error"),
            "{full}"
        );
        for text in [e.to_string(), full, format!("{e:?}")] {
            assert!(!text.contains("secret"), "{text}");
        }
        // Not resent (the server may have acted on it), and the connection
        // carries on.
        assert_eq!(server.counts().streams, 1);
        assert_usable(&client, &server, 1).await;
    });
}

// ------------------------------------------------------- 5. cancellation

#[test]
fn dropping_a_request_mid_flight_resets_its_stream_not_the_connection() {
    run(async {
        let server = H2Server::h2c()
            .start(|mut s: Incoming| async move {
                match s.path() {
                    "/hang" => {
                        s.until_reset().await;
                    }
                    "/hang-body" => {
                        s.stall_after(&[], "first").await;
                    }
                    _ => echo(s).await,
                }
            })
            .await;
        let client = h2c_client();
        let ok = client.get(server.url("/ok")).await.unwrap();
        assert_eq!(ok.text().await.unwrap(), "GET /ok 0");

        // Dropped while waiting for the head.
        let task = aio::spawn(client.get(server.url("/hang")).send());
        server
            .stats
            .until(|c| c.requests.iter().any(|r| r == "GET /hang"))
            .await;
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        server.stats.until(|c| c.resets.len() == 1).await;

        // Dropped mid-body.
        let mut response = client.get(server.url("/hang-body")).await.unwrap();
        assert_eq!(response.chunk().await.unwrap().unwrap(), "first");
        drop(response);
        server.stats.until(|c| c.resets.len() == 2).await;
        assert_eq!(server.counts().resets, [Reason::CANCEL, Reason::CANCEL]);

        assert_usable(&client, &server, 1).await;
    });
}

const SLOW_PIECES: usize = 4;
const SLOW_PIECE: usize = 3000;

/// `/slow/<k>`: reads the request body, then answers in pieces with pauses
/// (so reading takes several polls), the body starting with
/// `METHOD path length`; anything else: [`echo`].
async fn slow(mut s: Incoming) {
    if !s.path().starts_with("/slow/") {
        return echo(s).await;
    }
    let line = s.line();
    let Ok(body) = s.body().await else {
        return;
    };
    let mut answer = format!("{line} {}", body.len()).into_bytes();
    answer.resize(SLOW_PIECES * SLOW_PIECE, b'.');
    let Ok(mut stream) = s.respond.send_response(support::h2::head(200, &[]), false) else {
        return;
    };
    for (i, piece) in answer.chunks(SLOW_PIECE).enumerate() {
        if i > 0 {
            // Pacing only: each piece lands in a poll of its own.
            aio::time::sleep(Duration::from_millis(2)).await;
        }
        let last = i == SLOW_PIECES - 1;
        if stream.send_data(piece.to_vec().into(), last).is_err() {
            return;
        }
    }
}

/// What the aborted request sends.
#[derive(Clone, Copy)]
enum Upload {
    Nothing,
    /// A PUT of this many bytes held in memory.
    Bytes(usize),
    /// A PUT of this many bytes, streamed in 64 KiB pieces.
    Streamed(usize),
}

impl Upload {
    fn request(self, client: &Client, url: &str) -> aio_http::RequestBuilder {
        match self {
            Upload::Nothing => client.get(url),
            Upload::Bytes(n) => client.put(url).body(vec![b'u'; n]),
            Upload::Streamed(n) => {
                let pieces =
                    (0..n / (64 << 10)).map(|_| Ok::<_, std::io::Error>(vec![b's'; 64 << 10]));
                client
                    .put(url)
                    .body(Body::wrap_stream(futures_lite::stream::iter(pieces)))
            }
        }
    }

    fn len(self) -> usize {
        match self {
            Upload::Nothing => 0,
            Upload::Bytes(n) | Upload::Streamed(n) => n,
        }
    }
}

/// Aborts `/slow/<k>` after k polls, for k = 1, 2, ... until a run
/// completes; after each abort the client (`client(k)`) must at once get
/// its own answer to `/good/<k>`. Returns the polls the complete run took.
async fn abort_everywhere(server: &H2Server, client: impl Fn() -> Client, upload: Upload) -> usize {
    for k in 1.. {
        assert!(k < 10_000, "the request never completed");
        let client = client();
        let request = upload.request(&client, &server.url(&format!("/slow/{k}")));
        let exchange = async move {
            let response = request.await.unwrap_or_else(|e| panic!("{e:#}"));
            response.bytes().await.unwrap_or_else(|e| panic!("{e:#}"))
        };
        let task = aio::spawn(AbortAfter::new(exchange, k));
        let outcome = task.await.expect("the task itself is not cancelled");
        let good = client
            .get(server.url(&format!("/good/{k}")))
            .await
            .unwrap_or_else(|e| panic!("after an abort at poll {k}: {e:#}"));
        assert_eq!(good.version(), Version::HTTP_2);
        assert_eq!(good.text().await.unwrap(), format!("GET /good/{k} 0"));
        if let Some(body) = outcome {
            assert_eq!(body.len(), SLOW_PIECES * SLOW_PIECE);
            let method = if upload.len() > 0 { "PUT" } else { "GET" };
            let tag = format!("{method} /slow/{k} {}", upload.len());
            assert!(body.starts_with(tag.as_bytes()));
            return k;
        }
    }
    unreachable!()
}

#[test]
fn aborting_an_h2_request_at_every_poll_leaves_the_connection_usable() {
    let pki = Pki::new();
    run(async {
        let server = H2Server::tls(&pki.leaf, &[H2, H11]).start(slow).await;
        let client = pki.client();
        // The connection is open before the first abort: every abort lands
        // on a stream of it, and must leave it usable.
        let warm = client.get(server.url("/warm")).await.unwrap();
        assert_eq!(warm.version(), Version::HTTP_2);
        for upload in [
            Upload::Nothing,
            Upload::Bytes(1 << 20),
            Upload::Streamed(1 << 20),
        ] {
            let polls = abort_everywhere(&server, || client.clone(), upload).await;
            assert!(polls >= 2, "completed in {polls} polls");
        }
        assert_eq!(server.counts().connections, 1);
    });
}

#[test]
fn aborting_a_first_h2_request_while_it_negotiates() {
    // A fresh client each time: the aborts land in connecting, the TLS and
    // HTTP/2 handshakes, and the first stream.
    let pki = Pki::new();
    run(async {
        let server = H2Server::tls(&pki.leaf, &[H2, H11]).start(slow).await;
        let polls = abort_everywhere(&server, || pki.client(), Upload::Nothing).await;
        assert!(polls >= 3, "completed in {polls} polls");
    });
}

#[test]
fn a_request_waiting_on_an_aborted_negotiation_goes_on() {
    let pki = Pki::new();
    run(async {
        let server = H2Server::tls(&pki.leaf, &[H2, H11]).start(slow).await;
        for k in 1.. {
            assert!(k < 10_000, "the request never completed");
            let client = pki.client();
            // The first task opens the connection; the second waits for it.
            let first = client.get(server.url(&format!("/slow/{k}"))).send();
            let first = aio::spawn(AbortAfter::new(first, k));
            let second = aio::spawn(client.get(server.url(&format!("/good/{k}"))).send());
            let completed = first.await.unwrap().is_some();
            let second = second
                .await
                .unwrap()
                .unwrap_or_else(|e| panic!("k {k}: {e:#}"));
            assert_eq!(second.text().await.unwrap(), format!("GET /good/{k} 0"));
            if completed {
                break;
            }
        }
    });
}

// ------------------------------------------------------------ 6. GOAWAY

#[test]
fn goaway_below_requests_in_flight_resends_them_on_a_new_connection() {
    run(async {
        let server = H2Server::h2c()
            .raw(0, |mut conn| async move {
                conn.handshake().await;
                // Three request heads: two GETs (END_STREAM on the head),
                // then a POST (its body follows).
                let heads = conn.heads(3).await;
                let gets: Vec<u32> = heads
                    .iter()
                    .filter(|f| f.flags & frame::END_STREAM != 0)
                    .map(|f| f.stream)
                    .collect();
                // Answer the first GET, and say nothing above it was
                // processed.
                let answered = *gets.iter().min().unwrap();
                let w = &mut conn.writer;
                w.head(answered, 200, &[("x-served-by", "raw")], false)
                    .await
                    .unwrap();
                w.data(answered, b"raw", true).await.unwrap();
                w.goaway(answered, 0).await.unwrap();
                conn.reader.drain().await;
            })
            .start(|mut s: Incoming| async move {
                let line = s.line();
                let body = s.body().await.unwrap();
                let answer = format!("{line} {}", String::from_utf8(body).unwrap());
                s.reply(200, &[("x-served-by", "h2")], answer);
            })
            .await;
        let client = h2c_client();
        let get = |path: &str| aio::spawn(client.get(server.url(path)).send());
        let (a, b) = (get("/a"), get("/b"));
        server.stats.until(|c| c.streams == 2).await;
        // The POST goes last, so its stream id is above the GOAWAY's.
        let post = aio::spawn(client.post(server.url("/c")).body("payload").send());

        let mut answers = Vec::new();
        for task in [a, b, post] {
            let response = task.await.unwrap().unwrap_or_else(|e| panic!("{e:#}"));
            let by = response.headers()["x-served-by"]
                .to_str()
                .unwrap()
                .to_owned();
            answers.push((by, response.text().await.unwrap()));
        }
        let raw: Vec<_> = answers.iter().filter(|(by, _)| by == "raw").collect();
        assert_eq!(raw.len(), 1, "{answers:?}");
        // The POST was never processed: resent, body and all.
        assert!(
            answers.contains(&("h2".to_owned(), "POST /c payload".to_owned())),
            "{answers:?}"
        );
        let counts = server.counts();
        assert_eq!(counts.connections, 2);
        // The raw connection's 3 streams, then 2 on the new connection.
        assert_eq!(counts.streams, 5, "{counts:?}");

        let ok = client.get(server.url("/after")).await.unwrap();
        assert_eq!(ok.text().await.unwrap(), "GET /after ");
        assert_eq!(server.counts().connections, 2);
    });
}

#[test]
fn goaway_then_close_fails_a_post_below_it_clearly_and_resends_the_rest() {
    run(async {
        let server = H2Server::h2c()
            .raw(0, |mut conn| async move {
                conn.handshake().await;
                let heads: Vec<u32> = conn.heads(3).await.iter().map(|f| f.stream).collect();
                // The first is answered; the second (the POST) is below the
                // GOAWAY, so it may have been processed, but gets no answer:
                // the connection closes. The third is above it.
                let w = &mut conn.writer;
                w.head(heads[0], 200, &[("x-served-by", "raw")], false)
                    .await
                    .unwrap();
                w.data(heads[0], b"raw", true).await.unwrap();
                w.goaway(heads[1], 0).await.unwrap();
                w.shutdown().await;
            })
            .start(echo)
            .await;
        let client = h2c_client();
        let a = aio::spawn(client.get(server.url("/a")).send());
        server.stats.until(|c| c.streams == 1).await;
        let post = aio::spawn(client.post(server.url("/c")).body("payload").send());
        server.stats.until(|c| c.streams == 2).await;
        let b = aio::spawn(client.get(server.url("/b")).send());

        let a = a.await.unwrap().unwrap();
        assert_eq!(a.headers()["x-served-by"], "raw");
        assert_eq!(a.text().await.unwrap(), "raw");
        let e = post.await.unwrap().unwrap_err();
        assert!(e.is_protocol(), "{e:#}");
        assert!(
            e.to_string()
                .starts_with(&format!("POST {}: ", server.url("/c"))),
            "{e:#}"
        );
        let b = b.await.unwrap().unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(b.text().await.unwrap(), "GET /b 0");
        // The POST was not sent again: the new connection saw the GET only.
        let counts = server.counts();
        assert_eq!(counts.requests, ["GET /b"], "{counts:?}");
        assert_eq!(counts.connections, 2);
    });
}

// ----------------------------------------------------------- 7. hostile

#[test]
fn a_flow_control_window_never_opened_ends_in_a_read_timeout() {
    run(async {
        let server = H2Server::h2c()
            .initial_window_size(0)
            .start(|mut s: Incoming| async move {
                if s.path() == "/ok" {
                    return echo(s).await;
                }
                // Never reads the body: the window stays shut.
                s.until_reset().await;
            })
            .await;
        let client = h2c_builder()
            .read_timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        for upload in [Upload::Bytes(100_000), Upload::Streamed(256 << 10)] {
            let e = upload
                .request(&client, &server.url("/shut"))
                .await
                .unwrap_err();
            assert!(e.is_timeout(), "{e:#}");
            let text = e.to_string();
            assert!(
                text.starts_with(&format!("PUT {}: ", server.url("/shut"))),
                "{text}"
            );
            assert!(text.contains("sending the request"), "{text}");
            assert!(text.contains("read timeout"), "{text}");
        }
        server.stats.until(|c| c.resets.len() == 2).await;
        assert_usable(&client, &server, 1).await;
    });
}

#[test]
fn a_settings_flood_is_survived_and_memory_stays_bounded() {
    const FLOOD: usize = 200_000;
    let before = support::peak_rss();
    run(async {
        let server = H2Server::h2c()
            .raw(0, |conn| async move {
                let support::h2::RawConn {
                    mut reader,
                    mut writer,
                    stats,
                } = conn;
                reader.preface().await.unwrap();
                // Read everything the client sends (its ACKs) meanwhile,
                // noting its request.
                let reading = aio::spawn(async move {
                    while let Ok(Some(f)) = reader.frame().await {
                        if f.kind == frame::HEADERS {
                            let id = f.stream;
                            stats.update(|c| c.requests.push(format!("raw {id}")));
                        }
                    }
                });
                let one = support::h2::settings_frame(&[(0x1, 4096)]);
                let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 1000).collect();
                writer.settings(&[]).await.unwrap();
                for _ in 0..FLOOD / 1000 {
                    if writer.bytes(&batch).await.is_err() {
                        break;
                    }
                }
                // Answer stream 1 if the client is still there.
                let _ = writer.head(1, 200, &[], false).await;
                let _ = writer.data(1, b"survived", true).await;
                // Then away: later requests go to a new connection.
                let _ = writer.goaway(1, 0).await;
                let _ = reading.await;
            })
            .start(echo)
            .await;
        let client = h2c_client();
        match client.get(server.url("/flood")).await {
            Ok(response) => assert_eq!(response.text().await.unwrap(), "survived"),
            Err(e) => {
                assert!(e.is_protocol(), "{e:#}");
                assert!(e.to_string().starts_with("GET "), "{e}");
            }
        }
        // The client is usable after, on a new connection if need be.
        let ok = client.get(server.url("/ok")).await.unwrap();
        assert_eq!(ok.text().await.unwrap(), "GET /ok 0");
    });
    let grown = support::peak_rss().saturating_sub(before);
    assert!(grown < 64 << 20, "peak memory grew by {} MiB", grown >> 20);
}

#[test]
fn http2_frames_on_a_connection_that_negotiated_http11_are_a_protocol_error() {
    let pki = Pki::new();
    let server = TestServer::https(pki.leaf.server_config(), |mut peer| {
        if peer.index > 0 {
            return peer.serve(|_| response("200 OK", &[], b"fine"));
        }
        if peer.read_request().is_some() {
            let mut frames = support::h2::settings_frame(&[]);
            frames.extend(support::h2::encode_frame(frame::HEADERS, 0x5, 1, &[0x88]));
            peer.write(&frames);
        }
    });
    run(async {
        let client = pki.client();
        let e = client.get(server.url("/x")).await.unwrap_err();
        assert!(e.is_protocol(), "{e:#}");
        assert!(
            e.to_string()
                .starts_with(&format!("GET {}: ", server.url("/x"))),
            "{e}"
        );
        let ok = client.get(server.url("/y")).await.unwrap();
        assert_eq!(ok.version(), Version::HTTP_11);
        assert_eq!(ok.text().await.unwrap(), "fine");
    });
}

#[test]
fn garbage_after_the_h2_preface_is_a_clear_error() {
    run(async {
        let server = H2Server::h2c()
            .raw(0, |mut conn| async move {
                conn.handshake().await;
                let _ = conn
                    .writer
                    .bytes(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
                    .await;
                conn.reader.drain().await;
            })
            .start(echo)
            .await;
        let client = h2c_client();
        let e = client.get(server.url("/x")).await.unwrap_err();
        assert!(e.is_protocol(), "{e:#}");
        assert!(
            e.to_string()
                .starts_with(&format!("GET {}: ", server.url("/x"))),
            "{e}"
        );
        assert_usable(&client, &server, 2).await;
    });
}
