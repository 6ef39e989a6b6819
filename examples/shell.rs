//! Run several commands at once, each with a time limit, and print their
//! output in the order they were given; Ctrl-C stops everything cleanly
//! (the children are killed, then the program exits as interrupted).
//!
//! `shell [--timeout SECONDS] [COMMAND ...]` where each COMMAND is one
//! argument split on spaces (`"ls -l /"`); without commands it runs a few
//! harmless ones. A command that does not exist or runs out of time is
//! reported on its line; the others still print.
//!
//! The asyncio program it mirrors:
//! ```python
//! async def run(command, limit):
//!     proc = await asyncio.create_subprocess_exec(
//!         *command.split(), stdout=PIPE, stderr=PIPE)
//!     try:
//!         out, err = await asyncio.wait_for(proc.communicate(), limit)
//!     except TimeoutError:
//!         proc.kill()
//!         await proc.wait()
//!         return f"$ {command}\n  timed out after {limit}s"
//!     return f"$ {command} (exit {proc.returncode})\n{out.decode()}"
//!
//! async def main(commands, limit):
//!     for report in await asyncio.gather(*(run(c, limit) for c in commands)):
//!         print(report)
//! asyncio.run(main(sys.argv[1:] or DEFAULT_COMMANDS, 5.0))  # Ctrl-C: cancelled, exit 130
//! ```

use std::time::Duration;

use aio::process::{Command, Stdio};

const DEFAULT_COMMANDS: &[&str] = &["echo hello from aio", "uname -s", "ls /"];

/// Run one command; its report is the header line and its output.
async fn run(command: String, limit: Duration) -> String {
    let mut words = command.split_whitespace();
    let Some(program) = words.next() else {
        return "$ (empty command)\n  nothing to run".to_string();
    };
    // kill_on_drop: when the time limit drops the future (or Ctrl-C cancels
    // the task), the child is killed and reaped, not left behind.
    let mut child = Command::new(program);
    child
        .args(words)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    match aio::time::timeout(limit, child.output()).await {
        Err(_elapsed) => format!("$ {command}\n  timed out after {limit:?}"),
        Ok(Err(e)) => format!("$ {command}\n  {e}"),
        Ok(Ok(output)) => {
            let status = match output.status.code() {
                Some(code) => format!("exit {code}"),
                None => format!("{}", output.status),
            };
            let mut report = format!("$ {command} ({status})\n");
            report.push_str(&String::from_utf8_lossy(&output.stdout));
            report.push_str(&String::from_utf8_lossy(&output.stderr));
            report.truncate(report.trim_end().len());
            report
        }
    }
}

/// `--timeout SECONDS` and the commands, from the command line.
fn parse_args() -> Result<(Duration, Vec<String>), String> {
    let mut limit = Duration::from_secs(5);
    let mut commands = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--timeout" {
            let value = args.next().ok_or("--timeout needs a number of seconds")?;
            let seconds: f64 = value
                .parse()
                .ok()
                .filter(|s: &f64| s.is_finite() && *s > 0.0)
                .ok_or_else(|| {
                    format!("--timeout needs a positive number of seconds, not {value:?}")
                })?;
            limit = Duration::from_secs_f64(seconds);
        } else {
            commands.push(arg);
        }
    }
    if commands.is_empty() {
        commands = DEFAULT_COMMANDS.iter().map(|c| c.to_string()).collect();
    }
    Ok((limit, commands))
}

fn main() {
    let (limit, commands) = parse_args().unwrap_or_else(|e| {
        eprintln!("error: {e}");
        eprintln!("usage: shell [--timeout SECONDS] [COMMAND ...]");
        std::process::exit(2);
    });
    aio::run(async move {
        let reports = aio::gather(commands.into_iter().map(|c| run(c, limit))).await;
        for report in reports {
            println!("{report}");
        }
    });
}
