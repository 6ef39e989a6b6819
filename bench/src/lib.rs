//! What every candidate binary shares: the command line, the workload sizes,
//! the runtime-agnostic pieces of the workloads (the ping-pong baton, the
//! random sleep durations, the echo payload), measurements (CPU time, RSS,
//! percentiles) and the one JSON line each run prints.
//!
//! A candidate binary is `<candidate> <workload> [--quick] [--url URL]
//! [--ca-file PATH]`; it runs the workload once in a fresh process and prints
//! one line such as `{"ops":1000000,"elapsed_s":0.31,"ops_per_sec":3.2e6}`.
//! The driver (`src/bin/driver.rs`) runs them all, interleaved, and makes the
//! table.

use std::collections::BTreeMap;
use std::future::{poll_fn, Future};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

pub mod tokio_rt;

/// The workloads of the runtime candidates (aio, tokio_ct, tokio_mt, smol).
pub const RUNTIME_WORKLOADS: &[&str] = &[
    "spawn_join",
    "ping_pong",
    "yield_many",
    "timers",
    "tcp_echo",
    "idle_memory",
];

/// The asyncio toolbox (`aio::sync`, `aio::TaskGroup`) against tokio's
/// equivalents on current_thread (and async-channel on aio for the queue):
/// one thread each, as the toolbox is used inside one loop.
pub const TOOLBOX_WORKLOADS: &[&str] = &[
    "queue_ping_pong",
    "mutex_uncontended",
    "semaphore_uncontended",
    "semaphore_contended",
    "group_spawn_join",
];

/// The workloads of the HTTP clients (aio::http, reqwest), run in-process
/// against the server the driver names with `--url` (nginx, or
/// `serve_posts` without it). `http_json_gzip` is `http_json` against a URL
/// whose `/posts` comes gzip-compressed; `https_json_c64` decodes `/posts`
/// with 64 requests in flight over HTTP/1.1 and TLS. The `h2_` rows run
/// over HTTP/2 (nginx's HTTPS port that offers h2 by ALPN): 64 requests in
/// flight on one connection, of `/posts/1` and of `/posts` decoded.
/// `count_posts_e2e` and `build_weight` are run by the driver itself.
pub const HTTP_WORKLOADS: &[&str] = &[
    "http_seq",
    "http_c64",
    "https_seq",
    "https_c64",
    "http_json",
    "http_json_gzip",
    "https_json_c64",
    "h2_c64",
    "h2_json_c64",
];

/// The loops of aio (`Runner::loops`) and the workers of tokio's
/// multi_thread runtime in the `*_2loops` rows: the machine's two cores.
pub const LOOPS: usize = 2;

/// The rows that use every core: aio on [`LOOPS`] loops against tokio's
/// multi_thread runtime with [`LOOPS`] workers, each doing what its
/// one-loop row does ([`LOOPS`] times over for the HTTP row).
/// `tcp_echo_2loops` is `tcp_echo` with a SO_REUSEPORT listener per aio
/// loop and the clients spread over the loops (`aio::spawn_anywhere`);
/// tokio's peer is its `tcp_echo` on `tokio_mt`, where the scheduler
/// spreads the same tasks. `http_c64_2loops` is `http_c64` with 64
/// requests in flight per loop, on one client.
pub const LOOPS_WORKLOADS: &[&str] = &["tcp_echo_2loops", "http_c64_2loops"];

/// How big each workload is. `--quick` divides the counts by ten (the
/// parked-task count of `idle_memory` stays: it is cheap and smaller counts
/// only make the per-task figure noisier).
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub spawn_join_tasks: usize,
    pub ping_pong_round_trips: u64,
    pub yield_tasks: usize,
    pub yields_per_task: usize,
    pub timer_tasks: usize,
    pub timer_min_ms: u64,
    pub timer_max_ms: u64,
    pub echo_connections: usize,
    pub echo_round_trips: usize,
    pub idle_tasks: usize,
    pub http_requests: usize,
    pub http_concurrency: usize,
    pub json_requests: usize,
    /// Round trips through two bounded(1) queues (`queue_ping_pong`).
    pub queue_round_trips: u64,
    /// Lock/unlock or acquire/release pairs by one task (`*_uncontended`).
    pub uncontended_ops: u64,
    /// `semaphore_contended`: tasks sharing 10 permits, and acquisitions each.
    pub contended_tasks: usize,
    pub contended_rounds: usize,
}

impl Sizes {
    pub fn new(quick: bool) -> Sizes {
        let div = if quick { 10 } else { 1 };
        Sizes {
            spawn_join_tasks: 1_000_000 / div,
            ping_pong_round_trips: 1_000_000 / div as u64,
            yield_tasks: 1_000,
            yields_per_task: 1_000 / div,
            timer_tasks: 100_000 / div,
            timer_min_ms: 1,
            timer_max_ms: 50,
            echo_connections: 64,
            echo_round_trips: 20_000 / div,
            idle_tasks: 100_000,
            http_requests: 20_000 / div,
            http_concurrency: 64,
            json_requests: 2_000 / div,
            queue_round_trips: 500_000 / div as u64,
            uncontended_ops: 5_000_000 / div as u64,
            contended_tasks: 1_000,
            contended_rounds: 500 / div,
        }
    }
}

/// Bytes each `tcp_echo` round trip sends (and gets back).
pub const ECHO_MESSAGE: usize = 64;

/// A candidate's command line.
#[derive(Debug, Clone)]
pub struct Args {
    pub workload: String,
    pub quick: bool,
    pub url: Option<String>,
    pub ca_file: Option<String>,
}

impl Args {
    /// Parses `<workload> [--quick] [--url URL] [--ca-file PATH]`; prints the
    /// usage and exits 2 on anything else.
    pub fn parse(candidate: &str, workloads: &[&str]) -> Args {
        let usage = || -> ! {
            eprintln!(
                "usage: {candidate} <workload> [--quick] [--url URL] [--ca-file PATH]\n\
                 workloads: {}",
                workloads.join(", ")
            );
            std::process::exit(2)
        };
        let mut workload = None;
        let mut quick = false;
        let mut url = None;
        let mut ca_file = None;
        let mut argv = std::env::args().skip(1);
        while let Some(arg) = argv.next() {
            match arg.as_str() {
                "--quick" => quick = true,
                "--url" => url = Some(argv.next().unwrap_or_else(|| usage())),
                "--ca-file" => ca_file = Some(argv.next().unwrap_or_else(|| usage())),
                "-h" | "--help" => usage(),
                w if workload.is_none() && workloads.contains(&w) => workload = Some(w.to_owned()),
                _ => usage(),
            }
        }
        Args {
            workload: workload.unwrap_or_else(|| usage()),
            quick,
            url,
            ca_file,
        }
    }

    pub fn sizes(&self) -> Sizes {
        Sizes::new(self.quick)
    }

    /// The server URL of an HTTP workload (the driver always passes one).
    pub fn url(&self) -> &str {
        self.url.as_deref().unwrap_or_else(|| {
            eprintln!("{}: --url is required", self.workload);
            std::process::exit(2)
        })
    }

    /// The PEM text of the CA to trust, if `--ca-file` was given.
    pub fn ca_pem(&self) -> Option<Vec<u8>> {
        self.ca_file.as_ref().map(|path| {
            std::fs::read(path).unwrap_or_else(|e| {
                eprintln!("cannot read --ca-file {path}: {e}");
                std::process::exit(2)
            })
        })
    }
}

/// What one run measured; printed as one JSON line.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Operations done in the timed section (tasks, round trips, requests...).
    pub ops: u64,
    pub elapsed: Duration,
    /// Further figures: `p50_us`, `p99_us`, `cpu_s_per_1000`, `bytes_per_task`...
    pub extra: BTreeMap<&'static str, f64>,
}

impl Report {
    pub fn new(ops: u64, elapsed: Duration) -> Report {
        Report {
            ops,
            elapsed,
            extra: BTreeMap::new(),
        }
    }

    pub fn with(mut self, key: &'static str, value: f64) -> Report {
        self.extra.insert(key, value);
        self
    }

    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.elapsed.as_secs_f64()
    }

    /// Prints the JSON line the driver reads.
    pub fn print(&self) {
        let mut map = serde_json::Map::new();
        map.insert("ops".into(), self.ops.into());
        map.insert("elapsed_s".into(), self.elapsed.as_secs_f64().into());
        map.insert("ops_per_sec".into(), self.ops_per_sec().into());
        for (key, value) in &self.extra {
            map.insert((*key).into(), (*value).into());
        }
        println!("{}", serde_json::Value::Object(map));
    }
}

/// User plus system CPU time of this process so far (all threads), from
/// `getrusage(RUSAGE_SELF)`.
pub fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct we hand it.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            panic!("getrusage: {}", std::io::Error::last_os_error());
        }
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Resident set size of this process now, in bytes (`/proc/self/statm`).
pub fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .expect("statm has a resident field");
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page as u64
}

/// Times a section of an HTTP workload and reports requests/s and client CPU
/// seconds per 1,000 requests.
pub struct CpuClock {
    wall: Instant,
    cpu: Duration,
}

impl CpuClock {
    pub fn start() -> CpuClock {
        CpuClock {
            cpu: cpu_time(),
            wall: Instant::now(),
        }
    }

    pub fn report(self, requests: u64) -> Report {
        let elapsed = self.wall.elapsed();
        let cpu = cpu_time() - self.cpu;
        Report::new(requests, elapsed).with(
            "cpu_s_per_1000",
            cpu.as_secs_f64() * 1000.0 / requests as f64,
        )
    }
}

/// The value at quantile `q` (0..=1) of `values`, by nearest rank; sorts them.
pub fn percentile(values: &mut [f64], q: f64) -> f64 {
    assert!(!values.is_empty(), "percentile of nothing");
    values.sort_by(f64::total_cmp);
    let rank = (q * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

/// The `timers` report: `n` timers over `elapsed`, with percentiles of the
/// lateness (wake time minus deadline, in µs) and the wall time in ms.
pub fn timers_report(mut lateness_us: Vec<f64>, elapsed: Duration) -> Report {
    let n = lateness_us.len() as u64;
    let mut report = Report::new(n, elapsed).with("wall_ms", elapsed.as_secs_f64() * 1e3);
    for (key, q) in [
        ("p1_us", 0.01),
        ("p10_us", 0.10),
        ("p50_us", 0.50),
        ("p90_us", 0.90),
        ("p99_us", 0.99),
        ("max_us", 1.0),
    ] {
        report = report.with(key, percentile(&mut lateness_us, q));
    }
    report
}

/// Microseconds from `deadline` to now (0 if now is somehow earlier).
pub fn lateness_us(deadline: Instant) -> f64 {
    Instant::now()
        .saturating_duration_since(deadline)
        .as_secs_f64()
        * 1e6
}

/// The sleep durations of the `timers` workload: the same pseudo-random
/// sequence (splitmix64, fixed seed) for every candidate, uniform in
/// `min_ms..=max_ms` milliseconds.
pub fn timer_durations(sizes: &Sizes) -> Vec<Duration> {
    let mut state: u64 = 0x5EED_0F71_4E25;
    let span = sizes.timer_max_ms - sizes.timer_min_ms + 1;
    (0..sizes.timer_tasks)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            Duration::from_millis(sizes.timer_min_ms + z % span)
        })
        .collect()
}

/// The `idle_memory` report: RSS growth per parked task.
pub fn idle_report(tasks: usize, rss_before: u64, rss_after: u64, elapsed: Duration) -> Report {
    let growth = rss_after.saturating_sub(rss_before);
    Report::new(tasks as u64, elapsed)
        .with("bytes_per_task", growth as f64 / tasks as f64)
        .with("rss_before_mb", rss_before as f64 / (1 << 20) as f64)
        .with("rss_after_mb", rss_after as f64 / (1 << 20) as f64)
}

/// Two tasks handing a turn back and forth through std `Waker`s: the same
/// code on every executor, so `ping_pong` compares the executors' wake and
/// poll paths rather than their channel types.
///
/// Player 0 holds the turn first. A player waits for its turn, then gives it
/// to the other and wakes it; one round trip is a turn each way.
#[derive(Debug, Default)]
pub struct Baton {
    state: Mutex<BatonState>,
}

#[derive(Debug, Default)]
struct BatonState {
    turn: usize,
    wakers: [Option<Waker>; 2],
}

impl Baton {
    pub fn new() -> Arc<Baton> {
        Arc::new(Baton::default())
    }

    /// Completes once it is `me`'s turn.
    pub fn wait(&self, me: usize) -> impl Future<Output = ()> + '_ {
        poll_fn(move |cx| {
            let mut state = self.state.lock().unwrap();
            if state.turn == me {
                return Poll::Ready(());
            }
            match &mut state.wakers[me] {
                Some(w) if w.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
    }

    /// Gives the turn to the other player and wakes it if it waits.
    pub fn pass(&self, me: usize) {
        let other = 1 - me;
        let waker = {
            let mut state = self.state.lock().unwrap();
            state.turn = other;
            state.wakers[other].take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// One player of `ping_pong`: `round_trips` turns.
pub async fn baton_player(baton: Arc<Baton>, me: usize, round_trips: u64) {
    for _ in 0..round_trips {
        baton.wait(me).await;
        baton.pass(me);
    }
}

/// The fields of one post of `serve_posts` (`http_json` and `http_json_gzip`
/// decode all of them).
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Post {
    pub user_id: u64,
    pub id: u64,
    pub title: String,
    pub body: String,
}

/// Checks a decoded `/posts` array, so no candidate can skip the decoding.
pub fn check_posts(posts: &[Post]) {
    assert_eq!(
        posts.len(),
        100,
        "GET /posts returned {} posts",
        posts.len()
    );
    assert!(posts
        .iter()
        .all(|p| p.user_id >= 1 && !p.title.is_empty() && !p.body.is_empty()));
}

/// How many requests worker `i` of `workers` makes so that they add up to `total`.
pub fn share(total: usize, workers: usize, i: usize) -> usize {
    total / workers + usize::from(i < total % workers)
}

/// How many permits `semaphore_contended` shares among its tasks.
pub const CONTENDED_PERMITS: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 0.5), 50.0);
        assert_eq!(percentile(&mut v, 0.99), 99.0);
        assert_eq!(percentile(&mut v, 1.0), 100.0);
        assert_eq!(percentile(&mut [7.0], 0.5), 7.0);
    }

    #[test]
    fn timer_durations_are_fixed_and_in_range() {
        let sizes = Sizes::new(true);
        let a = timer_durations(&sizes);
        assert_eq!(a, timer_durations(&sizes));
        assert!(a.iter().all(|d| (1..=50).contains(&d.as_millis())));
        assert!(a.iter().any(|d| d.as_millis() == 1) && a.iter().any(|d| d.as_millis() == 50));
    }

    #[test]
    fn shares_add_up() {
        assert_eq!((0..64).map(|i| share(20_000, 64, i)).sum::<usize>(), 20_000);
    }
}
