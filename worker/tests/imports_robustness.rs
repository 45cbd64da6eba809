//! Imports facing hostile archives and crashes: a zip bomb, entries escaping the archive or
//! symlinks fail the import cleanly with a reason and touch no product; a worker killed with
//! SIGKILL mid-import is replaced and the import completes without duplicates.

mod support;

use serde_json::json;

use comptoir_testkit::{TestApp, test_settings, wait_until};
use support::images::{EICAR, EXE, bomb_png, files_under, jpeg, png};
use support::imports::errors_of;
use support::imports::{
    Upload, WAIT, counts, finished_import, products_of, run_import, start_import, zip_of,
};
use support::{spawn_worker, spawn_worker_process};

const ONE_ROW: &str = "sku,name,price,images\nMUG-1,Mug,12500,mug.jpg\n";

async fn refused_with(archive: Vec<u8>, reason: &str) {
    let app = TestApp::spawn(test_settings(&[]).await).await;
    let _worker = spawn_worker(&app.settings, &["imports"]);
    let shop = app.shop().await;
    let upload = Upload {
        zip: Some(archive),
        ..Upload::csv(shop.id, ONE_ROW.as_bytes())
    };
    let import = run_import(&app, &shop.owner_token, &upload).await;
    assert_eq!(import["status"], "failed", "{import}");
    let error = import["error"].as_str().expect("a reason");
    assert!(
        error.contains(reason),
        "{error:?} should mention {reason:?}"
    );
    assert_eq!(counts(&import).2, 0);
    assert!(
        products_of(&app, shop.id).await.is_empty(),
        "the catalogue is untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zip_bomb_fails_the_import_without_being_expanded() {
    let zeros = vec![0_u8; 20 * 1024 * 1024];
    refused_with(zip_of(&[("mug.jpg", &zeros)]), "zip bomb").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_that_escape_the_archive_fail_the_import() {
    refused_with(
        zip_of(&[("mug.jpg", b"x"), ("../../etc/cron.d/evil", b"x")]),
        "outside the archive",
    )
    .await;
    refused_with(zip_of(&[("/abs/mug.jpg", b"x")]), "outside the archive").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symlinks_in_the_archive_fail_the_import() {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    writer
        .add_symlink("mug.jpg", "/etc/passwd", options)
        .expect("symlink");
    writer.start_file("other.jpg", options).expect("entry");
    writer.write_all(b"x").expect("write");
    refused_with(writer.finish().expect("zip").into_inner(), "symbolic link").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_entries_fail_the_import() {
    let app = TestApp::spawn(test_settings(&[("imports.zip.max_entries", json!(2))]).await).await;
    let _worker = spawn_worker(&app.settings, &["imports"]);
    let shop = app.shop().await;
    let archive = zip_of(&[("a.jpg", b"a"), ("b.jpg", b"b"), ("mug.jpg", b"c")]);
    let upload = Upload {
        zip: Some(archive),
        ..Upload::csv(shop.id, ONE_ROW.as_bytes())
    };
    let import = run_import(&app, &shop.owner_token, &upload).await;
    assert_eq!(import["status"], "failed");
    assert!(
        import["error"]
            .as_str()
            .expect("reason")
            .contains("3 entries"),
        "{import}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_images_fail_their_rows_and_are_never_stored() {
    let app = TestApp::spawn(test_settings(&[]).await).await;
    let _worker = spawn_worker(&app.settings, &["imports"]);
    let shop = app.shop().await;
    let csv = "sku,name,price,images\n\
        OK-1,Real PNG named jpg,100,png-inside.jpg\n\
        VIRUS-1,EICAR,100,eicar.jpg\n\
        EXE-1,Program,100,setup.jpg\n\
        BOMB-1,Decompression bomb,100,bomb.png\n\
        CUT-1,Truncated,100,cut.jpg\n";
    let whole = jpeg(200, 100);
    let archive = zip_of(&[
        ("png-inside.jpg", &png(50, 40)),
        ("eicar.jpg", EICAR),
        ("setup.jpg", EXE),
        ("bomb.png", &bomb_png(60_000, 60_000, 16)),
        ("cut.jpg", &whole[..whole.len() / 2]),
    ]);
    let upload = Upload {
        zip: Some(archive),
        ..Upload::csv(shop.id, csv.as_bytes())
    };
    let import = run_import(&app, &shop.owner_token, &upload).await;
    assert_eq!(import["status"], "succeeded", "{import}");
    assert_eq!(counts(&import), (5, 5, 1, 0, 4));
    let errors = errors_of(&app, &shop.owner_token, &import).await;
    let reason = |line: i64| {
        errors
            .iter()
            .find(|(l, column, _)| *l == line && column == "images")
            .map(|(_, _, reason)| reason.clone())
            .unwrap_or_else(|| panic!("no image error on line {line}: {errors:?}"))
    };
    assert!(reason(3).contains("infected"), "{}", reason(3));
    assert!(reason(4).contains("unsupported_format"), "{}", reason(4));
    assert!(reason(5).contains("too_large"), "{}", reason(5));
    assert!(reason(6).contains("corrupt_image"), "{}", reason(6));
    assert_eq!(
        products_of(&app, shop.id).await.len(),
        1,
        "only the good row lands"
    );
    let stored = files_under(&app.settings.storage.root.join("images"));
    assert_eq!(
        stored.len(),
        2,
        "the 50-px picture's one width, in WebP and JPEG: {stored:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_import_is_replaced_and_nothing_is_duplicated() {
    const ROWS: usize = 30_000;
    let settings = test_settings(&[("imports.batch_rows", json!(100))]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let shop = app.shop().await;
    app.set_item_limit(shop.id, ROWS).await;
    let rows: String = (0..ROWS)
        .map(|n| format!("SKU-{n:06},Item {n},{}\n", 100 + n))
        .collect();
    let csv = format!("sku,name,price\n{rows}");
    let id = start_import(
        &app,
        &shop.owner_token,
        &Upload::csv(shop.id, csv.as_bytes()),
    )
    .await;

    let mut doomed = spawn_worker_process(&settings, "imports");
    let processed_at_kill = wait_until("the import to be under way", WAIT, || async {
        let processed: i32 = sqlx::query_scalar("SELECT processed FROM imports WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("import");
        (processed > 0).then_some(processed)
    })
    .await;
    doomed.kill().expect("SIGKILL");
    doomed.wait().expect("reaped");
    assert!((processed_at_kill as usize) < ROWS, "killed mid-import");

    let mut replacement = spawn_worker_process(&settings, "imports");
    let import = finished_import(&app, &shop.owner_token, id).await;
    replacement.kill().expect("cleanup");
    replacement.wait().expect("reaped");
    assert_eq!(import["status"], "succeeded", "{import}");
    let (total, processed, created, updated, failed) = counts(&import);
    assert_eq!(
        (total, processed, created, updated, failed),
        (ROWS as i64, ROWS as i64, ROWS as i64, 0, 0),
        "every row counted once"
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM products WHERE shop_id = $1")
        .bind(shop.id)
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(stored, ROWS as i64, "no product created twice");
}
