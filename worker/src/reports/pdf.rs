//! PDF, A4 landscape: on every page the title, period and generation time, the table header,
//! rows, and "Page i of n"; a totals line closes the table. Drawn on the shared [`Canvas`], so
//! any script renders (see `crate::pdf`). printpdf keeps the document in memory until it is
//! written, hence the lower `reports.pdf_max_rows` cap.

use std::path::{Path, PathBuf};

use comptoir_domain::report_rows::{Cell, Kind};

use super::writer::{Meta, ReportWriter, Totals, text_of};
use crate::pdf::{Canvas, FontFiles, char_width, fit, text_width};

const PAGE_WIDTH: f32 = 297.0;
const PAGE_HEIGHT: f32 = 210.0;
const MARGIN: f32 = 12.0;
const ROW_HEIGHT: f32 = 5.0;
const FONT_SIZE: f32 = 7.5;
/// Where the table's first row sits, under the title block and header.
const TABLE_TOP: f32 = PAGE_HEIGHT - MARGIN - 22.0;
const TABLE_BOTTOM: f32 = MARGIN + 8.0;
const RULE_SHADE: f32 = 0.6;

pub struct PdfWriter {
    canvas: Canvas,
    path: PathBuf,
    meta: Meta,
    /// Left edge and width of each column, in mm.
    columns: Vec<(f32, f32)>,
    /// Baseline of the next row on the current page.
    y: f32,
}

impl PdfWriter {
    pub fn create(path: &Path, meta: Meta, fonts: &FontFiles) -> anyhow::Result<Self> {
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
            canvas: Canvas::new(&meta.title, PAGE_WIDTH, PAGE_HEIGHT, fonts.clone()),
            path: path.to_owned(),
            meta,
            columns,
            y: 0.0,
        };
        writer.new_page()?;
        Ok(writer)
    }

    fn rule(&mut self, y: f32) {
        self.canvas
            .rule(MARGIN, PAGE_WIDTH - MARGIN, y, 0.5, RULE_SHADE);
    }

    /// A fresh page with the title block and the table header.
    fn new_page(&mut self) -> anyhow::Result<()> {
        self.canvas.new_page();
        let subtitle = format!(
            "Period: {}    Generated: {}",
            self.meta.period,
            self.meta.generated_at.format("%Y-%m-%d %H:%M UTC")
        );
        let top = PAGE_HEIGHT - MARGIN;
        self.canvas
            .text(MARGIN, top - 4.0, 14.0, &self.meta.title, true)?;
        self.canvas
            .text(MARGIN, top - 10.0, 9.0, &subtitle, false)?;
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
        for (index, text) in cells.iter().enumerate() {
            let (left, width) = self.columns[index];
            let fits = ((width - 1.5) / char_width(FONT_SIZE)).max(1.0) as usize;
            let shown = fit(text, fits);
            let numeric = matches!(self.meta.columns[index].kind, Kind::Integer | Kind::Money);
            let x = if numeric {
                left + width - 1.5 - text_width(&shown, FONT_SIZE)
            } else {
                left
            };
            self.canvas.text(x, y, FONT_SIZE, &shown, bold)?;
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
        let count = self.canvas.page_count();
        for index in 0..count {
            let footer = format!("Page {} of {count}", index + 1);
            self.canvas.text_on(
                index,
                PAGE_WIDTH - MARGIN - 22.0,
                MARGIN,
                8.0,
                &footer,
                false,
            )?;
        }
        self.canvas.save(&self.path)
    }
}
