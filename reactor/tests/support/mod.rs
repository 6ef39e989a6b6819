//! A tiny test-only executor: enough to drive futures on a Reactor.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use aio_reactor::{Reactor, Unparker};

struct Flag {
    woken: AtomicBool,
    unparker: Unparker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.unparker.unpark();
    }
}

/// Run `fut` to completion on `reactor` (entered for the duration).
pub fn block_on_with<F: Future>(reactor: &mut Reactor, fut: F) -> F::Output {
    let _enter = reactor.enter();
    let flag = Arc::new(Flag {
        woken: AtomicBool::new(true),
        unparker: reactor.unparker(),
    });
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if flag.woken.swap(false, Ordering::SeqCst) {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
        } else {
            reactor.turn(None);
        }
    }
}

/// Run `fut` on a fresh reactor, then shut it down.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut reactor = Reactor::new().expect("reactor");
    let out = block_on_with(&mut reactor, fut);
    reactor.shutdown(Duration::from_secs(5));
    out
}

/// Wakes the parent and records which child asked to be polled.
struct ChildWaker {
    index: usize,
    ready: Arc<Mutex<Vec<usize>>>,
    parent: Mutex<Option<Waker>>,
}

impl Wake for ChildWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.lock().unwrap().push(self.index);
        if let Some(w) = self.parent.lock().unwrap().as_ref() {
            w.wake_by_ref();
        }
    }
}

type BoxFut<T> = Pin<Box<dyn Future<Output = T>>>;

/// Poll all `futs` concurrently, only re-polling children that were woken.
pub async fn join_all<T>(futs: Vec<BoxFut<T>>) -> Vec<T> {
    let ready = Arc::new(Mutex::new((0..futs.len()).collect::<Vec<_>>()));
    let children: Vec<Arc<ChildWaker>> = (0..futs.len())
        .map(|index| {
            Arc::new(ChildWaker {
                index,
                ready: ready.clone(),
                parent: Mutex::new(None),
            })
        })
        .collect();
    let wakers: Vec<Waker> = children.iter().map(|c| Waker::from(c.clone())).collect();
    let mut futs: Vec<Option<BoxFut<T>>> = futs.into_iter().map(Some).collect();
    let mut outs: Vec<Option<T>> = futs.iter().map(|_| None).collect();
    let mut left = futs.len();
    std::future::poll_fn(move |cx| {
        for c in &children {
            *c.parent.lock().unwrap() = Some(cx.waker().clone());
        }
        loop {
            let batch = std::mem::take(&mut *ready.lock().unwrap());
            if batch.is_empty() {
                break;
            }
            for i in batch {
                let Some(f) = futs[i].as_mut() else { continue };
                let mut ccx = Context::from_waker(&wakers[i]);
                if let Poll::Ready(v) = f.as_mut().poll(&mut ccx) {
                    outs[i] = Some(v);
                    futs[i] = None;
                    left -= 1;
                }
            }
        }
        if left == 0 {
            Poll::Ready(outs.iter_mut().map(|o| o.take().unwrap()).collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

/// Box a future for `join_all`.
pub fn boxed<T, F: Future<Output = T> + 'static>(f: F) -> BoxFut<T> {
    Box::pin(f)
}

/// Process CPU time (user + system) from /proc/self/stat, in clock ticks (1/100 s).
pub fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the ")" that ends the command name; utime and stime are fields 14, 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Number of open file descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Block until this process's thread named `name` is asleep in the kernel
/// (state `S` in /proc). For a loop thread that has said it is about to
/// `turn` with nothing to do, that is the fact "the loop is parked in
/// epoll_wait": nothing else on that path sleeps (its locks are uncontended,
/// and a runnable or preempted thread shows `R`). Bounded, so a loop that
/// never parks fails the test instead of hanging it.
pub fn wait_until_asleep(name: &str) {
    let start = std::time::Instant::now();
    loop {
        for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim_end() != name {
                continue;
            }
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            // The state is the first field after the ")" that ends the name.
            if let Some(rest) = stat.rfind(')').map(|i| &stat[i + 1..]) {
                if rest.trim_start().starts_with('S') {
                    return;
                }
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "thread {name} never went to sleep"
        );
        std::thread::yield_now();
    }
}

/// A connected TCP pair on 127.0.0.1: (client, server side).
pub async fn tcp_pair() -> (aio_reactor::net::TcpStream, aio_reactor::net::TcpStream) {
    let listener = aio_reactor::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let client = aio_reactor::net::TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}
