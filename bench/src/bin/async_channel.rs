//! async-channel on `aio::run`: the peer of `aio::sync::Queue` in the
//! `queue_ping_pong` row (the same executor, only the channel differs).

use std::time::Instant;

use aio_bench::{Args, Report};

fn main() {
    let args = Args::parse("async_channel", &["queue_ping_pong"]);
    let sizes = args.sizes();
    let report = aio::run(async move {
        let n = sizes.queue_round_trips;
        let (to_echo, from_pinger) = async_channel::bounded::<u64>(1);
        let (to_pinger, from_echo) = async_channel::bounded::<u64>(1);
        let start = Instant::now();
        let echo = aio::spawn(async move {
            while let Ok(v) = from_pinger.recv().await {
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
    });
    report.print();
}
