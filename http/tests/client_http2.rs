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
use support::certs::{Leaf, TestCa};
use support::h2::{H2Server, Incoming};
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
        let ok = client.get(server.url("/ok")).await.unwrap();
        assert_eq!(ok.text().await.unwrap(), "GET /ok 0");
        assert_eq!(server.counts().connections, 1);
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
        let ok = client.get(server.url("/ok")).await.unwrap();
        assert_eq!(ok.text().await.unwrap(), "GET /ok 0");
        assert_eq!(server.counts().connections, 1);
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

        let ok = client.get(server.url("/ok")).await.unwrap();
        assert_eq!(ok.text().await.unwrap(), "GET /ok 0");
        assert_eq!(server.counts().connections, 1);
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
        let ok = client.get(server.url("/ok")).await.unwrap();
        assert_eq!(ok.text().await.unwrap(), "GET /ok 0");
        assert_eq!(server.counts().connections, 1);
    });
}
