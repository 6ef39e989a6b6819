//! tokio with the current_thread scheduler (one thread, like aio).

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio current_thread runtime");
    aio_bench::tokio_rt::main("tokio_ct", runtime, false);
}
