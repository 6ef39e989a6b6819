//! `Runner::loops`: one loop per thread, main on the caller's; work placed
//! on each loop stays there, and the end of the run cancels every loop's
//! tasks; SO_REUSEPORT listeners, one per loop, share an address.

use std::collections::HashSet;
use std::io::Read;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use aio::net::TcpListener;
use aio::sync::oneshot;
use aio::{JoinError, Runner};

#[test]
fn main_runs_on_the_callers_thread_and_each_loop_on_its_own() {
    let caller = thread::current().id();
    let (main_thread, loop_threads, seen_from_workers) = Runner::new().loops(3).run(async {
        let mut loop_threads = Vec::new();
        let mut seen_from_workers = Vec::new();
        for handle in aio::loops() {
            let task = handle
                .spawn(async { (thread::current().id(), aio::loops().len()) })
                .unwrap();
            let (thread, count) = task.await.unwrap();
            loop_threads.push(thread);
            seen_from_workers.push(count);
        }
        (thread::current().id(), loop_threads, seen_from_workers)
    });
    assert_eq!(main_thread, caller);
    assert_eq!(loop_threads[0], caller, "the first loop is the caller's");
    let distinct: HashSet<ThreadId> = loop_threads.iter().copied().collect();
    assert_eq!(distinct.len(), 3, "one thread per loop: {loop_threads:?}");
    assert_eq!(
        seen_from_workers,
        [3, 3, 3],
        "every loop sees the whole run"
    );
}

#[test]
fn loops_zero_is_one_loop_and_plain_run_has_one() {
    assert_eq!(Runner::new().loops(0).run(async { aio::loops().len() }), 1);
    assert_eq!(aio::run(async { aio::loops().len() }), 1);
}

/// Records, when dropped, the thread it was dropped on.
struct DropFlag(Arc<Mutex<Vec<ThreadId>>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.lock().unwrap().push(thread::current().id());
    }
}

#[test]
fn the_end_of_the_run_cancels_the_tasks_of_every_loop_on_their_own_threads() {
    let dropped = Arc::new(Mutex::new(Vec::new()));
    let loop_threads = Runner::new().loops(3).run({
        let dropped = Arc::clone(&dropped);
        async move {
            let mut loop_threads = Vec::new();
            for handle in aio::loops() {
                let (started, running) = oneshot::channel();
                let flag = DropFlag(Arc::clone(&dropped));
                // Detached: only the end of the run stops it.
                drop(handle.spawn(async move {
                    let _flag = flag;
                    started.send(thread::current().id()).unwrap();
                    std::future::pending::<()>().await;
                }));
                loop_threads.push(running.await.unwrap());
            }
            assert!(dropped.lock().unwrap().is_empty(), "all still running");
            loop_threads
        }
    });
    let mut dropped_on = dropped.lock().unwrap().clone();
    let mut expected = loop_threads;
    dropped_on.sort_by_key(|id| format!("{id:?}"));
    expected.sort_by_key(|id| format!("{id:?}"));
    assert_eq!(dropped_on, expected, "each loop cancelled its own task");
}

#[test]
fn every_loop_runs_not_send_futures_spawned_on_it() {
    let sums = Runner::new().loops(2).run(async {
        let mut sums = Vec::new();
        for handle in aio::loops() {
            let task = handle.spawn(async {
                // An Rc held across an await: a task that may not move.
                let local = aio::spawn(async {
                    let shared = Rc::new(20);
                    aio::yield_now().await;
                    *shared + 1
                });
                local.await.unwrap() * 2
            });
            sums.push(task.unwrap().await.unwrap());
        }
        sums
    });
    assert_eq!(sums, [42, 42]);
}

#[test]
fn a_panic_on_another_loop_goes_to_its_handle_and_that_loop_runs_on() {
    let (failure, after) = Runner::new().loops(2).run(async {
        let other = &aio::loops()[1];
        let failure = other
            .spawn(async { panic!("boom on the second loop") })
            .unwrap()
            .await;
        let after = other.spawn(async { "still running" }).unwrap().await;
        (failure, after)
    });
    assert!(
        matches!(failure, Err(JoinError::Panicked(_))),
        "{failure:?}"
    );
    assert_eq!(after.unwrap(), "still running");
}

#[test]
fn spawn_anywhere_goes_round_robin_over_the_loops() {
    let (loop_threads, placed) = Runner::new().loops(3).run(async {
        let mut loop_threads = Vec::new();
        for handle in aio::loops() {
            let task = handle.spawn(async { thread::current().id() }).unwrap();
            loop_threads.push(task.await.unwrap());
        }
        let mut placed = Vec::new();
        for _ in 0..6 {
            let task = aio::spawn_anywhere(async { thread::current().id() }).unwrap();
            placed.push(task.await.unwrap());
        }
        (loop_threads, placed)
    });
    let twice: Vec<ThreadId> = loop_threads.iter().chain(&loop_threads).copied().collect();
    assert_eq!(placed, twice, "each loop in turn, from the first");
}

#[test]
fn spawn_anywhere_with_one_loop_spawns_on_it() {
    let caller = thread::current().id();
    let ran_on = aio::run(async {
        let task = aio::spawn_anywhere(async { thread::current().id() }).unwrap();
        task.await.unwrap()
    });
    assert_eq!(ran_on, caller);
}

#[test]
fn a_reuse_port_listener_on_each_loop_shares_the_connections_to_one_address() {
    const LOOPS: usize = 2;
    let accepted: Arc<[AtomicUsize; LOOPS]> = Arc::new(Default::default());
    let answered_by = Runner::new().loops(LOOPS).run({
        let accepted = Arc::clone(&accepted);
        async move {
            let first = TcpListener::bind_reuse_port("127.0.0.1:0").await.unwrap();
            let addr = first.local_addr().unwrap();
            // The other loops bind the same address, then accept there.
            let mut servers = Vec::new();
            for (index, handle) in aio::loops().into_iter().enumerate() {
                let (bound, ready) = oneshot::channel();
                let accepted = Arc::clone(&accepted);
                let server = handle.spawn(async move {
                    let listener = TcpListener::bind_reuse_port(addr).await.unwrap();
                    bound.send(()).unwrap();
                    loop {
                        let (mut connection, _) = listener.accept().await.unwrap();
                        accepted[index].fetch_add(1, Ordering::SeqCst);
                        connection.write_all(&[index as u8]).await.unwrap();
                    }
                });
                ready.await.unwrap();
                servers.push(server.unwrap());
            }
            // Only the loops' own listeners accept from here on.
            drop(first);
            // Plain blocking clients, from one address: the kernel hashes
            // each connection's ports, so both listeners soon get some.
            let clients = aio::spawn_blocking(move || {
                let mut answered_by = HashSet::new();
                for _ in 0..200 {
                    let mut client = std::net::TcpStream::connect(addr).unwrap();
                    let mut index = [0];
                    client.read_exact(&mut index).unwrap();
                    answered_by.insert(index[0]);
                    if answered_by.len() == LOOPS {
                        break;
                    }
                }
                answered_by
            });
            let answered_by = clients.await.unwrap();
            for server in servers {
                server.abort();
            }
            answered_by
        }
    });
    assert_eq!(answered_by, HashSet::from([0, 1]));
    for (index, count) in accepted.iter().enumerate() {
        assert!(
            count.load(Ordering::SeqCst) > 0,
            "loop {index} accepted none"
        );
    }
}

#[test]
fn a_reuse_port_listener_cannot_share_an_address_bound_without_it() {
    aio::run(async {
        let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = plain.local_addr().unwrap();
        let refused = TcpListener::bind_reuse_port(addr).await.unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::AddrInUse);
    });
}
