//! Running child processes: pinned to a core, timed, with their CPU time
//! from `wait4`, and stopped politely.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Whether `cmd` runs at all (exit status 0 or 1: `wrk --version` exits 1).
pub fn command_works(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success() || s.code() == Some(1))
}

/// A command, under `taskset -c CORE` when pinning.
pub fn pinned(pin: bool, core: &str, program: &Path) -> Command {
    if pin {
        let mut cmd = Command::new("taskset");
        cmd.args(["-c", core]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// What a finished child did.
pub struct Finished {
    pub stdout: String,
    pub stderr: String,
    pub success: bool,
    pub wall: Duration,
    pub cpu: Duration,
}

/// Runs `cmd` to completion (killed after `timeout`) and collects its
/// output, wall time and, from `wait4`, its CPU time. The CPU
/// time includes the descendants the child waited for (a cargo build's
/// rustc and linker processes): `wait4` reports the child's own usage plus
/// its reaped children's.
pub fn run_child(cmd: &mut Command, timeout: Duration) -> Result<Finished, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("spawn {cmd:?}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr_pipe.read_to_string(&mut text);
        text
    });
    // The watchdog kills the child if it overstays; `exited` is set while the
    // child is still an unreaped zombie, so the pid cannot have been reused.
    let exited = Arc::new((Mutex::new(false), Condvar::new()));
    let watchdog = {
        let exited = exited.clone();
        std::thread::spawn(move || {
            let (lock, cond) = &*exited;
            let done = lock.lock().unwrap();
            let (done, _) = cond
                .wait_timeout_while(done, timeout, |done| !*done)
                .unwrap();
            if !*done {
                // SAFETY: kill has no memory effects; pid is our unreaped child.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                true
            } else {
                false
            }
        })
    };
    let mut stdout = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut stdout);
    // SAFETY: plain system calls on our own child, with zeroed out-structs.
    let (status, usage) = unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT,
        );
        let wall = start.elapsed();
        {
            let (lock, cond) = &*exited;
            *lock.lock().unwrap() = true;
            cond.notify_all();
        }
        let mut status = 0;
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::wait4(pid, &mut status, 0, &mut usage) != pid {
            return Err(format!("wait4: {}", std::io::Error::last_os_error()));
        }
        ((status, wall), usage)
    };
    let (status, wall) = status;
    let killed = watchdog.join().unwrap();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1_000);
    let finished = Finished {
        stdout,
        stderr: stderr.join().unwrap(),
        success: libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
    };
    if killed {
        return Err(format!("killed after {} s", timeout.as_secs()));
    }
    if !finished.success {
        return Err(format!(
            "exit status {status:#x}; stderr: {}",
            finished.stderr.trim()
        ));
    }
    Ok(finished)
}

/// The first line a command prints, or "?".
pub fn command_output(cmd: &mut Command) -> String {
    cmd.stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// Asks a long-running child to stop with SIGTERM (servers shut down
/// cleanly on it, and `timeout` passes it on), then reaps it.
pub fn terminate(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        // SAFETY: kill has no memory effects; the pid is our unreaped child.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    }
    let _ = child.wait();
}
