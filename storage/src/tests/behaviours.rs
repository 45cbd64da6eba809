//! What every backend must do alike. Each function below is one behaviour, given a fresh store;
//! the macro turns it into a `local` and an `s3` test.

use super::*;

const MIB: usize = 1024 * 1024;

on_both_backends!(
    a_streamed_upload_larger_than_a_part_reads_back_byte_exact,
    a_small_upload_and_an_empty_one_read_back,
    an_upload_past_its_limit_fails_and_leaves_nothing,
    an_upload_of_exactly_its_limit_is_stored,
    a_failed_upload_leaves_the_previous_object_untouched,
    a_failing_source_stores_nothing,
    a_cancelled_upload_leaves_nothing,
    writes_replace_what_was_under_the_key,
    deletes_remove_objects_and_missing_objects_are_not_errors,
    a_prefix_deletes_its_objects_and_not_its_neighbours,
    missing_objects_are_not_found,
    a_local_file_uploads_and_downloads_streaming,
    keys_that_climb_out_are_refused,
);

async fn a_streamed_upload_larger_than_a_part_reads_back_byte_exact(store: &Fixture) {
    // Three parts of 5 MiB, 5 MiB and the rest, fed in odd-sized chunks across part boundaries.
    let content = noise(2 * PART_BYTES + 123_457);
    let size = store
        .storage
        .put_stream("imports/1/big.zip", stream_of(&content, 100_003), u64::MAX)
        .await
        .expect("upload");
    assert_eq!(size, content.len() as u64);

    let download = store.storage.get("imports/1/big.zip").await.expect("get");
    assert_eq!(download.size, content.len() as u64);
    let chunks: Vec<Bytes> = download.bytes.try_collect().await.expect("stream");
    assert!(chunks.concat() == content, "streamed read differs");
    let whole = store
        .storage
        .get_bytes("imports/1/big.zip")
        .await
        .expect("get_bytes");
    assert!(whole[..] == content[..], "whole read differs");

    if let Backend::S3 = store.backend {
        // A multipart object's ETag ends in its part count: the body really went in 3 parts.
        let meta = store
            .storage
            .store
            .head(&parse_key("imports/1/big.zip").expect("key"))
            .await
            .expect("head");
        let e_tag = meta.e_tag.expect("an ETag");
        assert!(e_tag.trim_matches('"').ends_with("-3"), "ETag {e_tag}");
    }
    assert_eq!(store.everything().await, ["imports/1/big.zip"]);
}

async fn a_small_upload_and_an_empty_one_read_back(store: &Fixture) {
    let size = store
        .storage
        .put_stream(
            "imports/a/file.csv",
            stream_of(b"sku,name\nA1,Mug\n", 9),
            1024,
        )
        .await
        .expect("upload");
    assert_eq!(size, 16);
    let back = store
        .storage
        .get_bytes("imports/a/file.csv")
        .await
        .expect("read");
    assert_eq!(&back[..], b"sku,name\nA1,Mug\n");

    let size = store
        .storage
        .put_stream("imports/a/empty.csv", stream_of(b"", 1), 1024)
        .await
        .expect("empty upload");
    assert_eq!(size, 0);
    let download = store.storage.get("imports/a/empty.csv").await.expect("get");
    assert_eq!(download.size, 0);
    let chunks: Vec<Bytes> = download.bytes.try_collect().await.expect("stream");
    assert!(chunks.concat().is_empty());
    assert_eq!(
        store.everything().await,
        ["imports/a/empty.csv", "imports/a/file.csv"]
    );
}

async fn an_upload_past_its_limit_fails_and_leaves_nothing(store: &Fixture) {
    // A first part is already uploaded when the limit trips: the abort must clean it up.
    let limit = (6 * MIB) as u64;
    let error = store
        .storage
        .put_stream("imports/2/big.csv", stream_of(&noise(8 * MIB), MIB), limit)
        .await
        .expect_err("too large");
    assert!(
        matches!(error, StorageError::TooLarge { limit: l } if l == limit),
        "{error}"
    );
    assert!(matches!(
        store.storage.get("imports/2/big.csv").await,
        Err(StorageError::NotFound(_))
    ));
    assert_eq!(store.everything().await, Vec::<String>::new());
}

async fn an_upload_of_exactly_its_limit_is_stored(store: &Fixture) {
    let content = noise(PART_BYTES + 10);
    let size = store
        .storage
        .put_stream(
            "images/exact.png",
            stream_of(&content, 65_536),
            content.len() as u64,
        )
        .await
        .expect("an upload of exactly the limit");
    assert_eq!(size, content.len() as u64);
    let back = store
        .storage
        .get_bytes("images/exact.png")
        .await
        .expect("read");
    assert!(back[..] == content[..]);
}

async fn a_failed_upload_leaves_the_previous_object_untouched(store: &Fixture) {
    store
        .storage
        .put_bytes("shops/7/snapshot.json", "{\"v\":1}")
        .await
        .expect("put");
    let error = store
        .storage
        .put_stream("shops/7/snapshot.json", stream_of(&noise(7 * MIB), MIB), 1)
        .await
        .expect_err("too large");
    assert!(matches!(error, StorageError::TooLarge { limit: 1 }));
    let back = store
        .storage
        .get_bytes("shops/7/snapshot.json")
        .await
        .expect("the old object");
    assert_eq!(&back[..], b"{\"v\":1}");
    assert_eq!(store.everything().await, ["shops/7/snapshot.json"]);
}

async fn a_failing_source_stores_nothing(store: &Fixture) {
    let part = Bytes::from(noise(3 * MIB));
    let source = futures::stream::iter(vec![
        Ok(part.clone()),
        Ok(part),
        Err(std::io::Error::other("client went away")),
    ]);
    let error = store
        .storage
        .put_stream("imports/3/cut.csv", source, u64::MAX)
        .await
        .expect_err("source failed");
    assert!(
        matches!(&error, StorageError::Source(message) if message.contains("client went away")),
        "{error}"
    );
    assert_eq!(store.everything().await, Vec::<String>::new());
}

/// The request carrying an upload is dropped half-way (a client timeout, a shutdown).
async fn a_cancelled_upload_leaves_nothing(store: &Fixture) {
    let (chunks, source) = futures::channel::mpsc::unbounded::<Result<Bytes, std::io::Error>>();
    chunks
        .unbounded_send(Ok(Bytes::from(noise(PART_BYTES + 1))))
        .expect("send");
    let storage = store.storage.clone();
    let upload = tokio::spawn(async move {
        storage
            .put_stream("imports/4/cancelled.csv", source, u64::MAX)
            .await
    });
    eventually(store, "the upload to begin", |found| !found.is_empty()).await;
    upload.abort();
    assert!(upload.await.expect_err("cancelled").is_cancelled());
    drop(chunks);
    eventually(store, "the upload to be cleaned up", <[String]>::is_empty).await;
}

/// Waits (polling, up to 10 s) until what the store holds satisfies `done`.
async fn eventually(store: &Fixture, what: &str, done: impl Fn(&[String]) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let found = store.everything().await;
        if done(&found) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "waited 10 s for {what}; the store holds {found:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

async fn writes_replace_what_was_under_the_key(store: &Fixture) {
    let storage = &store.storage;
    storage.put_bytes("media/a.webp", "one").await.expect("put");
    storage.put_bytes("media/a.webp", "two").await.expect("put");
    assert_eq!(
        &storage.get_bytes("media/a.webp").await.expect("get")[..],
        b"two"
    );
    storage
        .put_stream("media/a.webp", stream_of(b"three", 2), 100)
        .await
        .expect("stream");
    assert_eq!(
        &storage.get_bytes("media/a.webp").await.expect("get")[..],
        b"three"
    );
    assert_eq!(store.everything().await, ["media/a.webp"]);
}

async fn deletes_remove_objects_and_missing_objects_are_not_errors(store: &Fixture) {
    let storage = &store.storage;
    storage.put_bytes("images/1/a.png", "a").await.expect("put");
    storage.put_bytes("images/1/b.png", "b").await.expect("put");
    storage.delete("images/1/a.png").await.expect("delete");
    assert!(matches!(
        storage.get("images/1/a.png").await,
        Err(StorageError::NotFound(_))
    ));
    storage
        .delete("images/1/a.png")
        .await
        .expect("idempotent delete");
    storage
        .delete("never/written")
        .await
        .expect("missing delete");
    assert_eq!(store.everything().await, ["images/1/b.png"]);
}

async fn a_prefix_deletes_its_objects_and_not_its_neighbours(store: &Fixture) {
    let storage = &store.storage;
    for key in [
        "reports/1/a.csv",
        "reports/1/b.csv",
        "reports/1/deep/c.csv",
        "reports/10/d.csv",
        "reports/2/e.csv",
    ] {
        storage.put_bytes(key, key.to_owned()).await.expect("put");
    }
    assert_eq!(storage.delete_prefix("reports/1").await.expect("delete"), 3);
    assert_eq!(
        store.everything().await,
        ["reports/10/d.csv", "reports/2/e.csv"]
    );
    assert_eq!(storage.delete_prefix("reports/1").await.expect("again"), 0);
    assert_eq!(
        storage.delete_prefix("nothing/here").await.expect("none"),
        0
    );
}

async fn missing_objects_are_not_found(store: &Fixture) {
    let storage = &store.storage;
    assert!(matches!(
        storage.get("imports/none.csv").await,
        Err(StorageError::NotFound(key)) if key == "imports/none.csv"
    ));
    assert!(matches!(
        storage.get_bytes("imports/none.csv").await,
        Err(StorageError::NotFound(_))
    ));
    assert!(matches!(
        storage
            .download_to("imports/none.csv", &store.scratch().join("none"))
            .await,
        Err(StorageError::NotFound(_))
    ));
}

async fn a_local_file_uploads_and_downloads_streaming(store: &Fixture) {
    let source = store.scratch().join("source.bin");
    let content = noise(PART_BYTES + 200_000);
    std::fs::write(&source, &content).expect("write source");
    let size = store
        .storage
        .put_file("files/source.bin", &source)
        .await
        .expect("put");
    assert_eq!(size, content.len() as u64);
    let copy = store.scratch().join("copy.bin");
    let size = store
        .storage
        .download_to("files/source.bin", &copy)
        .await
        .expect("download");
    assert_eq!(size, content.len() as u64);
    assert!(std::fs::read(copy).expect("read copy") == content);
}

async fn keys_that_climb_out_are_refused(store: &Fixture) {
    for key in ["../etc/passwd", "/abs", "a//b", "a/./b", "a/", ""] {
        assert!(
            matches!(
                store.storage.put_bytes(key, "x").await,
                Err(StorageError::InvalidKey(_))
            ),
            "{key:?} must be refused"
        );
    }
    assert_eq!(store.everything().await, Vec::<String>::new());
}
