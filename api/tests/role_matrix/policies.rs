//! The access rule of every operation, from the "who" column of API.md, with the tenant A ids
//! its path takes and a valid body, so that authorization, not validation, decides.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::fixture::{Caller, Fixture, PASSWORD, unique_code};

#[derive(Clone, Copy, Debug)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user, on their own things.
    SignedIn,
    Admin,
    /// Superadmins only: maintainers 403 too.
    Superadmin,
    /// Client accounts (sellers and admins 403).
    Client,
    /// Sellers (their own shops' things) and admins; clients 403.
    Merchant,
    /// Tenant A's shop or what belongs to it: seller A and admins; seller B 404, clients 403.
    ShopOwner,
    /// Tenant A's order: its client, its shop's seller and admins; other clients and sellers 404.
    OrderParty,
    /// Only the order's client; anybody else signed in 404 ("no such order among yours").
    OrderClient,
    /// Client A's own: everybody else 404, admins included.
    Recipient,
    /// Not public: seller A and admins see it; anybody else, anonymous included, 404.
    Unlisted,
    /// Decided by a credential in the request (a signature, a token in the body or the URL),
    /// never by the bearer token: every caller gets this status and the same problem code.
    Uniform(u16),
}

/// What one caller must be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Neither 401, 403 nor 404: 2xx (or a redirect), or 409/422 for a business reason.
    Allowed,
    Refused(u16),
    /// 403 `account_banned`.
    Banned,
    /// A banned user's bearer token on a public route: refused as banned, or ignored.
    BannedOrAllowed,
    Uniform(u16),
}

impl Access {
    pub fn expect(self, caller: Caller) -> Expect {
        use Caller::*;
        let refused = Expect::Refused;
        match (self, caller) {
            (Access::Uniform(status), _) => Expect::Uniform(status),
            (Access::Public, Banned) => Expect::BannedOrAllowed,
            (_, Banned) => Expect::Banned,
            (Access::Public, _) => Expect::Allowed,
            (Access::Unlisted, SellerA | Maintainer | Superadmin) => Expect::Allowed,
            (Access::Unlisted, _) => refused(404),
            (_, Anonymous) => refused(401),
            (Access::Recipient, ClientA) => Expect::Allowed,
            (Access::Recipient, _) => refused(404),
            (Access::SignedIn, _) => Expect::Allowed,
            (Access::Superadmin, caller) if caller != Superadmin => refused(403),
            (Access::Admin, caller) if !caller.is_admin() => refused(403),
            (Access::Client, caller) if !caller.is_client() => refused(403),
            (Access::Merchant | Access::ShopOwner, caller) if caller.is_client() => refused(403),
            (Access::ShopOwner, SellerB) => refused(404),
            (Access::OrderParty, ClientB | SellerB) => refused(404),
            (Access::OrderClient, caller) if caller != ClientA => refused(404),
            _ => Expect::Allowed,
        }
    }
}

pub enum Body {
    None,
    Json(Value),
    /// `application/x-www-form-urlencoded`.
    Form(String),
    /// A bulk import of one row into this shop.
    Csv(uuid::Uuid),
    /// One tiny PNG in the `image` field.
    Image,
}

pub struct Policy {
    /// `"METHOD /path"` as in the OpenAPI document.
    pub op: &'static str,
    pub access: Access,
    /// Fills the path's `{…}` placeholders, in order.
    pub path_values: Vec<String>,
    /// Other values for some callers (a resource each, for calls that use it up).
    pub own_values: Vec<(Caller, Vec<String>)>,
    pub query: String,
    pub body: Body,
}

impl Policy {
    fn at<T: ToString>(mut self, values: impl IntoIterator<Item = T>) -> Self {
        self.path_values = values.into_iter().map(|v| v.to_string()).collect();
        self
    }
    fn at_for<T: ToString>(mut self, caller: Caller, values: impl IntoIterator<Item = T>) -> Self {
        let values = values.into_iter().map(|v| v.to_string()).collect();
        self.own_values.push((caller, values));
        self
    }
    fn query(mut self, query: String) -> Self {
        self.query = query;
        self
    }
    fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }
    fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }
    pub fn method(&self) -> reqwest::Method {
        let method = self.op.split(' ').next().unwrap_or_default();
        reqwest::Method::from_bytes(method.as_bytes()).expect("a method")
    }
    /// The path with tenant A's ids for `caller`, and the query.
    pub fn url(&self, caller: Caller) -> String {
        let own = self.own_values.iter().find(|(c, _)| *c == caller);
        let mut values = own.map_or(&self.path_values, |(_, values)| values).iter();
        let template = self.op.split(' ').nth(1).unwrap_or_default();
        let path: Vec<String> = template
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    values.next().expect("a value for each placeholder").clone()
                } else {
                    segment.to_owned()
                }
            })
            .collect();
        assert!(values.next().is_none(), "{}: too many path values", self.op);
        match self.query.as_str() {
            "" => path.join("/"),
            query => format!("{}?{query}", path.join("/")),
        }
    }
}

fn rule(op: &'static str, access: Access) -> Policy {
    Policy {
        op,
        access,
        path_values: Vec::new(),
        own_values: Vec::new(),
        query: String::new(),
        body: Body::None,
    }
}

/// Every operation's rule; the matrix fails for an operation missing here or named here and
/// no longer served.
pub fn table(f: &Fixture) -> Vec<Policy> {
    use Access::*;
    let ids = &f.ids;
    let now = Utc::now();
    let (yesterday, next_month) = (now - Duration::days(1), now + Duration::days(30));
    let not_a_token = "not-a-refresh-token";
    vec![
        rule("GET /health/live", Public),
        rule("GET /health/ready", Public),
        rule("GET /docs", Public),
        rule("POST /v1/auth/register", Public).json(json!({
            "email": format!("{}@example.com", unique_code("matrix")), "password": PASSWORD, "name": "M"})),
        rule("POST /v1/auth/login", Uniform(200))
            .json(json!({"email": f.spare_email, "password": PASSWORD})),
        rule("POST /v1/auth/refresh", Uniform(401)).json(json!({"refresh_token": not_a_token})),
        rule("POST /v1/auth/logout", SignedIn).json(json!({"refresh_token": not_a_token})),
        rule("GET /v1/auth/me", SignedIn),
        // Outside `sms.allowed_prefixes`: no text is sent.
        rule("POST /v1/auth/otp/send", Uniform(422))
            .json(json!({"phone": "+15550100000", "purpose": "login"})),
        rule("POST /v1/auth/otp/verify", Uniform(401))
            .json(json!({"phone": "+22890000099", "purpose": "login", "code": "000000"})),
        rule("POST /v1/auth/password/reset", Uniform(401))
            .json(json!({"reset_token": "not-a-reset-token", "new_password": "a new long password"})),
        rule("POST /v1/webhooks/sms/twilio", Uniform(400))
            .body(Body::Form("MessageSid=SM0&MessageStatus=delivered".to_owned())),
        // Unsigned: taken only for message ids of ours.
        rule("POST /v1/webhooks/sms/africastalking", Uniform(200))
            .body(Body::Form("id=ATXid_unknown&status=Success".to_owned())),
        rule("POST /v1/webhooks/stripe", Uniform(400))
            .json(json!({"id": "evt_matrix", "type": "checkout.session.completed"})),
        rule("GET /v1/webhooks/mobile-money/cinetpay", Uniform(200)),
        rule("POST /v1/webhooks/mobile-money/cinetpay", Uniform(400))
            .body(Body::Form(format!("cpm_trans_id={}&cpm_site_id=1", ids.payment))),
        // Unsigned: a hint, taken only for known PayGate payments (this one is manual).
        rule("POST /v1/webhooks/mobile-money/paygate", Uniform(200))
            .json(json!({"tx_reference": 1, "identifier": ids.payment.to_string(), "payment_reference": "x"})),
        rule("GET /v1/users", Admin),
        rule("PATCH /v1/users/{id}", Admin).at([ids.client_a]).json(json!({"banned": false})),
        rule("GET /v1/admin/jobs", Admin),
        rule("POST /v1/admin/jobs/canary", Admin),
        rule("GET /v1/admin/jobs/{id}", Admin).at([ids.job]),
        rule("POST /v1/admin/jobs/{id}/retry", Admin).at([ids.job]),
        rule("POST /v1/admin/jobs/{id}/cancel", Admin).at([ids.job]),
        rule("POST /v1/admin/jobs/retry", Admin).json(json!({"queue": "email"})),
        rule("GET /v1/admin/queues", Admin),
        rule("GET /v1/admin/workers", Admin),
        rule("GET /v1/admin/sms", Admin),
        rule("GET /v1/action-logs", Admin),
        rule("POST /v1/shops", Admin).json(json!({
            "name": "Matrix", "owner_email": f.spare_email, "duration_days": 30, "item_limit": 10})),
        rule("GET /v1/shops", Public).query(format!("owner_id={}", ids.seller_a)),
        rule("GET /v1/shops/{id}", Public).at([ids.shop]),
        rule("PATCH /v1/shops/{id}", Admin).at([ids.shop]).json(json!({"name": "Chez Awa"})),
        rule("POST /v1/shops/{id}/duration", Admin)
            .at([ids.shop])
            .json(json!({"start_date": yesterday, "end_date": next_month})),
        rule("POST /v1/shops/{id}/skip", Admin).at([ids.spare_shop]),
        rule("GET /v1/categories", Public),
        rule("POST /v1/categories", Admin).json(json!({"name": unique_code("Matrix")})),
        rule("GET /v1/products", Public),
        rule("POST /v1/products", ShopOwner).json(json!({"shop_id": ids.shop, "sku": unique_code("SKU"),
            "name": "Matrix", "price": {"amount": 1000, "currency": "EUR"}, "stock": 1})),
        rule("GET /v1/products/{id}", Unlisted).at([ids.hidden_product]),
        rule("PATCH /v1/products/{id}", ShopOwner)
            .at([ids.hidden_product])
            .json(json!({"name": "Renamed"})),
        rule("DELETE /v1/products/{id}", ShopOwner)
            .at([ids.spare_products[0]])
            .at_for(Caller::Maintainer, [ids.spare_products[1]])
            .at_for(Caller::Superadmin, [ids.spare_products[2]]),
        rule("POST /v1/products/{id}/images", ShopOwner).at([ids.product]).body(Body::Image),
        rule("GET /v1/products/{id}/images/{image_id}", ShopOwner).at([ids.product, ids.image]),
        rule("GET /v1/media/{key}", Public).at([&ids.media_key]),
        rule("POST /v1/products/bulk", ShopOwner).body(Body::Csv(ids.shop)),
        rule("GET /v1/imports/{id}", ShopOwner).at([ids.import]),
        rule("GET /v1/imports/{id}/errors", ShopOwner).at([ids.import]),
        rule("GET /v1/me/consents", SignedIn),
        rule("POST /v1/me/data-export", SignedIn),
        rule("GET /v1/me/data-exports/{id}", Recipient).at([ids.data_export]),
        // The signed link is the credential; none here.
        rule("GET /v1/me/data-exports/{id}/download", Uniform(403)).at([ids.data_export]),
        // Without the password (422 for every signed-in caller): nobody is erased.
        rule("DELETE /v1/me", SignedIn).json(json!({})),
        rule("POST /v1/admin/users/{id}/erase", Superadmin).at([ids.erasable_user]),
        rule("PUT /v1/me/consents", SignedIn).json(json!({"marketing_email": true})),
        rule("POST /v1/notifications", Admin)
            .json(json!({"user_ids": [ids.client_a], "channel": "in_app", "body": "matrix"})),
        rule("GET /v1/notifications", SignedIn),
        rule("GET /v1/notifications/batches/{id}", Admin).at([ids.batch]),
        rule("PATCH /v1/notifications/{id}", Recipient)
            .at([ids.notification])
            .json(json!({"read": true})),
        rule("POST /v1/orders", Client)
            .json(json!({"items": [{"product_id": ids.product, "quantity": 1}]})),
        rule("GET /v1/orders", SignedIn).query(format!("shop_id={}", ids.shop)),
        rule("GET /v1/orders/{id}", OrderParty).at([ids.order]),
        rule("PATCH /v1/orders/{id}", OrderParty)
            .at([ids.spare_order])
            .json(json!({"status": "cancelled"})),
        rule("GET /v1/orders/{id}/documents", OrderParty).at([ids.order]),
        // The signed link is the credential; none here.
        rule("GET /v1/orders/{id}/documents/{kind}/download", Uniform(403))
            .at([ids.order.to_string(), "packing_slip".to_owned()]),
        rule("POST /v1/orders/{id}/payments", OrderClient)
            .at([ids.pending_order])
            .json(json!({"provider": "stripe"})),
        rule("POST /v1/quotes", Client).json(json!({"shop_id": ids.shop,
            "items": [{"product_id": ids.product, "quantity": 2}], "company_name": "Matrix SARL"})),
        rule("GET /v1/quotes", SignedIn).query(format!("shop_id={}", ids.shop)),
        rule("GET /v1/quotes/{id}", OrderParty).at([ids.quote]),
        rule("POST /v1/quotes/{id}/offer", ShopOwner).at([ids.quote]).json(json!({
            "lines": [{"product_id": ids.product, "quantity": 2, "unit_price": 900}],
            "valid_until": Utc::now() + Duration::days(7)})),
        // Whatever its state (accepting or rejecting a quote answered already is a 409), only
        // its client is told it exists.
        rule("POST /v1/quotes/{id}/accept", OrderClient).at([ids.quote]),
        rule("POST /v1/quotes/{id}/reject", OrderClient).at([ids.quote]),
        // Not rendered yet (409) for the parties.
        rule("GET /v1/quotes/{id}/pdf", OrderParty).at([ids.quote]),
        rule("GET /v1/payments", SignedIn).query(format!("order_id={}", ids.order)),
        rule("GET /v1/payments/{id}", OrderParty).at([ids.payment]),
        rule("POST /v1/payments/{id}/refund", ShopOwner).at([ids.payment]).json(json!({})),
        rule("GET /v1/promotions", Public).query(format!("shop_id={}", ids.shop)),
        rule("POST /v1/promotions", ShopOwner).json(json!({"code": unique_code("MATRIX"),
            "kind": "coupon", "percent": 5, "shop_id": ids.shop, "start_date": yesterday, "end_date": next_month})),
        rule("GET /v1/reports", Merchant),
        rule("POST /v1/reports", ShopOwner).json(json!({"type": "orders_detail", "format": "json",
            "date_from": "2026-01-01", "date_to": "2026-12-31", "filters": {"shop_id": ids.shop}})),
        rule("GET /v1/reports/{id}", ShopOwner).at([ids.report]),
        // The signed link is the credential; none here.
        rule("GET /v1/reports/{id}/download", Uniform(403)).at([ids.report]),
    ]
}
