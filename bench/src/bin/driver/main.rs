//! The benchmark driver behind `make bench` / `make bench-quick`.
//!
//! ```text
//! driver --root DIR [--examples DIR] [--quick] [--rounds N] [--only w1,w2] [--out DIR]
//! ```
//!
//! It starts `serve_posts --plain` and nginx (see `nginx.rs`: one worker,
//! plain HTTP and HTTPS, the bodies it takes from `serve_posts`), both pinned
//! to core 1; without nginx the HTTP rows run against `serve_posts` (plain and
//! TLS) as they used to. Then for each round, for each workload, it runs every
//! candidate once, in a fresh process (A B C A B C ...): the bench binaries
//! next to this one, `wrk` when installed (HTTP only, as the limit a client
//! can reach) and, for `count_posts_e2e` (and `count_posts_e2e_system`, with
//! the system's roots), aio's `count_posts` example against
//! `reqwest_count_posts`. HTTP clients are pinned to core 0, but for
//! `http_c64_2loops`, which runs on both cores. After the rounds,
//! `build_weight` builds the two `count_posts` programs once each (see
//! `build_weight.rs`; left out of `--quick` unless `--only` names it). It
//! prints a markdown table (median and min-max over the rounds, and each
//! peer as a ratio of aio) and writes
//! `results.json` (`{"workload": {"candidate": median_ops_per_sec}}`),
//! `results-detail.json` (every metric and sample) and `results.md` to the
//! output directory (default `<root>/target/bench`). `--examples` is where
//! the root workspace's release examples are (default
//! `<root>/target/release/examples`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aio_bench::{HTTP_WORKLOADS, LOOPS_WORKLOADS, RUNTIME_WORKLOADS, TOOLBOX_WORKLOADS};

use child::{command_output, command_works, pinned, run_child};
use nginx::Nginx;

mod build_weight;
mod child;
mod fetch;
mod nginx;

const RUNTIME_CANDIDATES: &[&str] = &["aio", "tokio_ct", "tokio_mt", "smol"];
const HTTP_CANDIDATES: &[&str] = &["aio", "reqwest"];
const TOOLBOX_CANDIDATES: &[&str] = &["aio", "tokio_ct"];
const E2E: &str = "count_posts_e2e";
/// `count_posts_e2e` with the roots a system names: `SSL_CERT_FILE` is the
/// system's bundle with the bench CA appended, `SSL_CERT_DIR` the system's
/// directory, as machines that set both (this one does) run the programs.
const E2E_SYSTEM: &str = "count_posts_e2e_system";
/// Where a Debian-like system keeps its bundle and its directory of roots,
/// when the driver's own environment names none.
const SYSTEM_CERT_FILE: &str = "/etc/ssl/certs/ca-certificates.crt";
const SYSTEM_CERT_DIR: &str = "/etc/ssl/certs";
/// `http_c64` against `serve_posts` (aio's own server) instead of nginx: with
/// wrk, how the stand-in serves next to nginx.
const SERVE_POSTS_ROW: &str = "http_c64_serve_posts";
const GZIP_ROW: &str = "http_json_gzip";
/// The HTTP/2 rows, against nginx's h2 port; h2load is their limit.
const H2_ROWS: &[&str] = &["h2_c64", "h2_json_c64"];
/// `tcp_echo` and `http_c64` on every core: aio on 2 loops, tokio's
/// multi_thread runtime with 2 workers (see `aio_bench::LOOPS_WORKLOADS`).
const ECHO_LOOPS_ROW: &str = "tcp_echo_2loops";
const HTTP_LOOPS_ROW: &str = "http_c64_2loops";
const BUILD_WEIGHT: &str = "build_weight";
/// No single run may take longer than this; a hung one is killed and counted as failed.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);
/// The core the HTTP server runs on, and the one HTTP clients run on.
const SERVER_CORE: &str = "1";
const CLIENT_CORE: &str = "0";

struct Opts {
    root: PathBuf,
    examples: Option<PathBuf>,
    out: PathBuf,
    quick: bool,
    rounds: usize,
    only: Option<Vec<String>>,
}

fn usage() -> ! {
    eprintln!(
        "usage: driver --root DIR [--examples DIR] [--quick] [--rounds N] [--only w1,w2] [--out DIR]\n\
         workloads: {}, {}, {}, {}, {SERVE_POSTS_ROW}, {E2E}, {E2E_SYSTEM}, {BUILD_WEIGHT}",
        RUNTIME_WORKLOADS.join(", "),
        TOOLBOX_WORKLOADS.join(", "),
        HTTP_WORKLOADS.join(", "),
        LOOPS_WORKLOADS.join(", ")
    );
    std::process::exit(2)
}

fn parse_opts() -> Opts {
    let mut root = None;
    let mut out = None;
    let mut examples = None;
    let mut quick = false;
    let mut rounds = None;
    let mut only = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--root" => root = Some(PathBuf::from(value())),
            "--out" => out = Some(PathBuf::from(value())),
            "--examples" => examples = Some(PathBuf::from(value())),
            "--quick" => quick = true,
            "--rounds" => rounds = Some(value().parse().unwrap_or_else(|_| usage())),
            "--only" => only = Some(value().split(',').map(str::to_owned).collect()),
            _ => usage(),
        }
    }
    let root = root.unwrap_or_else(|| usage());
    Opts {
        out: out.unwrap_or_else(|| root.join("target/bench")),
        root,
        examples,
        rounds: rounds.unwrap_or(if quick { 1 } else { 5 }),
        quick,
        only,
    }
}

/// One figure a workload reports, and how to read it.
struct Metric {
    key: &'static str,
    label: &'static str,
    higher_is_better: bool,
}

const fn m(key: &'static str, label: &'static str, higher_is_better: bool) -> Metric {
    Metric {
        key,
        label,
        higher_is_better,
    }
}

/// The figures shown for a workload; the first is its headline.
fn metrics(workload: &str) -> Vec<Metric> {
    match workload {
        "spawn_join" => vec![m("ops_per_sec", "tasks/s", true)],
        "ping_pong" => vec![m("ops_per_sec", "round trips/s", true)],
        "yield_many" => vec![m("ops_per_sec", "yields/s", true)],
        "timers" => vec![
            m("wall_ms", "wall ms", false),
            m("p50_us", "p50 lateness µs", false),
            m("p99_us", "p99 lateness µs", false),
        ],
        "tcp_echo" | ECHO_LOOPS_ROW => vec![m("ops_per_sec", "round trips/s", true)],
        "idle_memory" => vec![m("bytes_per_task", "RSS bytes/task", false)],
        "queue_ping_pong" => vec![m("ops_per_sec", "round trips/s", true)],
        "mutex_uncontended" => vec![m("ops_per_sec", "lock+unlock/s", true)],
        "semaphore_uncontended" | "semaphore_contended" => {
            vec![m("ops_per_sec", "acquire+release/s", true)]
        }
        "group_spawn_join" => vec![m("ops_per_sec", "tasks/s", true)],
        E2E | E2E_SYSTEM => vec![
            m("wall_ms", "wall ms", false),
            m("cpu_ms", "CPU ms", false),
            m("peak_rss_mb", "peak RSS MiB", false),
        ],
        GZIP_ROW => vec![
            m("ops_per_sec", "requests/s", true),
            m("cpu_s_per_1000", "client CPU s/1k req", false),
            m("wire_bytes", "gzip body bytes/response", false),
        ],
        BUILD_WEIGHT => vec![
            m("wall_s", "build wall s", false),
            m("cpu_s", "build CPU s", false),
            m("packages", "packages in Cargo.lock", false),
            m("packages_built", "packages built", false),
            m("binary_mib", "binary MiB", false),
        ],
        _ => vec![
            m("ops_per_sec", "requests/s", true),
            m("cpu_s_per_1000", "client CPU s/1k req", false),
        ],
    }
}

fn candidates(workload: &str, wrk: bool) -> Vec<&'static str> {
    if RUNTIME_WORKLOADS.contains(&workload) {
        RUNTIME_CANDIDATES.to_vec()
    } else if workload == ECHO_LOOPS_ROW {
        vec!["aio", "tokio_mt"]
    } else if workload == "queue_ping_pong" {
        vec!["aio", "async_channel", "tokio_ct"]
    } else if TOOLBOX_WORKLOADS.contains(&workload) {
        TOOLBOX_CANDIDATES.to_vec()
    } else if wrk && ["http_seq", "http_c64", SERVE_POSTS_ROW, HTTP_LOOPS_ROW].contains(&workload) {
        vec!["aio", "reqwest", "wrk"]
    } else if H2_ROWS.contains(&workload) && command_works(Command::new("h2load").arg("--version"))
    {
        vec!["aio", "reqwest", "h2load"]
    } else {
        HTTP_CANDIDATES.to_vec()
    }
}

type Figures = BTreeMap<String, f64>;

/// The servers and tools every round uses.
struct Setup {
    bench_bin: PathBuf,
    examples: PathBuf,
    /// The server of the HTTP rows (nginx, else `serve_posts`).
    http_url: String,
    https_url: String,
    ca_file: PathBuf,
    /// For [`E2E_SYSTEM`]: the system's bundle with `ca_file` appended, and
    /// the system's certificate directory; `None` without a system bundle.
    system_roots: Option<(PathBuf, Option<std::ffi::OsString>)>,
    /// `serve_posts --plain`, for [`SERVE_POSTS_ROW`].
    serve_posts_url: String,
    nginx: Option<Nginx>,
    pin: bool,
    wrk: bool,
    quick: bool,
}

/// Kills the servers when the driver ends, however it ends.
struct Servers(Vec<Child>);

impl Drop for Servers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn main() {
    let opts = parse_opts();
    let started = Instant::now();
    let load_before = loadavg();
    std::fs::create_dir_all(&opts.out).expect("create the output directory");
    let bench_bin = std::env::current_exe()
        .expect("current_exe")
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let examples = opts
        .examples
        .clone()
        .unwrap_or_else(|| opts.root.join("target/release/examples"));
    for path in [
        examples.join("serve_posts"),
        examples.join("count_posts"),
        bench_bin.join("reqwest_count_posts"),
        bench_bin.join("peak_rss"),
    ] {
        if !path.exists() {
            eprintln!(
                "driver: {} is missing (scripts/bench.sh builds it)",
                path.display()
            );
            std::process::exit(1);
        }
    }

    let pin = command_works(Command::new("taskset").args(["-c", "0", "true"]));
    let wrk = command_works(Command::new("wrk").arg("--version"));
    let mut notes = Vec::new();
    if pin {
        notes.push(format!(
            "HTTP server pinned to core {SERVER_CORE}, HTTP clients (and wrk) to core {CLIENT_CORE} with taskset; \
             runtime workloads unpinned (tokio_mt uses both cores); the {HTTP_LOOPS_ROW} clients (and its \
             wrk -t2) unpinned, sharing core {SERVER_CORE} with the server."
        ));
    } else {
        notes.push("taskset is missing: everything ran unpinned.".to_owned());
        eprintln!("driver: taskset is missing; running unpinned");
    }
    if !wrk {
        notes.push("wrk is missing: no client limit figure.".to_owned());
        eprintln!("driver: wrk is missing; skipping the wrk limit");
    }

    let mut servers = Servers(Vec::new());
    let (plain, serve_posts_url) = start_server(&examples, pin, &["--plain"]);
    servers.0.push(plain);
    let nginx = match nginx::find() {
        Some(program) => match start_nginx(&program, &opts.out, &serve_posts_url, pin) {
            Ok(nginx) => {
                notes.push(format!(
                    "HTTP server: {} (one worker, keep-alive without limits, no access log but /gzip/posts's; \
                     HTTPS with TLS 1.3), serving serve_posts' bodies; {SERVE_POSTS_ROW} runs \
                     against serve_posts --plain.",
                    nginx::version(&program)
                ));
                Some(nginx)
            }
            Err(e) => {
                eprintln!("driver: nginx did not start: {e}\ndriver: the HTTP rows run against serve_posts");
                notes.push(format!(
                    "nginx did not start ({e}): the HTTP rows ran against serve_posts; no {GZIP_ROW} or {SERVE_POSTS_ROW}."
                ));
                None
            }
        },
        None => {
            eprintln!(
                "driver: nginx is missing (scripts/bench.sh installs it with apt-get as root); \
                 the HTTP rows run against serve_posts, without {GZIP_ROW} and {SERVE_POSTS_ROW}"
            );
            notes.push(format!(
                "nginx is missing: the HTTP rows ran against serve_posts; no {GZIP_ROW} or {SERVE_POSTS_ROW}."
            ));
            None
        }
    };
    let (http_url, https_url, ca_file) = match &nginx {
        Some(nginx) => (
            nginx.http_url.clone(),
            nginx.https_url.clone(),
            nginx.ca_file.clone(),
        ),
        None => {
            let ca_file = opts.out.join("serve_posts-ca.pem");
            let ca_arg = ca_file.to_string_lossy().into_owned();
            let (tls, https_url) = start_server(&examples, pin, &["--ca-file", &ca_arg]);
            servers.0.push(tls);
            (serve_posts_url.clone(), https_url, ca_file)
        }
    };
    eprintln!("driver: HTTP rows against {http_url} and {https_url}");

    let system_roots = system_roots(&opts.out, &ca_file);
    if system_roots.is_none() {
        notes.push(format!(
            "no system root bundle ({SYSTEM_CERT_FILE}, or SSL_CERT_FILE): no {E2E_SYSTEM}."
        ));
    }
    let setup = Setup {
        bench_bin,
        examples,
        http_url,
        https_url,
        ca_file,
        system_roots,
        serve_posts_url,
        nginx,
        pin,
        wrk,
        quick: opts.quick,
    };

    let known: Vec<&'static str> = RUNTIME_WORKLOADS
        .iter()
        .chain(TOOLBOX_WORKLOADS)
        .chain(HTTP_WORKLOADS)
        .chain(LOOPS_WORKLOADS)
        .chain(&[SERVE_POSTS_ROW, E2E, E2E_SYSTEM, BUILD_WEIGHT])
        .copied()
        .collect();
    if let Some(unknown) = opts
        .only
        .iter()
        .flatten()
        .find(|o| !known.contains(&o.as_str()))
    {
        eprintln!("driver: no workload is called {unknown:?}");
        usage();
    }
    let workloads: Vec<&'static str> = known
        .into_iter()
        .filter(|w| match &opts.only {
            Some(only) => only.iter().any(|o| o == w),
            // Minutes of building: a quick run checks the rest.
            None => !(opts.quick && *w == BUILD_WEIGHT),
        })
        .filter(|w| {
            setup.nginx.is_some()
                || !([GZIP_ROW, SERVE_POSTS_ROW].contains(w) || H2_ROWS.contains(w))
        })
        .filter(|w| setup.system_roots.is_some() || *w != E2E_SYSTEM)
        .collect();
    if workloads.is_empty() {
        usage();
    }
    if workloads.contains(&BUILD_WEIGHT) {
        notes.push(format!(
            "{BUILD_WEIGHT}: one build of each program after the rounds (not repeated), \
             in a fresh target directory; CPU is cargo's and its children's (user + system)."
        ));
    }

    // samples[workload][candidate] = one Figures per round that succeeded.
    let mut samples: BTreeMap<&str, BTreeMap<&str, Vec<Figures>>> = BTreeMap::new();
    let mut failures = Vec::new();
    for round in 1..=opts.rounds {
        for &workload in workloads.iter().filter(|&&w| w != BUILD_WEIGHT) {
            for candidate in candidates(workload, setup.wrk) {
                let t = Instant::now();
                match run_one(&setup, workload, candidate) {
                    Ok(figures) => {
                        let headline = &metrics(workload)[0];
                        let value = figures.get(headline.key).copied().unwrap_or(f64::NAN);
                        eprintln!(
                            "[round {round}/{}] {workload:<16} {candidate:<9} {:>10} {} ({:.1} s)",
                            opts.rounds,
                            fmt_num(value),
                            headline.label,
                            t.elapsed().as_secs_f64()
                        );
                        samples
                            .entry(workload)
                            .or_default()
                            .entry(candidate)
                            .or_default()
                            .push(figures);
                    }
                    Err(e) => {
                        eprintln!(
                            "[round {round}/{}] {workload} {candidate} FAILED: {e}",
                            opts.rounds
                        );
                        failures.push(format!("round {round}: {workload} {candidate}: {e}"));
                    }
                }
            }
        }
    }
    if workloads.contains(&BUILD_WEIGHT) {
        for candidate in HTTP_CANDIDATES {
            let t = Instant::now();
            eprintln!("[{BUILD_WEIGHT}] {candidate}: building in a fresh target directory");
            let server = (setup.https_url.as_str(), setup.ca_file.as_path());
            match build_weight::measure(&opts.root, &opts.out, candidate, server) {
                Ok(figures) => {
                    eprintln!(
                        "[{BUILD_WEIGHT}] {candidate}: {:.0} s wall, {:.0} s CPU, {} packages ({} built), {:.1} MiB ({:.0} s)",
                        figures["wall_s"],
                        figures["cpu_s"],
                        figures["packages"],
                        figures["packages_built"],
                        figures["binary_mib"],
                        t.elapsed().as_secs_f64()
                    );
                    samples
                        .entry(BUILD_WEIGHT)
                        .or_default()
                        .entry(candidate)
                        .or_default()
                        .push(figures);
                }
                Err(e) => {
                    eprintln!("[{BUILD_WEIGHT}] {candidate} FAILED: {e}");
                    failures.push(format!("{BUILD_WEIGHT} {candidate}: {e}"));
                }
            }
        }
    }
    drop(setup);
    drop(servers);

    let elapsed = started.elapsed();
    let meta = Meta {
        commit: git_commit(&opts.root),
        rustc: command_output(Command::new("rustc").arg("--version")),
        rounds: opts.rounds,
        quick: opts.quick,
        elapsed,
        load_before,
        load_after: loadavg(),
        notes,
        failures: failures.clone(),
    };
    let markdown = render_markdown(&workloads, &samples, &meta, wrk);
    println!("{markdown}");
    write(&opts.out.join("results.md"), &markdown);
    write(
        &opts.out.join("results.json"),
        &serde_json::to_string_pretty(&summary_json(&workloads, &samples)).unwrap(),
    );
    write(
        &opts.out.join("results-detail.json"),
        &serde_json::to_string_pretty(&detail_json(&workloads, &samples, &meta)).unwrap(),
    );
    eprintln!(
        "driver: wrote {}/results.{{md,json}} and results-detail.json in {:.0} s",
        opts.out.display(),
        elapsed.as_secs_f64()
    );
    if !failures.is_empty() {
        eprintln!("driver: {} run(s) failed", failures.len());
        std::process::exit(1);
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Starts nginx in `<out>/nginx` with the bodies `serve_posts` sends, and
/// checks that it serves them.
fn start_nginx(
    program: &Path,
    out: &Path,
    serve_posts_url: &str,
    pin: bool,
) -> Result<Nginx, String> {
    let body = |path: &str| {
        let url = format!("{serve_posts_url}{path}");
        match fetch::get(&url, None) {
            Ok(got) if got.status == 200 => Ok(got.body),
            Ok(got) => Err(format!("GET {url}: status {}", got.status)),
            Err(e) => Err(format!("GET {url}: {e}")),
        }
    };
    let bodies = nginx::Bodies {
        post: body("/posts/1")?,
        posts: body("/posts")?,
    };
    eprintln!(
        "driver: serving serve_posts' bodies with nginx: /posts/1 {} bytes, /posts {} bytes",
        bodies.post.len(),
        bodies.posts.len()
    );
    let core = pin.then_some(SERVER_CORE);
    let nginx = Nginx::start(program, &out.join("nginx"), &bodies, core)?;
    nginx.check(&bodies)?;
    Ok(nginx)
}

/// Starts `serve_posts` and returns it with its URL once it listens.
fn start_server(examples: &Path, pin: bool, extra: &[&str]) -> (Child, String) {
    let mut cmd = pinned(pin, SERVER_CORE, &examples.join("serve_posts"));
    // A backstop: should the driver die without killing it, it exits anyway.
    cmd.args(extra)
        .args(["--max-seconds", "7200"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().expect("start serve_posts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("listening on ") {
                    break url.trim().to_owned();
                }
            }
            _ => {
                let _ = child.kill();
                panic!("serve_posts exited before it listened");
            }
        }
    };
    // Keep reading (and discarding) its stdout so it can never block on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

fn run_one(setup: &Setup, workload: &str, candidate: &str) -> Result<Figures, String> {
    if workload == E2E || workload == E2E_SYSTEM {
        return run_e2e(setup, candidate, workload == E2E_SYSTEM);
    }
    if candidate == "wrk" {
        return run_wrk(setup, workload);
    }
    if candidate == "h2load" {
        return run_h2load(setup, workload);
    }
    let http = HTTP_WORKLOADS.contains(&workload)
        || workload == SERVE_POSTS_ROW
        || workload == HTTP_LOOPS_ROW;
    // A client on 2 loops (or 2 workers) pinned to one core would be one
    // core's client with extra hand-offs. Unpinned, one of its threads
    // shares core 1 with nginx's worker: on 2 cores, the row measures
    // throughput while client and server contend for the cores.
    let mut cmd = pinned(
        setup.pin && http && workload != HTTP_LOOPS_ROW,
        CLIENT_CORE,
        &setup.bench_bin.join(candidate),
    );
    // The candidates know the served rows by the workload they run.
    cmd.arg(if workload == SERVE_POSTS_ROW {
        "http_c64"
    } else {
        workload
    });
    if setup.quick {
        cmd.arg("--quick");
    }
    let https = |cmd: &mut Command, url: &str| {
        cmd.args(["--url", url])
            .arg("--ca-file")
            .arg(&setup.ca_file);
    };
    let mut gzip_log = None;
    match (workload, &setup.nginx) {
        (SERVE_POSTS_ROW, _) => {
            cmd.args(["--url", &setup.serve_posts_url]);
        }
        (w, Some(nginx)) if H2_ROWS.contains(&w) => https(&mut cmd, &nginx.h2_url),
        (GZIP_ROW, Some(nginx)) => {
            https(&mut cmd, &nginx.gzip_url);
            gzip_log = Some((nginx, nginx.gzip_log_len()));
        }
        (w, _) if w.starts_with("https") || w == "http_json" => https(&mut cmd, &setup.https_url),
        (_, _) if http => {
            cmd.args(["--url", &setup.http_url]);
        }
        _ => {}
    }
    let finished = run_child(&mut cmd, RUN_TIMEOUT)?;
    let line = finished
        .stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| format!("no JSON line in its output: {:?}", finished.stdout))?;
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("bad JSON line {line:?}: {e}"))?;
    let object = value.as_object().ok_or("the JSON line is no object")?;
    let mut figures: Figures = object
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
        .collect();
    if let Some((nginx, offset)) = gzip_log {
        let wire = gzip_wire_bytes(nginx, offset, figures.get("ops").copied().unwrap_or(0.0))?;
        figures.insert("wire_bytes".into(), wire);
    }
    Ok(figures)
}

/// Checks in nginx's log that every response of a `http_json_gzip` run came
/// gzip-compressed (so the client asked for it) over TLS 1.3, and returns
/// their mean body size on the wire. `ops` is how many requests the run timed; its warm-up
/// requests are logged too.
fn gzip_wire_bytes(nginx: &Nginx, offset: u64, ops: f64) -> Result<f64, String> {
    let logged = nginx.gzip_log_since(offset, ops as usize)?;
    if (logged.len() as f64) < ops {
        return Err(format!(
            "nginx logged {} responses of /gzip/posts for {ops} requests",
            logged.len()
        ));
    }
    if let Some(odd) = logged.iter().find(|l| !l.is_gzip_over_tls13()) {
        return Err(format!(
            "nginx logged {odd:?}, not a gzip response over TLS 1.3: \
             the client did not accept gzip, or fell back to TLS 1.2"
        ));
    }
    Ok(logged.iter().map(|l| l.body_bytes as f64).sum::<f64>() / logged.len() as f64)
}

/// The request-rate limit of one client core (two unpinned threads for
/// [`HTTP_LOOPS_ROW`]): wrk against the plain server.
fn run_wrk(setup: &Setup, workload: &str) -> Result<Figures, String> {
    let (threads, connections, url) = match workload {
        "http_c64" => ("1", "64", &setup.http_url),
        SERVE_POSTS_ROW => ("1", "64", &setup.serve_posts_url),
        HTTP_LOOPS_ROW => ("2", "128", &setup.http_url),
        _ => ("1", "1", &setup.http_url),
    };
    let seconds = if setup.quick { "2s" } else { "5s" };
    let pin = setup.pin && workload != HTTP_LOOPS_ROW;
    let mut cmd = pinned(pin, CLIENT_CORE, Path::new("wrk"));
    cmd.args(["-t", threads, "-c", connections, "-d", seconds])
        .arg(format!("{url}/posts/1"));
    let finished = run_child(&mut cmd, RUN_TIMEOUT)?;
    let requests: f64 = finished
        .stdout
        .lines()
        .find_map(|l| {
            let l = l.trim();
            l.contains(" requests in ")
                .then(|| l.split_whitespace().next()?.parse().ok())?
        })
        .ok_or_else(|| format!("no request count in wrk's output: {}", finished.stdout))?;
    let rate: f64 = finished
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:")?.trim().parse().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk's output: {}", finished.stdout))?;
    if finished.stdout.contains("Non-2xx") || finished.stdout.contains("Socket errors") {
        return Err(format!("wrk saw errors: {}", finished.stdout));
    }
    let mut figures = Figures::new();
    figures.insert("ops_per_sec".into(), rate);
    figures.insert("ops".into(), requests);
    figures.insert(
        "cpu_s_per_1000".into(),
        finished.cpu.as_secs_f64() * 1000.0 / requests,
    );
    Ok(figures)
}

/// The request-rate limit of one client core over HTTP/2: h2load with one
/// connection and 64 streams in flight (it reads bodies but decodes none).
fn run_h2load(setup: &Setup, workload: &str) -> Result<Figures, String> {
    let nginx = setup.nginx.as_ref().ok_or("the h2 rows need nginx")?;
    let path = if workload == "h2_json_c64" {
        "/posts"
    } else {
        "/posts/1"
    };
    let requests = if setup.quick { "20000" } else { "200000" };
    let mut cmd = pinned(setup.pin, CLIENT_CORE, Path::new("h2load"));
    cmd.args(["-c1", "-m64", "-t1", "-n", requests])
        .arg(format!("{}{path}", nginx.h2_url));
    let finished = run_child(&mut cmd, RUN_TIMEOUT)?;
    // "finished in 1.23s, 16260.16 req/s, 5.43MB/s"
    let rate: f64 = finished
        .stdout
        .lines()
        .find_map(|l| {
            let rest = l.trim().strip_prefix("finished in ")?;
            rest.split(", ")
                .nth(1)?
                .strip_suffix(" req/s")?
                .parse()
                .ok()
        })
        .ok_or_else(|| format!("no req/s in h2load's output: {}", finished.stdout))?;
    // "requests: 20000 total, 20000 started, 20000 done, 20000 succeeded, 0 failed, ..."
    let succeeded: f64 = finished
        .stdout
        .lines()
        .find_map(|l| {
            let rest = l.trim().strip_prefix("requests: ")?;
            let field = rest.split(", ").find(|f| f.ends_with(" succeeded"))?;
            field.split(' ').next()?.parse().ok()
        })
        .ok_or_else(|| format!("no request count in h2load's output: {}", finished.stdout))?;
    if succeeded.to_string() != requests || !finished.stdout.contains("2xx") {
        return Err(format!("h2load saw failures: {}", finished.stdout));
    }
    if !finished.stdout.contains("Application protocol: h2") {
        return Err(format!("h2load did not speak h2: {}", finished.stdout));
    }
    let mut figures = Figures::new();
    figures.insert("ops_per_sec".into(), rate);
    figures.insert("ops".into(), succeeded);
    figures.insert(
        "cpu_s_per_1000".into(),
        finished.cpu.as_secs_f64() * 1000.0 / succeeded,
    );
    Ok(figures)
}

/// The system's root bundle (`SSL_CERT_FILE` as the driver was started, else
/// [`SYSTEM_CERT_FILE`]) with `ca_file` appended, written to `out`, and the
/// system's directory (`SSL_CERT_DIR`, else [`SYSTEM_CERT_DIR`] if it
/// exists); `None` without a readable bundle.
fn system_roots(out: &Path, ca_file: &Path) -> Option<(PathBuf, Option<std::ffi::OsString>)> {
    let file = std::env::var_os("SSL_CERT_FILE").unwrap_or_else(|| SYSTEM_CERT_FILE.into());
    let mut bundle = std::fs::read(&file).ok()?;
    bundle.push(b'\n');
    bundle.extend(std::fs::read(ca_file).ok()?);
    let path = out.join("system-roots-and-ca.pem");
    std::fs::write(&path, bundle).ok()?;
    let dir = std::env::var_os("SSL_CERT_DIR").or_else(|| {
        Path::new(SYSTEM_CERT_DIR)
            .is_dir()
            .then(|| SYSTEM_CERT_DIR.into())
    });
    Some((path, dir))
}

/// The whole `count_posts` process, several times: median wall time, CPU
/// time and peak RSS. With `system`, it trusts the system's roots plus the
/// bench CA through both variables ([`E2E_SYSTEM`]).
fn run_e2e(setup: &Setup, candidate: &str, system: bool) -> Result<Figures, String> {
    let program = match candidate {
        "aio" => setup.examples.join("count_posts"),
        _ => setup.bench_bin.join("reqwest_count_posts"),
    };
    let runs = if setup.quick { 5 } else { 20 };
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..runs {
        // Through peak_rss, which measures the program alone (see there).
        let mut cmd = pinned(setup.pin, CLIENT_CORE, &setup.bench_bin.join("peak_rss"));
        cmd.arg(&program)
            .env("JSONPLACEHOLDER_URL", &setup.https_url);
        match (&setup.system_roots, system) {
            (Some((bundle, dir)), true) => {
                cmd.env("SSL_CERT_FILE", bundle);
                match dir {
                    Some(dir) => cmd.env("SSL_CERT_DIR", dir),
                    None => cmd.env_remove("SSL_CERT_DIR"),
                };
            }
            // Both trust the CA file alone: aio's client also reads the
            // directories of SSL_CERT_DIR (reqwest ignores it), which
            // E2E_SYSTEM measures.
            _ => {
                cmd.env("SSL_CERT_FILE", &setup.ca_file)
                    .env_remove("SSL_CERT_DIR");
            }
        }
        let finished = run_child(&mut cmd, RUN_TIMEOUT)?;
        if finished.stdout.trim() != "Total posts: 100" {
            return Err(format!("unexpected output {:?}", finished.stdout));
        }
        let (wall_us, maxrss_kib, cpu_us) = peak_rss_line(&finished.stderr)
            .ok_or_else(|| format!("no peak_rss line in {:?}", finished.stderr))?;
        walls.push(wall_us / 1e3);
        cpus.push(cpu_us / 1e3);
        rss.push(maxrss_kib / 1024.0);
    }
    let wall_ms = median(&walls);
    let mut figures = Figures::new();
    figures.insert("wall_ms".into(), wall_ms);
    figures.insert("cpu_ms".into(), median(&cpus));
    figures.insert("peak_rss_mb".into(), median(&rss));
    figures.insert("ops_per_sec".into(), 1e3 / wall_ms);
    figures.insert("ops".into(), runs as f64);
    Ok(figures)
}

/// The wall µs, peak RSS KiB and CPU µs from `peak_rss`'s last stderr line.
fn peak_rss_line(stderr: &str) -> Option<(f64, f64, f64)> {
    let line = stderr.lines().last()?.strip_prefix("peak_rss ")?;
    let mut fields = line.split(' ');
    let wall = fields.next()?.strip_prefix("wall_us=")?.parse().ok()?;
    let rss = fields.next()?.strip_prefix("maxrss_kib=")?.parse().ok()?;
    let cpu = fields.next()?.strip_prefix("cpu_us=")?.parse().ok()?;
    Some((wall, rss, cpu))
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The measured aio commit, marked when tracked files outside bench/ differ
/// from it (the build is of the work tree, not of the commit).
fn git_commit(root: &Path) -> String {
    let commit = command_output(Command::new("git").arg("-C").arg(root).args([
        "rev-parse",
        "--short",
        "HEAD",
    ]));
    let clean = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["diff", "--quiet", "HEAD", "--", ".", ":(exclude)bench"])
        .status()
        .is_ok_and(|s| s.success());
    if clean {
        commit
    } else {
        format!("{commit} + uncommitted changes")
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

struct Meta {
    commit: String,
    rustc: String,
    rounds: usize,
    quick: bool,
    elapsed: Duration,
    load_before: String,
    load_after: String,
    notes: Vec<String>,
    failures: Vec<String>,
}

/// Median, min and max of one metric over the rounds.
struct Stat {
    median: f64,
    min: f64,
    max: f64,
    samples: Vec<f64>,
}

fn stat(runs: &[Figures], key: &str) -> Option<Stat> {
    let samples: Vec<f64> = runs.iter().filter_map(|f| f.get(key).copied()).collect();
    if samples.is_empty() {
        return None;
    }
    Some(Stat {
        median: median(&samples),
        min: samples.iter().copied().fold(f64::INFINITY, f64::min),
        max: samples.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        samples,
    })
}

/// Three significant digits, with k/M for large numbers; a count (a whole
/// number under 10,000) as it is.
fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "?".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e4 {
        return format!("{v:.0}");
    }
    let (v, suffix) = if v.abs() >= 1e6 {
        (v / 1e6, "M")
    } else if v.abs() >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let digits = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else if v.abs() >= 1.0 {
        2
    } else if v == 0.0 {
        0
    } else {
        (2.0 - v.abs().log10().floor()) as usize
    };
    format!("{v:.digits$}{suffix}")
}

/// How aio compares with a peer on one metric, in words.
fn verdict(metric: &Metric, aio: f64, peer: f64) -> String {
    let aio_better_by = if metric.higher_is_better {
        aio / peer
    } else {
        peer / aio
    };
    if !aio_better_by.is_finite() || aio_better_by <= 0.0 {
        "?".into()
    } else if (0.97..=1.03).contains(&aio_better_by) {
        "about even".into()
    } else if aio_better_by > 1.0 {
        format!("aio {aio_better_by:.2}× better")
    } else {
        format!("aio {:.2}× worse", 1.0 / aio_better_by)
    }
}

fn render_markdown(
    workloads: &[&str],
    samples: &BTreeMap<&str, BTreeMap<&str, Vec<Figures>>>,
    meta: &Meta,
    wrk: bool,
) -> String {
    let mut md = String::new();
    let mode = if meta.quick {
        "quick (sizes / 10)"
    } else {
        "full"
    };
    let _ = writeln!(
        md,
        "## aio peer benchmarks: {mode}, {} round(s)\n",
        meta.rounds
    );
    let _ = writeln!(md, "aio commit {}, {}.", meta.commit, meta.rustc);
    let _ = writeln!(
        md,
        "Machine: {}, {} cores, Linux {}. Load average before {}, after {}. Took {:.0} s.\n",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim(),
        meta.load_before,
        meta.load_after,
        meta.elapsed.as_secs_f64()
    );
    for note in &meta.notes {
        let _ = writeln!(md, "- {note}");
    }
    let _ = writeln!(
        md,
        "\nEach cell is the median over the rounds, min–max beside it. \
         `peer/aio` is the peer's figure divided by aio's, whatever the \
         direction; the last column says which way that goes (a metric marked \
         ↑ is better higher, ↓ better lower).{}\n",
        if wrk {
            " `wrk` is not a peer: it is the most a client on one core gets out of the server \
             (in http_c64_2loops, wrk -t2 on both cores)."
        } else {
            ""
        }
    );
    let _ = writeln!(
        md,
        "| workload | metric | candidate | median | min – max | peer/aio | aio vs peer |"
    );
    let _ = writeln!(md, "|---|---|---|--:|--:|--:|---|");
    for &workload in workloads {
        let Some(by_candidate) = samples.get(workload) else {
            continue;
        };
        for metric in metrics(workload) {
            let aio = by_candidate.get("aio").and_then(|r| stat(r, metric.key));
            let arrow = if metric.higher_is_better {
                "↑"
            } else {
                "↓"
            };
            for candidate in candidates(workload, wrk) {
                let Some(s) = by_candidate
                    .get(candidate)
                    .and_then(|r| stat(r, metric.key))
                else {
                    continue;
                };
                let (ratio, words) = match (&aio, candidate) {
                    (_, "aio") => ("1".to_owned(), String::new()),
                    (Some(a), "wrk") => (format!("{:.2}", s.median / a.median), "limit".into()),
                    (Some(a), _) => (
                        format!("{:.2}", s.median / a.median),
                        verdict(&metric, a.median, s.median),
                    ),
                    (None, _) => ("?".into(), "?".into()),
                };
                let _ = writeln!(
                    md,
                    "| {workload} | {} {arrow} | {candidate} | {} | {} – {} | {ratio} | {words} |",
                    metric.label,
                    fmt_num(s.median),
                    fmt_num(s.min),
                    fmt_num(s.max),
                );
            }
        }
    }
    if !meta.failures.is_empty() {
        let _ = writeln!(md, "\nFailed runs (left out of the figures):\n");
        for f in &meta.failures {
            let _ = writeln!(md, "- {f}");
        }
    }
    md
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|x| x.1.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// `{"workload": {"candidate": median_ops_per_sec}}`.
fn summary_json(
    workloads: &[&str],
    samples: &BTreeMap<&str, BTreeMap<&str, Vec<Figures>>>,
) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for &workload in workloads {
        let Some(by_candidate) = samples.get(workload) else {
            continue;
        };
        let mut row = serde_json::Map::new();
        for (candidate, runs) in by_candidate {
            if let Some(s) = stat(runs, "ops_per_sec") {
                row.insert((*candidate).into(), s.median.into());
            }
        }
        out.insert(workload.into(), row.into());
    }
    out.into()
}

/// Every metric: median, min, max and the samples, plus the run's circumstances.
fn detail_json(
    workloads: &[&str],
    samples: &BTreeMap<&str, BTreeMap<&str, Vec<Figures>>>,
    meta: &Meta,
) -> serde_json::Value {
    let mut results = serde_json::Map::new();
    for &workload in workloads {
        let Some(by_candidate) = samples.get(workload) else {
            continue;
        };
        let mut row = serde_json::Map::new();
        for (candidate, runs) in by_candidate {
            let keys: std::collections::BTreeSet<&String> =
                runs.iter().flat_map(|f| f.keys()).collect();
            let mut figures = serde_json::Map::new();
            for key in keys {
                if let Some(s) = stat(runs, key) {
                    figures.insert(
                        key.clone(),
                        serde_json::json!({
                            "median": s.median, "min": s.min, "max": s.max, "samples": s.samples,
                        }),
                    );
                }
            }
            row.insert((*candidate).into(), figures.into());
        }
        results.insert(workload.into(), row.into());
    }
    serde_json::json!({
        "commit": meta.commit,
        "rustc": meta.rustc,
        "rounds": meta.rounds,
        "quick": meta.quick,
        "elapsed_s": meta.elapsed.as_secs_f64(),
        "cpu": cpu_model(),
        "load_before": meta.load_before,
        "load_after": meta.load_after,
        "notes": meta.notes,
        "failures": meta.failures,
        "results": results,
    })
}
