//! The quote PDF, A4 portrait: the shop and "QUOTE" with its number, dates and validity; the
//! seller and the client company (with its VAT number) side by side; the offered lines with
//! SKU, quantity, unit price and amount; the total and the seller's notes. Long quotes continue
//! on more pages, each with the header, the table's column titles and "Page i of n".

use std::path::Path;

use chrono::{DateTime, Utc};

use comptoir_domain::money::format_money;
use comptoir_domain::quotes::{self, QuoteSheet, SheetLine};

use crate::pdf::sheet::{self, HEIGHT, MARGIN, RIGHT, Table, WIDTH};
use crate::pdf::{Canvas, FontFiles, char_width, fit, text_width};

const BODY: f32 = 10.0;
const SMALL: f32 = 8.5;
/// The table's columns: SKU, the item's name, then three right-aligned numbers.
const NAME_X: f32 = MARGIN + 42.0;
const QTY_RIGHT: f32 = RIGHT - 68.0;
const PRICE_RIGHT: f32 = RIGHT - 34.0;
const AMOUNT_RIGHT: f32 = RIGHT - 2.0;
/// Rows stop here, leaving room for the total, the notes and the footer.
const TABLE_BOTTOM: f32 = MARGIN + 40.0;
const MAX_NOTE_LINES: usize = 6;

struct Page<'a> {
    canvas: Canvas,
    sheet: &'a QuoteSheet,
    printed_at: DateTime<Utc>,
}

impl Page<'_> {
    fn money(&self, amount: i64) -> String {
        format_money(amount, &self.sheet.currency)
    }

    fn right(
        &mut self,
        right: f32,
        y: f32,
        size: f32,
        text: &str,
        bold: bool,
    ) -> anyhow::Result<()> {
        let x = right - text_width(text, size);
        self.canvas.text(x, y, size, text, bold)
    }

    /// The band every page starts with; returns where the content below it starts.
    fn header(&mut self) -> anyhow::Result<f32> {
        let day = |time: DateTime<Utc>| time.format("%Y-%m-%d").to_string();
        let facts = [
            ("Quote no.", self.sheet.number.clone()),
            ("Requested", day(self.sheet.created_at)),
            ("Issued", day(self.printed_at)),
            (
                "Valid until",
                self.sheet.valid_until.map_or("-".to_owned(), |until| {
                    until.format("%Y-%m-%d %H:%M UTC").to_string()
                }),
            ),
        ];
        sheet::letterhead(&mut self.canvas, &self.sheet.shop_name, "Quote", &facts)
    }

    /// One party's box at `x`, `width` wide: a title band, its lines (the first in bold),
    /// then its email address, smaller: one is often long.
    fn party(
        &mut self,
        (x, width): (f32, f32),
        top: f32,
        title: &str,
        lines: &[String],
        email: Option<&String>,
    ) -> anyhow::Result<f32> {
        self.canvas.shade(x, top - 6.0, width, 7.0, 0.9);
        self.canvas.text(x + 2.0, top - 4.0, SMALL, title, true)?;
        let fits = |size| ((width - 6.0) / char_width(size)) as usize;
        let mut y = top - 12.0;
        for (index, line) in lines.iter().enumerate() {
            self.canvas
                .text(x + 2.0, y, BODY, &fit(line, fits(BODY)), index == 0)?;
            y -= 5.0;
        }
        if let Some(email) = email {
            self.canvas
                .text(x + 2.0, y, SMALL, &fit(email, fits(SMALL)), false)?;
            y -= 4.5;
        }
        Ok(y)
    }

    /// The seller (left) and the client company (right).
    fn parties(&mut self, top: f32) -> anyhow::Result<f32> {
        let column = (WIDTH - 2.0 * MARGIN) / 2.0;
        let sheet = self.sheet;
        let seller = [sheet.shop_name.clone(), sheet.seller_name.clone()];
        let vat = sheet
            .vat_number
            .as_ref()
            .map(|vat| format!("VAT no. {vat}"));
        let attention = Some(format!("Attn. {}", sheet.client_name));
        let client: Vec<String> = [Some(sheet.company_name.clone()), vat, attention]
            .into_iter()
            .flatten()
            .collect();
        let (left_box, right_box) = (
            (MARGIN, column - 4.0),
            (MARGIN + column + 4.0, column - 4.0),
        );
        let left = self.party(left_box, top, "FROM", &seller, sheet.seller_email.as_ref())?;
        let right = self.party(
            right_box,
            top,
            "QUOTE FOR",
            &client,
            sheet.client_email.as_ref(),
        )?;
        Ok(left.min(right) - 4.0)
    }

    /// The total, then the seller's notes (as many lines as fit above the footer).
    fn closing(&mut self, y: f32, total: i64) -> anyhow::Result<()> {
        let total = format!("Total ({}): {}", self.sheet.currency, self.money(total));
        self.right(AMOUNT_RIGHT, y - 2.0, 11.0, &total, true)?;
        self.right(
            AMOUNT_RIGHT,
            y - 7.0,
            SMALL,
            "Prices exclude taxes unless stated otherwise.",
            false,
        )?;
        let Some(notes) = self
            .sheet
            .offer_notes
            .as_deref()
            .filter(|notes| !notes.trim().is_empty())
        else {
            return Ok(());
        };
        let fits = ((RIGHT - MARGIN) / char_width(SMALL)) as usize;
        let mut y = y - 15.0;
        self.canvas.text(MARGIN, y, SMALL, "Notes", true)?;
        for line in notes.lines().take(MAX_NOTE_LINES) {
            y -= 4.5;
            if y < MARGIN {
                break;
            }
            self.canvas
                .text(MARGIN, y, SMALL, &fit(line, fits), false)?;
        }
        Ok(())
    }

    fn footers(&mut self) -> anyhow::Result<()> {
        let shop = fit(&self.sheet.shop_name, 40);
        let note = format!("{shop} - quote {}", self.sheet.number);
        self.canvas.footers(&note, MARGIN)
    }
}

impl Table for Page<'_> {
    type Row = SheetLine;

    fn new_page(&mut self) -> anyhow::Result<f32> {
        self.header()
    }

    fn column_titles(&mut self, top: f32) -> anyhow::Result<f32> {
        let left = [(MARGIN + 2.0, "SKU"), (NAME_X, "ITEM")];
        let right = [
            (QTY_RIGHT, "QTY"),
            (PRICE_RIGHT, "UNIT PRICE"),
            (AMOUNT_RIGHT, "AMOUNT"),
        ];
        sheet::column_titles(&mut self.canvas, top, &left, &right)
    }

    fn row(&mut self, y: f32, line: &Self::Row) -> anyhow::Result<()> {
        let sku_fits = ((NAME_X - MARGIN - 6.0) / char_width(SMALL)) as usize;
        let name_fits = ((QTY_RIGHT - 12.0 - NAME_X) / char_width(BODY)) as usize;
        self.canvas
            .text(MARGIN + 2.0, y, SMALL, &fit(&line.sku, sku_fits), false)?;
        self.canvas
            .text(NAME_X, y, BODY, &fit(&line.name, name_fits), false)?;
        self.right(QTY_RIGHT, y, BODY, &line.quantity.to_string(), true)?;
        self.right(
            PRICE_RIGHT,
            y,
            BODY,
            &self.money(line.unit_price_amount),
            false,
        )?;
        self.right(AMOUNT_RIGHT, y, BODY, &self.money(line.amount()), false)?;
        self.canvas.rule(MARGIN, RIGHT, y - 2.5, 0.4, 0.75);
        Ok(())
    }
}

/// Draws the quote of `sheet` and `lines` into a PDF at `path`.
pub fn render(
    sheet: &QuoteSheet,
    lines: &[SheetLine],
    printed_at: DateTime<Utc>,
    fonts: &FontFiles,
    path: &Path,
) -> anyhow::Result<()> {
    let title = format!("Quote {}", sheet.number);
    let mut page = Page {
        canvas: Canvas::new(&title, WIDTH, HEIGHT, fonts.clone()),
        sheet,
        printed_at,
    };
    let below = page.header()?;
    let below = page.parties(below)?;
    let y = sheet::rows(&mut page, below, lines, TABLE_BOTTOM)?;
    page.closing(y, quotes::total(lines))?;
    page.footers()?;
    page.canvas.save(path)
}
