mod support;

use std::time::{Duration, Instant};

use aio_reactor::time::sleep;
use support::{block_on, cpu_ticks};

#[test]
fn an_idle_200ms_sleep_costs_almost_no_cpu() {
    block_on(async {
        // Warm up (thread-locals, allocations) before measuring.
        sleep(Duration::from_millis(1)).await;
        let cpu_before = cpu_ticks();
        let start = Instant::now();
        sleep(Duration::from_millis(200)).await;
        let wall = start.elapsed();
        let cpu_ms = (cpu_ticks() - cpu_before) * 10; // clock ticks are 10 ms
        assert!(wall >= Duration::from_millis(200));
        assert!(
            cpu_ms < 50,
            "a sleeping loop burned {cpu_ms} ms of CPU in {wall:?}"
        );
    });
}
