//! smol: async-executor's single-threaded `LocalExecutor`, driven by
//! async-io's `block_on` (which turns the reactor when the executor is idle),
//! so it is one thread like aio and tokio_ct.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::time::Instant;

use aio_bench::{
    baton_player, idle_report, lateness_us, rss_bytes, timer_durations, timers_report, Args, Baton,
    Report, Sizes, ECHO_MESSAGE, RUNTIME_WORKLOADS,
};
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};
use smol::{LocalExecutor, Task};

thread_local! {
    static EXECUTOR: LocalExecutor<'static> = const { LocalExecutor::new() };
}

fn spawn<T: 'static>(future: impl Future<Output = T> + 'static) -> Task<T> {
    EXECUTOR.with(|ex| ex.spawn(future))
}

fn run<T>(future: impl Future<Output = T>) -> T {
    EXECUTOR.with(|ex| smol::block_on(ex.run(future)))
}

fn main() {
    let args = Args::parse("smol", RUNTIME_WORKLOADS);
    let sizes = args.sizes();
    let report = match args.workload.as_str() {
        "spawn_join" => run(spawn_join(sizes)),
        "ping_pong" => run(ping_pong(sizes)),
        "yield_many" => run(yield_many(sizes)),
        "timers" => run(timers(sizes)),
        "tcp_echo" => run(tcp_echo(sizes)),
        "idle_memory" => run(idle_memory(sizes)),
        other => unreachable!("workload {other}"),
    };
    report.print();
}

async fn spawn_join(sizes: Sizes) -> Report {
    let n = sizes.spawn_join_tasks;
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|i| spawn(async move { i })).collect();
    let mut sum = 0;
    for handle in handles {
        sum += handle.await;
    }
    let elapsed = start.elapsed();
    assert_eq!(sum, n * (n - 1) / 2);
    Report::new(n as u64, elapsed)
}

async fn ping_pong(sizes: Sizes) -> Report {
    let n = sizes.ping_pong_round_trips;
    let baton = Baton::new();
    let start = Instant::now();
    let a = spawn(baton_player(baton.clone(), 0, n));
    let b = spawn(baton_player(baton, 1, n));
    a.await;
    b.await;
    Report::new(n, start.elapsed())
}

async fn yield_many(sizes: Sizes) -> Report {
    let (tasks, yields) = (sizes.yield_tasks, sizes.yields_per_task);
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            spawn(async move {
                for _ in 0..yields {
                    smol::future::yield_now().await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await;
    }
    Report::new((tasks * yields) as u64, start.elapsed())
}

async fn timers(sizes: Sizes) -> Report {
    let durations = timer_durations(&sizes);
    let start = Instant::now();
    let handles: Vec<_> = durations
        .into_iter()
        .map(|d| {
            spawn(async move {
                let deadline = Instant::now() + d;
                smol::Timer::at(deadline).await;
                lateness_us(deadline)
            })
        })
        .collect();
    let mut lateness = Vec::with_capacity(handles.len());
    for handle in handles {
        lateness.push(handle.await);
    }
    timers_report(lateness, start.elapsed())
}

async fn tcp_echo(sizes: Sizes) -> Report {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            stream.set_nodelay(true).unwrap();
            spawn(async move {
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
            })
            .detach();
        }
    });
    let rounds = sizes.echo_round_trips;
    let start = Instant::now();
    let clients: Vec<_> = (0..sizes.echo_connections)
        .map(|i| {
            spawn(async move {
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
        client.await;
    }
    let elapsed = start.elapsed();
    // Dropping a smol Task cancels it.
    drop(server);
    Report::new((sizes.echo_connections * rounds) as u64, elapsed)
}

async fn idle_memory(sizes: Sizes) -> Report {
    let n = sizes.idle_tasks;
    let polled = Rc::new(Cell::new(0usize));
    let before = rss_bytes();
    let start = Instant::now();
    for _ in 0..n {
        let polled = polled.clone();
        // A smol Task is cancelled on drop: detach it so it stays parked.
        spawn(async move {
            polled.set(polled.get() + 1);
            std::future::pending::<()>().await
        })
        .detach();
    }
    while polled.get() < n {
        smol::future::yield_now().await;
    }
    let elapsed = start.elapsed();
    idle_report(n, before, rss_bytes(), elapsed)
}
