//! Shared by the end-to-end tests: find the compiled examples, start
//! `serve_posts` as a child process and read where it listens.
#![allow(dead_code)] // Each test binary uses a different part.

pub mod signal;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

pub const TIMEOUT: Duration = Duration::from_secs(30);

/// What cargo sets for a test it runs, by prefix (see `example_binary`).
const CARGO_TEST_VARIABLES: &[&str] = &[
    "CARGO_PKG_",
    "CARGO_MANIFEST_",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
];

/// The compiled example `name`, built once per test process so an edited
/// example is never tested stale (cargo's build is incremental, so this is
/// quick when nothing changed). `cargo test` builds examples too, but
/// `cargo test --test NAME` does not.
pub fn example_binary(name: &str) -> PathBuf {
    // One build at a time: parallel tests would wait on cargo's lock anyway.
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    // Test binaries live in <target>/<profile>/deps, examples in <target>/<profile>/examples.
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target layout");
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--quiet", "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env(
                "CARGO_TARGET_DIR",
                profile_dir.parent().expect("target dir"),
            );
        if profile_dir.ends_with("release") {
            cargo.arg("--release");
        }
        // Not the variables cargo set for this test process (the package's
        // name, version, manifest...): ring's build script reruns when they
        // change, so passing them on would rebuild ring and all above it (a
        // minute) whenever builds from a test and from a shell alternate.
        for (variable, _) in std::env::vars_os() {
            let variable = variable.to_string_lossy();
            if CARGO_TEST_VARIABLES.iter().any(|v| variable.starts_with(v)) {
                cargo.env_remove(&*variable);
            }
        }
        let status = cargo.status().expect("run cargo build");
        assert!(status.success(), "cargo build --example {name} failed");
        built.push(name.to_string());
    }
    binary
}

/// A running `serve_posts`; killed (and its directory removed) on drop, even when a
/// test panics.
pub struct Server {
    child: Child,
    dir: PathBuf,
    pub port: u16,
    pub ca_file: Option<PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    /// Start `serve_posts` (HTTPS, or plain HTTP with `plain`) on a free port.
    pub fn start(plain: bool) -> Server {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "aio-serve-posts-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_file = dir.join("ca.pem");
        let mut command = Command::new(example_binary("serve_posts"));
        // --max-seconds: a server orphaned by a killed test run still exits.
        command.args(["--port", "0", "--max-seconds", "120", "--ca-file"]);
        command.arg(&ca_file).stdout(Stdio::piped());
        if plain {
            command.arg("--plain");
        }
        let mut child = command.spawn().expect("start serve_posts");
        let stdout = child.stdout.take().unwrap();
        let mut server = Server {
            child,
            dir,
            port: 0,
            ca_file: None,
        };

        let lines = OutputLines::new(stdout);
        let line = || lines.next("serve_posts announces itself");
        let first = line();
        let scheme = if plain { "http" } else { "https" };
        let port = first
            .strip_prefix(&format!("listening on {scheme}://127.0.0.1:"))
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
        server.port = port.parse().expect("port number");
        if !plain {
            assert_eq!(line(), format!("CA certificate: {}", ca_file.display()));
            server.ca_file = Some(ca_file);
        }
        server
    }
}

/// A child's output, line by line, read on a thread so that a silent child
/// fails the test instead of hanging it.
pub struct OutputLines(mpsc::Receiver<String>);

impl OutputLines {
    pub fn new(output: impl Read + Send + 'static) -> OutputLines {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines() {
                if tx.send(line.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        OutputLines(rx)
    }

    /// The next line, without its newline. Panics, saying what was
    /// `expected`, when none comes within [`TIMEOUT`] (or the output ends).
    pub fn next(&self, expected: &str) -> String {
        self.0
            .recv_timeout(TIMEOUT)
            .unwrap_or_else(|e| panic!("no line ({e}); expected {expected}"))
    }
}
