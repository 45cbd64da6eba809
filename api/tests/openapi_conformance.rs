//! Schemathesis fuzzes every operation of the served OpenAPI document, as an admin, and checks
//! that the answers are what the document says: no server error, documented status codes,
//! content types and response schemas. `SCHEMATHESIS_SEED` replays a run; the seed of every
//! run is printed. `SCHEMATHESIS_EXAMPLES` (default 25) caps the cases per operation.

use std::process::Stdio;

use comptoir_domain::types::Role;
use comptoir_testkit::{spawn_app, state_dir};

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_describes_every_answer() {
    let app = spawn_app().await;
    let (_, token) = app.user_with_role(Role::Superadmin).await;
    let st = state_dir().join("schemathesis/bin/st");
    assert!(
        st.exists(),
        "{} is missing: scripts/services.sh installs Schemathesis",
        st.display()
    );
    let seed = std::env::var("SCHEMATHESIS_SEED")
        .unwrap_or_else(|_| (rand::random::<u32>() % 1_000_000).to_string());
    let examples = std::env::var("SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "25".to_owned());
    eprintln!(
        "schemathesis seed {seed} (SCHEMATHESIS_SEED={seed} replays it), {examples} examples per operation"
    );

    let output = tokio::process::Command::new(st)
        .arg("run")
        .arg(format!("{}/v1/openapi.json", app.address))
        .args(["--checks", CHECKS])
        .args(["--max-examples", &examples, "--seed", &seed])
        .args([
            "--workers",
            "2",
            "--no-color",
            "--suppress-health-check",
            "all",
        ])
        // No example database left in the source tree: a run is replayed by its seed.
        .args(["--generation-database", "none"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .stdin(Stdio::null())
        .output()
        .await
        .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let summary: Vec<&str> = report
        .lines()
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    eprintln!("{}", summary.join("\n"));
    assert!(
        output.status.success(),
        "schemathesis found failures (seed {seed}):\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
