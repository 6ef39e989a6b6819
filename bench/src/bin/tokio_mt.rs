//! tokio with the multi_thread scheduler and 2 workers (the machine's cores).

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio multi_thread runtime");
    aio_bench::tokio_rt::main("tokio_mt", runtime, true);
}
