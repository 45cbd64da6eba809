//! Image variants benchmark (see README "Benchmarks"): N generated 12 MP photos (4000x3000
//! JPEGs with gradients and noise) through our pipeline — clamd scan included, then decode,
//! resize to 1080/480/160 px and encode WebP + JPEG into local storage — next to libvips'
//! `vipsthumbnail` making the same widths in both formats, with the same parallelism.
//!
//! Run: `scripts/services.sh --with-clamd && COMPTOIR_ENV=test cargo bench -p comptoir-worker --bench images`
//! Sizes: BENCH_IMAGES (default 200 photos), BENCH_IMAGES_PARALLEL (default 2).
//! The photos are generated once into $TMPDIR/comptoir-bench-photos-<N>, and kept.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use bytes::Bytes;
use figment::providers::Serialized;
use futures::{StreamExt, TryStreamExt};
use image::{ImageFormat, RgbImage};
use rand::Rng;

use comptoir_domain::config::Settings;
use comptoir_storage::Storage;
use comptoir_testkit::bench::env_number;
use comptoir_worker::images::{ImagePipeline, Scanner, Verdict};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;

fn photo(seed: u32) -> RgbImage {
    let mut rng = rand::rng();
    RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let noise: i32 = rng.random_range(-24..=24);
        let channel = |base: u32| (base as i32 + noise).clamp(0, 255) as u8;
        image::Rgb([
            channel((x * 255 / WIDTH + seed * 37) % 256),
            channel(y * 255 / HEIGHT),
            channel(((x + y) / 40 + seed) % 256),
        ])
    })
}

/// The photos, generated on the first run.
fn photos(count: usize) -> Vec<PathBuf> {
    let dir = std::env::temp_dir().join(format!("comptoir-bench-photos-{count}"));
    std::fs::create_dir_all(&dir).expect("photo directory");
    (0..count)
        .map(|n| {
            let path = dir.join(format!("photo-{n:04}.jpg"));
            if !path.exists() {
                let partial = path.with_extension("part");
                photo(n as u32)
                    .save_with_format(&partial, ImageFormat::Jpeg)
                    .expect("photo written");
                std::fs::rename(&partial, &path).expect("photo in place");
            }
            path
        })
        .collect()
}

fn settings(root: &Path) -> Settings {
    let figment = Settings::figment_for("test").merge(Serialized::default("storage.root", root));
    Settings::from_figment(figment).expect("valid settings")
}

fn report(what: &str, variants: usize, seconds: f64, photos: usize) {
    println!(
        "{what:<34} {variants:>6} variants in {seconds:>7.2} s  {:>7.1} variants/s  {:>6.1} ms/photo",
        variants as f64 / seconds,
        seconds * 1000.0 / photos as f64
    );
}

async fn ours(paths: &[PathBuf], parallel: usize, settings: &Settings) -> (usize, f64) {
    let storage = Storage::from_settings(&settings.storage).expect("storage");
    let pipeline = ImagePipeline::new(&settings.images, &settings.clamd, storage);
    let started = Instant::now();
    let variants: Vec<usize> = futures::stream::iter(paths)
        .map(|path| {
            let pipeline = pipeline.clone();
            async move {
                let bytes = Bytes::from(tokio::fs::read(path).await?);
                let prepared = pipeline
                    .prepare(bytes)
                    .await
                    .map_err(|e| std::io::Error::other(e.to_string()))?
                    .map_err(|r| std::io::Error::other(r.to_string()))?;
                Ok::<_, std::io::Error>(prepared.variants.len())
            }
        })
        .buffer_unordered(parallel)
        .try_collect()
        .await
        .expect("every photo is accepted");
    (variants.iter().sum(), started.elapsed().as_secs_f64())
}

async fn clamd_only(paths: &[PathBuf], settings: &Settings) -> f64 {
    let scanner = Scanner::new(&settings.clamd);
    let started = Instant::now();
    for path in paths {
        let bytes = tokio::fs::read(path).await.expect("photo");
        let verdict = scanner.scan(&bytes).await.expect("clamd is up");
        assert_eq!(verdict, Verdict::Clean);
    }
    started.elapsed().as_secs_f64()
}

/// One `vipsthumbnail` run per width and format, as our pipeline makes them.
async fn vips(paths: &[PathBuf], parallel: usize, widths: &[u32], out: &Path) -> (usize, f64) {
    let mut jobs = Vec::new();
    for path in paths {
        for width in widths {
            for (format, options) in [("webp", "[Q=80,strip]"), ("jpg", "[Q=82,strip]")] {
                jobs.push((
                    path.clone(),
                    *width,
                    format!("%s-{width}.{format}{options}"),
                ));
            }
        }
    }
    let started = Instant::now();
    let count = jobs.len();
    futures::stream::iter(jobs)
        .map(|(path, width, output)| async move {
            let status = tokio::process::Command::new("vipsthumbnail")
                .arg(&path)
                .args(["--size", &format!("{width}x"), "-o"])
                .arg(out.join(output))
                .stdout(Stdio::null())
                .status()
                .await
                .expect("vipsthumbnail runs");
            assert!(
                status.success(),
                "vipsthumbnail failed on {}",
                path.display()
            );
        })
        .buffer_unordered(parallel)
        .collect::<Vec<()>>()
        .await;
    (count, started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() {
    let count = env_number("BENCH_IMAGES", 200);
    let parallel = env_number("BENCH_IMAGES_PARALLEL", 2);
    let generating = Instant::now();
    let paths = photos(count);
    println!(
        "{count} photos of {WIDTH}x{HEIGHT} ready in {:.1} s; {parallel} in parallel",
        generating.elapsed().as_secs_f64()
    );
    let work = tempfile::tempdir().expect("temporary directory");
    let settings = settings(&work.path().join("storage"));

    let (variants, seconds) = ours(&paths, parallel, &settings).await;
    report(
        "comptoir (clamd + decode + resize)",
        variants,
        seconds,
        count,
    );
    let scanning = clamd_only(&paths, &settings).await;
    println!(
        "  of which clamd scans, one at a time: {:.1} ms/photo",
        scanning * 1000.0 / count as f64
    );

    let has_vips = std::process::Command::new("vipsthumbnail")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_vips {
        println!(
            "vipsthumbnail not found: `apt-get install -y libvips-tools` to compare with libvips"
        );
        return;
    }
    let out = work.path().join("vips");
    std::fs::create_dir_all(&out).expect("vips output");
    let (variants, seconds) = vips(&paths, parallel, &settings.images.variant_widths, &out).await;
    report(
        "vipsthumbnail (one run per variant)",
        variants,
        seconds,
        count,
    );
}
