// Peer benchmark: graphile-worker (PostgreSQL) — drain, enqueue and latency
// with no-op jobs.
//
// Env: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; only
// its server and credentials are used), BENCH_DRAIN_JOBS (5000),
// BENCH_CONCURRENCY (32), BENCH_ENQUEUE_JOBS (5000), BENCH_ENQUEUE_IN_FLIGHT
// (16), BENCH_LATENCY_SAMPLES (100), BENCH_LATENCY_GAP_MS (50),
// BENCH_TIMEOUT_S (600).
//
// Creates a fresh database `peer_graphile_<random>` (via the `postgres`
// database), migrates graphile-worker's schema into it, runs the three
// measurements and drops the database again. Prints exactly one JSON line on
// stdout at the end; everything else goes to stderr. Exits non-zero on failure.

import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";

import pg from "pg";

import { benchConfig, log, measureLatency, pkgVersion, recordJobFailure, reportRate, runBenchmark, runConcurrent, runSteps, setLogTag, waitFor } from "./common.mjs";

// graphile-worker logs one INFO line per completed job unless this is set; it
// is read when the module loads, hence the dynamic import below. (Our logger
// drops INFO anyway; this avoids even formatting those lines.)
process.env.NO_LOG_SUCCESS ??= "1";
const { Logger, run, runMigrations } = await import("graphile-worker");

const SYSTEM = "graphile-worker";
const SCHEMA = "graphile_worker";
setLogTag("graphile");

const cfg = {
  databaseUrl: process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres",
  ...benchConfig(),
};

const dbName = `peer_graphile_${randomBytes(6).toString("hex")}`;
function urlForDb(name) {
  const u = new URL(cfg.databaseUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
const adminUrl = urlForDb("postgres");
const benchUrl = urlForDb(dbName);
const redact = (s) => s.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");

// graphile-worker's own pool: at least as large as the concurrency, otherwise
// it warns "maxPoolSize smaller than concurrency may lead to non-optimal
// performance" (its default is 10).
const maxPoolSize = Math.max(10, cfg.concurrency);

// Warnings and errors to stderr; info/debug dropped.
const logger = new Logger((scope) => (level, message) => {
  if (level === "error" || level === "warning") {
    console.error(`[graphile-worker${scope.label ? `:${scope.label}` : ""}] ${level.toUpperCase()}: ${message}`);
  }
});

// graphile-worker's own pool would be ended without being awaited when the
// runner stops (its releaser calls pgPool.end() fire-and-forget), so give it
// a pool we own (same settings: connectionString, max) and end it ourselves.
function makeWorkerPool() {
  const p = new pg.Pool({ connectionString: benchUrl, max: maxPoolSize });
  p.on("error", (e) => log("worker pool error:", e?.message ?? e));
  p.on("connect", (c) => c.on("error", (e) => log("worker pool client error:", e?.message ?? e)));
  return p;
}

let dbCreated = false;
let runner = null;
let runnerPool = null;
let client = null; // single connection for setup, bulk add and latency adds
let pool = null; // enqueue pool

async function stopRunner() {
  const r = runner;
  const p = runnerPool;
  runner = null;
  runnerPool = null;
  try {
    if (r) await r.stop();
  } finally {
    if (p) await p.end();
  }
}

async function dropDatabase() {
  if (!dbCreated) return;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    dbCreated = false;
  } finally {
    await admin.end();
  }
}

function cleanup() {
  return runSteps([
    ["stopping runner", stopRunner],
    ["closing client", async () => client && (await client.end())],
    ["closing pool", async () => pool && (await pool.end())],
    ["dropping database", dropDatabase],
  ]);
}

async function startRunner(noop) {
  runnerPool = makeWorkerPool();
  const r = await run({
    pgPool: runnerPool,
    schema: SCHEMA,
    concurrency: cfg.concurrency,
    noHandleSignals: true,
    logger,
    parsedCronItems: [],
    taskList: { noop },
  });
  r.events.on("job:error", ({ job, error }) => {
    recordJobFailure(`job ${job.id}: ${error?.message ?? error}`);
    log(`job ${job.id} errored:`, error?.message ?? error);
  });
  runner = r;
  return r;
}

async function jobsLeft() {
  const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${SCHEMA}._private_jobs`);
  return rows[0].n;
}

// Between phases (untimed): clear dead rows so autovacuum does not kick in
// during the next measurement.
async function vacuum() {
  await client.query(`VACUUM (ANALYZE) ${SCHEMA}._private_jobs, ${SCHEMA}._private_tasks`);
}

async function benchDrain() {
  const n = cfg.drainJobs;
  log(`drain: enqueueing ${n} jobs (one add_jobs(...generate_series...) statement)`);
  const { rows } = await client.query(
    `SELECT count(*)::int AS n FROM ${SCHEMA}.add_jobs(ARRAY(
       SELECT ROW('noop', json_build_object('i', g), NULL, NULL, NULL, NULL, NULL, NULL)::${SCHEMA}.job_spec
       FROM generate_series(0, $1::int - 1) AS g))`,
    [n],
  );
  if (rows[0].n !== n || (await jobsLeft()) !== n) throw new Error(`drain: expected ${n} jobs to be added`);

  let handled = 0;
  const t0 = performance.now();
  await startRunner(async () => {
    handled++;
  });
  // All handlers ran ...
  await waitFor("drain handlers", () => handled >= n, cfg.timeoutS * 1000);
  // ... and all completions are committed (graphile-worker completes jobs
  // asynchronously after the handler returns).
  await waitFor("drain completion", async () => (await jobsLeft()) === 0, cfg.timeoutS * 1000);
  const secs = (performance.now() - t0) / 1000;
  await stopRunner();
  await vacuum();
  if (handled !== n) throw new Error(`drain: handled ${handled} jobs, expected ${n}`);
  return reportRate("drain", n, secs);
}

async function benchEnqueue() {
  const n = cfg.enqueueJobs;
  const k = cfg.enqueueInFlight;
  log(`enqueue: ${n} jobs, ${k} concurrent BEGIN/add_job/COMMIT transactions on a pool of ${k}, no worker`);
  pool = new pg.Pool({ connectionString: benchUrl, max: k });
  pool.on("error", (e) => log("pool error:", e?.message ?? e));
  // Open all pool connections before timing.
  const warm = await Promise.all(Array.from({ length: k }, () => pool.connect()));
  await Promise.all(warm.map((c) => c.query("SELECT 1")));
  warm.forEach((c) => c.release());

  const addOne = async (i) => {
    const c = await pool.connect();
    try {
      await c.query("BEGIN");
      await c.query(`SELECT FROM ${SCHEMA}.add_job('noop', json_build_object('i', $1::int))`, [i]);
      await c.query("COMMIT");
      c.release();
    } catch (e) {
      c.release(e);
      throw e;
    }
  };
  const t0 = performance.now();
  await runConcurrent(n, k, addOne);
  const secs = (performance.now() - t0) / 1000;

  const left = await jobsLeft();
  if (left !== n) throw new Error(`enqueue: expected ${n} jobs, found ${left}`);
  await pool.end();
  pool = null;
  // Remove them so the latency phase starts with an empty queue.
  await client.query(`DELETE FROM ${SCHEMA}._private_jobs`);
  await vacuum();
  return reportRate("enqueue", n, secs);
}

function benchLatency() {
  return measureLatency(cfg, {
    startWorker: (onJob) => startRunner(async (payload) => onJob(payload?.i)),
    // Let the workers finish their first (empty) poll and go idle (LISTEN).
    idleMs: 500,
    add: (i) => client.query(`SELECT FROM ${SCHEMA}.add_job('noop', json_build_object('i', $1::int))`, [i]),
    stopWorker: stopRunner,
  });
}

async function main() {
  const version = pkgVersion("graphile-worker");
  log(`graphile-worker ${version}, database ${redact(benchUrl)}`, JSON.stringify({ ...cfg, databaseUrl: redact(cfg.databaseUrl), maxPoolSize }));

  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${dbName}"`);
    dbCreated = true;
  } finally {
    await admin.end();
  }

  // The schema must exist before the drain phase bulk-inserts jobs.
  const migPool = makeWorkerPool();
  try {
    await runMigrations({ pgPool: migPool, schema: SCHEMA, logger });
  } finally {
    await migPool.end();
  }
  client = new pg.Client({ connectionString: benchUrl });
  await client.connect();

  const drain = await benchDrain();
  const enqueue = await benchEnqueue();
  const latency = await benchLatency();
  return { version, drain, enqueue, latency };
}

runBenchmark({ system: SYSTEM, cfg, main, cleanup });
