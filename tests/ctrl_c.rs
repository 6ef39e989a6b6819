//! Ctrl-C and `aio::run`, as asyncio.Runner: the first SIGINT cancels the
//! main future and every task, then the process dies by SIGINT; a second one
//! during the clean-up kills at once; a program listening for Ctrl-C gets it
//! instead; outside `run`, SIGINT is left as it was; with several loops
//! (`Runner::loops`), the other loops close after main is cancelled.
//!
//! Each test re-runs this test binary as a child process (selected by the
//! `AIO_CTRL_C_TEST_CHILD` variable), which sends itself SIGINT with
//! `kill(getpid(), SIGINT)`, and reads the child's stdout and exit status.

use std::io::Write as _;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CHILD: &str = "AIO_CTRL_C_TEST_CHILD";

/// Generous bound on a child's life: only a hang reaches it.
const PATIENCE: Duration = Duration::from_secs(30);

/// Run test `name` as a child process; its output, waited for at most PATIENCE.
fn run_child(name: &str) -> Output {
    let child = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the test binary again");
    let pid = child.id();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait_with_output());
    });
    match done_rx.recv_timeout(PATIENCE) {
        Ok(output) => output.expect("wait for the child"),
        Err(_) => {
            // SAFETY: kill takes no pointers; `pid` is our own child, not reaped yet.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            panic!("child {name} still running after {PATIENCE:?}");
        }
    }
}

fn in_child(name: &str) -> bool {
    std::env::var(CHILD).as_deref() == Ok(name)
}

/// A line on stdout, marked (the harness prints on the same line), and
/// flushed (the process may die right after).
fn say(line: &str) {
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "\n@@ {line}");
    let _ = stdout.flush();
}

/// The lines the child said, in order.
fn said(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("@@ ").map(String::from))
        .collect()
}

/// Sends SIGINT to this whole process.
fn interrupt_self() {
    // SAFETY: kill and getpid take no pointers.
    unsafe { libc::kill(libc::getpid(), libc::SIGINT) };
}

fn nanos_now() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// Says `line` when dropped: proves a destructor ran.
struct SayOnDrop(&'static str);

impl Drop for SayOnDrop {
    fn drop(&mut self) {
        say(self.0);
    }
}

/// A connected pair of TCP sockets whose reads block until the peer writes.
async fn socket_pair() -> (aio::net::TcpStream, aio::net::TcpStream) {
    let listener = aio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = aio::net::TcpStream::connect(addr).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[test]
fn first_ctrl_c_cancels_main_and_tasks_and_the_process_dies_by_sigint() {
    const NAME: &str = "first_ctrl_c_cancels_main_and_tasks_and_the_process_dies_by_sigint";
    if in_child(NAME) {
        aio::run(async {
            let _main_guard = SayOnDrop("main future dropped");
            let (mut client, _server) = socket_pair().await;
            let (mut other_client, _other_server) = socket_pair().await;
            aio::spawn(async move {
                let _guard = SayOnDrop("task dropped");
                let mut buf = [0u8; 1];
                let _ = other_client.read(&mut buf).await;
            });
            aio::spawn_blocking(|| say("blocking job ran"))
                .await
                .unwrap();
            aio::yield_now().await;
            say(&format!("killing at {}", nanos_now()));
            interrupt_self();
            // Blocked on a read nobody will answer.
            let mut buf = [0u8; 1];
            let _ = client.read(&mut buf).await;
            say("the read returned");
        });
        say("aio::run returned");
        return;
    }
    let output = run_child(NAME);
    let exited = nanos_now();
    let said = said(&output);
    assert_eq!(output.status.signal(), Some(libc::SIGINT), "{output:?}");
    assert_eq!(said.len(), 4, "{said:?}");
    assert_eq!(said[0], "blocking job ran", "{said:?}");
    assert!(said[1].starts_with("killing at "), "{said:?}");
    // The main future is dropped first (block_on returns), then the tasks.
    assert_eq!(
        said[2..],
        ["main future dropped", "task dropped"],
        "{said:?}"
    );
    let killed: u128 = said
        .iter()
        .find_map(|l| l.strip_prefix("killing at "))
        .expect("the kill time")
        .parse()
        .unwrap();
    eprintln!(
        "from kill to the parent seeing the exit: {:?}",
        Duration::from_nanos((exited - killed) as u64)
    );
}

#[test]
fn with_several_loops_ctrl_c_cancels_main_then_the_other_loops_close() {
    const NAME: &str = "with_several_loops_ctrl_c_cancels_main_then_the_other_loops_close";
    if in_child(NAME) {
        aio::Runner::new().loops(2).run(async {
            let _main_guard = SayOnDrop("main future dropped");
            let (started, running) = aio::sync::oneshot::channel();
            let second = aio::loops()[1].spawn(async move {
                let _guard = SayOnDrop("task on the second loop dropped");
                started.send(()).unwrap();
                std::future::pending::<()>().await;
            });
            running.await.unwrap();
            say("killing");
            interrupt_self();
            let _ = second.unwrap().await;
            say("the second loop's task returned");
        });
        say("aio::run returned");
        return;
    }
    let output = run_child(NAME);
    assert_eq!(output.status.signal(), Some(libc::SIGINT), "{output:?}");
    assert_eq!(
        said(&output),
        [
            "killing",
            "main future dropped",
            "task on the second loop dropped"
        ],
        "{output:?}"
    );
}

#[test]
fn a_program_awaiting_ctrl_c_gets_it_and_nothing_is_cancelled() {
    const NAME: &str = "a_program_awaiting_ctrl_c_gets_it_and_nothing_is_cancelled";
    if in_child(NAME) {
        aio::run(async {
            let (mut client, mut server) = socket_pair().await;
            let reader = aio::spawn(async move {
                let _guard = SayOnDrop("reader dropped");
                let mut buf = [0u8; 5];
                let mut filled = 0;
                while filled < buf.len() {
                    let n = client.read(&mut buf[filled..]).await.unwrap();
                    assert!(n > 0, "early end of stream");
                    filled += n;
                }
                say(&format!("reader got {}", String::from_utf8_lossy(&buf)));
            });
            let ctrl_c = aio::signal::ctrl_c();
            interrupt_self();
            ctrl_c.await.unwrap();
            say("main got ctrl-c");
            // The task was not cancelled: it still reads.
            server.write_all(b"hello").await.unwrap();
            reader.await.unwrap();
            // A SIGINT listener of the program's own, too.
            let mut interrupts =
                aio::signal::unix::signal(aio::signal::unix::SignalKind::interrupt()).unwrap();
            interrupt_self();
            interrupts.recv().await;
            say("main got SIGINT");
        });
        say("aio::run returned");
        return;
    }
    let output = run_child(NAME);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        said(&output),
        [
            "main got ctrl-c",
            "reader got hello",
            "reader dropped",
            "main got SIGINT",
            "aio::run returned"
        ],
        "{output:?}"
    );
}

#[test]
fn a_second_ctrl_c_during_a_slow_cleanup_ends_the_process_at_once() {
    const NAME: &str = "a_second_ctrl_c_during_a_slow_cleanup_ends_the_process_at_once";
    if in_child(NAME) {
        /// A clean-up that never finishes unless the process is killed.
        struct StuckCleanup;
        impl Drop for StuckCleanup {
            fn drop(&mut self) {
                say("cleanup started");
                interrupt_self();
                loop {
                    std::thread::park();
                }
            }
        }
        aio::run(async {
            aio::spawn(async {
                let _stuck = StuckCleanup;
                std::future::pending::<()>().await;
            });
            aio::yield_now().await;
            interrupt_self();
            std::future::pending::<()>().await;
        });
        say("aio::run returned");
        return;
    }
    let output = run_child(NAME);
    assert_eq!(output.status.signal(), Some(libc::SIGINT), "{output:?}");
    assert_eq!(said(&output), ["cleanup started"], "{output:?}");
}

#[test]
fn outside_run_sigint_keeps_its_disposition() {
    const NAME: &str = "outside_run_sigint_keeps_its_disposition";
    if in_child(NAME) {
        fn sigint_handler() -> libc::sighandler_t {
            // SAFETY: a null `act` only reads; `old` is written on success.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                assert_eq!(libc::sigaction(libc::SIGINT, std::ptr::null(), &mut old), 0);
                old.sa_sigaction
            }
        }
        assert_eq!(sigint_handler(), libc::SIG_DFL);
        aio::run(async {
            assert_ne!(sigint_handler(), libc::SIG_DFL, "run handles Ctrl-C");
        });
        assert_eq!(sigint_handler(), libc::SIG_DFL, "and gives it back");
        // A program that ignores SIGINT keeps ignoring it inside run.
        // SAFETY: SIG_IGN takes no pointers.
        unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
        aio::run(async {
            interrupt_self();
            aio::time::sleep(Duration::from_millis(1)).await;
        });
        assert_eq!(sigint_handler(), libc::SIG_IGN);
        say("survived");
        return;
    }
    let output = run_child(NAME);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(said(&output), ["survived"], "{output:?}");
}
