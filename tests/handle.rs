//! `aio::Handle` on a loop parked in the reactor, and `aio::task` through
//! the facade.

mod support;

use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::Duration;
use support::signal::Signal;

#[test]
fn handle_spawn_from_eight_threads_wakes_a_loop_parked_in_the_reactor() {
    let (tx, rx) = mpsc::channel();
    let stop = Signal::new();
    let loop_stop = stop.clone();
    let loop_thread = thread::spawn(move || {
        aio::run(async move {
            tx.send(aio::Handle::current()).unwrap();
            // Parked in the reactor until the test is done.
            loop_stop.wait().await;
        })
    });
    let handle: aio::Handle = rx.recv().unwrap();
    let start = Arc::new(Barrier::new(8));
    let spawners: Vec<_> = (0..8u64)
        .map(|t| {
            let (handle, start) = (handle.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let tasks: Vec<_> = (0..25u64)
                    .map(|i| {
                        let name = format!("t{t}-{i}");
                        aio::task::Builder::new()
                            .name(name)
                            .spawn_on(&handle, async move {
                                // Timers and the task's own name work there.
                                aio::time::sleep(Duration::from_millis(1)).await;
                                let me = aio::task::current().unwrap();
                                (t * 25 + i, me.name().unwrap().to_string())
                            })
                            .unwrap()
                    })
                    .collect();
                tasks
                    .into_iter()
                    .map(|task| task.wait().unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut outputs: Vec<(u64, String)> = spawners
        .into_iter()
        .flat_map(|spawner| spawner.join().unwrap())
        .collect();
    outputs.sort();
    assert_eq!(outputs.len(), 200);
    for (n, (value, name)) in outputs.iter().enumerate() {
        assert_eq!(*value, n as u64);
        assert_eq!(*name, format!("t{}-{}", n / 25, n % 25));
    }
    stop.set();
    loop_thread.join().unwrap();
    // The loop has ended: refused, not panicking, not lost.
    let refused = handle.spawn(async { 1 }).unwrap_err();
    assert_eq!(refused.to_string(), "the event loop has shut down");
}

#[test]
fn the_main_future_of_run_is_the_task_named_main() {
    let line = line!() + 1;
    let main = aio::run(async { aio::task::current().unwrap() });
    assert_eq!(main.name(), Some("main"));
    assert_eq!(
        (main.location().file(), main.location().line()),
        (file!(), line)
    );
}
