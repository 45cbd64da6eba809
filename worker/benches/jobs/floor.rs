//! The enqueue floor: what PostgreSQL itself sustains for the same transaction (BEGIN, the
//! producer's INSERT, COMMIT) from 16 pgbench clients, a C client with prepared statements and
//! next to no CPU of its own. No client library can enqueue faster on this machine.

use std::process::Command;

const SCRIPT: &str = "BEGIN;\n\
INSERT INTO jobs (id, queue, kind, payload, max_attempts, unique_key) \
VALUES (gen_random_uuid(), 'system', 'system.ping.v1', '{}', 25, NULL) \
ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL DO NOTHING RETURNING id;\n\
COMMIT;\n";

/// Transactions/s of pgbench over `seconds` with `clients` on `database_url`; `None` (and a
/// note) when pgbench cannot run here.
pub fn pgbench_enqueue(database_url: &str, clients: usize, seconds: u32) -> Option<f64> {
    let script = std::env::temp_dir().join(format!("comptoir-enqueue-{}.sql", std::process::id()));
    std::fs::write(&script, SCRIPT).ok()?;
    let output = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-j", "2"])
        .args(["-c", &clients.to_string(), "-T", &seconds.to_string()])
        .arg("-f")
        .arg(&script)
        .arg(database_url)
        .output();
    let _ = std::fs::remove_file(&script);
    let output = match output {
        Ok(output) if output.status.success() => output,
        other => {
            eprintln!("pgbench floor unavailable: {other:?}");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
}
