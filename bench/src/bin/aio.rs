//! aio: the runtime workloads on `aio::run`, and the HTTP workloads with
//! `aio::http::Client` against the server the driver names (nginx).

use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use aio::net::{TcpListener, TcpStream};
use aio_bench::{
    baton_player, check_posts, idle_report, lateness_us, rss_bytes, share, timer_durations,
    timers_report, Args, Baton, CpuClock, Post, Report, Sizes, CONTENDED_PERMITS, ECHO_MESSAGE,
    HTTP_WORKLOADS, LOOPS, LOOPS_WORKLOADS, RUNTIME_WORKLOADS, TOOLBOX_WORKLOADS,
};

fn main() {
    let workloads: Vec<&str> = RUNTIME_WORKLOADS
        .iter()
        .chain(HTTP_WORKLOADS)
        .chain(TOOLBOX_WORKLOADS)
        .chain(LOOPS_WORKLOADS)
        .copied()
        .collect();
    let args = Args::parse("aio", &workloads);
    let sizes = args.sizes();
    let report = match args.workload.as_str() {
        "spawn_join" => aio::run(spawn_join(sizes)),
        "ping_pong" => aio::run(ping_pong(sizes)),
        "yield_many" => aio::run(yield_many(sizes)),
        "timers" => aio::run(timers(sizes)),
        "tcp_echo" => aio::run(tcp_echo(sizes)),
        "idle_memory" => aio::run(idle_memory(sizes)),
        "http_seq" | "https_seq" => aio::run(http_gets(&args, 1, sizes.http_requests)),
        "http_c64" | "https_c64" => aio::run(http_gets(
            &args,
            sizes.http_concurrency,
            sizes.http_requests,
        )),
        "http_json" | "http_json_gzip" => aio::run(http_json(&args, sizes.json_requests)),
        "h2_c64" => aio::run(h2_gets(&args, sizes.http_concurrency, sizes.http_requests)),
        "https_json_c64" => aio::run(https_json(
            &args,
            sizes.http_concurrency,
            sizes.json_requests,
        )),
        "h2_json_c64" => aio::run(h2_json(&args, sizes.http_concurrency, sizes.json_requests)),
        "tcp_echo_2loops" => on_loops(tcp_echo_loops(sizes)),
        // 64 in flight on each loop, and as many requests per loop as http_c64.
        "http_c64_2loops" => on_loops(http_gets(
            &args,
            LOOPS * sizes.http_concurrency,
            LOOPS * sizes.http_requests,
        )),
        "queue_ping_pong" => aio::run(queue_ping_pong(sizes)),
        "mutex_uncontended" => aio::run(mutex_uncontended(sizes)),
        "semaphore_uncontended" => aio::run(semaphore_uncontended(sizes)),
        "semaphore_contended" => aio::run(semaphore_contended(sizes)),
        "group_spawn_join" => aio::run(group_spawn_join(sizes)),
        other => unreachable!("workload {other}"),
    };
    report.print();
}

/// Runs `future` on the first of [`LOOPS`] loops, one per core.
fn on_loops<F: std::future::Future>(future: F) -> F::Output {
    aio::Runner::new().loops(LOOPS).run(future)
}

async fn spawn_join(sizes: Sizes) -> Report {
    let n = sizes.spawn_join_tasks;
    let start = Instant::now();
    let handles: Vec<_> = (0..n).map(|i| aio::spawn(async move { i })).collect();
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
    let a = aio::spawn(baton_player(baton.clone(), 0, n));
    let b = aio::spawn(baton_player(baton, 1, n));
    a.await.unwrap();
    b.await.unwrap();
    Report::new(n, start.elapsed())
}

async fn yield_many(sizes: Sizes) -> Report {
    let (tasks, yields) = (sizes.yield_tasks, sizes.yields_per_task);
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            aio::spawn(async move {
                for _ in 0..yields {
                    aio::yield_now().await;
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
            aio::spawn(async move {
                let deadline = Instant::now() + d;
                aio::time::sleep_until(deadline).await;
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

async fn read_exact(stream: &mut TcpStream, mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match stream.read(buf).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf = &mut buf[n..],
        }
    }
    Ok(())
}

/// Serves echo on every connection `listener` accepts, one task each on
/// this loop; counts them in `accepted`.
async fn echo_server(listener: TcpListener, accepted: Arc<AtomicUsize>) {
    loop {
        let (mut stream, _) = listener.accept().await.unwrap();
        accepted.fetch_add(1, Ordering::Relaxed);
        stream.set_nodelay(true).unwrap();
        aio::spawn(async move {
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
}

/// One echo client: `rounds` round trips of a message of byte `i`.
async fn echo_client(addr: SocketAddr, i: usize, rounds: usize) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let message = [i as u8; ECHO_MESSAGE];
    let mut reply = [0u8; ECHO_MESSAGE];
    for _ in 0..rounds {
        stream.write_all(&message).await.unwrap();
        read_exact(&mut stream, &mut reply).await.unwrap();
        assert_eq!(reply, message);
    }
}

async fn tcp_echo(sizes: Sizes) -> Report {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let server = aio::spawn(echo_server(listener, accepted.clone()));
    let (connections, rounds) = (sizes.echo_connections, sizes.echo_round_trips);
    let start = Instant::now();
    let clients: Vec<_> = (0..connections)
        .map(|i| aio::spawn(echo_client(addr, i, rounds)))
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    let elapsed = start.elapsed();
    server.abort();
    assert_eq!(accepted.load(Ordering::Relaxed), connections);
    Report::new((connections * rounds) as u64, elapsed)
}

/// `tcp_echo` on every loop: a SO_REUSEPORT listener per loop, so each loop
/// serves the connections the kernel queues on its listener, and the
/// clients spread round-robin over the loops. A client and its server end
/// may be on different loops (the kernel picks the listener by a hash of
/// the ports), as a client and a server task may be on different workers
/// in tokio.
async fn tcp_echo_loops(sizes: Sizes) -> Report {
    let first = TcpListener::bind_reuse_port(("127.0.0.1", 0))
        .await
        .unwrap();
    let addr = first.local_addr().unwrap();
    let mut servers = Vec::new();
    let mut accepted = Vec::new();
    for handle in aio::loops() {
        let (bound, ready) = aio::sync::oneshot::channel();
        let count = Arc::new(AtomicUsize::new(0));
        accepted.push(count.clone());
        let server = handle.spawn(async move {
            let listener = TcpListener::bind_reuse_port(addr).await.unwrap();
            bound.send(()).unwrap();
            echo_server(listener, count).await;
        });
        servers.push(server.unwrap());
        ready.await.unwrap();
    }
    // Only the loops' own listeners take connections from here on.
    drop(first);
    let (connections, rounds) = (sizes.echo_connections, sizes.echo_round_trips);
    let start = Instant::now();
    let clients: Vec<_> = (0..connections)
        .map(|i| aio::spawn_anywhere(echo_client(addr, i, rounds)).unwrap())
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    let elapsed = start.elapsed();
    for server in servers {
        server.abort();
    }
    let accepted: Vec<usize> = accepted.iter().map(|a| a.load(Ordering::Relaxed)).collect();
    assert_eq!(accepted.iter().sum::<usize>(), connections);
    // How evenly the kernel spread the server ends: the busiest loop's share.
    let busiest = *accepted.iter().max().unwrap();
    Report::new((connections * rounds) as u64, elapsed)
        .with("busiest_loop_connections", busiest as f64)
}

async fn idle_memory(sizes: Sizes) -> Report {
    let n = sizes.idle_tasks;
    // aio tasks need not be Send, but the same shape as the other candidates
    // (a shared counter bumped on the first poll) keeps the futures alike.
    let polled = Rc::new(Cell::new(0usize));
    let before = rss_bytes();
    let start = Instant::now();
    for _ in 0..n {
        let polled = polled.clone();
        // Dropping the JoinHandle detaches the task; it stays parked.
        drop(aio::spawn(async move {
            polled.set(polled.get() + 1);
            std::future::pending::<()>().await
        }));
    }
    while polled.get() < n {
        aio::yield_now().await;
    }
    let elapsed = start.elapsed();
    idle_report(n, before, rss_bytes(), elapsed)
}

fn client(args: &Args) -> aio::http::Client {
    let mut builder = aio::http::Client::builder();
    if let Some(pem) = args.ca_pem() {
        builder = builder.add_root_certificate(pem);
    }
    builder.build().expect("aio::http client")
}

async fn get_body(client: &aio::http::Client, url: &str) -> usize {
    let response = client.get(url).await.expect("GET");
    assert_eq!(response.status().as_u16(), 200);
    let body = response.bytes().await.expect("body");
    assert!(body.len() > 100, "short body: {} bytes", body.len());
    body.len()
}

/// `total` GETs of one post, by `workers` tasks sharing one client (each
/// loop of the run keeps its own pooled connections).
async fn gets(client: &aio::http::Client, url: &str, workers: usize, total: usize) {
    if workers == 1 {
        for _ in 0..total {
            get_body(client, url).await;
        }
        return;
    }
    let handles: Vec<_> = (0..workers)
        .map(|i| {
            let (client, url) = (client.clone(), url.to_owned());
            // Spread over the run's loops; with one loop, all on this one.
            aio::spawn_anywhere(async move {
                for _ in 0..share(total, workers, i) {
                    get_body(&client, &url).await;
                }
            })
            .unwrap()
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
}

async fn http_gets(args: &Args, workers: usize, total: usize) -> Report {
    let client = client(args);
    let url = format!("{}/posts/1", args.url());
    // Warm-up, untimed: the pool holds `workers` open connections after it.
    gets(&client, &url, workers, workers).await;
    let clock = CpuClock::start();
    gets(&client, &url, workers, total).await;
    clock.report(total as u64)
}

async fn http_json(args: &Args, total: usize) -> Report {
    let client = client(args);
    let url = format!("{}/posts", args.url());
    get_body(&client, &url).await;
    let clock = CpuClock::start();
    for _ in 0..total {
        let response = client.get(&url).await.expect("GET");
        assert_eq!(response.status().as_u16(), 200);
        let posts: Vec<Post> = response.json().await.expect("JSON");
        check_posts(&posts);
    }
    clock.report(total as u64)
}

/// Checks the client speaks HTTP/2 to `url`: the h2 rows measure nothing else.
async fn assert_h2(client: &aio::http::Client, url: &str) {
    let response = client.get(url).await.expect("GET");
    assert_eq!(response.version(), aio::http::Version::HTTP_2, "{url}");
    response.bytes().await.expect("body");
}

async fn h2_gets(args: &Args, workers: usize, total: usize) -> Report {
    let client = client(args);
    let url = format!("{}/posts/1", args.url());
    assert_h2(&client, &url).await;
    gets(&client, &url, workers, workers).await;
    let clock = CpuClock::start();
    gets(&client, &url, workers, total).await;
    clock.report(total as u64)
}

/// `https_json_c64`: `json_gets` over HTTP/1.1 (nginx's HTTPS port offers
/// no h2), one connection per worker, opened before the clock starts.
async fn https_json(args: &Args, workers: usize, total: usize) -> Report {
    let client = client(args);
    let url = format!("{}/posts", args.url());
    gets(&client, &url, workers, workers).await;
    json_gets(&client, &url, workers, total).await
}

async fn h2_json(args: &Args, workers: usize, total: usize) -> Report {
    let client = client(args);
    let url = format!("{}/posts", args.url());
    assert_h2(&client, &url).await;
    json_gets(&client, &url, workers, total).await
}

/// `total` GETs of `/posts`, decoded, by `workers` tasks on one client.
async fn json_gets(client: &aio::http::Client, url: &str, workers: usize, total: usize) -> Report {
    let clock = CpuClock::start();
    let tasks: Vec<_> = (0..workers)
        .map(|i| {
            let (client, url) = (client.clone(), url.to_owned());
            aio::spawn(async move {
                for _ in 0..share(total, workers, i) {
                    let response = client.get(&url).await.expect("GET");
                    assert_eq!(response.status().as_u16(), 200);
                    let posts: Vec<Post> = response.json().await.expect("JSON");
                    check_posts(&posts);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    clock.report(total as u64)
}

/// Two `Queue::new(1)`s, one each way.
async fn queue_ping_pong(sizes: Sizes) -> Report {
    let n = sizes.queue_round_trips;
    let to_echo = aio::sync::Queue::new(1);
    let to_pinger = aio::sync::Queue::new(1);
    let start = Instant::now();
    let echo = aio::spawn({
        let (from_pinger, to_pinger) = (to_echo.clone(), to_pinger.clone());
        async move {
            for _ in 0..n {
                let v: u64 = from_pinger.get().await.unwrap();
                to_pinger.put(v).await.unwrap();
            }
        }
    });
    let mut sum = 0;
    for i in 0..n {
        to_echo.put(i).await.unwrap();
        sum += to_pinger.get().await.unwrap();
    }
    echo.await.unwrap();
    assert_eq!(sum, n * (n - 1) / 2);
    Report::new(n, start.elapsed())
}

async fn mutex_uncontended(sizes: Sizes) -> Report {
    let n = sizes.uncontended_ops;
    let mutex = aio::sync::Mutex::new(0u64);
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
    let semaphore = aio::sync::Semaphore::new(1);
    let start = Instant::now();
    for _ in 0..n {
        drop(std::hint::black_box(semaphore.acquire().await));
    }
    let elapsed = start.elapsed();
    assert_eq!(semaphore.available_permits(), 1);
    Report::new(n, elapsed)
}

/// Many tasks, few permits: each holds its permit across a yield, so the
/// waiters' queue is never empty.
async fn semaphore_contended(sizes: Sizes) -> Report {
    let (tasks, rounds) = (sizes.contended_tasks, sizes.contended_rounds);
    let semaphore = Rc::new(aio::sync::Semaphore::new(CONTENDED_PERMITS));
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let semaphore = semaphore.clone();
            aio::spawn(async move {
                for _ in 0..rounds {
                    let _permit = semaphore.acquire().await;
                    aio::yield_now().await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    Report::new((tasks * rounds) as u64, start.elapsed())
}

/// `spawn_join` through a TaskGroup: the group's cost over plain spawn is
/// this row against aio's `spawn_join` row.
async fn group_spawn_join(sizes: Sizes) -> Report {
    let n = sizes.spawn_join_tasks;
    let start = Instant::now();
    let group = aio::TaskGroup::<std::convert::Infallible>::default();
    let handles: Vec<_> = (0..n).map(|i| group.spawn(async move { Ok(i) })).collect();
    group.join().await.unwrap();
    let mut sum = 0;
    for handle in handles {
        sum += handle.await.unwrap();
    }
    let elapsed = start.elapsed();
    assert_eq!(sum, n * (n - 1) / 2);
    Report::new(n as u64, elapsed)
}
