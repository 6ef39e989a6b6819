//! 100 MiB uploads, from a stream, a reader and a file, with flat memory:
//! the process's peak resident size stays far below the body's size. Its
//! own test binary, so no other test's memory counts.

mod support;

use aio::run;
use aio_http::multipart::Form;
use aio_http::{Body, Client};
use support::peak_rss;
use support::server::{response, TestServer};
use support::upload::{PatternCheck, PatternReader, PatternStream, TempFile};

const SIZE: u64 = 100 * 1024 * 1024;

/// Far below the 100 MiB of each body, with all three running at once. The
/// process peaks near 8 MiB (a few 64 KiB buffers per upload on top of the
/// test harness); holding one body whole would pass this. A panic's
/// backtrace loads the binary's debug info (about 90 MiB), so when one of
/// these tests fails the others may too: read the first failure.
const PEAK_LIMIT: u64 = 32 * 1024 * 1024;

/// A server that checks each request's body against the pattern as it
/// arrives, holding none of it, and answers `<length> <first mismatch>`.
fn checking_server() -> TestServer {
    TestServer::http(|mut peer| loop {
        let mut check = PatternCheck::default();
        if peer
            .read_request_streaming(|data| check.feed(data))
            .is_none()
        {
            return;
        }
        let answer = format!("{} {:?}", check.len, check.mismatch_at);
        peer.write(&response("200 OK", &[], answer.as_bytes()));
    })
}

fn client() -> Client {
    Client::builder().trust_env(false).build().unwrap()
}

fn assert_flat_memory() {
    let peak = peak_rss();
    assert!(
        peak < PEAK_LIMIT,
        "peak resident size {} MiB while uploading {} MiB bodies",
        peak >> 20,
        SIZE >> 20
    );
}

/// Sends `body` to a [`checking_server`]; returns its answer.
fn upload(body: Body) -> String {
    let server = checking_server();
    run(async {
        let resp = client().put(server.url("/")).body(body).await.unwrap();
        resp.text().await.unwrap()
    })
}

#[test]
fn a_100_mib_stream_goes_chunked_in_flat_memory() {
    let answer = upload(Body::wrap_stream(PatternStream::new(SIZE)));
    assert_eq!(answer, format!("{SIZE} None"));
    assert_flat_memory();
}

#[test]
fn a_100_mib_reader_goes_with_its_length_in_flat_memory() {
    let answer = upload(Body::from_reader(PatternReader::new(SIZE), Some(SIZE)));
    assert_eq!(answer, format!("{SIZE} None"));
    assert_flat_memory();
}

#[test]
fn a_100_mib_file_part_streams_from_disk_in_flat_memory() {
    let file = TempFile::with_pattern("upload.bin", SIZE);
    // Each byte checked on the file's own pattern would need the multipart
    // framing parsed; the length is checked here, the bytes by the tests
    // above and by client_forms' byte-for-byte multipart test.
    let server = TestServer::http(|mut peer| {
        let mut len = 0u64;
        if let Some(req) = peer.read_request_streaming(|data| len += data.len() as u64) {
            let declared = req.header("content-length").unwrap_or("none").to_owned();
            let answer = format!("{len} {declared}");
            peer.write(&response("200 OK", &[], answer.as_bytes()));
        }
    });
    let (answer, boundary) = run(async {
        let form = Form::new().file("data", &file.0).await.unwrap();
        let boundary = form.boundary().to_owned();
        let resp = client()
            .post(server.url("/"))
            .multipart(form)
            .await
            .unwrap();
        (resp.text().await.unwrap(), boundary)
    });
    let file_name = file.0.file_name().unwrap().to_str().unwrap();
    let framing = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"{file_name}\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n\r\n--{boundary}--\r\n"
    );
    let total = SIZE + framing.len() as u64;
    assert_eq!(answer, format!("{total} {total}"));
    assert_flat_memory();
}
