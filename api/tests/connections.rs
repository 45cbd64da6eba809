//! Connection hygiene, from a raw socket as a slow or hostile client would behave: a body that
//! stops arriving is cut off with 408, and hundreds of stalled bodies do not keep a normal
//! client from being served.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use comptoir_testkit::spawn_app_with;

/// Opens a connection and sends a login whose body stops after a few bytes.
async fn stalled_login(address: &str) -> TcpStream {
    let host = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.expect("connect");
    let head = format!(
        "POST /v1/auth/login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n{{\"email\":"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
}

#[tokio::test]
async fn a_body_that_stops_arriving_is_cut_off_with_408() {
    let app = spawn_app_with(&[("server.body_idle_timeout_secs", json!(1))]).await;
    let started = Instant::now();
    let mut stream = stalled_login(&app.address).await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("an answer, then the connection closed")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn five_hundred_stalled_bodies_do_not_starve_a_normal_client() {
    let app = spawn_app_with(&[("server.body_idle_timeout_secs", json!(30))]).await;
    let mut stalled = Vec::with_capacity(500);
    for _ in 0..500 {
        stalled.push(stalled_login(&app.address).await);
    }
    let started = Instant::now();
    let live = app.get("/health/live", None).await;
    assert_eq!(live.status(), 200);
    let login = app
        .post(
            "/v1/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": "whatever it is"}),
        )
        .await;
    assert_eq!(login.status(), 401);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "served in {:?} beside 500 stalled bodies",
        started.elapsed()
    );
    drop(stalled);
}
