//! What the A4 business documents (packing slips, delivery notes, quotes) share: the
//! letterhead every page starts with (the shop, the document's title, its facts) and a table
//! of rows that continues on more pages, each with the letterhead and the column titles.

use super::{Canvas, fit, text_width};

pub const WIDTH: f32 = 210.0;
pub const HEIGHT: f32 = 297.0;
pub const MARGIN: f32 = 18.0;
pub const RIGHT: f32 = WIDTH - MARGIN;
/// The height of a table row.
pub const ROW: f32 = 7.0;
const FACT_SIZE: f32 = 8.5;
/// Bold capitals are about 0.7 em wide, not the average 0.5 [`text_width`] assumes.
pub const BOLD_CAPS: f32 = 1.33;

/// Starts a page with the shop's name, the `title` in capitals at the right, a rule and the
/// document's `facts` (label, value); returns where the content below them starts.
pub fn letterhead(
    canvas: &mut Canvas,
    shop: &str,
    title: &str,
    facts: &[(&str, String)],
) -> anyhow::Result<f32> {
    canvas.new_page();
    let top = HEIGHT - MARGIN;
    canvas.text(MARGIN, top - 6.0, 18.0, &fit(shop, 34), true)?;
    let title = title.to_uppercase();
    let x = RIGHT - text_width(&title, 16.0) * BOLD_CAPS;
    canvas.text(x, top - 6.0, 16.0, &title, true)?;
    canvas.rule(MARGIN, RIGHT, top - 10.0, 1.2, 0.0);
    let mut y = top - 17.0;
    for (label, value) in facts {
        canvas.text(MARGIN, y, FACT_SIZE, label, false)?;
        canvas.text(MARGIN + 24.0, y, FACT_SIZE, value, true)?;
        y -= 5.0;
    }
    Ok(y - 3.0)
}

/// A document with a table of rows.
pub trait Table {
    type Row;
    /// Starts a new page; returns where its content starts.
    fn new_page(&mut self) -> anyhow::Result<f32>;
    /// Draws the column titles at `top`; returns where the first row goes.
    fn column_titles(&mut self, top: f32) -> anyhow::Result<f32>;
    fn row(&mut self, y: f32, row: &Self::Row) -> anyhow::Result<()>;
}

/// Draws the column titles at `top` and `rows` below them, going on to a new page (letterhead
/// and titles again) below `bottom`; returns where the row after the last one would go.
pub fn rows<T: Table>(
    document: &mut T,
    top: f32,
    rows: &[T::Row],
    bottom: f32,
) -> anyhow::Result<f32> {
    let mut y = document.column_titles(top)?;
    for row in rows {
        if y < bottom {
            let top = document.new_page()?;
            y = document.column_titles(top)?;
        }
        document.row(y, row)?;
        y -= ROW;
    }
    Ok(y)
}

/// The table's column titles, white on a dark band at `top`: `left` ones starting at their x,
/// `right` ones ending at theirs; returns where the first row goes.
pub fn column_titles(
    canvas: &mut Canvas,
    top: f32,
    left: &[(f32, &str)],
    right: &[(f32, &str)],
) -> anyhow::Result<f32> {
    canvas.shade(MARGIN, top - 2.0, WIDTH - 2.0 * MARGIN, ROW, 0.15);
    canvas.fill(1.0);
    for (x, title) in left {
        canvas.text(*x, top + 0.5, FACT_SIZE, title, true)?;
    }
    for (x, title) in right {
        let x = x - text_width(title, FACT_SIZE) * BOLD_CAPS;
        canvas.text(x, top + 0.5, FACT_SIZE, title, true)?;
    }
    canvas.fill(0.0);
    Ok(top - ROW)
}
