//! Chaos harness: private copies of the services a worker depends on (PostgreSQL, Redis, an
//! SMTP sink), a fleet of real worker processes to kill, a log of the faults injected, probes of
//! the API while a dependency is down, and the table of figures a run prints.
//!
//! Why private services: the machine's PostgreSQL and Redis serve every other test running in
//! parallel, so a chaos run that stopped them would fail tests it knows nothing about. Each run
//! starts its own cluster and server on free ports under [`RunDir`] and removes them when
//! dropped.

pub mod faults;
pub mod figures;
pub mod fleet;
pub mod ledger;
pub mod postgres;
pub mod probe;
pub mod redis;
pub mod smtp;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use faults::{FaultKind, FaultLog};
pub use figures::Figures;
pub use fleet::{Fleet, FleetSpec};
pub use postgres::PrivatePostgres;
pub use probe::{Answer, Expect, Probe, Request};
pub use redis::PrivateRedis;
pub use smtp::SmtpSink;

/// A number from the environment (e.g. `CHAOS_KILLS`), or `default` when unset or unparsable.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A port nobody listens on right now (the OS picks it; a tiny race with other processes is
/// accepted, as everywhere in the test suite).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free local port")
}

/// Seconds since the Unix epoch: the clock the ledger's timestamps are compared with (the
/// services run on this machine, so one clock serves both).
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// A small seeded random generator (xorshift64*): a run prints its seed, and `CHAOS_SEED`
/// replays the same choice of victims and pauses. Not for anything but test schedules.
pub struct Dice(u64);

impl Dice {
    /// Seeded from `CHAOS_SEED`, or from the clock when unset.
    pub fn from_env() -> Self {
        let clock = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |elapsed| elapsed.as_nanos() as u64);
        Self::new(env_or("CHAOS_SEED", clock))
    }

    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn seed(&self) -> u64 {
        self.0
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A duration between `low` and `high`, millisecond resolution.
    pub fn between(&mut self, low: Duration, high: Duration) -> Duration {
        let span = high.saturating_sub(low).as_millis() as u64 + 1;
        low + Duration::from_millis(self.next() % span)
    }
}

/// The directory of one run: the private services' data and every process's log. Removed when
/// the run passes; kept when it fails, so its logs can be read afterwards.
pub struct RunDir {
    root: PathBuf,
}

impl RunDir {
    /// `$TMPDIR/comptoir-chaos/<uuid>`, world-readable so the `postgres` user can reach its
    /// data directory inside.
    pub fn create() -> Self {
        let root = std::env::temp_dir()
            .join("comptoir-chaos")
            .join(uuid::Uuid::now_v7().simple().to_string());
        std::fs::create_dir_all(root.join("logs")).expect("the chaos run directory");
        Self { root }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Where the worker processes and the private services write their logs.
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }
}

impl Drop for RunDir {
    /// A run that passed leaves nothing behind; a failed one keeps its logs to be read.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// Runs `program args` to completion; `Err` carries its output when it fails. The commands are
/// the services' own tools (pg_ctl, redis-cli), run off the async runtime's threads.
pub(crate) async fn run(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|err| anyhow::anyhow!("cannot run {program}: {err}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(text)
    } else {
        anyhow::bail!("{program} {args:?} failed ({}): {text}", output.status)
    }
}
