//! Response bodies as a client of real APIs meets them: compressed (each
//! coding, stacked, corrupt, a bomb), in a declared charset, streamed; and
//! where they came from (remote address, redirects followed).

mod support;

use std::io::Write;
use std::sync::mpsc;
use std::time::Duration;

use aio::run;
use aio_http::{Client, ClientBuilder, Kind};
use futures_lite::StreamExt;
use support::hostile::follow_up;
use support::script::{End, Script, ScriptServer};
use support::server::{response, RawRequest, TestServer};

fn builder() -> ClientBuilder {
    Client::builder().trust_env(false)
}

const JSON: &str = r#"{"userId":1,"id":1,"title":"sunt aut facere","body":"quia et suscipit"}"#;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli_encoder::CompressorWriter::new(&mut out, 4096, 5, 22);
        w.write_all(data).unwrap();
    }
    out
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// A server answering every request with `body` under `content-encoding`
/// (none when empty), passing each request it reads to `seen`.
fn encoded_server(
    encoding: &'static str,
    body: Vec<u8>,
    seen: mpsc::Sender<RawRequest>,
) -> TestServer {
    let seen = std::sync::Mutex::new(seen);
    TestServer::http(move |peer| {
        let (body, seen) = (body.clone(), seen.lock().unwrap().clone());
        peer.serve(move |req| {
            let _ = seen.send(req.clone());
            let mut headers = vec![("content-type", "application/json")];
            if !encoding.is_empty() {
                headers.push(("content-encoding", encoding));
            }
            response("200 OK", &headers, &body)
        })
    })
}

#[test]
fn every_coding_is_decoded_and_asked_for() {
    let data = JSON.as_bytes();
    let cases: Vec<(&'static str, Vec<u8>)> = vec![
        ("gzip", gzip(data)),
        ("x-gzip", gzip(data)),
        ("deflate", zlib(data)),
        ("deflate", raw_deflate(data)),
        ("br", brotli(data)),
        ("zstd", zstd(data)),
        ("identity", data.to_vec()),
        // Stacked: listed in the order applied, undone in reverse.
        ("gzip, br", brotli(&gzip(data))),
        ("zstd, deflate, gzip", gzip(&zlib(&zstd(data)))),
    ];
    for (encoding, body) in cases {
        let (tx, seen) = mpsc::channel();
        let server = encoded_server(encoding, body, tx);
        let client = builder().build().unwrap();
        run(async {
            let resp = client.get(server.url("/posts/1")).await.unwrap();
            let declared = (encoding == "identity").then_some(data.len() as u64);
            assert_eq!(resp.content_length(), declared, "{encoding}");
            let value: serde_json::Value = resp.json().await.unwrap();
            assert_eq!(value["title"], "sunt aut facere", "{encoding}");
            // Same connection, read piece by piece this time.
            let mut resp = client.get(server.url("/posts/1")).await.unwrap();
            let mut all = Vec::new();
            while let Some(piece) = resp.chunk().await.unwrap() {
                all.extend_from_slice(&piece);
            }
            assert_eq!(all, data, "{encoding}");
        });
        assert_eq!(
            server.requests(),
            vec![2],
            "{encoding}: connection not reused"
        );
        let req = seen.recv().unwrap();
        assert_eq!(
            req.header("accept-encoding"),
            Some("gzip, deflate, br, zstd")
        );
    }
}

#[test]
fn unknown_codings_pass_through_and_decompression_can_be_turned_off() {
    let packed = gzip(JSON.as_bytes());
    let (tx, _seen) = mpsc::channel();
    let unknown = encoded_server("compress", b"raw".to_vec(), tx);
    let (tx, seen) = mpsc::channel();
    let gzipped = encoded_server("gzip", packed.clone(), tx);
    run(async {
        let client = builder().build().unwrap();
        let body = client
            .get(unknown.url("/"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(body, &b"raw"[..]);

        // Per request.
        let resp = client
            .get(gzipped.url("/"))
            .decompress(false)
            .await
            .unwrap();
        assert_eq!(resp.content_length(), Some(packed.len() as u64));
        assert_eq!(resp.bytes().await.unwrap(), packed);
        // Per client.
        let off = builder().decompress(false).build().unwrap();
        assert_eq!(
            off.get(gzipped.url("/"))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
            packed
        );
        // A caller's own Accept-Encoding is sent as it is.
        let resp = client
            .get(gzipped.url("/"))
            .header("accept-encoding", "gzip")
            .await
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), JSON);
    });
    let heads: Vec<_> = seen
        .try_iter()
        .map(|r| r.header("accept-encoding").map(str::to_owned))
        .collect();
    assert_eq!(heads, vec![None, None, Some("gzip".to_owned())]);
}

#[test]
fn an_empty_encoded_body_is_empty() {
    let (tx, _seen) = mpsc::channel();
    let server = encoded_server("gzip", Vec::new(), tx);
    run(async {
        let client = builder().build().unwrap();
        let body = client
            .get(server.url("/"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(body.is_empty());
        let resp = client.head(server.url("/")).await.unwrap();
        assert!(resp.bytes().await.unwrap().is_empty());
    });
}

#[test]
fn a_corrupt_stream_is_a_decode_error_naming_the_coding() {
    let data = vec![b'a'; 10_000];
    let mut broken = gzip(&data);
    let middle = broken.len() / 2;
    broken[middle] ^= 0xff;
    let truncated = {
        let whole = zstd(&data);
        whole[..whole.len() - 3].to_vec()
    };
    let trailing = {
        let mut b = brotli(&data);
        b.extend_from_slice(b"junk");
        b
    };
    for (encoding, body, says) in [
        ("gzip", broken, "invalid gzip-encoded response body"),
        ("zstd", truncated, "invalid zstd-encoded response body"),
        ("br", trailing, "invalid br-encoded response body"),
        (
            "gzip",
            b"not gzip at all".to_vec(),
            "invalid gzip-encoded response body",
        ),
        (
            "deflate",
            cut(zlib(&data)),
            "invalid deflate-encoded response body",
        ),
        (
            "deflate",
            cut(raw_deflate(&data)),
            "invalid deflate-encoded response body",
        ),
    ] {
        let reply = response("200 OK", &[("content-encoding", encoding)], &body);
        let server = ScriptServer::start(Script::send(reply, End::KeepServing));
        let client = builder().build().unwrap();
        run(async {
            let err = client
                .get(server.url("/bad"))
                .await
                .unwrap()
                .bytes()
                .await
                .map(|b| b.len())
                .expect_err(encoding);
            let text = format!("{err:#}");
            assert_eq!(err.kind(), Kind::Decode, "{text}");
            assert!(text.contains(says), "{text}");
            follow_up(&client, &server).await;
        });
    }
}

/// `packed` without its last three bytes.
fn cut(mut packed: Vec<u8>) -> Vec<u8> {
    packed.truncate(packed.len() - 3);
    packed
}

#[test]
fn a_decompression_bomb_stops_at_the_limit_with_bounded_memory() {
    // gzip members may follow one another: one megabyte of zeros, about a
    // kilobyte packed, sent for ever is a body that inflates without end
    // (10 MB of it would be 10 GB).
    let member = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![0u8; 1024 * 1024]).unwrap();
        e.finish().unwrap()
    };
    assert!(member.len() < 2048, "{}", member.len());
    let head = b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n";
    let mut chunk = format!("{:x}\r\n", member.len()).into_bytes();
    chunk.extend_from_slice(&member);
    chunk.extend_from_slice(b"\r\n");
    let server = ScriptServer::start(Script::send(head.to_vec(), End::Forever(chunk)));
    const LIMIT: u64 = 20 * 1024 * 1024;
    run(async {
        let whole = builder().max_buffered_body_size(LIMIT).build().unwrap();
        let err = whole
            .get(server.url("/bomb"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert_eq!(err.kind(), Kind::Body, "{text}");
        assert!(text.contains("over the 20 MiB limit"), "{text}");

        let streamed = builder().max_body_size(LIMIT).build().unwrap();
        let mut resp = streamed.get(server.url("/bomb")).await.unwrap();
        let mut seen = 0u64;
        let err = loop {
            match resp.chunk().await {
                Ok(Some(piece)) => {
                    assert!(piece.len() <= 64 * 1024);
                    seen += piece.len() as u64;
                }
                Ok(None) => panic!("the bomb ended after {seen} bytes"),
                Err(e) => break e,
            }
        };
        assert!(seen <= LIMIT, "{seen}");
        assert!(
            format!("{err:#}").contains("once decoded (max_body_size)"),
            "{err:#}"
        );
    });
    assert!(server.wait_forever_stopped(Duration::from_secs(10)));
    // Each request stopped after about 20 KB of the wire and 20 MB decoded.
    assert!(
        server.forever_bytes() < 10 * 1024 * 1024,
        "{}",
        server.forever_bytes()
    );
    assert!(
        support::peak_rss() < 200 * 1024 * 1024,
        "peak RSS {} MiB",
        support::peak_rss() >> 20
    );
}

#[test]
fn text_follows_the_declared_charset() {
    let cases: [(&str, &[u8], &str); 5] = [
        ("text/plain; charset=iso-8859-1", b"caf\xe9", "café"),
        ("text/plain; charset=\"Shift_JIS\"", b"\x82\xa0", "あ"),
        ("text/plain", "café".as_bytes(), "café"),
        ("text/plain; charset=utf-8", b"\xef\xbb\xbfbom", "bom"),
        (
            "text/plain; charset=no-such-charset",
            b"ok\xff",
            "ok\u{fffd}",
        ),
    ];
    for (content_type, body, text) in cases {
        let body = body.to_vec();
        let server = TestServer::http(move |peer| {
            let body = body.clone();
            peer.serve(move |_| response("200 OK", &[("content-type", content_type)], &body))
        });
        let client = builder().build().unwrap();
        let got = run(async {
            client
                .get(server.url("/"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        });
        assert_eq!(got, text, "{content_type}");
    }
}

#[test]
fn bytes_stream_gives_the_whole_body_and_then_ends() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let (tx, _seen) = mpsc::channel();
    let server = encoded_server("gzip", gzip(&data), tx);
    let client = builder().build().unwrap();
    run(async {
        let resp = client.get(server.url("/")).await.unwrap();
        let mut stream = std::pin::pin!(resp.bytes_stream());
        let mut all = Vec::new();
        let mut pieces = 0;
        while let Some(piece) = stream.next().await {
            all.extend_from_slice(&piece.unwrap());
            pieces += 1;
        }
        assert_eq!(all, data);
        assert!(pieces > 1);
        assert!(stream.next().await.is_none());
    });
}

#[test]
fn a_response_knows_its_server_and_the_redirects_followed() {
    let server = TestServer::http(|peer| {
        peer.serve(|req| match req.target.as_str() {
            "/a" => response("302 Found", &[("location", "/b")], b""),
            "/b" => response("301 Moved Permanently", &[("location", "/c")], b""),
            _ => response("200 OK", &[], b"here"),
        })
    });
    let client = builder().build().unwrap();
    run(async {
        let resp = client.get(server.url("/a")).await.unwrap();
        assert_eq!(resp.remote_addr(), Some(server.addr()));
        let followed: Vec<&str> = resp.redirects().iter().map(|u| u.path()).collect();
        assert_eq!(followed, ["/a", "/b"]);
        assert_eq!(resp.url().path(), "/c");
        let direct = client.get(server.url("/c")).await.unwrap();
        assert!(direct.redirects().is_empty());
    });
}
