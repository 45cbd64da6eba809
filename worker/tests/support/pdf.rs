//! Reading PDFs back with poppler-utils (scripts/services.sh installs it): their text, and
//! their pages as PNG images for a person to look at.

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(command: &mut Command) -> Vec<u8> {
    let output = command
        .output()
        .expect("poppler-utils (scripts/services.sh installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The PDF's text, laid out as on the page (`pdftotext -layout`), without the bidi embedding
/// marks pdftotext puts around right-to-left runs.
pub fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, bytes).expect("write");
    let text = run(Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-"));
    String::from_utf8(text)
        .expect("utf-8")
        .chars()
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect()
}

/// Renders the PDF's pages at 80 dpi as `<dir>/<name>-<page>.png` (`pdftoppm`); returns them.
pub fn pdf_pages_png(bytes: &[u8], dir: &Path, name: &str) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("png dir");
    let pdf = dir.join(format!("{name}.pdf"));
    std::fs::write(&pdf, bytes).expect("write");
    run(Command::new("pdftoppm")
        .args(["-png", "-r", "80"])
        .arg(&pdf)
        .arg(dir.join(name)));
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("png dir")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "png")
                && path
                    .file_name()
                    .and_then(|file| file.to_str())
                    .is_some_and(|file| file.starts_with(&format!("{name}-")))
        })
        .collect();
    pages.sort();
    pages
}
