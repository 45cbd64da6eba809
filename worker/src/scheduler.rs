//! Cron: every process runs the schedules; each tick inserts one job with the unique key
//! `cron:<name>:<tick>`, so whatever the number of replicas, each tick's job exists once — and,
//! being a job, it is durable, retried and visible in the admin API.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use comptoir_jobs::{Job, Producer};

/// The start of the period containing `now`, periods being aligned on the Unix epoch.
pub fn tick_of(now: DateTime<Utc>, period: Duration) -> DateTime<Utc> {
    let period_ms = i64::try_from(period.as_millis()).unwrap_or(i64::MAX).max(1);
    let start = now.timestamp_millis().div_euclid(period_ms) * period_ms;
    Utc.timestamp_millis_opt(start).single().unwrap_or(now)
}

/// Enqueues `make_job(tick)` once per tick of `period` until `shutdown`.
pub async fn run_schedule<J: Job>(
    name: &'static str,
    period: Duration,
    pool: PgPool,
    producer: Producer,
    make_job: impl Fn(DateTime<Utc>) -> J,
    shutdown: CancellationToken,
) {
    loop {
        let tick = tick_of(Utc::now(), period);
        let key = format!("cron:{name}:{}", tick.to_rfc3339());
        let next = tick + period;
        // A failed insert (database down) is retried within the tick's period, not skipped.
        let mut pause = Duration::from_millis(500);
        loop {
            match enqueue_tick(&pool, &producer, &make_job(tick), key.clone()).await {
                Ok(true) => tracing::info!(schedule = name, %tick, "cron tick enqueued"),
                Ok(false) => tracing::debug!(schedule = name, %tick, "cron tick already taken"),
                Err(err) => {
                    tracing::warn!(schedule = name, %tick, error = %err, "cron tick not enqueued yet");
                    if Utc::now() + pause < next {
                        tokio::select! {
                            () = shutdown.cancelled() => return,
                            () = tokio::time::sleep(pause) => {}
                        }
                        pause = (pause * 2).min(Duration::from_secs(30));
                        continue;
                    }
                }
            }
            break;
        }
        let wait = (next - Utc::now()).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

async fn enqueue_tick<J: Job>(
    pool: &PgPool,
    producer: &Producer,
    job: &J,
    key: String,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await?;
    let inserted = producer.enqueue_unique(&mut tx, job, key).await?.is_some();
    producer.commit(tx).await?;
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_align_on_period_boundaries() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("valid")
                .with_timezone(&Utc)
        };
        let hour = Duration::from_secs(3600);
        assert_eq!(
            tick_of(at("2026-11-22T10:59:59Z"), hour),
            at("2026-11-22T10:00:00Z")
        );
        assert_eq!(
            tick_of(at("2026-11-22T11:00:00Z"), hour),
            at("2026-11-22T11:00:00Z")
        );
        assert_eq!(
            tick_of(at("2026-11-22T11:00:01.500Z"), Duration::from_secs(1)),
            at("2026-11-22T11:00:01Z")
        );
    }
}
