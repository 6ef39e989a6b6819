//! An idle loop blocks in the reactor: a 200 ms sleep costs next to no CPU.
//! Its own test binary: CPU time is process-wide.

use aio::time::{sleep, Duration};

/// User + system CPU time of this process, from /proc/self/stat.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name (which may contain spaces) start at ')'.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // The kernel reports in USER_HZ, 100 on Linux.
    Duration::from_millis(ticks * 10)
}

#[test]
fn a_200ms_sleep_costs_near_zero_cpu() {
    let spent = aio::run(async {
        // Warm up: thread-locals, first allocations.
        sleep(Duration::from_millis(1)).await;
        let before = cpu_time();
        sleep(Duration::from_millis(200)).await;
        cpu_time() - before
    });
    assert!(
        spent < Duration::from_millis(50),
        "idle loop burned {spent:?} of CPU"
    );
}
