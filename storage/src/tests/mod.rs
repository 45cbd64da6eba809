//! The storage behaviours, each run against both backends: a local directory and an S3 bucket on
//! moto (`scripts/services.sh` starts it; `COMPTOIR_TEST_S3_ENDPOINT` points elsewhere). Every
//! test has its own directory or bucket, so they run in parallel. Without moto the S3 variants
//! fail: they are not skipped.

use super::*;

mod behaviours;
mod moto;
mod s3;

#[derive(Debug, Clone, Copy)]
enum Backend {
    Local,
    S3,
}

/// A fresh, empty store of one backend, and a way to see everything it holds from outside
/// `object_store` (files on disk, or the bucket's objects and unfinished multipart uploads).
struct Fixture {
    storage: Storage,
    backend: Backend,
    dir: tempfile::TempDir,
    bucket: String,
}

impl Fixture {
    async fn new(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (storage, bucket) = match backend {
            Backend::Local => (local(&dir.path().join("store")), String::new()),
            Backend::S3 => {
                let bucket = moto::create_bucket().await;
                (s3(&moto::s3_settings(&bucket)), bucket)
            }
        };
        Self {
            storage,
            backend,
            dir,
            bucket,
        }
    }

    /// Every key the backend holds, sorted; S3's unfinished multipart uploads as `upload:{key}`
    /// and the local backend's staging files under their own names.
    async fn everything(&self) -> Vec<String> {
        let mut found = match self.backend {
            Backend::Local => {
                let mut files = Vec::new();
                walk(&self.dir.path().join("store"), "", &mut files);
                files
            }
            Backend::S3 => moto::everything(&self.bucket).await,
        };
        found.sort();
        found
    }

    /// Empties and removes the bucket once a test passed (moto keeps everything in memory); the
    /// local directory goes with the `TempDir`.
    async fn remove(self) {
        if let Backend::S3 = self.backend {
            let keys = self
                .storage
                .store
                .list(None)
                .map_ok(|meta| meta.location)
                .boxed();
            let _: Vec<Key> = self
                .storage
                .store
                .delete_stream(keys)
                .try_collect()
                .await
                .expect("empty the bucket");
            moto::delete_bucket(&self.bucket).await;
        }
    }

    /// A scratch directory beside the store, for `put_file` and `download_to`.
    fn scratch(&self) -> &Path {
        self.dir.path()
    }
}

fn local(root: &Path) -> Storage {
    Storage::from_settings(&StorageSettings {
        backend: StorageBackend::Local,
        root: root.to_path_buf(),
        s3: S3Settings::default(),
    })
    .expect("local storage")
}

fn s3(settings: &S3Settings) -> Storage {
    Storage::from_settings(&StorageSettings {
        backend: StorageBackend::S3,
        root: "unused".into(),
        s3: settings.clone(),
    })
    .expect("S3 storage")
}

fn walk(dir: &Path, prefix: &str, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let entry = entry.expect("directory entry");
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().expect("file type").is_dir() {
            walk(&entry.path(), &format!("{name}/"), files);
        } else {
            files.push(name);
        }
    }
}

/// Deterministic, incompressible-looking bytes.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// `content` as a source stream of `chunk`-byte pieces (the last one shorter).
fn stream_of(
    content: &[u8],
    chunk: usize,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin + use<> {
    let pieces: Vec<_> = content
        .chunks(chunk)
        .map(|piece| Ok(Bytes::copy_from_slice(piece)))
        .collect();
    futures::stream::iter(pieces)
}

/// One `mod` per behaviour, with a `local` and an `s3` test calling `behaviour(&Fixture)`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::{Backend, Fixture};

            #[tokio::test]
            async fn local() {
                let store = Fixture::new(Backend::Local).await;
                super::$name(&store).await;
                store.remove().await;
            }
            #[tokio::test]
            async fn s3() {
                let store = Fixture::new(Backend::S3).await;
                super::$name(&store).await;
                store.remove().await;
            }
        }
    )*};
}
use on_both_backends;
