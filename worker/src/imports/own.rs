//! Rows of our own format: one record is one product.

use comptoir_domain::imports::batch::ProductRow;
use comptoir_domain::products::limits;

use super::fields::{CategoryIndex, Problems, Record, optional, parse_features};
use super::layout::OwnColumns;
use super::{Candidate, ImageRef, Parsed};

pub fn parse(
    record: &Record,
    columns: &OwnColumns,
    default_currency: &str,
    categories: &CategoryIndex,
) -> Parsed {
    let line = record.line;
    let field = |column| record.get(column);
    let mut problems = Problems::default();
    let sku = field(Some(columns.sku));
    problems.text(line, "sku", sku, limits::SKU_CHARS, true);
    let name = field(Some(columns.name));
    problems.text(line, "name", name, limits::NAME_CHARS, true);
    let description = field(columns.description);
    problems.text(
        line,
        "description",
        description,
        limits::DESCRIPTION_CHARS,
        false,
    );
    let color = field(columns.color);
    problems.text(line, "color", color, limits::COLOR_CHARS, false);
    let size = field(columns.size);
    problems.text(line, "size", size, limits::SIZE_CHARS, false);
    let currency = problems.currency(line, "currency", field(columns.currency), default_currency);
    let price_amount = problems.price(line, "price", field(Some(columns.price)), &currency);
    let stock = problems.stock(line, "stock", field(columns.stock));
    let category = field(columns.category);
    let category_id = if category.is_empty() {
        None
    } else {
        let found = categories.find(category);
        if found.is_none() {
            problems.add(
                line,
                "category",
                format!("no category is named {category:?}"),
            );
        }
        found
    };
    let features = parse_features(field(columns.features)).unwrap_or_else(|reason| {
        problems.add(line, "features", reason);
        serde_json::Value::Null
    });
    let images = field(columns.images)
        .split('|')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| ImageRef {
            line,
            column: "images",
            name: name.to_owned(),
        })
        .collect();
    if !problems.is_empty() {
        return Parsed::Failed(problems.0);
    }
    Parsed::Product(Box::new(Candidate {
        row: ProductRow {
            line,
            sku: sku.to_owned(),
            name: name.to_owned(),
            description: description.to_owned(),
            price_amount,
            currency,
            stock,
            category_id,
            color: optional(color),
            size: optional(size),
            variations: serde_json::json!([]),
            features,
        },
        images,
        prepared: Vec::new(),
    }))
}
