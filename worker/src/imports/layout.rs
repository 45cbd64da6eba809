//! Which kind of CSV a file is, from its header row: our own columns, or a Shopify product
//! export (the legacy headers or the 2024 ones). Header names match case-insensitively, in
//! any order; unknown columns are ignored.

use std::collections::HashMap;

/// The delimiter of a file: `;` when the header line has more semicolons than commas (the
/// default of spreadsheets in French- and German-speaking locales), `,` otherwise.
pub fn sniff_delimiter(first_line: &[u8]) -> u8 {
    let count = |byte| first_line.iter().filter(|b| **b == byte).count();
    if count(b';') > count(b',') {
        b';'
    } else {
        b','
    }
}

/// Column positions of our own format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnColumns {
    pub sku: usize,
    pub name: usize,
    pub price: usize,
    pub description: Option<usize>,
    pub currency: Option<usize>,
    pub stock: Option<usize>,
    pub category: Option<usize>,
    pub color: Option<usize>,
    pub size: Option<usize>,
    pub features: Option<usize>,
    pub images: Option<usize>,
}

/// Column positions of a Shopify product export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopifyColumns {
    pub handle: usize,
    pub title: Option<usize>,
    pub body: Option<usize>,
    pub vendor: Option<usize>,
    pub product_type: Option<usize>,
    pub tags: Option<usize>,
    pub category: Option<usize>,
    pub sku: Option<usize>,
    pub price: Option<usize>,
    pub quantity: Option<usize>,
    /// (name, value) columns of Option1..Option3.
    pub options: Vec<(usize, usize)>,
    pub image: Option<usize>,
    pub image_position: Option<usize>,
    pub variant_image: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    Own(OwnColumns),
    Shopify(ShopifyColumns),
}

impl Layout {
    /// Recognises the header row, or says what is missing.
    pub fn detect(header: &[&str]) -> Result<Self, String> {
        let names = Names::new(header);
        if names.has("handle") || names.has("url handle") {
            return names.shopify().map(Layout::Shopify);
        }
        names.own().map(Layout::Own)
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Layout::Own(_) => "comptoir",
            Layout::Shopify(_) => "shopify",
        }
    }
}

struct Names(HashMap<String, usize>);

impl Names {
    fn new(header: &[&str]) -> Self {
        let mut names = HashMap::new();
        for (position, name) in header.iter().enumerate() {
            // The first of two equally named columns wins.
            names.entry(name.trim().to_lowercase()).or_insert(position);
        }
        Self(names)
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The first of `aliases` present (legacy and 2024 Shopify names differ).
    fn any(&self, aliases: &[&str]) -> Option<usize> {
        aliases.iter().find_map(|name| self.0.get(*name).copied())
    }

    fn own(&self) -> Result<OwnColumns, String> {
        let missing: Vec<&str> = ["sku", "name", "price"]
            .into_iter()
            .filter(|name| !self.has(name))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the header row lacks the column(s) {}: expected our columns (sku, name, price, \
                 description, currency, stock, category, color, size, features, images) or a \
                 Shopify product export",
                missing.join(", ")
            ));
        }
        let column = |name| self.any(&[name]);
        Ok(OwnColumns {
            sku: self.0["sku"],
            name: self.0["name"],
            price: self.0["price"],
            description: column("description"),
            currency: column("currency"),
            stock: column("stock"),
            category: column("category"),
            color: column("color"),
            size: column("size"),
            features: column("features"),
            images: column("images"),
        })
    }

    fn shopify(&self) -> Result<ShopifyColumns, String> {
        let handle = self
            .any(&["handle", "url handle"])
            .ok_or("a Shopify export needs its Handle column")?;
        let options = (1..=3)
            .filter_map(|n| {
                let name = self.any(&[&format!("option{n} name")])?;
                let value = self.any(&[&format!("option{n} value")])?;
                Some((name, value))
            })
            .collect();
        Ok(ShopifyColumns {
            handle,
            title: self.any(&["title"]),
            body: self.any(&["body (html)", "description"]),
            vendor: self.any(&["vendor"]),
            product_type: self.any(&["type"]),
            tags: self.any(&["tags"]),
            category: self.any(&["product category"]),
            sku: self.any(&["variant sku", "sku"]),
            price: self.any(&["variant price", "price"]),
            quantity: self.any(&["variant inventory qty", "inventory quantity"]),
            options,
            image: self.any(&["image src", "product image url"]),
            image_position: self.any(&["image position"]),
            variant_image: self.any(&["variant image", "variant image url"]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_win_only_when_they_outnumber_commas() {
        assert_eq!(sniff_delimiter(b"sku;name;price"), b';');
        assert_eq!(sniff_delimiter(b"sku,name,price"), b',');
        assert_eq!(sniff_delimiter(b"sku,name;x,price"), b',');
    }

    #[test]
    fn our_columns_match_in_any_order_and_case() {
        let Ok(Layout::Own(columns)) = Layout::detect(&["Price", " SKU ", "name", "images"]) else {
            panic!("our layout");
        };
        assert_eq!((columns.sku, columns.name, columns.price), (1, 2, 0));
        assert_eq!(columns.images, Some(3));
        assert_eq!(columns.stock, None);
    }

    #[test]
    fn both_shopify_header_generations_are_recognised() {
        let legacy = [
            "Handle",
            "Title",
            "Body (HTML)",
            "Option1 Name",
            "Option1 Value",
            "Variant SKU",
            "Variant Inventory Qty",
            "Variant Price",
            "Image Src",
            "Image Position",
        ];
        let Ok(Layout::Shopify(columns)) = Layout::detect(&legacy) else {
            panic!("legacy layout");
        };
        assert_eq!(
            (columns.sku, columns.price, columns.quantity),
            (Some(5), Some(7), Some(6))
        );
        assert_eq!(columns.options, vec![(3, 4)]);
        let modern = [
            "Title",
            "URL handle",
            "Description",
            "SKU",
            "Option1 name",
            "Option1 value",
            "Price",
            "Inventory quantity",
            "Product image URL",
            "Image position",
        ];
        let Ok(Layout::Shopify(columns)) = Layout::detect(&modern) else {
            panic!("2024 layout");
        };
        assert_eq!(
            (columns.handle, columns.body, columns.image),
            (1, Some(2), Some(8))
        );
    }

    #[test]
    fn an_unknown_header_says_what_is_expected() {
        let error = Layout::detect(&["id", "title"]).expect_err("unknown");
        assert!(error.contains("sku, name, price"), "{error}");
    }
}
