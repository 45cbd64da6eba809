//! PDF (printpdf 0.12), A4 landscape: on every page the title, period and generation time, the
//! table header, rows, and "Page i of n"; a totals line closes the table. Text is Helvetica
//! (built in) when it is ASCII, and an embedded TrueType font (DejaVu Sans by default) otherwise,
//! so Cyrillic or Arabic names render instead of turning into `?`. printpdf keeps the document
//! in memory until it is written, hence the lower `reports.pdf_max_rows` cap.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use printpdf::{
    BuiltinFont, Color, FontId, Line, LinePoint, Mm, Op, ParsedFont, PdfDocument, PdfFontHandle,
    PdfPage, PdfSaveOptions, Point, Pt, Rgb, TextItem, TextMatrix,
};

use comptoir_domain::report_rows::{Cell, Kind};

use super::writer::{Meta, ReportWriter, Totals, text_of};

const PAGE_WIDTH: f32 = 297.0;
const PAGE_HEIGHT: f32 = 210.0;
const MARGIN: f32 = 12.0;
const ROW_HEIGHT: f32 = 5.0;
const FONT_SIZE: f32 = 7.5;
/// Where the table's first row sits, under the title block and header.
const TABLE_TOP: f32 = PAGE_HEIGHT - MARGIN - 22.0;
const TABLE_BOTTOM: f32 = MARGIN + 8.0;
/// Average Helvetica glyph width in ems: enough to fit and right-align cells.
const AVERAGE_EM: f32 = 0.5;

pub struct PdfWriter {
    document: PdfDocument,
    path: PathBuf,
    meta: Meta,
    font_path: PathBuf,
    /// Loaded on the first non-ASCII text.
    unicode_font: Option<FontId>,
    /// Left edge and width of each column, in mm.
    columns: Vec<(f32, f32)>,
    pages: Vec<Vec<Op>>,
    /// Baseline of the next row on the current page.
    y: f32,
}

fn mm_to_pt(mm: f32) -> Pt {
    Mm(mm).into_pt()
}

impl PdfWriter {
    pub fn create(path: &Path, meta: Meta, font_path: &Path) -> anyhow::Result<Self> {
        let usable = PAGE_WIDTH - 2.0 * MARGIN;
        let weights: f32 = meta.columns.iter().map(|c| f32::from(c.width)).sum();
        let mut left = MARGIN;
        let columns = meta
            .columns
            .iter()
            .map(|column| {
                let width = usable * f32::from(column.width) / weights;
                left += width;
                (left - width, width)
            })
            .collect();
        let mut writer = Self {
            document: PdfDocument::new(&meta.title),
            path: path.to_owned(),
            meta,
            font_path: font_path.to_owned(),
            unicode_font: None,
            columns,
            pages: Vec::new(),
            y: 0.0,
        };
        writer.new_page()?;
        Ok(writer)
    }

    fn font_for(&mut self, text: &str, bold: bool) -> anyhow::Result<PdfFontHandle> {
        if text.is_ascii() {
            return Ok(PdfFontHandle::Builtin(if bold {
                BuiltinFont::HelveticaBold
            } else {
                BuiltinFont::Helvetica
            }));
        }
        if self.unicode_font.is_none() {
            let bytes = std::fs::read(&self.font_path).map_err(|err| {
                anyhow::anyhow!(
                    "the PDF font {} cannot be read ({err}); install fonts-dejavu-core or set reports.pdf_font_path",
                    self.font_path.display()
                )
            })?;
            let font = ParsedFont::from_bytes(&bytes, 0, &mut Vec::new()).ok_or_else(|| {
                anyhow::anyhow!("{} is not a TrueType font", self.font_path.display())
            })?;
            self.unicode_font = Some(self.document.add_font(&font));
        }
        Ok(PdfFontHandle::External(
            self.unicode_font
                .clone()
                .unwrap_or_else(|| unreachable!("loaded above")),
        ))
    }

    /// Writes `text` at (`x`, `y`) mm on the current page.
    fn text(&mut self, x: f32, y: f32, size: f32, text: &str, bold: bool) -> anyhow::Result<()> {
        let font = self.font_for(text, bold)?;
        let page = self
            .pages
            .last_mut()
            .ok_or_else(|| anyhow::anyhow!("no page"))?;
        page.extend([
            Op::StartTextSection,
            Op::SetFont {
                font,
                size: Pt(size),
            },
            Op::SetTextMatrix {
                matrix: TextMatrix::Translate(mm_to_pt(x), mm_to_pt(y)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(text.to_owned())],
            },
            Op::EndTextSection,
        ]);
        Ok(())
    }

    fn rule(&mut self, y: f32) {
        let point = |x: f32| LinePoint {
            p: Point {
                x: mm_to_pt(x),
                y: mm_to_pt(y),
            },
            bezier: false,
        };
        if let Some(page) = self.pages.last_mut() {
            page.extend([
                Op::SetOutlineColor {
                    col: Color::Rgb(Rgb::new(0.6, 0.6, 0.6, None)),
                },
                Op::SetOutlineThickness { pt: Pt(0.5) },
                Op::DrawLine {
                    line: Line {
                        points: vec![point(MARGIN), point(PAGE_WIDTH - MARGIN)],
                        is_closed: false,
                    },
                },
            ]);
        }
    }

    /// A fresh page with the title block and the table header.
    fn new_page(&mut self) -> anyhow::Result<()> {
        self.pages.push(Vec::new());
        let title = self.meta.title.clone();
        let subtitle = format!(
            "Period: {}    Generated: {}",
            self.meta.period,
            self.meta.generated_at.format("%Y-%m-%d %H:%M UTC")
        );
        self.text(MARGIN, PAGE_HEIGHT - MARGIN - 4.0, 14.0, &title, true)?;
        self.text(MARGIN, PAGE_HEIGHT - MARGIN - 10.0, 9.0, &subtitle, false)?;
        let header: Vec<String> = self
            .meta
            .columns
            .iter()
            .map(|c| c.title.to_owned())
            .collect();
        self.line(TABLE_TOP + ROW_HEIGHT + 1.0, &header, true)?;
        self.rule(TABLE_TOP + ROW_HEIGHT - 0.5);
        self.y = TABLE_TOP;
        Ok(())
    }

    /// One table line at baseline `y`: text cut to its column, numbers right-aligned.
    fn line(&mut self, y: f32, cells: &[String], bold: bool) -> anyhow::Result<()> {
        let char_mm = FONT_SIZE * AVERAGE_EM * 25.4 / 72.0;
        for (index, text) in cells.iter().enumerate() {
            let (left, width) = self.columns[index];
            let fits = ((width - 1.5) / char_mm).max(1.0) as usize;
            let shown = if text.chars().count() > fits {
                let mut cut: String = text.chars().take(fits.saturating_sub(2)).collect();
                cut.push_str("..");
                cut
            } else {
                text.clone()
            };
            let numeric = matches!(self.meta.columns[index].kind, Kind::Integer | Kind::Money);
            let x = if numeric {
                left + width - 1.5 - shown.chars().count() as f32 * char_mm
            } else {
                left
            };
            self.text(x, y, FONT_SIZE, &visual_order(&shown), bold)?;
        }
        Ok(())
    }

    fn next_line_y(&mut self) -> anyhow::Result<f32> {
        if self.y < TABLE_BOTTOM {
            self.new_page()?;
        }
        let y = self.y;
        self.y -= ROW_HEIGHT;
        Ok(y)
    }
}

fn is_right_to_left(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// PDF text is drawn left to right: runs of Hebrew or Arabic letters (and the spaces between
/// them) are reversed so they read right to left. A minimal bidi, without Arabic shaping: the
/// letters show in their isolated forms.
fn visual_order(text: &str) -> String {
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

impl ReportWriter for PdfWriter {
    fn row(&mut self, row: &[Cell]) -> anyhow::Result<()> {
        let cells: Vec<String> = row.iter().map(text_of).collect();
        let y = self.next_line_y()?;
        self.line(y, &cells, false)
    }

    fn finish(mut self: Box<Self>, totals: &Totals) -> anyhow::Result<()> {
        for (index, mut line) in totals.lines().into_iter().enumerate() {
            if index == 0
                && let Some(first) = line.first_mut()
                && first.is_empty()
            {
                "Total".clone_into(first);
            }
            let y = self.next_line_y()?;
            if index == 0 {
                self.rule(y + ROW_HEIGHT - 1.0);
            }
            self.line(y, &line, true)?;
        }
        let count = self.pages.len();
        let mut pages = Vec::with_capacity(count);
        for (index, ops) in std::mem::take(&mut self.pages).into_iter().enumerate() {
            self.pages.push(ops);
            let footer = format!("Page {} of {count}", index + 1);
            self.text(PAGE_WIDTH - MARGIN - 22.0, MARGIN, 8.0, &footer, false)?;
            let ops = self.pages.pop().unwrap_or_default();
            pages.push(PdfPage::new(Mm(PAGE_WIDTH), Mm(PAGE_HEIGHT), ops));
        }
        self.document.with_pages(pages);
        let mut out = BufWriter::new(File::create(&self.path)?);
        self.document
            .save_writer(&mut out, &PdfSaveOptions::default(), &mut Vec::new());
        out.into_inner()
            .map_err(|err| err.into_error())?
            .sync_all()?;
        Ok(())
    }
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
