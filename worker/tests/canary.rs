//! The admin canary: a no-op job timed through the whole job system by a real worker.

mod support;

use comptoir_domain::types::Role;
use comptoir_testkit::{TestApp, assert_problem, test_settings};
use serde_json::json;
use support::spawn_worker_process;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_canary_reports_a_jobs_latency_and_only_to_admins() {
    let settings = test_settings(&[]).await;
    let app = TestApp::spawn(settings.clone()).await;
    let mut worker = spawn_worker_process(&settings, "system");
    let (_, admin) = app.user_with_role(Role::Superadmin).await;
    let (_, client) = app.user_with_role(Role::Client).await;

    let refused = app
        .post("/v1/admin/jobs/canary", Some(&client), json!({}))
        .await;
    assert_problem(refused, 403, "forbidden").await;
    // The worker may still be starting: the first canary can time out, a later one cannot.
    let mut report = json!(null);
    for _ in 0..10 {
        let answer = app
            .post("/v1/admin/jobs/canary", Some(&admin), json!({}))
            .await;
        assert_eq!(answer.status(), 200);
        report = answer.json().await.expect("json");
        if report["status"] == "succeeded" {
            break;
        }
    }
    worker.kill().expect("stop");
    let _ = worker.wait();
    assert_eq!(report["status"], "succeeded", "{report}");
    let start = report["enqueue_to_start_ms"].as_f64().expect("timed");
    assert!((0.0..5000.0).contains(&start), "{report}");
    assert!(report["start_to_finish_ms"].as_f64().is_some(), "{report}");
}
