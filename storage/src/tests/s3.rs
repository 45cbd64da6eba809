//! How `[storage.s3]` settings reach the bucket: S3-only, against moto.

use super::*;

#[tokio::test]
async fn an_endpoint_with_a_trailing_slash_addresses_the_bucket_path_style() {
    let bucket = moto::create_bucket().await;
    let mut settings = moto::s3_settings(&bucket);
    settings.endpoint = format!("{}/", settings.endpoint.trim_end_matches('/'));
    let storage = s3(&settings);
    storage.put_bytes("a/b.txt", "hello").await.expect("put");
    assert_eq!(
        &storage.get_bytes("a/b.txt").await.expect("get")[..],
        b"hello"
    );
    assert_eq!(moto::everything(&bucket).await, ["a/b.txt"]);
    storage.delete("a/b.txt").await.expect("delete");
    moto::delete_bucket(&bucket).await;
}

#[tokio::test]
async fn a_plain_http_endpoint_needs_allow_http() {
    let bucket = moto::create_bucket().await;
    let mut settings = moto::s3_settings(&bucket);
    settings.allow_http = false;
    let storage = s3(&settings);
    let error = storage
        .put_bytes("a/b.txt", "hello")
        .await
        .expect_err("http refused");
    assert!(matches!(error, StorageError::Backend(_)), "{error}");
    assert_eq!(moto::everything(&bucket).await, Vec::<String>::new());
    moto::delete_bucket(&bucket).await;
}

#[tokio::test]
async fn a_missing_bucket_is_an_error_not_an_empty_store() {
    let settings = moto::s3_settings("comptoir-test-never-created");
    let storage = s3(&settings);
    let error = storage
        .put_bytes("a/b.txt", "hello")
        .await
        .expect_err("no bucket");
    assert!(matches!(error, StorageError::Backend(_)), "{error}");
}
