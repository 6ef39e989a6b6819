//! The two ways of learning of a child's exit: which one is used, and the
//! polling fallback (not reachable from the integration tests on a kernel
//! with pidfd).

use std::future::Future;
use std::os::unix::process::ExitStatusExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use super::reap::FORCE_POLLING;
use super::*;
use crate::{Reactor, Unparker};

struct Flag(AtomicBool, Unparker);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
        self.1.unpark();
    }
}

fn block_on<F: Future>(fut: F) -> F::Output {
    let mut reactor = Reactor::new().unwrap();
    let out = {
        let _enter = reactor.enter();
        let flag = Arc::new(Flag(AtomicBool::new(true), reactor.unparker()));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);
        let mut fut = std::pin::pin!(fut);
        loop {
            if flag.0.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                    break v;
                }
            } else {
                reactor.turn(None);
            }
        }
    };
    reactor.shutdown(Duration::from_secs(1));
    out
}

/// Whether `pid` is still a process (running or zombie) whose parent is us.
fn is_our_child(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let ppid: u32 = rest.split_whitespace().nth(1).unwrap().parse().unwrap();
    ppid == std::process::id()
}

#[cfg(target_os = "linux")]
#[test]
fn pidfd_is_used_where_the_kernel_has_it() {
    let own = rustix::process::pidfd_open(
        rustix::process::getpid(),
        rustix::process::PidfdFlags::empty(),
    );
    block_on(async move {
        let mut child = Command::new("true").spawn().unwrap();
        assert_eq!(child.watches_pidfd(), own.is_ok());
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn polling_fallback_waits_and_reaps_orphans() {
    FORCE_POLLING.with(|f| f.set(true));
    let orphan_pid = block_on(async {
        let mut child = Command::new("sh").args(["-c", "exit 5"]).spawn().unwrap();
        assert!(!child.watches_pidfd());
        assert_eq!(child.wait().await.unwrap().code(), Some(5));
        assert_eq!(child.id(), None);

        let mut sleeper = Command::new("sleep").arg("1000").spawn().unwrap();
        sleeper.kill().await.unwrap();
        assert_eq!(sleeper.wait().await.unwrap().signal(), Some(9));

        // Dropped unwaited with kill_on_drop: the polling timer reaps it.
        let orphan = Command::new("sleep")
            .arg("1000")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pid = orphan.id().unwrap();
        drop(orphan);
        let start = std::time::Instant::now();
        while is_our_child(pid) {
            assert!(start.elapsed() < Duration::from_secs(10), "never reaped");
            crate::time::sleep(Duration::from_millis(1)).await;
        }
        pid
    });
    FORCE_POLLING.with(|f| f.set(false));
    assert!(!is_our_child(orphan_pid));
}
