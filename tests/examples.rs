//! The example programs, run as processes against the local stand-in server:
//! exactly the lines the course programs print, and one clean `error:` line
//! (exit 1, no panic) when something fails.

mod support;

use std::process::{Command, Output};
use support::{example_binary, Server};

/// Run example `name` against `server` (its URL and CA file in the environment).
fn run_example(
    name: &str,
    base_url: &str,
    ca_file: Option<&std::path::Path>,
    args: &[&str],
) -> Output {
    let mut command = Command::new(example_binary(name));
    command.args(args).env("JSONPLACEHOLDER_URL", base_url);
    match ca_file {
        Some(ca) => command.env("SSL_CERT_FILE", ca),
        // Trust nothing extra: the machine's own bundle must not matter.
        None => command.env_remove("SSL_CERT_FILE"),
    };
    command.output().expect("run the example")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 output")
}

fn https_server() -> (Server, String) {
    let server = Server::start(false);
    let url = format!("https://127.0.0.1:{}", server.port);
    (server, url)
}

/// What the course programs print against jsonplaceholder (the stand-in
/// serves its data set).
const FIRST_THREE: &str = "\
    Post 1: sunt aut facere repellat provident occaecati excepturi optio reprehenderit\n\
    Post 2: qui est esse\n\
    Post 3: ea molestias quasi exercitationem repellat qui ipsa sit aut\n";

#[test]
fn count_posts_prints_the_total() {
    let (server, url) = https_server();
    let out = run_example("count_posts", &url, server.ca_file.as_deref(), &[]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "Total posts: 100\n");
}

#[test]
fn fetch_titles_prints_the_first_three_titles() {
    let (server, url) = https_server();
    let out = run_example("fetch_titles", &url, server.ca_file.as_deref(), &[]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), FIRST_THREE);
}

#[test]
fn gather_titles_prints_in_id_order() {
    let (server, url) = https_server();
    let out = run_example("gather_titles", &url, server.ca_file.as_deref(), &[]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), FIRST_THREE);
    let out = run_example(
        "gather_titles",
        &url,
        server.ca_file.as_deref(),
        &["--count", "20"],
    );
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 20);
    for (i, line) in lines.iter().enumerate() {
        assert!(line.starts_with(&format!("Post {}: ", i + 1)), "{line}");
    }
}

#[test]
fn api_client_prints_what_its_doc_says() {
    let (server, url) = https_server();
    let out = run_example("api_client", &url, server.ca_file.as_deref(), &[]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let printed = stdout(&out);
    // The doc comment's sample output is the contract.
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/api_client.rs"
    ))
    .unwrap();
    let documented: String = source
        .lines()
        .skip_while(|l| *l != "//! ```text")
        .skip(1)
        .take_while(|l| *l != "//! ```")
        .map(|l| format!("{}\n", l.trim_start_matches("//! ")))
        .collect();
    assert_eq!(printed, documented);
    assert_eq!(
        printed.lines().next(),
        Some("User 1: Leanne Graham <Sincere@april.biz>")
    );
}

#[test]
fn api_client_failure_names_what_it_was_doing() {
    let (_server, url) = https_server();
    // No CA: the first call fails; anyhow's context comes first, then the cause.
    let out = run_example("api_client", &url, None, &[]);
    let start = format!("fetching user 1: GET {url}/users/1");
    assert_clean_failure(&out, &start, "unknown issuer");
}

#[test]
fn nested_run_shows_the_refusal_and_the_fix() {
    let out = Command::new(example_binary("nested_run")).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        "aio::run() inside the loop: aio::run() cannot be called from a running event loop; use .await\n\
         compute().await inside the loop: 42\n\
         aio::run(compute()) outside a loop: 42\n"
    );
}

/// Every failure: one line, `error: ` then `start` (the method and URL,
/// after any context), naming the cause; exit 1; no panic.
fn assert_clean_failure(out: &Output, start: &str, cause: &str) {
    assert_eq!(out.status.code(), Some(1), "stdout: {}", stdout(out));
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "one line, got: {err}");
    assert!(err.starts_with(&format!("error: {start}")), "{err}");
    assert!(err.contains(cause), "expected {cause:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn unknown_certificate_authority_is_one_clean_error_line() {
    let (_server, url) = https_server();
    let out = run_example("count_posts", &url, None, &[]);
    assert_clean_failure(&out, &format!("GET {url}/posts"), "unknown issuer");
}

#[test]
fn refused_connection_is_one_clean_error_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}");
    let out = run_example("fetch_titles", &url, None, &[]);
    assert_clean_failure(&out, &format!("GET {url}/posts/1"), "refused");
}

#[test]
fn not_found_status_is_one_clean_error_line() {
    let (server, url) = https_server();
    let out = run_example(
        "count_posts",
        &format!("{url}/nope"),
        server.ca_file.as_deref(),
        &[],
    );
    assert_clean_failure(&out, &format!("GET {url}/nope/posts"), "404");
}

#[test]
fn bad_json_is_one_clean_error_line() {
    // A one-shot scripted server, to control the body exactly.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf).unwrap();
        let body = "this is not json";
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
    });
    let url = format!("http://127.0.0.1:{port}");
    let out = run_example("count_posts", &url, None, &[]);
    server.join().unwrap();
    assert_clean_failure(&out, &format!("GET {url}/posts"), "JSON");
}

#[test]
fn plain_http_works_too() {
    let server = Server::start(true);
    let url = format!("http://127.0.0.1:{}", server.port);
    let out = run_example("count_posts", &url, None, &[]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "Total posts: 100\n");
}

#[test]
fn producer_consumer_processes_every_item_once() {
    let out = Command::new(example_binary("producer_consumer"))
        .output()
        .unwrap();
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    // 1² + 2² + ... + 20² = 2870: each item squared exactly once.
    assert_eq!(
        stdout(&out),
        "3 workers squared 20 numbers; sum of squares = 2870\n"
    );
}

#[test]
fn first_response_prints_the_post_once() {
    let (server, url) = https_server();
    let out = run_example("first_response", &url, server.ca_file.as_deref(), &[]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(
        stdout(&out),
        FIRST_THREE.lines().next().unwrap().to_owned() + "\n"
    );
}

#[test]
fn rate_limited_fetch_gets_all_hundred_posts_ten_at_a_time() {
    let (server, url) = https_server();
    let out = run_example("rate_limited_fetch", &url, server.ca_file.as_deref(), &[]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let printed = stdout(&out);
    let mut lines = printed.lines();
    // All 100 tasks start at once and the first ten take the permits before
    // any response can arrive, so the peak is exactly the limit.
    assert_eq!(
        lines.next(),
        Some("Fetched 100 posts, at most 10 at a time")
    );
    assert!(
        lines.next().is_some_and(|l| l.starts_with("Post 100: ")),
        "{printed}"
    );
}

#[test]
fn rate_limited_fetch_stops_at_the_first_failure() {
    let (_server, url) = https_server();
    // No CA: every fetch fails; the group reports one clean error line.
    let out = run_example("rate_limited_fetch", &url, None, &[]);
    assert_eq!(out.status.code(), Some(1), "stdout: {}", stdout(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line, got: {err}");
    assert!(
        err.starts_with(&format!("error: GET {url}/posts/")),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

/// Processes whose command line is exactly `words` (from /proc).
fn processes_running(words: &[&str]) -> usize {
    let wanted: Vec<u8> = words
        .iter()
        .flat_map(|w| [w.as_bytes(), b"\0"].concat())
        .collect();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|entry| std::fs::read(entry.path().join("cmdline")).is_ok_and(|c| c == wanted))
        .count()
}

#[test]
fn shell_prints_in_order_and_kills_what_runs_out_of_time() {
    let out = Command::new(example_binary("shell"))
        .args([
            "--timeout",
            "0.5",
            "echo first",
            "sleep 37",
            "no-such-program-xyz",
            "sh -c exit",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "$ echo first (exit 0)\nfirst\n\
         $ sleep 37\n  timed out after 500ms\n\
         $ no-such-program-xyz\n  failed to spawn \"no-such-program-xyz\": No such file or directory (os error 2)\n\
         $ sh -c exit (exit 0)\n"
    );
    // kill_on_drop: the timed-out child did not outlive the program.
    assert_eq!(processes_running(&["sleep", "37"]), 0);
}

#[test]
fn shell_stops_cleanly_on_ctrl_c() {
    use std::os::unix::process::ExitStatusExt;
    let mut shell = Command::new(example_binary("shell"))
        .args(["--timeout", "60", "sleep 41"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Until its child runs (a fact from /proc), bounded so a regression fails.
    let start = std::time::Instant::now();
    while processes_running(&["sleep", "41"]) == 0 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "the child never started"
        );
        std::thread::yield_now();
    }
    // SAFETY: kill only sends a signal to the process we spawned.
    assert_eq!(
        unsafe { libc::kill(shell.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let status = shell.wait().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    // The cancelled task dropped the child, which kill_on_drop killed.
    assert_eq!(processes_running(&["sleep", "41"]), 0);
}
