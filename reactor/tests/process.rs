//! aio::process: pipes, waiting, killing, and reaping without zombies.
//!
//! The tests run one at a time (`serial`): several check that this process
//! has no zombie child at all, which another test's child, exiting at that
//! instant, would falsify.
#![cfg(target_os = "linux")]

mod support;

use std::future::Future;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use aio_reactor::process::{Command, Stdio};
use aio_reactor::{time, Reactor};
use support::{block_on, block_on_with, boxed, join_all};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// (state, ppid) of `pid` from /proc, or None if there is no such process.
fn proc_state(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Whether `pid` is still our child (running or a zombie): not yet reaped.
fn is_our_child(pid: u32) -> bool {
    proc_state(pid).is_some_and(|(_, ppid)| ppid == std::process::id())
}

/// Our children that are zombies (exited, never reaped).
fn our_zombies() -> Vec<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| proc_state(pid) == Some(('Z', me)))
        .collect()
}

/// Let the loop turn until `pid` is reaped (bounded: fails instead of hanging).
async fn until_reaped(pid: u32) {
    let start = Instant::now();
    while is_our_child(pid) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "child {pid} was never reaped"
        );
        // A timer, so the loop turns and sees the pidfd's readiness.
        time::sleep(Duration::from_millis(1)).await;
    }
}

/// `fut`, or a test failure if it has not finished in a minute (a pipe
/// deadlock would otherwise hang the suite).
async fn no_deadlock<F: Future>(fut: F) -> F::Output {
    time::timeout(Duration::from_secs(60), fut)
        .await
        .expect("deadlocked: still not done after a minute")
}

#[test]
fn ten_megabytes_on_stdout_while_stderr_is_piped() {
    let _serial = serial();
    let (out, err, status) = block_on(no_deadlock(async {
        let mut child = Command::new("sh")
            .args(["-c", "head -c 10000000 /dev/zero; echo done >&2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = Vec::new();
        let n = child
            .stdout
            .as_mut()
            .unwrap()
            .read_to_end(&mut out)
            .await
            .unwrap();
        assert_eq!(n, out.len());
        let mut err = String::new();
        child
            .stderr
            .as_mut()
            .unwrap()
            .read_to_string(&mut err)
            .await
            .unwrap();
        (out, err, child.wait().await.unwrap())
    }));
    assert_eq!(out.len(), 10_000_000);
    assert!(out.iter().all(|&b| b == 0));
    assert_eq!(err, "done\n");
    assert!(status.success());
}

#[test]
fn wait_with_output_reads_both_pipes_at_once() {
    let _serial = serial();
    // The child fills stderr first: reading stdout to the end before stderr
    // would deadlock (the child blocks on a full stderr pipe).
    let output = block_on(no_deadlock(async {
        Command::new("sh")
            .args([
                "-c",
                "head -c 10000000 /dev/zero >&2; head -c 10000000 /dev/zero",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
            .wait_with_output()
            .await
            .unwrap()
    }));
    assert!(output.status.success());
    assert_eq!(output.stdout.len(), 10_000_000);
    assert_eq!(output.stderr.len(), 10_000_000);
}

#[test]
fn stdin_round_trip_through_cat() {
    let _serial = serial();
    // More than a pipe holds both ways, so writing and reading must overlap.
    let input: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let expected = input.clone();
    let (echoed, status) = block_on(no_deadlock(async move {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let writer = boxed(async move {
            stdin.write_all(&input).await.unwrap();
            stdin.flush().await.unwrap();
            stdin.shutdown().await.unwrap();
            assert_eq!(
                stdin.write(b"x").await.unwrap_err().kind(),
                io::ErrorKind::BrokenPipe
            );
            Vec::new()
        });
        let reader = boxed(async move {
            let mut out = Vec::new();
            stdout.read_to_end(&mut out).await.unwrap();
            out
        });
        let mut results = join_all(vec![writer, reader]).await;
        (results.pop().unwrap(), child.wait().await.unwrap())
    }));
    assert_eq!(echoed, expected);
    assert!(status.success());
}

#[test]
fn futures_io_traits_drive_the_pipes() {
    use futures_io::{AsyncRead, AsyncWrite};
    use std::future::poll_fn;
    use std::pin::Pin;

    let _serial = serial();
    let echoed = block_on(async {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let n = poll_fn(|cx| Pin::new(&mut stdin).poll_write(cx, b"hello"))
            .await
            .unwrap();
        assert_eq!(n, 5);
        poll_fn(|cx| Pin::new(&mut stdin).poll_close(cx))
            .await
            .unwrap();
        let stdout = child.stdout.as_mut().unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 16];
        loop {
            let n = poll_fn(|cx| Pin::new(&mut *stdout).poll_read(cx, &mut buf))
                .await
                .unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert!(child.wait().await.unwrap().success());
        got
    });
    assert_eq!(echoed, b"hello");
}

#[test]
fn kill_ends_the_child_by_sigkill() {
    let _serial = serial();
    block_on(async {
        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        let pid = child.id().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        child.kill().await.unwrap();
        assert!(!is_our_child(pid), "kill() reaps the child");
        let status = child.wait().await.unwrap();
        assert_eq!(status.signal(), Some(9));
        assert!(!status.success());
        assert_eq!(child.id(), None);
        assert_eq!(child.try_wait().unwrap(), Some(status));
        // Killing a reaped child is a no-op.
        child.start_kill().unwrap();
    });
}

#[test]
fn start_kill_then_wait() {
    let _serial = serial();
    let status = block_on(async {
        let mut child = Command::new("sleep").arg("1000").spawn().unwrap();
        child.start_kill().unwrap();
        child.wait().await.unwrap()
    });
    assert_eq!(status.signal(), Some(9));
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    let _serial = serial();
    block_on(async {
        let child = Command::new("sleep")
            .arg("1000")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        drop(child);
        until_reaped(pid).await;
    });
    assert!(our_zombies().is_empty());
}

#[test]
fn kill_on_drop_of_an_output_future_cut_short() {
    let _serial = serial();
    block_on(async {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "exec sleep 1000"])
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        // Started, then dropped mid-wait, as a timeout would.
        let mut fut = Box::pin(cmd.output());
        let ready =
            std::future::poll_fn(|cx| std::task::Poll::Ready(fut.as_mut().poll(cx).is_ready()))
                .await;
        assert!(!ready);
        drop(fut);
    });
    // kill_on_drop children are reaped by shutdown at the latest.
    assert!(our_zombies().is_empty());
}

#[test]
fn dropped_child_without_kill_on_drop_keeps_running_and_is_reaped_later() {
    let _serial = serial();
    block_on(async {
        let child = Command::new("sleep").arg("1000").spawn().unwrap();
        let pid = child.id().unwrap();
        drop(child);
        // Still running after the loop has turned.
        time::sleep(Duration::from_millis(1)).await;
        assert_eq!(proc_state(pid).map(|(s, _)| s == 'Z'), Some(false));
        // Once it exits, the loop reaps it.
        let killed = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        until_reaped(pid).await;
    });
}

#[test]
fn dropped_child_that_exits_is_reaped_at_shutdown() {
    let _serial = serial();
    let mut reactor = Reactor::new().unwrap();
    let pid = block_on_with(&mut reactor, async {
        let mut child = Command::new("head")
            .args(["-c", "1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        drop(child);
        stdin.write_all(b"x").await.unwrap();
        // Wait, without letting the loop turn, until the child has exited:
        // only shutdown can reap it then.
        let start = Instant::now();
        while proc_state(pid).map(|(s, _)| s) != Some('Z') {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "child never exited"
            );
            std::thread::yield_now();
        }
        pid
    });
    assert!(is_our_child(pid), "still a zombie before shutdown");
    reactor.shutdown(Duration::from_secs(1));
    assert!(!is_our_child(pid), "reaped at shutdown");
}

#[test]
fn missing_program_error_names_it() {
    let _serial = serial();
    let err = block_on(async { Command::new("no-such-prog-aio").spawn().unwrap_err() });
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    let msg = err.to_string();
    assert!(
        msg.starts_with("failed to spawn \"no-such-prog-aio\": "),
        "{msg}"
    );
}

#[test]
fn hundred_children_leave_no_zombie_and_no_fd() {
    let _serial = serial();
    let fds_before = support::open_fds();
    let codes = block_on(async {
        let waits = (0..100)
            .map(|i| {
                let mut child = Command::new("sh")
                    .args(["-c", &format!("exit {}", i % 7)])
                    .spawn()
                    .unwrap();
                boxed(async move { child.wait().await.unwrap().code().unwrap() })
            })
            .collect();
        join_all(waits).await
    });
    assert_eq!(codes, (0..100).map(|i| i % 7).collect::<Vec<_>>());
    assert!(our_zombies().is_empty(), "zombies: {:?}", our_zombies());
    assert_eq!(
        support::open_fds(),
        fds_before,
        "pidfds and pipes all closed"
    );
}

#[test]
fn output_has_the_exit_code_and_both_streams() {
    let _serial = serial();
    let output = block_on(async {
        Command::new("sh")
            .args([
                "-c",
                "echo out; echo err >&2; read x; echo \"[$x]\"; exit 3",
            ])
            .output()
            .await
            .unwrap()
    });
    assert_eq!(output.status.code(), Some(3));
    // stdin is empty for output(): `read` sees end-of-file at once.
    assert_eq!(output.stdout, b"out\n[]\n");
    assert_eq!(output.stderr, b"err\n");
}

#[test]
fn status_env_and_current_dir() {
    let _serial = serial();
    let dir = std::env::temp_dir();
    let (status, output) = block_on(async {
        let status = Command::new("sh")
            .args(["-c", "exit 7"])
            .stdout(Stdio::null())
            .status()
            .await
            .unwrap();
        let output = Command::new("sh")
            .args(["-c", "echo \"$AIO_A|${AIO_B-unset}|$(pwd)\""])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap())
            .envs([("AIO_A", "a"), ("AIO_B", "b")])
            .env_remove("AIO_B")
            .current_dir(&dir)
            .output()
            .await
            .unwrap();
        (status, output)
    });
    assert_eq!(status.code(), Some(7));
    let dir = dir.canonicalize().unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("a|unset|{}\n", dir.display())
    );
}

#[test]
fn wait_is_cancel_safe() {
    let _serial = serial();
    block_on(async {
        let mut child = Command::new("sh")
            .args(["-c", "read x; exit 4"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        // A wait given up on (by a timeout) leaves the child waitable.
        let waited = time::timeout(Duration::from_millis(5), child.wait()).await;
        assert!(waited.is_err(), "child waits for its stdin");
        stdin.write_all(b"go\n").await.unwrap();
        assert_eq!(child.wait().await.unwrap().code(), Some(4));
    });
}

#[test]
fn child_running_at_shutdown_is_left_running_and_reaped_by_a_later_spawn() {
    let _serial = serial();
    let pid = block_on(async {
        let child = Command::new("sleep").arg("1000").spawn().unwrap();
        child.id().unwrap()
    });
    // The loop is gone; the child was not asked to die with it.
    assert_eq!(proc_state(pid).map(|(s, _)| s == 'Z'), Some(false));
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let start = Instant::now();
    while proc_state(pid).map(|(s, _)| s) != Some('Z') {
        assert!(start.elapsed() < Duration::from_secs(10), "never exited");
        std::thread::yield_now();
    }
    // The next spawn, on another loop, reaps it.
    block_on(async {
        let status = Command::new("true").status().await.unwrap();
        assert!(status.success());
    });
    assert!(!is_our_child(pid));
    assert!(our_zombies().is_empty());
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Command>();
    check::<aio_reactor::process::Child>();
    check::<aio_reactor::process::ChildStdin>();
    check::<aio_reactor::process::ChildStdout>();
    check::<aio_reactor::process::ChildStderr>();
}
