//! What every worker process runs beside its consumers: the outbox relay, the recovery of jobs
//! whose worker died, and the cron schedules.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use comptoir_domain::config::Settings;
use comptoir_domain::ledger;
use comptoir_jobs::maintenance::{Housekeeping, ShopExpirySweep};
use comptoir_jobs::payments::PaymentSweep;
use comptoir_jobs::quotes::QuoteExpirySweep;
use comptoir_jobs::reports::PurgeReports;
use comptoir_jobs::{Job, Producer, RedisTransport, Relay, RepeatedFailure};

use crate::scheduler;

/// `ledger` is the bookkeeping pool (relay, lease recovery), `pool` the business one (cron
/// jobs are enqueued like any other).
pub fn spawn(
    settings: &Settings,
    ledger: &PgPool,
    pool: &PgPool,
    transport: &RedisTransport,
    producer: &Producer,
    stop: &CancellationToken,
) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    let relay = Relay::new(
        ledger.clone(),
        transport.clone(),
        &settings.jobs,
        producer.kicker(),
    );
    tasks.spawn(relay.run(stop.clone()));
    tasks.spawn(recover_expired_leases(
        ledger.clone(),
        settings.jobs.lease(),
        RepeatedFailure::new("lease recovery", settings.jobs.log_repeat()),
        stop.clone(),
    ));
    let cron = Cron {
        pool,
        producer,
        stop,
    };
    tasks.spawn(cron.schedule(
        "housekeeping",
        settings.jobs.housekeeping_interval_secs,
        |tick| Housekeeping {
            tick: tick.to_rfc3339(),
        },
    ));
    tasks.spawn(cron.schedule(
        "shop-expiry",
        settings.jobs.shop_sweep_interval_secs,
        |tick| ShopExpirySweep {
            tick: tick.to_rfc3339(),
        },
    ));
    tasks.spawn(cron.schedule(
        "quote-expiry",
        settings.jobs.quote_sweep_interval_secs,
        |tick| QuoteExpirySweep {
            tick: tick.to_rfc3339(),
        },
    ));
    tasks.spawn(cron.schedule(
        "payments-sweep",
        settings.payments.sweep_interval_secs,
        |tick| PaymentSweep {
            tick: tick.to_rfc3339(),
        },
    ));
    tasks.spawn(cron.schedule(
        "reports-purge",
        settings.reports.purge_interval_secs,
        |tick| PurgeReports {
            tick: tick.to_rfc3339(),
        },
    ));
    tasks
}

/// What every schedule of the process shares.
struct Cron<'a> {
    pool: &'a PgPool,
    producer: &'a Producer,
    stop: &'a CancellationToken,
}

impl Cron<'_> {
    fn schedule<J: Job>(
        &self,
        name: &'static str,
        period_secs: u64,
        make_job: fn(DateTime<Utc>) -> J,
    ) -> impl Future<Output = ()> + Send + 'static {
        scheduler::run_schedule(
            name,
            Duration::from_secs(period_secs),
            self.pool.clone(),
            self.producer.clone(),
            make_job,
            self.stop.clone(),
        )
    }
}

/// Four times per lease: puts jobs whose worker died (lease expired) back in line.
///
/// Only once this process has reached the ledger without a break for a whole lease: during a
/// PostgreSQL outage no worker can renew its leases, so right after one every lease looks
/// expired, live workers' included. Waiting a lease gives them time to renew (every third of
/// a lease) before anything is taken from them; a job taken from a live worker would run twice.
async fn recover_expired_leases(
    pool: PgPool,
    lease: Duration,
    failures: RepeatedFailure,
    stop: CancellationToken,
) {
    let mut reachable_since: Option<Instant> = None;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(lease / 4) => {}
        }
        let settled = reachable_since.is_some_and(|since| since.elapsed() >= lease);
        let result = if settled {
            ledger::recover_expired_leases(&pool).await
        } else {
            ledger::ping(&pool).await.map(|()| 0)
        };
        match result {
            Ok(recovered) => {
                failures.succeeded();
                reachable_since.get_or_insert_with(Instant::now);
                if recovered > 0 {
                    tracing::warn!(recovered, "jobs recovered from lost workers");
                }
            }
            Err(err) => {
                reachable_since = None;
                failures.failed(&err);
            }
        }
    }
}
