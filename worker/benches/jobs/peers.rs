//! The peers of the job benchmark: BullMQ (Redis) and graphile-worker (PostgreSQL), run by the
//! Node scripts in `bench/peers/` on the same Redis and PostgreSQL, with the same sizes.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use super::table::Measured;

/// What a peer script prints as its last line.
#[derive(Debug, Deserialize)]
struct PeerResult {
    system: String,
    version: String,
    drain_jobs_per_s: f64,
    enqueue_jobs_per_s: f64,
    latency_ms: Latency,
}

#[derive(Debug, Deserialize)]
struct Latency {
    p50: f64,
    p90: f64,
    p99: f64,
}

impl From<PeerResult> for Measured {
    fn from(peer: PeerResult) -> Self {
        Measured {
            system: format!("{} {}", peer.system, peer.version),
            drain_jobs_per_s: peer.drain_jobs_per_s,
            enqueue_jobs_per_s: peer.enqueue_jobs_per_s,
            latency_ms: [
                peer.latency_ms.p50,
                peer.latency_ms.p90,
                peer.latency_ms.p99,
            ],
        }
    }
}

fn peers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/peers")
}

/// Installs the peers' npm packages (idempotent); false when that is not possible here.
pub fn install() -> bool {
    let status = Command::new("bash")
        .arg(peers_dir().join("install.sh"))
        .status();
    match status {
        Ok(status) if status.success() => true,
        other => {
            eprintln!("peers unavailable: bench/peers/install.sh: {other:?}");
            false
        }
    }
}

/// Runs one peer script (`bullmq.mjs`, `graphile.mjs`) with `env`; `None` when it failed.
pub fn run(script: &str, env: &[(&str, String)]) -> Option<Measured> {
    let output = Command::new("node")
        .arg(peers_dir().join(script))
        .envs(env.iter().map(|(key, value)| (*key, value.as_str())))
        .output();
    let output = match output {
        Ok(output) if output.status.success() => output,
        Ok(output) => {
            eprintln!(
                "{script} failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            return None;
        }
        Err(err) => {
            eprintln!("{script}: cannot start node: {err}");
            return None;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().rev().find(|line| line.starts_with('{'))?;
    serde_json::from_str::<PeerResult>(line)
        .map_err(|err| eprintln!("{script}: unreadable result {line}: {err}"))
        .ok()
        .map(Measured::from)
}
