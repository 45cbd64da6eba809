//! The role × route matrix: every operation the API serves, called as anonymous, client A,
//! another client, seller A, seller B, a maintainer, a superadmin and a banned user, on tenant
//! A's ids. Each answer must be the contract's (401, 403, 404, or allowed), and no answer may
//! carry tenant A's private data to a caller not entitled to it. Operations come from the route
//! table and the served OpenAPI document: one without an access policy fails the test.

#[path = "role_matrix/fixture.rs"]
mod fixture;
#[path = "role_matrix/policies.rs"]
mod policies;
#[path = "role_matrix/routes.rs"]
mod routes;
#[path = "role_matrix/runner.rs"]
mod runner;

use std::collections::BTreeSet;

use serde_json::json;

use comptoir_testkit::spawn_app_with;

#[tokio::test]
async fn every_route_answers_every_role_as_the_contract_says() {
    // Secrets set, so that webhooks are refused for their signature, not for a missing secret.
    let app = spawn_app_with(&[
        ("payments.stripe.secret_key", json!("sk_test_matrix")),
        ("payments.stripe.webhook_secret", json!("whsec_matrix")),
        ("payments.cinetpay.secret_key", json!("cinetpay-matrix")),
        ("sms.twilio.auth_token", json!("twilio-matrix")),
    ])
    .await;
    let served = routes::route_table();
    let documented = routes::documented(&app).await;
    // The docs UI's redirect is the one route the document does not describe.
    let undocumented: Vec<_> = served
        .difference(&documented)
        .filter(|op| *op != "GET /docs")
        .collect();
    assert!(
        undocumented.is_empty(),
        "served but not in /v1/openapi.json: {undocumented:?}"
    );
    // Also checks the reading of the route table.
    let unread: Vec<_> = documented.difference(&served).collect();
    assert!(
        unread.is_empty(),
        "documented but not found in the route table: {unread:?}"
    );
    let operations: BTreeSet<String> = served.union(&documented).cloned().collect();

    let fixture = fixture::build(&app).await;
    let policies = policies::table(&fixture);
    let named: BTreeSet<String> = policies.iter().map(|p| p.op.to_owned()).collect();
    assert_eq!(named.len(), policies.len(), "one policy per operation");
    let missing: Vec<_> = operations.difference(&named).collect();
    assert!(
        missing.is_empty(),
        "operations without an access policy: {missing:?}"
    );
    let stale: Vec<_> = named.difference(&operations).collect();
    assert!(
        stale.is_empty(),
        "policies for operations no longer served: {stale:?}"
    );

    let (calls, invalid) = runner::run(&app, &fixture, &policies).await;
    eprintln!(
        "role matrix: {} operations × {} callers = {} calls, and {invalid} more with an invalid \
         body and Idempotency-Key for callers refused for who they are ({calls} calls)",
        policies.len(),
        fixture::CALLERS.len(),
        calls - invalid,
    );
}
