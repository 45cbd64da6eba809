//! Bulk imports of our CSV format and of Shopify exports, run by a real worker against the
//! real Postgres, Redis and object storage: what a seller sees in the catalogue and in the
//! import's progress and errors.

mod support;

use serde_json::json;

use comptoir_testkit::{TestApp, test_settings};
use support::images::{jpeg, png};
use support::imports::{Upload, counts, errors_of, products_of, run_import, zip_of};
use support::spawn_worker;

const OUR_CSV: &str = "\
sku,name,description,price,currency,stock,category,color,size,features,images
MUG-1,Mug,Stoneware mug,12500,XOF,10,,blue,,material:stoneware,mug.jpg
TEE-1,T-shirt,\"Cotton, organic\",19.99,EUR,3,,white,M,fit:slim|material:cotton,
BAG-1,Sac,,7500,,0,,,,,
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_format_imports_every_row_and_a_reimport_creates_nothing() {
    let app = TestApp::spawn(test_settings(&[]).await).await;
    let _worker = spawn_worker(&app.settings, &["imports"]);
    let shop = app.shop().await;
    let mut upload = Upload::csv(shop.id, OUR_CSV.as_bytes());
    upload.zip = Some(zip_of(&[("photos/mug.jpg", &jpeg(64, 48))]));

    let import = run_import(&app, &shop.owner_token, &upload).await;
    assert_eq!(import["status"], "succeeded", "{import}");
    assert_eq!(counts(&import), (3, 3, 3, 0, 0));
    assert!(import["errors_url"].is_null());
    assert_eq!(
        products_of(&app, shop.id).await,
        vec![
            ("BAG-1".into(), "Sac".into(), 7500, "XOF".into(), 0),
            ("MUG-1".into(), "Mug".into(), 12500, "XOF".into(), 10),
            ("TEE-1".into(), "T-shirt".into(), 1999, "EUR".into(), 3),
        ]
    );
    let (features, size): (serde_json::Value, Option<String>) =
        sqlx::query_as("SELECT features, size FROM products WHERE sku = 'TEE-1'")
            .fetch_one(&app.pool)
            .await
            .expect("tee");
    assert_eq!(features, json!({"fit": "slim", "material": "cotton"}));
    assert_eq!(size.as_deref(), Some("M"));
    assert_eq!(
        ready_images(&app, "MUG-1").await,
        1,
        "the mug's photo is scanned and resized"
    );

    let again = run_import(&app, &shop.owner_token, &upload).await;
    assert_eq!(
        counts(&again),
        (3, 3, 0, 0, 0),
        "same file: nothing new, nothing changed"
    );
    assert_eq!(
        ready_images(&app, "MUG-1").await,
        1,
        "the same photo is not attached twice"
    );
    let changed = OUR_CSV.replace(
        "MUG-1,Mug,Stoneware mug,12500",
        "MUG-1,Mug,Stoneware mug,13000",
    );
    let upload = Upload {
        csv: changed.as_bytes(),
        ..upload
    };
    let third = run_import(&app, &shop.owner_token, &upload).await;
    assert_eq!(
        counts(&third),
        (3, 3, 0, 1, 0),
        "only the changed row is updated"
    );
    assert_eq!(products_of(&app, shop.id).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn semicolons_a_bom_and_decimal_commas_are_understood() {
    let app = TestApp::spawn(test_settings(&[]).await).await;
    let _worker = spawn_worker(&app.settings, &["imports"]);
    let shop = app.shop().await;
    let csv = "\u{feff}sku;name;price;currency;stock\nCAFE-1;Café moulu;4,50;EUR;12\n";
    let import = run_import(
        &app,
        &shop.owner_token,
        &Upload::csv(shop.id, csv.as_bytes()),
    )
    .await;
    assert_eq!(counts(&import), (1, 1, 1, 0, 0), "{import}");
    assert_eq!(
        products_of(&app, shop.id).await,
        vec![("CAFE-1".into(), "Café moulu".into(), 450, "EUR".into(), 12)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_reported_by_line_and_column_and_good_rows_still_land() {
    let app = TestApp::spawn(test_settings(&[]).await).await;
    let _worker = spawn_worker(&app.settings, &["imports"]);
    let shop = app.shop().await;
    let csv = "\
sku,name,price,stock,category,images
OK-1,Good,1000,1,,
BAD-PRICE,Bad price,12.5.0,1,,
,No sku,1000,1,,
CAT-1,Unknown category,1000,1,Nowhere,
OK-1,Duplicate,1000,1,,
IMG-1,Missing image,1000,1,,absent.jpg
STOCK-1,Negative stock,1000,-4,,
SHORT-1,Too few fields
";
    let import = run_import(
        &app,
        &shop.owner_token,
        &Upload::csv(shop.id, csv.as_bytes()),
    )
    .await;
    assert_eq!(import["status"], "succeeded");
    assert_eq!(counts(&import), (8, 8, 1, 0, 7), "{import}");
    let errors = errors_of(&app, &shop.owner_token, &import).await;
    let at = |line: i64, column: &str| {
        errors
            .iter()
            .find(|(l, c, _)| *l == line && c == column)
            .map(|(_, _, reason)| reason.clone())
            .unwrap_or_else(|| panic!("no error at line {line}, column {column}: {errors:?}"))
    };
    assert!(at(3, "price").contains("decimal amount"));
    assert!(at(4, "sku").contains("1 to 100 characters"));
    assert!(at(5, "category").contains("Nowhere"));
    assert!(at(6, "sku").contains("earlier line"));
    assert!(at(7, "images").contains("absent.jpg"));
    assert!(at(8, "stock").contains("between 0 and"));
    assert!(at(9, "").contains("expected 6 fields"));
    assert_eq!(products_of(&app, shop.id).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_item_limit_stops_creation_with_a_row_error_and_a_dry_run_writes_nothing() {
    let app = TestApp::spawn(test_settings(&[("imports.batch_rows", json!(2))]).await).await;
    let _worker = spawn_worker(&app.settings, &["imports"]);
    let shop = app.shop().await;
    app.set_item_limit(shop.id, 3).await;
    let rows: String = (1..=5).map(|n| format!("SKU-{n},Item {n},100\n")).collect();
    let csv = format!("sku,name,price\n{rows}");

    let dry = Upload {
        dry_run: true,
        ..Upload::csv(shop.id, csv.as_bytes())
    };
    let preview = run_import(&app, &shop.owner_token, &dry).await;
    assert_eq!(preview["dry_run"], true);
    assert_eq!(
        counts(&preview),
        (5, 5, 3, 0, 2),
        "a dry run counts what would happen"
    );
    assert!(
        products_of(&app, shop.id).await.is_empty(),
        "a dry run writes no product"
    );

    let import = run_import(
        &app,
        &shop.owner_token,
        &Upload::csv(shop.id, csv.as_bytes()),
    )
    .await;
    assert_eq!(counts(&import), (5, 5, 3, 0, 2));
    let errors = errors_of(&app, &shop.owner_token, &import).await;
    assert_eq!(
        errors.iter().map(|(line, _, _)| *line).collect::<Vec<_>>(),
        vec![5, 6]
    );
    assert!(
        errors
            .iter()
            .all(|(_, _, reason)| reason.contains("item_limit_reached"))
    );
    assert_eq!(products_of(&app, shop.id).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sku_repeated_in_a_later_batch_fails_its_row_in_a_dry_run_and_in_a_real_one() {
    let app = TestApp::spawn(test_settings(&[("imports.batch_rows", json!(2))]).await).await;
    let _worker = spawn_worker(&app.settings, &["imports"]);
    let shop = app.shop().await;
    let existing = "sku,name,price\nOLD,Old,150\n";
    let first = run_import(
        &app,
        &shop.owner_token,
        &Upload::csv(shop.id, existing.as_bytes()),
    )
    .await;
    assert_eq!(counts(&first), (1, 1, 1, 0, 0));
    // Batches of two rows: lines 2-3, 4-5, 6-7. Line 5 repeats a SKU the first batch created,
    // line 6 one it matched with the shop's existing product.
    let csv = "sku,name,price\nNEW-1,First,100\nOLD,Changed,200\nX,Filler,100\n\
               NEW-1,Again,300\nOLD,Again,400\nNEW-2,Fine,100\n";
    let dry = Upload {
        dry_run: true,
        ..Upload::csv(shop.id, csv.as_bytes())
    };
    let preview = run_import(&app, &shop.owner_token, &dry).await;
    let real = run_import(
        &app,
        &shop.owner_token,
        &Upload::csv(shop.id, csv.as_bytes()),
    )
    .await;
    for import in [&preview, &real] {
        assert_eq!(counts(import), (6, 6, 3, 1, 2), "{import}");
        let errors = errors_of(&app, &shop.owner_token, import).await;
        let repeated: Vec<(i64, &str)> = errors
            .iter()
            .filter(|(_, _, reason)| reason.contains("earlier line"))
            .map(|(line, column, _)| (*line, column.as_str()))
            .collect();
        assert_eq!(repeated, vec![(5, "sku"), (6, "sku")], "{errors:?}");
    }
    let prices: Vec<(String, i64)> = products_of(&app, shop.id)
        .await
        .into_iter()
        .map(|(sku, _, price, _, _)| (sku, price))
        .collect();
    assert_eq!(
        prices,
        vec![
            ("NEW-1".into(), 100),
            ("NEW-2".into(), 100),
            ("OLD".into(), 200),
            ("X".into(), 100),
        ],
        "the first line of a SKU wins"
    );
}

const SHOPIFY_LEGACY: &str = "\
Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,Option2 Name,Option2 Value,Variant SKU,Variant Inventory Qty,Variant Price,Image Src,Image Position,Status
boubou,Boubou brodé,<p>Coton <b>bazin</b></p>,Atelier Awa,Robes,\"fête, bazin\",TRUE,Size,M,Color,Indigo,BOU-M,4,45000,https://cdn.shopify.com/s/files/1/boubou-front.jpg?v=1,1,active
boubou,,,,,,,,L,,Indigo,BOU-L,2,47000,https://cdn.shopify.com/s/files/1/boubou-back.jpg?v=1,2,
boubou,,,,,,,,,,,,,,https://cdn.shopify.com/s/files/1/boubou-detail.jpg,3,
savon,Savon noir,Savon artisanal,Atelier Awa,Soins,,TRUE,Title,Default Title,,,SAV-1,30,1500,,,active
";

const SHOPIFY_2024: &str = "\
Title,URL handle,Description,Vendor,Product category,Type,Tags,Published on online store,Status,SKU,Barcode,Option1 name,Option1 value,Option2 name,Option2 value,Price,Compare-at price,Inventory quantity,Product image URL,Image position
Panier tressé,panier,Panier en raphia,Atelier Awa,,Maison,,TRUE,Active,PAN-S,,Size,S,,,9000,,5,,
,panier,,,,,,,,PAN-L,,,L,,,12000,,1,,
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_exports_group_variants_by_handle() {
    let app = TestApp::spawn(test_settings(&[]).await).await;
    let _worker = spawn_worker(&app.settings, &["imports"]);
    let shop = app.shop().await;
    let mut upload = Upload::csv(shop.id, SHOPIFY_LEGACY.as_bytes());
    let (front, back, detail) = (jpeg(40, 60), jpeg(60, 40), png(30, 30));
    upload.zip = Some(zip_of(&[
        ("boubou-front.jpg", &front),
        ("boubou-back.jpg", &back),
        ("boubou-detail.jpg", &detail),
    ]));
    let import = run_import(&app, &shop.owner_token, &upload).await;
    assert_eq!(counts(&import), (4, 4, 2, 0, 0), "{import}");
    assert_eq!(
        products_of(&app, shop.id).await,
        vec![
            (
                "boubou".into(),
                "Boubou brodé".into(),
                45000,
                "XOF".into(),
                6
            ),
            ("savon".into(), "Savon noir".into(), 1500, "XOF".into(), 30),
        ]
    );
    let (description, variations, features, color): (
        String,
        serde_json::Value,
        serde_json::Value,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT description, variations, features, color FROM products WHERE sku = 'boubou'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("boubou");
    assert_eq!(description, "Coton bazin");
    assert_eq!(
        variations,
        json!([
            {"sku": "BOU-M", "options": {"Size": "M", "Color": "Indigo"}, "price": {"amount": 45000, "currency": "XOF"}, "stock": 4},
            {"sku": "BOU-L", "options": {"Size": "L", "Color": "Indigo"}, "price": {"amount": 47000, "currency": "XOF"}, "stock": 2},
        ])
    );
    assert_eq!(features["vendor"], "Atelier Awa");
    assert_eq!(color, None, "two variants: the options live in variations");
    let widths: Vec<i32> = sqlx::query_scalar(
        "SELECT i.width FROM product_images i JOIN products p ON p.id = i.product_id \
         WHERE p.sku = 'boubou' AND i.status = 'ready' ORDER BY i.position",
    )
    .fetch_all(&app.pool)
    .await
    .expect("images");
    assert_eq!(widths, vec![40, 60, 30], "images in Image Position order");
    let savon: serde_json::Value =
        sqlx::query_scalar("SELECT variations FROM products WHERE sku = 'savon'")
            .fetch_one(&app.pool)
            .await
            .expect("savon");
    assert_eq!(
        savon,
        json!([]),
        "a lone Default Title variant is no variation"
    );

    let modern = Upload {
        currency: Some("EUR"),
        ..Upload::csv(shop.id, SHOPIFY_2024.as_bytes())
    };
    let import = run_import(&app, &shop.owner_token, &modern).await;
    assert_eq!(counts(&import), (2, 2, 1, 0, 0), "{import}");
    let panier = products_of(&app, shop.id)
        .await
        .into_iter()
        .find(|p| p.0 == "panier");
    assert_eq!(
        panier,
        Some((
            "panier".into(),
            "Panier tressé".into(),
            900000,
            "EUR".into(),
            6
        ))
    );
}

/// Ready images of the product with `sku`.
async fn ready_images(app: &TestApp, sku: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM product_images i JOIN products p ON p.id = i.product_id \
         WHERE p.sku = $1 AND i.status = 'ready'",
    )
    .bind(sku)
    .fetch_one(&app.pool)
    .await
    .expect("images")
}
