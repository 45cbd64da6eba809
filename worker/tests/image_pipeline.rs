//! The image pipeline against the real clamd (scripts/services.sh --with-clamd): what is
//! refused, what is stored, and the shape of the variants.

mod support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use image::{GenericImageView, ImageFormat};

use comptoir_domain::config::Settings;
use comptoir_storage::Storage;
use comptoir_worker::JobError;
use comptoir_worker::images::{ImagePipeline, PreparedImage, Rejection, Scanner, Verdict};
use support::free_port;
use support::images::{
    EICAR, EXE, bomb_png, files_under, jpeg, pipeline_settings, png, storage_dir,
    with_exif_orientation,
};

struct Fixture {
    settings: Settings,
    storage: Storage,
    root: std::path::PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let root = storage_dir();
        let settings = pipeline_settings(&root);
        let storage = Storage::from_settings(&settings.storage).expect("storage");
        Self {
            settings,
            storage,
            root,
        }
    }

    fn pipeline(&self) -> ImagePipeline {
        ImagePipeline::new(
            &self.settings.images,
            &self.settings.clamd,
            self.storage.clone(),
        )
    }

    async fn prepare(&self, bytes: &[u8]) -> Result<PreparedImage, Rejection> {
        self.pipeline()
            .prepare(Bytes::copy_from_slice(bytes))
            .await
            .expect("clamd and storage are up")
    }

    async fn refused(&self, bytes: &[u8]) -> Rejection {
        self.prepare(bytes).await.expect_err("refused")
    }

    async fn decoded(&self, key: &str) -> image::DynamicImage {
        let bytes = self.storage.get_bytes(key).await.expect("variant stored");
        image::load_from_memory(&bytes).expect("variant decodes")
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[tokio::test]
async fn the_eicar_file_is_rejected_as_infected_and_nothing_is_stored() {
    let fixture = Fixture::new();
    let rejection = fixture.refused(EICAR).await;
    assert_eq!(rejection.code, "infected");
    assert!(rejection.detail.contains("Eicar"), "{rejection}");
    assert!(files_under(&fixture.root).is_empty());
}

#[tokio::test]
async fn clamd_unreachable_is_a_transient_error_never_a_pass() {
    let mut fixture = Fixture::new();
    fixture.settings.clamd.address = format!("127.0.0.1:{}", free_port());
    let outcome = fixture.pipeline().prepare(Bytes::from(jpeg(64, 48))).await;
    assert!(
        matches!(outcome, Err(JobError::Transient(_))),
        "{outcome:?}"
    );
    assert!(files_under(&fixture.root).is_empty());
}

#[tokio::test]
async fn bytes_over_clamds_stream_limit_are_a_scan_error_not_clean() {
    let mut fixture = Fixture::new();
    fixture.settings.clamd.max_stream_bytes = 1024;
    let photo = jpeg(400, 300);
    assert!(photo.len() > 1024);
    let verdict = Scanner::new(&fixture.settings.clamd)
        .scan(&photo)
        .await
        .expect("no outage");
    assert!(matches!(verdict, Verdict::Error(_)), "{verdict:?}");
    assert_eq!(fixture.refused(&photo).await.code, "scan_failed");
    assert!(files_under(&fixture.root).is_empty());
}

#[tokio::test]
async fn a_clean_photo_gets_every_variant_in_webp_and_jpeg() {
    let fixture = Fixture::new();
    let prepared = fixture.prepare(&jpeg(1600, 1200)).await.expect("accepted");
    assert_eq!((prepared.width, prepared.height), (1600, 1200));
    let shapes: Vec<(u32, u32, &str)> = prepared
        .variants
        .iter()
        .map(|v| (v.width, v.height, v.format.extension()))
        .collect();
    assert_eq!(
        shapes,
        [
            (1080, 810, "webp"),
            (1080, 810, "jpg"),
            (480, 360, "webp"),
            (480, 360, "jpg"),
            (160, 120, "webp"),
            (160, 120, "jpg")
        ]
    );
    let digest = hex::encode(prepared.sha256);
    for variant in &prepared.variants {
        assert_eq!(
            variant.key,
            format!(
                "images/{digest}/{}.{}",
                variant.width,
                variant.format.extension()
            )
        );
        let stored = fixture.decoded(&variant.key).await;
        assert_eq!(stored.dimensions(), (variant.width, variant.height));
    }
    // Content-addressed: a second run rewrites the same objects.
    let again = fixture.prepare(&jpeg(1600, 1200)).await.expect("accepted");
    assert_eq!(again, prepared);
    assert_eq!(files_under(&fixture.root).len(), 6);
}

#[tokio::test]
async fn small_images_are_never_upscaled() {
    let fixture = Fixture::new();
    let prepared = fixture.prepare(&jpeg(300, 200)).await.expect("accepted");
    let widths: Vec<u32> = prepared.variants.iter().map(|v| v.width).collect();
    assert_eq!(widths, [160, 160]);
    let tiny = fixture.prepare(&png(90, 60)).await.expect("accepted");
    let shapes: Vec<(u32, u32)> = tiny.variants.iter().map(|v| (v.width, v.height)).collect();
    assert_eq!(shapes, [(90, 60), (90, 60)], "its own width, not 160");
}

#[tokio::test]
async fn the_format_comes_from_the_bytes_not_the_name() {
    let fixture = Fixture::new();
    // What a client calls photo.jpg may be a PNG: it is read as one.
    let prepared = fixture
        .prepare(&png(640, 480))
        .await
        .expect("a PNG is fine");
    assert_eq!((prepared.width, prepared.height), (640, 480));
    let rejection = fixture.refused(EXE).await;
    assert_eq!(rejection.code, "unsupported_format");
    let text = fixture.refused(b"sku,name\nA-1,Kora\n").await;
    assert_eq!(text.code, "unsupported_format");
}

#[tokio::test]
async fn decompression_bombs_are_refused_from_the_header_quickly() {
    let fixture = Fixture::new();
    for (width, height) in [(50_000, 50_000), (10_000, 10_000)] {
        let bomb = bomb_png(width, height, 400);
        assert!(bomb.len() < 200_000, "{} bytes", bomb.len());
        let started = Instant::now();
        let rejection = fixture.refused(&bomb).await;
        assert_eq!(rejection.code, "too_large", "{width}x{height}: {rejection}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "refused before decoding, not after ({:?})",
            started.elapsed()
        );
    }
    assert!(files_under(&fixture.root).is_empty());
}

#[tokio::test]
async fn truncated_images_are_refused_as_corrupt() {
    let fixture = Fixture::new();
    let photo = jpeg(800, 600);
    assert_eq!(
        fixture.refused(&photo[..photo.len() / 2]).await.code,
        "corrupt_image"
    );
    let picture = png(800, 600);
    assert_eq!(
        fixture.refused(&picture[..picture.len() / 2]).await.code,
        "corrupt_image"
    );
    assert!(files_under(&fixture.root).is_empty());
}

#[tokio::test]
async fn exif_orientation_is_applied_and_no_metadata_is_kept() {
    let fixture = Fixture::new();
    // 600x300 stored sideways; orientation 6 means "rotate 90° clockwise to display".
    let sideways = with_exif_orientation(&jpeg(600, 300), 6);
    assert_eq!(
        image::load_from_memory_with_format(&sideways, ImageFormat::Jpeg)
            .expect("valid JPEG")
            .dimensions(),
        (600, 300)
    );
    let prepared = fixture.prepare(&sideways).await.expect("accepted");
    assert_eq!((prepared.width, prepared.height), (300, 600));
    let shapes: Vec<(u32, u32)> = prepared
        .variants
        .iter()
        .map(|v| (v.width, v.height))
        .collect();
    assert_eq!(shapes, [(160, 320), (160, 320)]);
    for variant in &prepared.variants {
        let bytes = fixture
            .storage
            .get_bytes(&variant.key)
            .await
            .expect("stored");
        assert!(
            !bytes.windows(4).any(|w| w == b"Exif"),
            "{} keeps no EXIF",
            variant.key
        );
        assert_eq!(fixture.decoded(&variant.key).await.dimensions(), (160, 320));
    }
}
