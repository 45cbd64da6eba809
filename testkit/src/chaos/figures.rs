//! The figures of a chaos run, printed as one table on stdout whether the run passed or not.
//!
//! Why print before asserting: a failed run is worth as much as its numbers (how many jobs were
//! lost, after which fault, how long the stall); an assertion message alone would hide them.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::faults::Recovery;

#[derive(Debug, Default)]
pub struct Figures {
    pub seed: u64,
    pub duration: Duration,
    /// Rows in the job ledger at the end, and per kind.
    pub jobs: u64,
    pub jobs_by_kind: Vec<(String, u64)>,
    /// Jobs that needed more than one attempt.
    pub reruns: u64,
    pub kills: usize,
    /// What the faults hit, as rows (see `FaultLog::exposure`).
    pub exposure: Vec<(String, String)>,
    pub worker_starts: usize,
    /// Workers that exited on their own (and were replaced).
    pub worker_exits: usize,
    /// One line per Redis restart, e.g. `data kept: 812 → 812 keys`.
    pub redis_restarts: Vec<String>,
    pub pg_outages: usize,
    pub pg_downtime: Duration,
    /// The API's answers while PostgreSQL was down, by label.
    pub api_during_outage: BTreeMap<String, usize>,
    /// From PostgreSQL's restart to the API's first successful authenticated answer.
    pub api_recovery: Option<Duration>,
    pub lost: usize,
    pub duplicated: usize,
    /// Emails sent twice because a worker was killed between the SMTP server's acceptance and
    /// its record of it: the one repeat SMTP cannot rule out.
    pub resent_after_kill: usize,
    pub longest_recovery: Option<Recovery>,
    pub longest_stall: Option<f64>,
    /// The longest time from a job's creation to its success.
    pub slowest_job: Option<f64>,
    /// The workers' exit statuses after the final SIGTERM, e.g. `3 × exit 0`.
    pub drain: String,
}

fn seconds(value: Option<f64>) -> String {
    value.map_or_else(|| "never".to_owned(), |s| format!("{s:.2} s"))
}

impl Figures {
    /// The table's rows, in order.
    fn rows(&self) -> Vec<(String, String)> {
        let outage: Vec<String> = self
            .api_during_outage
            .iter()
            .map(|(label, n)| format!("{label} ×{n}"))
            .collect();
        let recovery = self.longest_recovery.map_or_else(
            || "n/a".to_owned(),
            |r| format!("{} after {}", seconds(r.seconds), r.fault.kind),
        );
        let redis = format!(
            "{} ({})",
            self.redis_restarts.len(),
            self.redis_restarts.join("; ")
        );
        let pg = format!(
            "{} ({:.1} s down)",
            self.pg_outages,
            self.pg_downtime.as_secs_f64()
        );
        let api_recovery = seconds(self.api_recovery.map(|d| d.as_secs_f64()));
        let mut rows = vec![
            row("seed (CHAOS_SEED)", self.seed.to_string()),
            row("run time", format!("{:.1} s", self.duration.as_secs_f64())),
            row("jobs", self.jobs.to_string()),
        ];
        for (kind, n) in &self.jobs_by_kind {
            rows.push((format!("  {kind}"), n.to_string()));
        }
        rows.extend([
            row("jobs run more than once", self.reruns.to_string()),
            row("worker kills (SIGKILL)", self.kills.to_string()),
        ]);
        rows.extend(self.exposure.iter().cloned());
        rows.extend([
            row("worker processes started", self.worker_starts.to_string()),
            row("workers exited on their own", self.worker_exits.to_string()),
            row("Redis restarts", redis),
            row("PostgreSQL outages", pg),
            row("API answers, PG down", outage.join(", ")),
            row("API recovery after PG", api_recovery),
            row("lost", self.lost.to_string()),
            row("duplicated", self.duplicated.to_string()),
            row(
                "emails resent, kill after SMTP 250",
                self.resent_after_kill.to_string(),
            ),
            row("longest recovery", recovery),
            row("longest stall", seconds(self.longest_stall)),
            row("slowest job", seconds(self.slowest_job)),
            row("drain (SIGTERM)", self.drain.clone()),
        ]);
        rows
    }
}

fn row(key: &str, value: String) -> (String, String) {
    (key.to_owned(), value)
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows = self.rows();
        let left = rows
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        let right = rows
            .iter()
            .map(|(_, v)| v.chars().count())
            .max()
            .unwrap_or(0);
        let rule = format!("+{}+{}+", "-".repeat(left + 2), "-".repeat(right + 2));
        writeln!(f, "{rule}")?;
        writeln!(f, "| {:<left$} | {:<right$} |", "chaos figure", "value")?;
        writeln!(f, "{rule}")?;
        for (key, value) in rows {
            writeln!(f, "| {key:<left$} | {value:<right$} |")?;
        }
        writeln!(f, "{rule}")
    }
}
