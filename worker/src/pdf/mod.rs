//! A small drawing surface over printpdf 0.12 shared by every PDF the workers write (reports,
//! shipping documents): pages of a fixed size, text placed in millimetres from the bottom left
//! (any script: see [`fonts`]), rules and shaded boxes, written to a file at the end. printpdf
//! keeps the document in memory until then.

mod fonts;
pub mod sheet;

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use printpdf::{
    Color, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfPage, PdfSaveOptions, Point, Pt,
    Rect, Rgb, TextItem, TextMatrix,
};

pub use fonts::FontFiles;
use fonts::{Fonts, visual_order};

/// Average Helvetica glyph width in ems: enough to fit and right-align short text.
pub const AVERAGE_EM: f32 = 0.5;

/// The width `text` takes at `size` points, in mm (an estimate, see [`AVERAGE_EM`]).
pub fn text_width(text: &str, size: f32) -> f32 {
    text.chars().count() as f32 * char_width(size)
}

/// The average width of one character at `size` points, in mm.
pub fn char_width(size: f32) -> f32 {
    size * AVERAGE_EM * 25.4 / 72.0
}

/// `text` cut to at most `max` characters, ".." marking the cut.
pub fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(2)).collect();
    cut.push_str("..");
    cut
}

fn mm(value: f32) -> Pt {
    Mm(value).into_pt()
}

pub struct Canvas {
    document: PdfDocument,
    fonts: Fonts,
    pages: Vec<Vec<Op>>,
    width: f32,
    height: f32,
}

impl Canvas {
    /// An empty document of `width` × `height` mm pages (call [`Canvas::new_page`] first).
    pub fn new(title: &str, width: f32, height: f32, fonts: FontFiles) -> Self {
        Self {
            document: PdfDocument::new(title),
            fonts: Fonts::new(fonts),
            pages: Vec::new(),
            width,
            height,
        }
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    fn page(&mut self, index: usize) -> anyhow::Result<&mut Vec<Op>> {
        self.pages
            .get_mut(index)
            .ok_or_else(|| anyhow::anyhow!("no page {index}"))
    }

    /// Writes `text` with its baseline at (`x`, `y`) mm on the current page.
    pub fn text(
        &mut self,
        x: f32,
        y: f32,
        size: f32,
        text: &str,
        bold: bool,
    ) -> anyhow::Result<()> {
        let last = self.pages.len().saturating_sub(1);
        self.text_on(last, x, y, size, text, bold)
    }

    /// Writes `text` on page `index` (0-based), e.g. a footer once the page count is known.
    pub fn text_on(
        &mut self,
        index: usize,
        x: f32,
        y: f32,
        size: f32,
        text: &str,
        bold: bool,
    ) -> anyhow::Result<()> {
        let runs = self
            .fonts
            .runs(&mut self.document, &visual_order(text), bold)?;
        let mut ops = vec![
            Op::StartTextSection,
            Op::SetTextMatrix {
                matrix: TextMatrix::Translate(mm(x), mm(y)),
            },
        ];
        // Within one text section each run starts where the previous one ended.
        for (font, run) in runs {
            ops.push(Op::SetFont {
                font,
                size: Pt(size),
            });
            ops.push(Op::ShowText {
                items: vec![TextItem::Text(run)],
            });
        }
        ops.push(Op::EndTextSection);
        self.page(index)?.extend(ops);
        Ok(())
    }

    /// On every page, `note` at the bottom left and "Page i of n" at the bottom right, `margin`
    /// mm from the edges: called once every page is drawn.
    pub fn footers(&mut self, note: &str, margin: f32) -> anyhow::Result<()> {
        let count = self.page_count();
        for index in 0..count {
            self.text_on(index, margin, margin - 6.0, 7.0, note, false)?;
            let page = format!("Page {} of {count}", index + 1);
            let x = self.width - margin - text_width(&page, 7.0);
            self.text_on(index, x, margin - 6.0, 7.0, &page, false)?;
        }
        Ok(())
    }

    /// A horizontal rule from `x0` to `x1` at height `y`, `thickness` points, grey `shade`
    /// (0 black, 1 white).
    pub fn rule(&mut self, x0: f32, x1: f32, y: f32, thickness: f32, shade: f32) {
        let point = |x: f32| LinePoint {
            p: Point { x: mm(x), y: mm(y) },
            bezier: false,
        };
        if let Some(page) = self.pages.last_mut() {
            page.extend([
                Op::SetOutlineColor {
                    col: Color::Rgb(Rgb::new(shade, shade, shade, None)),
                },
                Op::SetOutlineThickness { pt: Pt(thickness) },
                Op::DrawLine {
                    line: Line {
                        points: vec![point(x0), point(x1)],
                        is_closed: false,
                    },
                },
            ]);
        }
    }

    /// The grey (0 black, 1 white) that text and boxes are filled with from here on.
    pub fn fill(&mut self, shade: f32) {
        if let Some(page) = self.pages.last_mut() {
            page.push(Op::SetFillColor {
                col: Color::Rgb(Rgb::new(shade, shade, shade, None)),
            });
        }
    }

    /// A filled grey box with its lower left corner at (`x`, `y`) mm; text drawn after it shows
    /// on top, in black.
    pub fn shade(&mut self, x: f32, y: f32, width: f32, height: f32, shade: f32) {
        self.fill(shade);
        if let Some(page) = self.pages.last_mut() {
            page.push(Op::DrawRectangle {
                rectangle: Rect {
                    mode: Some(PaintMode::Fill),
                    ..Rect::from_xywh(mm(x), mm(y), mm(width), mm(height))
                },
            });
        }
        self.fill(0.0);
    }

    /// Writes the document to `path` and syncs it to disk.
    pub fn save(mut self, path: &Path) -> anyhow::Result<()> {
        let (width, height) = (self.width, self.height);
        let pages = std::mem::take(&mut self.pages)
            .into_iter()
            .map(|ops| PdfPage::new(Mm(width), Mm(height), ops))
            .collect();
        self.document.with_pages(pages);
        let mut out = BufWriter::new(File::create(path)?);
        self.document
            .save_writer(&mut out, &PdfSaveOptions::default(), &mut Vec::new());
        out.into_inner()
            .map_err(|err| err.into_error())?
            .sync_all()?;
        Ok(())
    }
}
