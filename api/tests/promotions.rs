//! Promotions: who creates them for which shop, validation, unique codes, who sees which.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use comptoir_domain::types::Role;
use comptoir_testkit::spawn_app;

async fn body(response: reqwest::Response) -> Value {
    response.json().await.expect("json body")
}

/// A promotion request running from `starts` to `ends` days from now.
fn promotion(code: &str, shop_id: Option<Uuid>, (starts, ends): (i64, i64)) -> Value {
    let now = Utc::now();
    json!({
        "code": code, "kind": "coupon", "percent": 10, "shop_id": shop_id,
        "start_date": (now + Duration::days(starts)).to_rfc3339(),
        "end_date": (now + Duration::days(ends)).to_rfc3339(),
    })
}

const RUNNING: (i64, i64) = (-1, 1);

#[tokio::test]
async fn admins_create_any_promotion_and_sellers_only_for_their_shops() {
    let app = spawn_app().await;
    let (shop, other_shop) = (app.shop().await, app.shop().await);
    let (_, client) = app.user_with_role(Role::Client).await;
    let (_, superadmin) = app.user_with_role(Role::Superadmin).await;
    let maintainer = shop.admin_token.as_str();
    for (n, (who, token, shop_id, status)) in [
        ("anonymous", None, Some(shop.id), 401),
        ("client", Some(client.as_str()), Some(shop.id), 403),
        (
            "owning seller",
            Some(shop.owner_token.as_str()),
            Some(shop.id),
            201,
        ),
        (
            "seller, another's shop",
            Some(shop.owner_token.as_str()),
            Some(other_shop.id),
            404,
        ),
        (
            "seller, unknown shop",
            Some(shop.owner_token.as_str()),
            Some(Uuid::now_v7()),
            404,
        ),
        (
            "seller, platform-wide",
            Some(shop.owner_token.as_str()),
            None,
            422,
        ),
        ("maintainer, platform-wide", Some(maintainer), None, 201),
        (
            "superadmin, any shop",
            Some(superadmin.as_str()),
            Some(other_shop.id),
            201,
        ),
        (
            "admin, unknown shop",
            Some(superadmin.as_str()),
            Some(Uuid::now_v7()),
            422,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let response = app
            .post(
                "/v1/promotions",
                token,
                promotion(&format!("CODE-{n}"), shop_id, RUNNING),
            )
            .await;
        let status_got = response.status();
        let created = body(response).await;
        assert_eq!(status_got, status, "{who}: {created}");
        if status == 201 {
            assert_eq!(created["shop_id"], json!(shop_id), "{who}");
            assert_eq!(
                (created["kind"].as_str(), created["percent"].as_i64()),
                (Some("coupon"), Some(10))
            );
        }
    }
    let created = body(app.get("/v1/promotions", Some(maintainer)).await).await;
    assert_eq!(created["total"], 3);
    let public = body(app.get("/v1/promotions", None).await).await;
    assert_eq!(public["total"], 0, "coupons are not listed to the public");
    let log = body(
        app.get("/v1/action-logs?action=promotion.created", Some(maintainer))
            .await,
    )
    .await;
    assert_eq!(log["total"], 3);
    assert_eq!(log["items"][0]["target_type"], "promotion");
}

#[tokio::test]
async fn promotions_are_validated_and_codes_are_unique_whatever_the_case() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_role(Role::Maintainer).await;
    let mut bad = promotion("a b", None, (1, -1));
    bad["percent"] = json!(101);
    bad["kind"] = json!("bogof");
    bad["segments"] = json!([""]);
    let refused = app.post("/v1/promotions", Some(&admin), bad).await;
    assert_eq!(refused.status(), 422);
    let refused = body(refused).await;
    for field in ["code", "percent", "kind", "end_date", "segments"] {
        assert!(refused["errors"][field].is_array(), "{field}: {refused}");
    }
    let mut zero = promotion("ZERO", None, RUNNING);
    zero["percent"] = json!(0);
    assert_eq!(
        app.post("/v1/promotions", Some(&admin), zero)
            .await
            .status(),
        422
    );
    let mut far = promotion("FAR", None, RUNNING);
    far["end_date"] = json!("+10000-01-01T00:00:00Z");
    assert_eq!(
        app.post("/v1/promotions", Some(&admin), far).await.status(),
        422,
        "a year past 2100 is refused"
    );
    let listed = app
        .get("/v1/orders?from=%2B10000-01-01", Some(&admin))
        .await;
    assert_eq!(listed.status(), 422);
    let mut extra = promotion("EXTRA", None, RUNNING);
    extra["stackable"] = json!(true);
    assert_eq!(
        app.post("/v1/promotions", Some(&admin), extra)
            .await
            .status(),
        422
    );

    let mut first = promotion("Summer-25", None, RUNNING);
    first["segments"] = json!(["new_customers"]);
    let first = app.post("/v1/promotions", Some(&admin), first).await;
    assert_eq!(first.status(), 201);
    assert_eq!(body(first).await["segments"], json!(["new_customers"]));
    let taken = app
        .post(
            "/v1/promotions",
            Some(&admin),
            promotion("SUMMER-25", None, (5, 6)),
        )
        .await;
    assert_eq!(taken.status(), 409);
    assert_eq!(body(taken).await["code"], "promotion_code_taken");
}

#[tokio::test]
async fn visitors_see_running_flash_sales_sellers_their_own_and_admins_all() {
    let app = spawn_app().await;
    let (shop, other_shop) = (app.shop().await, app.shop().await);
    let admin = shop.admin_token.as_str();
    for (code, shop_id, period) in [
        ("RUNNING", Some(shop.id), RUNNING),
        ("FUTURE-MINE", Some(shop.id), (2, 3)),
        ("FUTURE-THEIRS", Some(other_shop.id), (2, 3)),
        ("EXPIRED", None, (-3, -2)),
    ] {
        let created = app
            .post(
                "/v1/promotions",
                Some(admin),
                promotion(code, shop_id, period),
            )
            .await;
        assert_eq!(created.status(), 201, "{code}");
    }
    let mut flash = promotion("FLASH", Some(shop.id), RUNNING);
    flash["kind"] = json!("flash");
    let created = app.post("/v1/promotions", Some(admin), flash).await;
    assert_eq!(created.status(), 201);
    let (_, client) = app.user_with_role(Role::Client).await;
    let codes = |token: Option<&str>, query: &str| {
        let app = &app;
        let (token, path) = (token.map(str::to_owned), format!("/v1/promotions{query}"));
        async move {
            let page = body(app.get(&path, token.as_deref()).await).await;
            let mut codes: Vec<String> = page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|p| p["code"].as_str().expect("code").to_owned())
                .collect();
            codes.sort();
            codes
        }
    };
    // A coupon's code is for the shop to hand out: the public sees flash sales only.
    assert_eq!(codes(None, "").await, ["FLASH"]);
    assert_eq!(codes(Some(&client), "").await, ["FLASH"]);
    assert_eq!(
        codes(Some(&client), "?active=false").await,
        Vec::<String>::new()
    );
    assert_eq!(
        codes(Some(&shop.owner_token), "").await,
        ["FLASH", "FUTURE-MINE", "RUNNING"]
    );
    assert_eq!(
        codes(Some(&other_shop.owner_token), "").await,
        ["FLASH", "FUTURE-THEIRS"]
    );
    assert_eq!(
        codes(Some(admin), "").await,
        [
            "EXPIRED",
            "FLASH",
            "FUTURE-MINE",
            "FUTURE-THEIRS",
            "RUNNING"
        ]
    );
    assert_eq!(
        codes(Some(admin), "?active=true").await,
        ["FLASH", "RUNNING"]
    );
    assert_eq!(
        codes(Some(admin), "?active=false").await,
        ["EXPIRED", "FUTURE-MINE", "FUTURE-THEIRS"]
    );
    assert_eq!(
        codes(Some(admin), &format!("?shop_id={}", other_shop.id)).await,
        ["FUTURE-THEIRS"]
    );
    assert_eq!(
        app.get("/v1/promotions?active=maybe", None).await.status(),
        422
    );
}
