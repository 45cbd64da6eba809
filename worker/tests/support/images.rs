//! Image fixtures, made in memory: photos, hostile files, and settings for pipeline tests.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use figment::providers::Serialized;
use image::{DynamicImage, ImageFormat, RgbImage};

use comptoir_domain::config::Settings;

/// The EICAR anti-virus test file (the signature services.sh loads into clamd).
pub const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// A Windows executable's first bytes.
pub const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00\x00\x00\x00\x00@\x00This program cannot be run in DOS mode.\r\r\n$";

/// A gradient picture, so that resized variants are not trivially uniform.
pub fn picture(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 128])
    }))
}

pub fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).expect("encodes");
    bytes.into_inner()
}

pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    encode(&picture(width, height), ImageFormat::Jpeg)
}

pub fn png(width: u32, height: u32) -> Vec<u8> {
    encode(&picture(width, height), ImageFormat::Png)
}

/// `jpeg` with an EXIF APP1 segment right after SOI holding only the orientation tag.
pub fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\x00\x2a\x00\x00\x00\x08"); // big-endian, first IFD at 8
    tiff.extend_from_slice(&1_u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112_u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3_u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1_u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding
    tiff.extend_from_slice(&0_u32.to_be_bytes()); // no next IFD
    let mut segment = b"Exif\x00\x00".to_vec();
    segment.extend_from_slice(&tiff);
    let length = u16::try_from(segment.len() + 2).expect("small segment");
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A grey PNG claiming `width`x`height` whose IDAT holds the zlib-compressed zeros of its
/// first `rows` rows: tens of KB that would inflate to width*height bytes.
pub fn bomb_png(width: u32, height: u32, rows: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).expect("chunk").to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    chunk(&mut out, b"IHDR", &header);
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0_u8; width as usize + 1]; // filter byte + pixels
    for _ in 0..rows {
        zlib.write_all(&row).expect("compress");
    }
    chunk(&mut out, b"IDAT", &zlib.finish().expect("compress"));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A fresh storage directory where the testkit keeps test storage (scripts/test.sh clears it).
pub fn storage_dir() -> PathBuf {
    std::env::temp_dir().join(format!("comptoir-tests/{}", uuid::Uuid::now_v7().simple()))
}

/// Test settings without a database (the pipeline does not use one), storing under `root`.
pub fn pipeline_settings(root: &Path) -> Settings {
    let figment = Settings::figment_for("test").merge(Serialized::default("storage.root", root));
    Settings::from_figment(figment).expect("valid settings")
}

/// Every file under `dir`, as paths relative to it.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                found.push(relative.display().to_string());
            }
        }
    }
    found.sort();
    found
}
