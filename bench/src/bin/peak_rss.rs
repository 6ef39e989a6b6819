//! `peak_rss PROGRAM [ARGS...]`: runs PROGRAM (stdin, stdout and stderr
//! inherited), then prints `peak_rss wall_us=N maxrss_kib=N cpu_us=N` as the
//! last line of stderr (CPU: the program's user + system time) and exits with PROGRAM's status. `count_posts_e2e` starts each
//! client through it.
//!
//! Why a wrapper: Linux's `ru_maxrss` of a process counts the peak of the
//! process it was exec'd from (exec records the old address space's peak),
//! so a program the driver starts directly reports at least the driver's
//! own peak (~6 MiB, more than the programs measured). Started from this
//! small process, a program carries at most this one's peak (~1.5 MiB).

use std::process::Command;
use std::time::Instant;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: peak_rss PROGRAM [ARGS...]");
        std::process::exit(2)
    };
    let start = Instant::now();
    let status = Command::new(&program)
        .args(args)
        .status()
        .unwrap_or_else(|e| {
            eprintln!("peak_rss: cannot run {}: {e}", program.to_string_lossy());
            std::process::exit(2)
        });
    let wall = start.elapsed();
    // SAFETY: getrusage only writes the struct we hand it.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let micros = |t: libc::timeval| t.tv_sec * 1_000_000 + t.tv_usec;
    // ru_maxrss is in KiB on Linux; RUSAGE_CHILDREN has the one child's.
    eprintln!(
        "peak_rss wall_us={} maxrss_kib={} cpu_us={}",
        wall.as_micros(),
        usage.ru_maxrss,
        micros(usage.ru_utime) + micros(usage.ru_stime)
    );
    std::process::exit(status.code().unwrap_or(1));
}
