//! The example programs, run as processes against the local stand-in server:
//! exactly the lines the course programs print, and one clean `error:` line
//! (exit 1, no panic) when something fails.

mod support;

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use support::{example_binary, OutputLines, Server};

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

/// A running `chat` (server or client), killed on drop even when a test
/// panics.
struct Chat {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: OutputLines,
}

impl Chat {
    fn start(args: &[&str]) -> Chat {
        let mut child = Command::new(example_binary("chat"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start chat");
        let stdin = child.stdin.take();
        let stdout = OutputLines::new(child.stdout.take().unwrap());
        Chat {
            child,
            stdin,
            stdout,
        }
    }

    /// A server on a free port, and the address it announced.
    fn server() -> (Chat, String) {
        let server = Chat::start(&["server", "127.0.0.1:0"]);
        let first = server.stdout.next("the server's address");
        let addr = first
            .strip_prefix("chat server listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .to_string();
        (server, addr)
    }

    /// A client of the server at `addr`, once it is in the room: its own
    /// address, from the welcome line, which must say that `others` are
    /// there ("0 others", "1 other").
    fn client(addr: &str, others: &str) -> (Chat, String) {
        let client = Chat::start(&["client", addr]);
        let welcome = client.stdout.next("the welcome line");
        let own = welcome
            .strip_prefix("* welcome, ")
            .and_then(|rest| rest.strip_suffix(&format!("; {others} here")))
            .unwrap_or_else(|| panic!("unexpected welcome {welcome:?}"))
            .to_string();
        (client, own)
    }

    fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("input still open");
        writeln!(stdin, "{line}").unwrap();
    }

    fn next(&self, expected: &str) -> String {
        self.stdout.next(expected)
    }
}

impl Drop for Chat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn chat_relays_a_line_from_one_client_to_the_other() {
    let (server, addr) = Chat::server();
    let (mut alice, alice_addr) = Chat::client(&addr, "0 others");
    assert_eq!(server.next("alice joins"), format!("{alice_addr} joined"));
    let (bob, bob_addr) = Chat::client(&addr, "1 other");
    assert_eq!(alice.next("bob joins"), format!("* {bob_addr} joined"));

    alice.say("hello from alice");
    assert_eq!(
        bob.next("alice's line"),
        format!("{alice_addr}: hello from alice")
    );

    // The end of alice's input: she leaves, bob hears of it, and alice's
    // client exits once the server has closed her connection.
    drop(alice.stdin.take());
    assert_eq!(bob.next("alice leaves"), format!("* {alice_addr} left"));
    assert_eq!(alice.next("the end"), "* disconnected");
    assert!(alice.child.wait().unwrap().success());
    assert_eq!(server.next("bob joins"), format!("{bob_addr} joined"));
    assert_eq!(server.next("alice leaves"), format!("{alice_addr} left"));
}

#[test]
fn chat_server_cuts_off_a_client_whose_line_has_no_end() {
    use std::io::Read;

    let (server, addr) = Chat::server();
    let (bob, _) = Chat::client(&addr, "0 others");
    server.next("bob joins");
    let mut flooder = std::net::TcpStream::connect(&addr).unwrap();
    let flooder_addr = flooder.local_addr().unwrap();
    assert_eq!(
        bob.next("the flooder joins"),
        format!("* {flooder_addr} joined")
    );

    let welcome = format!("* welcome, {flooder_addr}; 1 other here\n");
    let mut received = vec![0; welcome.len()];
    flooder.read_exact(&mut received).unwrap();
    assert_eq!(String::from_utf8(received).unwrap(), welcome);

    // 5000 bytes and no newline: over the 4096-byte limit.
    flooder.write_all(&[b'x'; 5000]).unwrap();
    // The server closes the connection: the end of the stream, or a reset
    // (it closed with the flood's last bytes unread).
    match flooder.read(&mut [0; 64]) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("expected the connection closed, got {other:?}"),
    }
    assert_eq!(
        server.next("the flooder joins"),
        format!("{flooder_addr} joined")
    );
    assert_eq!(
        server.next("the flooder is cut off"),
        format!("{flooder_addr} left: sent a line over 4096 bytes")
    );
    assert_eq!(
        bob.next("the flooder leaves"),
        format!("* {flooder_addr} left")
    );
}

#[test]
fn chat_server_cuts_off_a_client_that_stopped_reading() {
    let (server, addr) = Chat::server();
    let idle = std::net::TcpStream::connect(&addr).unwrap(); // never reads
    let idle_addr = idle.local_addr().unwrap();
    assert_eq!(
        server.next("the idle client joins"),
        format!("{idle_addr} joined")
    );
    let mut flooder = std::net::TcpStream::connect(&addr).unwrap();
    let flooder_addr = flooder.local_addr().unwrap();
    assert_eq!(
        server.next("the flooder joins"),
        format!("{flooder_addr} joined")
    );

    // 32 MiB of full-length lines: far more than the idle client's socket
    // buffers and its 256-line outbox hold. On a thread, since these writes
    // block whenever the server is busy.
    let flooding = std::thread::spawn(move || {
        let line = [vec![b'x'; 4095], vec![b'\n']].concat();
        for _ in 0..8192 {
            if flooder.write_all(&line).is_err() {
                break;
            }
        }
    });
    assert_eq!(
        server.next("the idle client is cut off"),
        format!("{idle_addr} left: fell 256 lines behind")
    );
    flooding.join().unwrap();
}
