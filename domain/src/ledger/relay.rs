//! The outbox side of the ledger: which jobs the relay hands to Redis, and which handed-over
//! messages were lost on the way.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::StoreResult;

/// A job taken for the relay: its queue and the moment it was marked as handed to Redis, which
/// travels in the message so that lost messages can be told from waiting ones.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RelayedJob {
    pub id: Uuid,
    pub queue: String,
    pub relayed_at: DateTime<Utc>,
}

/// Marks up to `room` due, unrelayed jobs of each queue as relayed and returns them, oldest
/// first within a queue. One statement: rows are locked with SKIP LOCKED, so concurrent relays
/// (API processes, workers) never take the same row. The caller pushes them to Redis and gives
/// back with [`unmark_relayed`] those Redis did not take; if it dies in between, the lost-message
/// sweep ([`redeliver_lost`]) hands them again.
pub async fn take_for_relay(pool: &PgPool, rooms: &[(&str, u32)]) -> StoreResult<Vec<RelayedJob>> {
    let queues: Vec<&str> = rooms.iter().map(|(queue, _)| *queue).collect();
    let limits: Vec<i32> = rooms
        .iter()
        .map(|(_, room)| i32::try_from(*room).unwrap_or(i32::MAX))
        .collect();
    let mut taken: Vec<RelayedJob> = sqlx::query_as(
        "WITH picked AS ( \
           SELECT j.id FROM unnest($1::text[], $2::int[]) AS w(queue, room) \
           CROSS JOIN LATERAL ( \
             SELECT id FROM jobs WHERE queue = w.queue AND relayed_at IS NULL \
               AND status IN ('queued', 'retrying') AND run_at <= now() \
             ORDER BY run_at LIMIT w.room FOR UPDATE SKIP LOCKED) j) \
         UPDATE jobs SET relayed_at = now(), updated_at = now() \
         WHERE jobs.id = ANY(ARRAY(SELECT id FROM picked)) \
         RETURNING jobs.id, jobs.queue, jobs.relayed_at",
    )
    .bind(&queues)
    .bind(&limits)
    .fetch_all(pool)
    .await?;
    // (`= ANY(ARRAY(…))`: joined with the CTE instead, the planner cannot know the LIMIT and
    // hash-joins the whole table on every round.)
    // UUIDv7 ids are time-ordered: the closest cheap stand-in for run_at order.
    taken.sort_by_key(|job| job.id);
    Ok(taken)
}

/// Puts jobs that did not reach Redis back in the outbox.
pub async fn unmark_relayed(pool: &PgPool, ids: &[Uuid]) -> StoreResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(sqlx::query(
        "UPDATE jobs SET relayed_at = NULL, updated_at = now() \
         WHERE id = ANY($1) AND status IN ('queued', 'retrying')",
    )
    .bind(ids)
    .execute(pool)
    .await?
    .rows_affected())
}

/// Hands again the jobs of `queue` whose message left Redis without the job starting: a worker
/// popped it and died before its claim, or Redis restarted empty. Messages leave a queue's list
/// in the order they were pushed, so every job relayed before the oldest message still waiting
/// (`oldest_waiting`, `None` when the list is empty) is no longer in Redis. `slack` covers relays
/// whose push raced another's; `min_age` leaves time for a claim in progress. A message that was
/// only slow makes a duplicate, which the claim drops.
pub async fn redeliver_lost(
    pool: &PgPool,
    queue: &str,
    oldest_waiting: Option<DateTime<Utc>>,
    min_age: Duration,
    slack: Duration,
) -> StoreResult<u64> {
    Ok(sqlx::query(
        "UPDATE jobs SET relayed_at = NULL, updated_at = now() \
         WHERE queue = $1 AND status IN ('queued', 'retrying') AND relayed_at IS NOT NULL \
           AND relayed_at < now() - make_interval(secs => $3) \
           AND ($2::timestamptz IS NULL OR relayed_at < $2 - make_interval(secs => $4))",
    )
    .bind(queue)
    .bind(oldest_waiting)
    .bind(min_age.as_secs_f64())
    .bind(slack.as_secs_f64())
    .execute(pool)
    .await?
    .rows_affected())
}

/// Per queue, the jobs due but not yet handed to Redis: the outbox backlog, waiting for room
/// in the queue's window (queues with none are left out). Counted on the relay's own index.
pub async fn relay_backlog(pool: &PgPool) -> StoreResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT queue, count(*) FROM jobs \
         WHERE relayed_at IS NULL AND status IN ('queued', 'retrying') AND run_at <= now() \
         GROUP BY queue",
    )
    .fetch_all(pool)
    .await?)
}
