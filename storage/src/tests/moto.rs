//! The S3 side of the fixtures: moto's address, a fresh bucket per test, and what a bucket holds,
//! asked over plain HTTP (moto accepts unsigned requests and any credentials).

use std::sync::atomic::{AtomicU32, Ordering};

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::S3Settings;
use comptoir_domain::config::Secret;

pub(super) fn endpoint() -> String {
    std::env::var("COMPTOIR_TEST_S3_ENDPOINT")
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| "http://127.0.0.1:5055".to_owned())
}

pub(super) fn s3_settings(bucket: &str) -> S3Settings {
    S3Settings {
        bucket: bucket.to_owned(),
        region: "us-east-1".to_owned(),
        endpoint: endpoint(),
        access_key_id: "comptoir-test".to_owned(),
        secret_access_key: Secret::new("comptoir-test-secret"),
        allow_http: true,
    }
}

/// Creates a bucket no other test (in this process or another) uses.
pub(super) async fn create_bucket() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .subsec_nanos();
    let bucket = format!(
        "comptoir-test-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let (status, body) = request("PUT", &format!("/{bucket}")).await;
    assert_eq!(status, 200, "creating bucket {bucket} on moto: {body}");
    bucket
}

pub(super) async fn delete_bucket(bucket: &str) {
    let (status, body) = request("DELETE", &format!("/{bucket}")).await;
    assert_eq!(status, 204, "deleting bucket {bucket}: {body}");
}

/// The bucket's object keys and, as `upload:{key}`, its unfinished multipart uploads.
pub(super) async fn everything(bucket: &str) -> Vec<String> {
    let (status, objects) = request("GET", &format!("/{bucket}?list-type=2")).await;
    assert_eq!(status, 200, "listing {bucket}: {objects}");
    let (status, uploads) = request("GET", &format!("/{bucket}?uploads")).await;
    assert_eq!(status, 200, "listing uploads of {bucket}: {uploads}");
    let mut found = keys(&objects);
    found.extend(
        keys(&uploads)
            .into_iter()
            .map(|key| format!("upload:{key}")),
    );
    found
}

fn keys(xml: &str) -> Vec<String> {
    xml.split("<Key>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</Key>"))
        .map(|(key, _)| key.to_owned())
        .collect()
}

/// One HTTP/1.1 request without a body; the status and the body (unparsed).
async fn request(method: &str, target: &str) -> (u16, String) {
    let endpoint = endpoint();
    let host = endpoint
        .strip_prefix("http://")
        .expect("COMPTOIR_TEST_S3_ENDPOINT is http://host:port")
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(host).await.unwrap_or_else(|error| {
        panic!("moto is not reachable at {endpoint} ({error}); start it with scripts/services.sh")
    });
    let head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, head.as_bytes())
        .await
        .expect("send to moto");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("read moto's answer");
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer from moto: {response:?}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}
