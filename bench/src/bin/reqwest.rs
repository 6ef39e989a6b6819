//! reqwest (rustls; HTTP/2 where the server offers it by ALPN, as aio) on
//! tokio's current_thread runtime: the peer of `aio::http::Client` for the
//! HTTP workloads; on the multi_thread runtime with 2 workers for
//! `http_c64_2loops`, the peer of aio on 2 loops.

use aio_bench::{check_posts, share, Args, CpuClock, Post, Report, HTTP_WORKLOADS, LOOPS};

const LOOPS_ROW: &str = "http_c64_2loops";

fn main() {
    let workloads: Vec<&str> = HTTP_WORKLOADS.iter().copied().chain([LOOPS_ROW]).collect();
    let args = Args::parse("reqwest", &workloads);
    let sizes = args.sizes();
    let runtime = if args.workload == LOOPS_ROW {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(LOOPS)
            .enable_all()
            .build()
            .expect("tokio multi_thread runtime")
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio current_thread runtime")
    };
    let report = match args.workload.as_str() {
        "http_seq" | "https_seq" => runtime.block_on(http_gets(&args, 1, sizes.http_requests)),
        "http_c64" | "https_c64" => runtime.block_on(http_gets(
            &args,
            sizes.http_concurrency,
            sizes.http_requests,
        )),
        "http_json" | "http_json_gzip" => runtime.block_on(http_json(&args, sizes.json_requests)),
        "h2_c64" => runtime.block_on(h2_gets(&args, sizes.http_concurrency, sizes.http_requests)),
        "https_json_c64" => runtime.block_on(https_json(
            &args,
            sizes.http_concurrency,
            sizes.json_requests,
        )),
        "h2_json_c64" => {
            runtime.block_on(h2_json(&args, sizes.http_concurrency, sizes.json_requests))
        }
        // The workers `gets` spawns run on the runtime's workers; the
        // block_on thread only waits for them.
        LOOPS_ROW => runtime.block_on(http_gets(
            &args,
            LOOPS * sizes.http_concurrency,
            LOOPS * sizes.http_requests,
        )),
        other => unreachable!("workload {other}"),
    };
    report.print();
}

fn client(args: &Args) -> reqwest::Client {
    let mut builder = reqwest::Client::builder();
    if let Some(pem) = args.ca_pem() {
        for cert in reqwest::Certificate::from_pem_bundle(&pem).expect("CA certificate") {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().expect("reqwest client")
}

async fn get_body(client: &reqwest::Client, url: &str) -> usize {
    let response = client.get(url).send().await.expect("GET");
    assert_eq!(response.status().as_u16(), 200);
    let body = response.bytes().await.expect("body");
    assert!(body.len() > 100, "short body: {} bytes", body.len());
    body.len()
}

/// `total` GETs of one post, by `workers` tasks sharing one client.
async fn gets(client: &reqwest::Client, url: &str, workers: usize, total: usize) {
    if workers == 1 {
        for _ in 0..total {
            get_body(client, url).await;
        }
        return;
    }
    let handles: Vec<_> = (0..workers)
        .map(|i| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                for _ in 0..share(total, workers, i) {
                    get_body(&client, &url).await;
                }
            })
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
        let response = client.get(&url).send().await.expect("GET");
        assert_eq!(response.status().as_u16(), 200);
        let posts: Vec<Post> = response.json().await.expect("JSON");
        check_posts(&posts);
    }
    clock.report(total as u64)
}

/// Checks the client speaks HTTP/2 to `url`: the h2 rows measure nothing else.
async fn assert_h2(client: &reqwest::Client, url: &str) {
    let response = client.get(url).send().await.expect("GET");
    assert_eq!(response.version(), reqwest::Version::HTTP_2, "{url}");
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
async fn json_gets(client: &reqwest::Client, url: &str, workers: usize, total: usize) -> Report {
    let clock = CpuClock::start();
    let tasks: Vec<_> = (0..workers)
        .map(|i| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move {
                for _ in 0..share(total, workers, i) {
                    let response = client.get(&url).send().await.expect("GET");
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
