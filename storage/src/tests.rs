use super::*;
use comptoir_domain::config::S3Settings;

fn local(root: &Path) -> Storage {
    Storage::from_settings(&StorageSettings {
        backend: StorageBackend::Local,
        root: root.to_path_buf(),
        s3: S3Settings::default(),
    })
    .expect("local storage")
}

fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    futures::stream::iter(
        parts
            .iter()
            .map(|part| Ok(Bytes::from_static(part)))
            .collect::<Vec<_>>(),
    )
}

#[tokio::test]
async fn a_streamed_upload_reads_back_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = local(dir.path());
    let size = storage
        .put_stream(
            "imports/a/file.csv",
            chunks(&[b"sku,name\n", b"A1,Mug\n"]),
            1024,
        )
        .await
        .expect("upload");
    assert_eq!(size, 16);
    let back = storage.get_bytes("imports/a/file.csv").await.expect("read");
    assert_eq!(&back[..], b"sku,name\nA1,Mug\n");
}

#[tokio::test]
async fn an_upload_over_the_limit_stores_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = local(dir.path());
    let error = storage
        .put_stream("big", chunks(&[b"0123456789", b"0123456789"]), 15)
        .await
        .expect_err("too large");
    assert!(matches!(error, StorageError::TooLarge { limit: 15 }));
    assert!(matches!(
        storage.get("big").await,
        Err(StorageError::NotFound(_))
    ));
}

#[tokio::test]
async fn keys_that_climb_out_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = local(dir.path());
    for key in ["../etc/passwd", "/abs", "a//b", "a/./b", ""] {
        assert!(
            matches!(
                storage.put_bytes(key, "x").await,
                Err(StorageError::InvalidKey(_))
            ),
            "{key:?} must be refused"
        );
    }
}

#[tokio::test]
async fn prefixes_delete_together_and_missing_objects_are_not_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = local(dir.path());
    storage
        .put_bytes("reports/1/a.csv", "a")
        .await
        .expect("put");
    storage
        .put_bytes("reports/1/b.csv", "b")
        .await
        .expect("put");
    storage
        .put_bytes("reports/2/c.csv", "c")
        .await
        .expect("put");
    assert_eq!(storage.delete_prefix("reports/1").await.expect("delete"), 2);
    assert!(storage.get_bytes("reports/2/c.csv").await.is_ok());
    storage
        .delete("reports/1/a.csv")
        .await
        .expect("idempotent delete");
}

#[tokio::test]
async fn a_local_file_uploads_and_downloads_streaming() {
    let dir = tempfile::tempdir().expect("tempdir");
    let storage = local(&dir.path().join("store"));
    let source = dir.path().join("source.bin");
    let content: Vec<u8> = (0..200_000_u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&source, &content).expect("write source");
    assert_eq!(
        storage
            .put_file("files/source.bin", &source)
            .await
            .expect("put"),
        200_000
    );
    let copy = dir.path().join("copy.bin");
    storage
        .download_to("files/source.bin", &copy)
        .await
        .expect("download");
    assert_eq!(std::fs::read(copy).expect("read copy"), content);
}
