//! tokio with the multi_thread scheduler and 2 workers (the machine's
//! cores, and aio's loops in the `*_2loops` rows).

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(aio_bench::LOOPS)
        .enable_all()
        .build()
        .expect("tokio multi_thread runtime");
    aio_bench::tokio_rt::main("tokio_mt", runtime, true);
}
