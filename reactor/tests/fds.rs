mod support;

use std::time::Duration;

use aio_reactor::net::{TcpListener, TcpStream};
use aio_reactor::Reactor;
use support::{block_on_with, open_fds};

#[test]
fn shutting_down_releases_every_fd_the_reactor_opened() {
    // Warm up once so lazily opened process-wide fds are not counted.
    drop(Reactor::new().unwrap());
    let before = open_fds();
    let mut survivors = Vec::new();
    for i in 0..100 {
        let mut reactor = Reactor::new().unwrap();
        let (client, server, listener) = block_on_with(&mut reactor, async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            (client, server, listener)
        });
        if i % 2 == 0 {
            // Sockets dropped before shutdown.
            drop((client, server, listener));
            let report = reactor.shutdown(Duration::from_secs(1));
            assert_eq!(report.sockets_open, 0);
        } else {
            // Sockets outliving their reactor: the reactor's own fds still close.
            let report = reactor.shutdown(Duration::from_secs(1));
            assert_eq!(report.sockets_open, 3);
            survivors.push((client, server, listener));
        }
    }
    assert_eq!(
        open_fds(),
        before + 3 * survivors.len(),
        "only the live sockets remain open"
    );
    drop(survivors);
    assert_eq!(open_fds(), before);
}
