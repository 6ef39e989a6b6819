//! A request builder (`client.get(url)`, which is `IntoFuture`) goes
//! straight into every way of running work, against a tiny HTTP server on
//! 127.0.0.1: `aio::gather`, `aio::spawn`, `aio::as_completed`,
//! `TaskGroup::spawn`, `select!` and `aio::time::timeout`.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use aio::http::{Client, Response};
use aio::TaskGroup;

/// A keep-alive HTTP/1.1 server on a free port that answers `GET /posts/N`
/// with the body `post N`, a thread per connection. Returns its base URL.
fn start_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let stream = stream.unwrap();
            std::thread::spawn(move || serve(stream));
        }
    });
    base
}

/// Answer requests on one connection until the client closes it.
fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        // The rest of the head, up to its blank line (no request has a body).
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
        }
        let path = request_line.split(' ').nth(1).unwrap_or("");
        let body = match path.strip_prefix("/posts/") {
            Some(id) => format!("post {id}"),
            None => format!("no such path: {path}"),
        };
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        if writer
            .write_all((head + &body).as_bytes())
            .and_then(|()| writer.flush())
            .is_err()
        {
            return;
        }
    }
}

fn client() -> Client {
    // No proxy from the environment: the server is local.
    Client::builder().trust_env(false).build().unwrap()
}

async fn text(response: Result<Response, aio::http::Error>) -> String {
    response.unwrap().text().await.unwrap()
}

#[test]
fn gather_takes_request_builders() {
    let base = start_server();
    let bodies = aio::run(async {
        let client = client();
        let url = |id: u32| format!("{base}/posts/{id}");
        let responses = aio::gather((1..=3).map(|id| client.get(url(id)))).await;
        aio::gather(responses.into_iter().map(text)).await
    });
    assert_eq!(bodies, ["post 1", "post 2", "post 3"]);
}

#[test]
fn spawn_takes_a_request_builder() {
    let base = start_server();
    let body = aio::run(async {
        let task = aio::spawn(client().get(format!("{base}/posts/7")));
        text(task.await.unwrap()).await
    });
    assert_eq!(body, "post 7");
}

#[test]
fn as_completed_task_group_select_and_timeout_take_request_builders() {
    let base = start_server();
    aio::run(async {
        let client = client();
        let url = |id: u32| format!("{base}/posts/{id}");

        let mut finished = aio::as_completed((1..=3).map(|id| client.get(url(id))));
        let mut bodies = Vec::new();
        while let Some(response) = finished.next().await {
            bodies.push(text(response).await);
        }
        bodies.sort();
        assert_eq!(bodies, ["post 1", "post 2", "post 3"]);

        let group = TaskGroup::<aio::http::Error>::default();
        let child = group.spawn(client.get(url(4)));
        group.join().await.unwrap();
        let response = child.await.unwrap();
        assert_eq!(response.text().await.unwrap(), "post 4");

        let selected = aio::select! {
            response = client.get(url(5)) => text(response).await,
            _ = std::future::pending::<()>() => unreachable!("never finishes"),
        };
        assert_eq!(selected, "post 5");

        let timed = aio::time::timeout(Duration::from_secs(30), client.get(url(6))).await;
        assert_eq!(
            text(timed.expect("a local answer within 30 s")).await,
            "post 6"
        );
    });
}
