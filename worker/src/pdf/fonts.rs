//! Which font draws which characters. ASCII text is Helvetica (built into every PDF reader,
//! nothing embedded); other text uses an embedded TrueType font, DejaVu Sans by default (Latin,
//! Greek, Cyrillic, Arabic, Hebrew…), and the characters it lacks (Chinese, Japanese, Korean)
//! a fallback font, Droid Sans Fallback by default. Each is read and embedded on first use.

use std::path::{Path, PathBuf};

use printpdf::{BuiltinFont, FontId, ParsedFont, PdfDocument, PdfFontHandle};

/// The TrueType files to embed (`reports.pdf_font_path`, `reports.pdf_fallback_font_path`).
#[derive(Debug, Clone)]
pub struct FontFiles {
    pub unicode: PathBuf,
    pub fallback: PathBuf,
}

struct Loaded {
    id: FontId,
    font: ParsedFont,
}

impl Loaded {
    fn has(&self, c: char) -> bool {
        self.font.lookup_glyph_index(u32::from(c)).is_some()
    }
}

pub struct Fonts {
    files: FontFiles,
    unicode: Option<Loaded>,
    fallback: Option<Loaded>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Face {
    Unicode,
    Fallback,
}

fn load(document: &mut PdfDocument, path: &Path, package: &str) -> anyhow::Result<Loaded> {
    let bytes = std::fs::read(path).map_err(|err| {
        anyhow::anyhow!(
            "the PDF font {} cannot be read ({err}); install {package} or configure its path",
            path.display()
        )
    })?;
    let font = ParsedFont::from_bytes(&bytes, 0, &mut Vec::new())
        .ok_or_else(|| anyhow::anyhow!("{} is not a TrueType font", path.display()))?;
    Ok(Loaded {
        id: document.add_font(&font),
        font,
    })
}

impl Fonts {
    pub fn new(files: FontFiles) -> Self {
        Self {
            files,
            unicode: None,
            fallback: None,
        }
    }

    /// `text` cut into runs that one font each draws, in order.
    pub fn runs(
        &mut self,
        document: &mut PdfDocument,
        text: &str,
        bold: bool,
    ) -> anyhow::Result<Vec<(PdfFontHandle, String)>> {
        if text.is_ascii() {
            let font = if bold {
                BuiltinFont::HelveticaBold
            } else {
                BuiltinFont::Helvetica
            };
            return Ok(vec![(PdfFontHandle::Builtin(font), text.to_owned())]);
        }
        if self.unicode.is_none() {
            self.unicode = Some(load(document, &self.files.unicode, "fonts-dejavu-core")?);
        }
        let mut runs: Vec<(Face, String)> = Vec::new();
        for c in text.chars() {
            let face = self.face_for(document, c)?;
            match runs.last_mut() {
                Some((last, run)) if *last == face => run.push(c),
                _ => runs.push((face, c.to_string())),
            }
        }
        Ok(runs
            .into_iter()
            .filter_map(|(face, run)| {
                let loaded = match face {
                    Face::Unicode => self.unicode.as_ref(),
                    Face::Fallback => self.fallback.as_ref(),
                }?;
                Some((PdfFontHandle::External(loaded.id.clone()), run))
            })
            .collect())
    }

    fn face_for(&mut self, document: &mut PdfDocument, c: char) -> anyhow::Result<Face> {
        if self.unicode.as_ref().is_some_and(|font| font.has(c)) || c.is_whitespace() {
            return Ok(Face::Unicode);
        }
        if self.fallback.is_none() {
            self.fallback = Some(load(
                document,
                &self.files.fallback,
                "fonts-droid-fallback",
            )?);
        }
        Ok(if self.fallback.as_ref().is_some_and(|font| font.has(c)) {
            Face::Fallback
        } else {
            // Neither has it: the main font's "missing glyph" box.
            Face::Unicode
        })
    }
}

fn is_right_to_left(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// PDF text is drawn left to right: runs of Hebrew or Arabic letters (and the spaces between
/// them) are reversed so they read right to left. A minimal bidi, without Arabic shaping: the
/// letters show in their isolated forms.
pub fn visual_order(text: &str) -> String {
    if !text.chars().any(is_right_to_left) {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    while index < chars.len() {
        if !is_right_to_left(chars[index]) {
            out.push(chars[index]);
            index += 1;
            continue;
        }
        let mut end = index;
        while end < chars.len()
            && (is_right_to_left(chars[end])
                || (chars[end] == ' ' && chars.get(end + 1).is_some_and(|c| is_right_to_left(*c))))
        {
            end += 1;
        }
        out.extend(chars[index..end].iter().rev());
        index = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::visual_order;

    #[test]
    fn right_to_left_runs_are_drawn_reversed_and_the_rest_kept() {
        assert_eq!(visual_order("Awa"), "Awa");
        assert_eq!(visual_order("Иван"), "Иван");
        assert_eq!(visual_order("فستان"), "ناتسف");
        assert_eq!(visual_order("Robe فستان أحمر 2"), "Robe رمحأ ناتسف 2");
    }
}
