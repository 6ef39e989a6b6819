//! The runtime workloads on tokio, shared by `tokio_ct` (current_thread) and
//! `tokio_mt` (multi_thread, 2 workers; also the peer of
//! `tcp_echo_2loops`). Everything uses `tokio::spawn`, so
//! the futures are `Send` on both flavours.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

use crate::{
    baton_player, idle_report, lateness_us, rss_bytes, timer_durations, timers_report, Args, Baton,
    Report, Sizes, CONTENDED_PERMITS, ECHO_MESSAGE, RUNTIME_WORKLOADS, TOOLBOX_WORKLOADS,
};

/// Parses the command line, runs the workload on `runtime` and prints its
/// report. With `multi_thread`, the workload's top future is spawned onto a
/// worker (as a server's tasks would be), not run on the `block_on` thread.
pub fn main(candidate: &str, runtime: Runtime, multi_thread: bool) {
    // tokio_mt is also tcp_echo_2loops' peer: there its scheduler spreads
    // tcp_echo's tasks over its workers, as aio's loops do by hand.
    let loops_rows: &[&str] = if multi_thread {
        &["tcp_echo_2loops"]
    } else {
        &[]
    };
    let workloads: Vec<&str> = RUNTIME_WORKLOADS
        .iter()
        .chain(TOOLBOX_WORKLOADS)
        .chain(loops_rows)
        .copied()
        .collect();
    let args = Args::parse(candidate, &workloads);
    let sizes = args.sizes();
    let report = match args.workload.as_str() {
        "spawn_join" => run(&runtime, multi_thread, spawn_join(sizes)),
        "ping_pong" => run(&runtime, multi_thread, ping_pong(sizes)),
        "yield_many" => run(&runtime, multi_thread, yield_many(sizes)),
        "timers" => run(&runtime, multi_thread, timers(sizes)),
        "tcp_echo" | "tcp_echo_2loops" => run(&runtime, multi_thread, tcp_echo(sizes)),
        "idle_memory" => run(&runtime, multi_thread, idle_memory(sizes)),
        "queue_ping_pong" => run(&runtime, multi_thread, queue_ping_pong(sizes)),
        "mutex_uncontended" => run(&runtime, multi_thread, mutex_uncontended(sizes)),
        "semaphore_uncontended" => run(&runtime, multi_thread, semaphore_uncontended(sizes)),
        "semaphore_contended" => run(&runtime, multi_thread, semaphore_contended(sizes)),
        "group_spawn_join" => run(&runtime, multi_thread, group_spawn_join(sizes)),
        other => unreachable!("workload {other}"),
    };
    report.print();
}

fn run<F>(runtime: &Runtime, multi_thread: bool, future: F) -> Report
where
    F: Future<Output = Report> + Send + 'static,
{
    if multi_thread {
        runtime.block_on(async { tokio::spawn(future).await.expect("workload panicked") })
    } else {
        runtime.block_on(future)
    }
}

async fn spawn_join(sizes: Sizes) -> Report {
    let n = sizes.spawn_join_tasks;
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
    let mut sum = 0;
    for handle in handles {
        sum += handle.await.unwrap();
    }
    let elapsed = start.elapsed();
    assert_eq!(sum, n * (n - 1) / 2);
    Report::new(n as u64, elapsed)
}

async fn ping_pong(sizes: Sizes) -> Report {
    let n = sizes.ping_pong_round_trips;
    let baton = Baton::new();
    let start = Instant::now();
    let a = tokio::spawn(baton_player(baton.clone(), 0, n));
    let b = tokio::spawn(baton_player(baton, 1, n));
    a.await.unwrap();
    b.await.unwrap();
    Report::new(n, start.elapsed())
}

async fn yield_many(sizes: Sizes) -> Report {
    let (tasks, yields) = (sizes.yield_tasks, sizes.yields_per_task);
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            tokio::spawn(async move {
                for _ in 0..yields {
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    Report::new((tasks * yields) as u64, start.elapsed())
}

async fn timers(sizes: Sizes) -> Report {
    let durations = timer_durations(&sizes);
    let start = Instant::now();
    let handles: Vec<_> = durations
        .into_iter()
        .map(|d| {
            tokio::spawn(async move {
                let deadline = Instant::now() + d;
                tokio::time::sleep_until(deadline.into()).await;
                lateness_us(deadline)
            })
        })
        .collect();
    let mut lateness = Vec::with_capacity(handles.len());
    for handle in handles {
        lateness.push(handle.await.unwrap());
    }
    timers_report(lateness, start.elapsed())
}

async fn tcp_echo(sizes: Sizes) -> Report {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    let rounds = sizes.echo_round_trips;
    let start = Instant::now();
    let clients: Vec<_> = (0..sizes.echo_connections)
        .map(|i| {
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream.set_nodelay(true).unwrap();
                let message = [i as u8; ECHO_MESSAGE];
                let mut reply = [0u8; ECHO_MESSAGE];
                for _ in 0..rounds {
                    stream.write_all(&message).await.unwrap();
                    stream.read_exact(&mut reply).await.unwrap();
                    assert_eq!(reply, message);
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    let elapsed = start.elapsed();
    server.abort();
    Report::new((sizes.echo_connections * rounds) as u64, elapsed)
}

async fn idle_memory(sizes: Sizes) -> Report {
    let n = sizes.idle_tasks;
    let polled = Arc::new(AtomicUsize::new(0));
    let before = rss_bytes();
    let start = Instant::now();
    for _ in 0..n {
        let polled = polled.clone();
        // Dropping the JoinHandle detaches the task; it stays parked.
        drop(tokio::spawn(async move {
            polled.fetch_add(1, Ordering::Relaxed);
            std::future::pending::<()>().await
        }));
    }
    while polled.load(Ordering::Relaxed) < n {
        tokio::task::yield_now().await;
    }
    let elapsed = start.elapsed();
    idle_report(n, before, rss_bytes(), elapsed)
}

/// tokio's bounded mpsc, capacity 1, each way.
async fn queue_ping_pong(sizes: Sizes) -> Report {
    let n = sizes.queue_round_trips;
    let (to_echo, mut from_pinger) = tokio::sync::mpsc::channel::<u64>(1);
    let (to_pinger, mut from_echo) = tokio::sync::mpsc::channel::<u64>(1);
    let start = Instant::now();
    let echo = tokio::spawn(async move {
        while let Some(v) = from_pinger.recv().await {
            to_pinger.send(v).await.unwrap();
        }
    });
    let mut sum = 0;
    for i in 0..n {
        to_echo.send(i).await.unwrap();
        sum += from_echo.recv().await.unwrap();
    }
    drop(to_echo);
    echo.await.unwrap();
    assert_eq!(sum, n * (n - 1) / 2);
    Report::new(n, start.elapsed())
}

async fn mutex_uncontended(sizes: Sizes) -> Report {
    let n = sizes.uncontended_ops;
    let mutex = tokio::sync::Mutex::new(0u64);
    let start = Instant::now();
    for _ in 0..n {
        *mutex.lock().await += 1;
    }
    let elapsed = start.elapsed();
    assert_eq!(*mutex.lock().await, n);
    Report::new(n, elapsed)
}

async fn semaphore_uncontended(sizes: Sizes) -> Report {
    let n = sizes.uncontended_ops;
    let semaphore = tokio::sync::Semaphore::new(1);
    let start = Instant::now();
    for _ in 0..n {
        drop(std::hint::black_box(semaphore.acquire().await.unwrap()));
    }
    let elapsed = start.elapsed();
    assert_eq!(semaphore.available_permits(), 1);
    Report::new(n, elapsed)
}

/// Many tasks, few permits: each holds its permit across a yield, so the
/// waiters' queue is never empty.
async fn semaphore_contended(sizes: Sizes) -> Report {
    let (tasks, rounds) = (sizes.contended_tasks, sizes.contended_rounds);
    let semaphore = Arc::new(tokio::sync::Semaphore::new(CONTENDED_PERMITS));
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let semaphore = semaphore.clone();
            tokio::spawn(async move {
                for _ in 0..rounds {
                    let _permit = semaphore.acquire().await.unwrap();
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    Report::new((tasks * rounds) as u64, start.elapsed())
}

/// tokio's JoinSet: the closest thing it has to a task group.
async fn group_spawn_join(sizes: Sizes) -> Report {
    let n = sizes.spawn_join_tasks;
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        set.spawn(async move { i });
    }
    let mut sum = 0;
    while let Some(output) = set.join_next().await {
        sum += output.unwrap();
    }
    let elapsed = start.elapsed();
    assert_eq!(sum, n * (n - 1) / 2);
    Report::new(n as u64, elapsed)
}
