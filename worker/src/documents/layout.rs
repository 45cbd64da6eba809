//! The page of a packing slip or delivery note, A4 portrait: the shop and the document's title,
//! the order's number and dates, where it goes (and, on a delivery note, who carries it), the
//! items with SKU and quantity, and a line to sign. Long orders continue on more pages, each
//! with the header, the table's column titles and "Page i of n".

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::Value;

use comptoir_domain::order_documents::{DocumentKind, OrderSheet, SheetLine};

use crate::pdf::sheet::{self, HEIGHT, MARGIN, RIGHT, Table, WIDTH};
use crate::pdf::{Canvas, FontFiles, char_width, fit, text_width};

const BODY: f32 = 10.0;
const SMALL: f32 = 8.5;
/// The table's columns: SKU from the margin, the item's name, the quantity right-aligned.
const NAME_X: f32 = MARGIN + 70.0;
const QTY_RIGHT: f32 = RIGHT - 3.0;
/// Rows stop here, leaving room for the signature block and the footer.
const TABLE_BOTTOM: f32 = MARGIN + 38.0;
/// Address fields in the order a label shows them; other fields follow.
const ADDRESS_ORDER: [&str; 14] = [
    "name",
    "company",
    "street",
    "line1",
    "address",
    "line2",
    "postal_code",
    "zip",
    "city",
    "state",
    "region",
    "country",
    "phone",
    "instructions",
];
const MAX_ADDRESS_LINES: usize = 8;

/// What the page says besides the order.
pub struct Printing {
    pub kind: DocumentKind,
    pub printed_at: DateTime<Utc>,
}

/// The address as label lines: known fields in label order, then the rest as `key: value`.
pub fn address_lines(address: Option<&Value>) -> Vec<String> {
    let Some(Value::Object(fields)) = address else {
        return Vec::new();
    };
    let text = |value: &Value| match value {
        Value::String(text) => Some(text.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    };
    let known = ADDRESS_ORDER
        .iter()
        .filter_map(|key| fields.get(*key).and_then(text));
    let others = fields
        .iter()
        .filter(|(key, _)| !ADDRESS_ORDER.contains(&key.as_str()))
        .filter_map(|(key, value)| text(value).map(|value| format!("{key}: {value}")));
    known
        .chain(others)
        .filter(|line| !line.is_empty())
        .take(MAX_ADDRESS_LINES)
        .collect()
}

struct Page<'a> {
    canvas: Canvas,
    sheet: &'a OrderSheet,
    printing: &'a Printing,
}

impl Page<'_> {
    /// The band every page starts with; returns where the content below it starts.
    fn header(&mut self) -> anyhow::Result<f32> {
        let facts = [
            ("Order no.", self.sheet.order_id.to_string()),
            (
                "Order date",
                self.sheet.placed_at.format("%Y-%m-%d").to_string(),
            ),
            (
                "Printed",
                self.printing
                    .printed_at
                    .format("%Y-%m-%d %H:%M UTC")
                    .to_string(),
            ),
        ];
        let (shop, title) = (&self.sheet.shop_name, self.printing.kind.title());
        sheet::letterhead(&mut self.canvas, shop, title, &facts)
    }

    /// The recipient (left) and, on a delivery note, the carrier (right).
    fn addresses(&mut self, top: f32) -> anyhow::Result<f32> {
        let column = (WIDTH - 2.0 * MARGIN) / 2.0;
        self.canvas.shade(MARGIN, top - 6.0, column - 4.0, 7.0, 0.9);
        self.canvas
            .text(MARGIN + 2.0, top - 4.0, SMALL, "SHIP TO", true)?;
        let mut lines = vec![self.sheet.client_name.clone()];
        let address = address_lines(self.sheet.shipping_address.as_ref());
        if address.is_empty() {
            lines.push("(no shipping address given)".to_owned());
        }
        lines.extend(address);
        let fits = ((column - 8.0) / char_width(BODY)) as usize;
        let mut y = top - 12.0;
        for (index, line) in lines.iter().enumerate() {
            self.canvas
                .text(MARGIN + 2.0, y, BODY, &fit(line, fits), index == 0)?;
            y -= 5.0;
        }
        // The client's contact, smaller: an email address is often long.
        let small_fits = ((column - 8.0) / char_width(SMALL)) as usize;
        let contact = [&self.sheet.client_phone, &self.sheet.client_email];
        for line in contact.into_iter().flatten() {
            self.canvas
                .text(MARGIN + 2.0, y, SMALL, &fit(line, small_fits), false)?;
            y -= 4.5;
        }
        if self.printing.kind == DocumentKind::DeliveryNote {
            let x = MARGIN + column;
            self.canvas.shade(x, top - 6.0, column, 7.0, 0.9);
            self.canvas
                .text(x + 2.0, top - 4.0, SMALL, "CARRIER", true)?;
            let carrier = self.sheet.carrier.as_deref().unwrap_or("-");
            let tracking = self.sheet.tracking_number.as_deref().unwrap_or("-");
            self.canvas
                .text(x + 2.0, top - 12.0, BODY, &fit(carrier, fits), true)?;
            self.canvas
                .text(x + 2.0, top - 19.0, SMALL, "Tracking number", false)?;
            self.canvas
                .text(x + 2.0, top - 24.0, BODY, &fit(tracking, fits), false)?;
        }
        Ok(y.min(top - 28.0) - 4.0)
    }

    fn closing(&mut self, y: f32, items: i64) -> anyhow::Result<()> {
        let total = format!("Total items: {items}");
        let x = QTY_RIGHT - text_width(&total, BODY);
        self.canvas.text(x, y - 2.0, BODY, &total, true)?;
        let (left, right) = match self.printing.kind {
            DocumentKind::PackingSlip => ("Packed by", "Checked by"),
            DocumentKind::DeliveryNote => ("Received in good condition (signature)", "Date"),
        };
        let line_y = MARGIN + 20.0;
        let middle = WIDTH / 2.0 + 10.0;
        self.canvas.rule(MARGIN, middle - 8.0, line_y, 0.6, 0.3);
        self.canvas.rule(middle, RIGHT, line_y, 0.6, 0.3);
        self.canvas.text(MARGIN, line_y - 4.0, SMALL, left, false)?;
        self.canvas.text(middle, line_y - 4.0, SMALL, right, false)
    }

    fn footers(&mut self) -> anyhow::Result<()> {
        let note = format!(
            "{} - {} - order {}",
            fit(&self.sheet.shop_name, 40),
            self.printing.kind.title(),
            self.sheet.order_id
        );
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
        sheet::column_titles(&mut self.canvas, top, &left, &[(QTY_RIGHT, "QTY")])
    }

    fn row(&mut self, y: f32, line: &Self::Row) -> anyhow::Result<()> {
        let sku_fits = ((NAME_X - MARGIN - 4.0) / char_width(SMALL)) as usize;
        let name_fits = ((QTY_RIGHT - 15.0 - NAME_X) / char_width(BODY)) as usize;
        self.canvas
            .text(MARGIN + 2.0, y, SMALL, &fit(&line.sku, sku_fits), false)?;
        self.canvas
            .text(NAME_X, y, BODY, &fit(&line.name, name_fits), false)?;
        let quantity = line.quantity.to_string();
        let x = QTY_RIGHT - text_width(&quantity, BODY);
        self.canvas.text(x, y, BODY, &quantity, true)?;
        self.canvas.rule(MARGIN, RIGHT, y - 2.5, 0.4, 0.75);
        Ok(())
    }
}

/// Draws the document of `sheet` and `lines` into a PDF at `path`.
pub fn render(
    sheet: &OrderSheet,
    lines: &[SheetLine],
    printing: &Printing,
    fonts: &FontFiles,
    path: &Path,
) -> anyhow::Result<()> {
    let title = format!("{} {}", printing.kind.title(), sheet.order_id);
    let mut page = Page {
        canvas: Canvas::new(&title, WIDTH, HEIGHT, fonts.clone()),
        sheet,
        printing,
    };
    let below = page.header()?;
    let below = page.addresses(below)?;
    let y = sheet::rows(&mut page, below, lines, TABLE_BOTTOM)?;
    let items = lines.iter().map(|line| i64::from(line.quantity)).sum();
    page.closing(y, items)?;
    page.footers()?;
    page.canvas.save(path)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_long_order_continues_on_more_pages() {
        let sheet = OrderSheet {
            order_id: Uuid::now_v7(),
            placed_at: Utc::now(),
            shop_name: "Chez Awa".to_owned(),
            client_name: "Awa".to_owned(),
            client_email: None,
            client_phone: None,
            shipping_address: None,
            carrier: None,
            tracking_number: None,
        };
        let lines: Vec<SheetLine> = (0..60)
            .map(|n| SheetLine {
                sku: format!("SKU-{n}"),
                name: format!("Item {n}"),
                quantity: 1,
            })
            .collect();
        let printing = Printing {
            kind: DocumentKind::PackingSlip,
            printed_at: Utc::now(),
        };
        let fonts = FontFiles {
            unicode: "/nonexistent".into(),
            fallback: "/nonexistent".into(),
        };
        let file = tempfile::NamedTempFile::new().expect("file");
        render(&sheet, &lines, &printing, &fonts, file.path())
            .expect("rendered (ASCII: no font read)");
        let info = std::process::Command::new("pdfinfo")
            .arg(file.path())
            .output()
            .expect("pdfinfo (poppler-utils)");
        let info = String::from_utf8_lossy(&info.stdout);
        let pages = info
            .lines()
            .find(|line| line.starts_with("Pages:"))
            .expect("pages");
        // 22 rows on the first page, 26 on each next.
        assert_eq!(pages.split_whitespace().last(), Some("3"), "{info}");
    }

    #[test]
    fn an_address_reads_like_a_label() {
        let address = json!({"city": "Lomé", "street": "12 rue des Palmiers", "name": "Kossi",
                             "country": "TG", "floor": 2, "gift": true});
        assert_eq!(
            address_lines(Some(&address)),
            ["Kossi", "12 rue des Palmiers", "Lomé", "TG", "floor: 2"]
        );
        assert!(address_lines(None).is_empty());
        assert!(address_lines(Some(&json!("not an object"))).is_empty());
    }
}
