//! Debug mode (`AIO_DEBUG=1`, `Runner::debug`): slow polls are reported on
//! stderr with the task's name and spawn site, and the tasks `run` had to
//! cancel are listed at exit.
//!
//! Each test re-runs this test binary as a child process (selected by the
//! `AIO_DEBUG_TEST_CHILD` variable) and reads the child's stderr.

use std::process::Command;
use std::time::Duration;

const CHILD: &str = "AIO_DEBUG_TEST_CHILD";

/// The deliberate block under test: past the default 100 ms threshold.
const BLOCK: Duration = Duration::from_millis(200);

/// Run test `name` in a child process with `env` set; its stderr.
fn stderr_of_child(name: &str, env: &[(&str, &str)]) -> String {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .env_remove("AIO_DEBUG");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run the test binary again");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "child {name} failed:\n{stderr}");
    stderr
}

fn in_child(name: &str) -> bool {
    std::env::var(CHILD).as_deref() == Ok(name)
}

#[test]
fn slow_task_is_reported_with_name_and_spawn_site() {
    const NAME: &str = "slow_task_is_reported_with_name_and_spawn_site";
    if in_child(NAME) {
        // AIO_DEBUG=1 is set by the parent: the default Runner reads it.
        aio::run(async {
            let line = line!() + 1;
            let blocker = aio::task::Builder::new().name("blocker").spawn(async {
                std::thread::sleep(BLOCK);
            });
            eprintln!("spawned at line {line}");
            blocker.await.unwrap();
        });
        return;
    }
    let stderr = stderr_of_child(NAME, &[("AIO_DEBUG", "1")]);
    let line: u32 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("spawned at line "))
        .expect("the child's spawn line")
        .parse()
        .unwrap();
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("aio: task \"blocker\""))
        .unwrap_or_else(|| panic!("no warning about the slow task in:\n{stderr}"));
    let site = format!("spawned at {}:{line}:", file!());
    assert!(warning.contains(&site), "{warning:?} lacks {site:?}");
    assert!(warning.contains("held the loop for 2"), "{warning:?}");
    assert!(
        warning.ends_with("ms; slow_callback_duration is 100ms"),
        "{warning:?}"
    );
    // Only the slow poll: the main future's polls were quick.
    assert_eq!(stderr.matches("held the loop").count(), 1, "{stderr}");
}

#[test]
fn runner_debug_reports_slow_main_and_lists_cancelled_tasks() {
    const NAME: &str = "runner_debug_reports_slow_main_and_lists_cancelled_tasks";
    if in_child(NAME) {
        let runner = aio::Runner::new()
            .debug(true)
            .slow_callback_duration(Duration::from_millis(150));
        let line = line!() + 1;
        runner.run(async {
            let _sleeper = aio::task::Builder::new()
                .name("sleeper")
                .spawn(std::future::pending::<()>());
            let _anonymous = aio::spawn(std::future::pending::<()>());
            std::thread::sleep(BLOCK);
        });
        eprintln!("run at line {line}");
        return;
    }
    let stderr = stderr_of_child(NAME, &[]);
    let run_line: u32 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("run at line "))
        .expect("the child's run line")
        .parse()
        .unwrap();
    let main_site = format!("spawned at {}:{run_line}:", file!());
    let slow_main = stderr
        .lines()
        .find(|l| l.starts_with("aio: task \"main\""))
        .unwrap_or_else(|| panic!("no warning about the main future in:\n{stderr}"));
    assert!(
        slow_main.contains(&main_site),
        "{slow_main:?} lacks {main_site:?}"
    );
    assert!(
        slow_main.ends_with("slow_callback_duration is 150ms"),
        "{slow_main:?}"
    );
    assert!(
        stderr.contains("aio: the event loop cancelled 2 unfinished task(s) at exit:"),
        "{stderr}"
    );
    let listed = stderr
        .lines()
        .find(|l| l.starts_with("aio:   task \"sleeper\" (id "))
        .unwrap_or_else(|| panic!("sleeper not listed in:\n{stderr}"));
    assert!(
        listed.contains(&format!("spawned at {}:", file!())),
        "{listed:?}"
    );
    let anonymous = stderr
        .lines()
        .filter(|l| l.starts_with("aio:   task ") && l.contains(" (spawned at "))
        .count();
    assert_eq!(anonymous, 1, "the unnamed task is listed by id:\n{stderr}");
}

#[test]
fn debug_mode_off_says_nothing() {
    const NAME: &str = "debug_mode_off_says_nothing";
    if in_child(NAME) {
        aio::run(async {
            drop(aio::spawn(std::future::pending::<()>()));
            aio::spawn(async { std::thread::sleep(BLOCK) })
                .await
                .unwrap();
        });
        // Explicitly off wins over the environment.
        aio::Runner::new().debug(false).run(async {
            aio::spawn(async { std::thread::sleep(BLOCK) })
                .await
                .unwrap();
        });
        return;
    }
    let stderr = stderr_of_child(NAME, &[]);
    assert!(!stderr.contains("aio:"), "{stderr}");
    let stderr = stderr_of_child(NAME, &[("AIO_DEBUG", "0")]);
    assert!(!stderr.contains("aio:"), "{stderr}");
}
