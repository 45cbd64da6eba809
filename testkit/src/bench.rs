//! Small helpers shared by the benchmark binaries.

/// A size from the environment (e.g. `BENCH_JOBS`), or `default`.
pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The number `sql` (a `SELECT count(*) …`) counts, for polling a bench's progress.
pub async fn count(pool: &sqlx::PgPool, sql: &'static str) -> usize {
    let n: i64 = sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .expect("a count");
    usize::try_from(n).unwrap_or(0)
}

/// The `p` quantile (0..=1) of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Whether any `system.ping.v1` job is still unfinished: cheap through the ledger's status
/// index, so the burst test and the job bench can poll it while a large backlog drains.
pub async fn pings_unfinished(pool: &sqlx::PgPool) -> bool {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE kind = 'system.ping.v1' \
         AND status IN ('queued', 'running', 'retrying'))",
    )
    .fetch_one(pool)
    .await
    .expect("unfinished pings")
}

/// `program` run under `/usr/bin/time`, which reports its peak RSS for [`measure`].
pub fn timed(program: &str) -> std::process::Command {
    let mut command = std::process::Command::new("/usr/bin/time");
    command.args(["-f", "maxrss_kib=%M", program]);
    command
}

/// Runs a [`timed`] command to its end: (seconds, peak RSS in MiB).
pub fn measure(command: &mut std::process::Command) -> (f64, f64) {
    let started = std::time::Instant::now();
    let output = command.output().expect("the command runs");
    let elapsed = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let kib: f64 = stderr
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("maxrss_kib="))
        .and_then(|v| v.trim().parse().ok())
        .expect("/usr/bin/time output");
    (elapsed, kib / 1024.0)
}

/// The environment of a bench's child process: the test configuration pointed at `settings`'
/// database and at `storage`, quiet logs.
pub fn child_env(
    settings: &comptoir_domain::config::Settings,
    storage: &std::path::Path,
) -> Vec<(&'static str, String)> {
    vec![
        ("COMPTOIR_ENV", "test".to_owned()),
        (
            "COMPTOIR_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../config").to_owned(),
        ),
        (
            "COMPTOIR__DATABASE__URL",
            settings.database.url.expose().to_owned(),
        ),
        ("COMPTOIR__STORAGE__ROOT", storage.display().to_string()),
        ("RUST_LOG", "warn".to_owned()),
    ]
}

/// The settings a bench's child process was given by [`child_env`].
pub fn child_settings() -> comptoir_domain::config::Settings {
    comptoir_domain::config::Settings::from_figment(comptoir_domain::config::Settings::figment_for(
        "test",
    ))
    .expect("settings")
}
