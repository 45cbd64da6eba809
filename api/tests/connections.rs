//! Connection hygiene, from a raw socket as a slow or hostile client would behave: a body that
//! stops arriving is cut off with 408, one address holds at most its share of connections, and
//! hundreds of stalled bodies do not keep a normal client from being served.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use comptoir_testkit::{spawn_app_with, wait_until};

/// Another client machine: all of 127.0.0.0/8 reaches the loopback listener.
fn client_from_another_address() -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .build()
        .expect("client")
}

/// Sends one request (`head`: its method, path and extra headers) on a new connection that
/// asks to be closed, and returns everything the server sent.
async fn raw_exchange(address: &str, head: &str) -> String {
    let host = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.expect("connect");
    let request = format!("{head}\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

async fn raw_get(address: &str, path: &str) -> String {
    raw_exchange(address, &format!("GET {path} HTTP/1.1")).await
}

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
    // Past its 256 connections, the stalling address is refused; another address is served.
    let client = client_from_another_address();
    let started = Instant::now();
    let live = client
        .get(format!("{}/health/live", app.address))
        .send()
        .await
        .expect("response");
    assert_eq!(live.status(), 200);
    let login = client
        .post(format!("{}/v1/auth/login", app.address))
        .json(&json!({"email": "nobody@example.com", "password": "whatever it is"}))
        .send()
        .await
        .expect("response");
    assert_eq!(login.status(), 401);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "served in {:?} beside 500 stalled bodies",
        started.elapsed()
    );
    drop(stalled);
}

/// A keep-alive connection that got its answer to one request and stays open.
async fn answered_and_kept(address: &str) -> TcpStream {
    let host = address.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.expect("connect");
    let request = format!("GET /health/live HTTP/1.1\r\nHost: {host}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    while !String::from_utf8_lossy(&answer).contains("\"ok\"") {
        let mut chunk = [0u8; 1024];
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("an answer")
            .expect("read");
        assert!(read > 0, "closed: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&chunk[..read]);
    }
    stream
}

#[tokio::test]
async fn one_address_holds_at_most_its_share_of_connections() {
    let app = spawn_app_with(&[("server.max_connections_per_ip", json!(3))]).await;
    // Connections that were answered once, then kept open: the server has surely accepted them.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(answered_and_kept(&app.address).await);
    }
    let refused = raw_get(&app.address, "/health/live").await;
    assert!(refused.starts_with("HTTP/1.1 429"), "{refused}");
    assert!(refused.contains("too_many_connections"), "{refused}");
    assert!(
        refused.to_ascii_lowercase().contains("retry-after: 1"),
        "{refused}"
    );

    // A provider's callback is taken whatever the share: a burst of reports opens many.
    let callback = raw_exchange(
        &app.address,
        "POST /v1/webhooks/sms/africastalking HTTP/1.1\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 0",
    )
    .await;
    assert!(!callback.starts_with("HTTP/1.1 429"), "{callback}");

    let elsewhere = client_from_another_address()
        .get(format!("{}/health/live", app.address))
        .send()
        .await
        .expect("response");
    assert_eq!(elsewhere.status(), 200, "another address has its own share");

    // A closed connection gives its slot back.
    drop(held.pop());
    let address = app.address.clone();
    wait_until("a freed slot", Duration::from_secs(5), || {
        let address = address.clone();
        async move {
            let answer = raw_get(&address, "/health/live").await;
            answer.starts_with("HTTP/1.1 200").then_some(())
        }
    })
    .await;
}
