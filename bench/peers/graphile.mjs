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
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

import pg from "pg";

// graphile-worker logs one INFO line per completed job unless this is set; it
// is read when the module loads, hence the dynamic import below. (Our logger
// drops INFO anyway; this avoids even formatting those lines.)
process.env.NO_LOG_SUCCESS ??= "1";
const { Logger, run, runMigrations } = await import("graphile-worker");

const SYSTEM = "graphile-worker";
const SCHEMA = "graphile_worker";

function envInt(name, dflt, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) {
    throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

function log(...args) {
  console.error(`[peer:graphile]`, ...args);
}

function pkgVersion(name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

/** Nearest-rank percentile of an ascending-sorted array. */
function percentile(sorted, p) {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

// Set once the run is being aborted (timeout, signal, error): the phases stop
// at their next step instead of racing the cleanup.
let aborted = false;
function checkAborted() {
  if (aborted) throw new Error("aborted");
}

const round1 = (x) => Math.round(x * 10) / 10;
const round3 = (x) => Math.round(x * 1000) / 1000;

let jobFailure = null;

/** Resolves when `done()` returns true, checked every `stepMs`; rejects after `ms`. */
async function waitFor(what, done, ms, stepMs = 1) {
  const deadline = performance.now() + ms;
  while (!(await done())) {
    checkAborted();
    if (jobFailure) throw new Error(`a job failed while waiting for ${what}: ${jobFailure}`);
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Run `total` async operations with at most `inFlight` in progress at once. */
async function runConcurrent(total, inFlight, op) {
  let next = 0;
  const lanes = [];
  for (let l = 0; l < Math.min(inFlight, total); l++) {
    lanes.push(
      (async () => {
        while (next < total) {
          checkAborted();
          const i = next++;
          await op(i);
        }
      })(),
    );
  }
  await Promise.all(lanes);
}

const cfg = {
  databaseUrl: process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres",
  drainJobs: envInt("BENCH_DRAIN_JOBS", 5000),
  concurrency: envInt("BENCH_CONCURRENCY", 32),
  enqueueJobs: envInt("BENCH_ENQUEUE_JOBS", 5000),
  enqueueInFlight: envInt("BENCH_ENQUEUE_IN_FLIGHT", 16),
  latencySamples: envInt("BENCH_LATENCY_SAMPLES", 100),
  latencyGapMs: envInt("BENCH_LATENCY_GAP_MS", 50, 0),
  timeoutS: envInt("BENCH_TIMEOUT_S", 600),
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

let cleanupPromise = null;
/** Idempotent: every caller waits for the same single cleanup. */
function cleanup() {
  cleanupPromise ??= doCleanup();
  return cleanupPromise;
}

async function doCleanup() {
  const steps = [
    ["stopping runner", stopRunner],
    ["closing client", async () => client && (await client.end())],
    ["closing pool", async () => pool && (await pool.end())],
    ["dropping database", dropDatabase],
  ];
  for (const [what, fn] of steps) {
    try {
      await fn();
    } catch (e) {
      log(`${what} failed:`, e?.message ?? e);
    }
  }
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
    jobFailure ??= `job ${job.id}: ${error?.message ?? error}`;
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
  const rate = n / secs;
  log(`drain: ${n} jobs in ${secs.toFixed(3)} s = ${rate.toFixed(1)} jobs/s`);
  return { secs, rate };
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
  const rate = n / secs;
  log(`enqueue: ${n} jobs in ${secs.toFixed(3)} s = ${rate.toFixed(1)} jobs/s`);
  return { secs, rate };
}

async function benchLatency() {
  const n = cfg.latencySamples;
  const gap = cfg.latencyGapMs;
  log(`latency: ${n} samples, one job every ${gap} ms, idle worker (concurrency ${cfg.concurrency})`);
  const tAdd = new Float64Array(n);
  const addMs = new Float64Array(n);
  const lat = new Float64Array(n).fill(NaN);
  let seen = 0;
  await startRunner(async (payload) => {
    const now = performance.now();
    const i = payload?.i;
    if (Number.isInteger(i) && i >= 0 && i < n && Number.isNaN(lat[i])) {
      lat[i] = now - tAdd[i];
      seen++;
    }
  });
  // Let the workers finish their first (empty) poll and go idle (LISTEN).
  await sleep(500);

  const start = performance.now();
  for (let i = 0; i < n; i++) {
    checkAborted();
    const due = start + i * gap;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    tAdd[i] = performance.now();
    await client.query(`SELECT FROM ${SCHEMA}.add_job('noop', json_build_object('i', $1::int))`, [i]);
    addMs[i] = performance.now() - tAdd[i];
  }
  await waitFor("latency samples", () => seen >= n, 30_000);
  await stopRunner();

  const sorted = Array.from(lat).sort((a, b) => a - b);
  const res = {
    p50: round3(percentile(sorted, 50)),
    p90: round3(percentile(sorted, 90)),
    p99: round3(percentile(sorted, 99)),
  };
  log(`latency: p50 ${res.p50} ms, p90 ${res.p90} ms, p99 ${res.p99} ms (max ${round3(sorted[n - 1])} ms); ` +
      `the add call itself took p50 ${round3(percentile(Array.from(addMs).sort((a, b) => a - b), 50))} ms`);
  return res;
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

  return {
    system: SYSTEM,
    version,
    drain_jobs: cfg.drainJobs,
    drain_jobs_per_s: round1(drain.rate),
    enqueue_jobs: cfg.enqueueJobs,
    enqueue_jobs_per_s: round1(enqueue.rate),
    concurrency: cfg.concurrency,
    enqueue_in_flight: cfg.enqueueInFlight,
    latency_samples: cfg.latencySamples,
    latency_gap_ms: cfg.latencyGapMs,
    latency_ms: latency,
  };
}

function finish(code, line) {
  const exit = () => process.exit(code);
  if (line !== undefined) process.stdout.write(line + "\n", exit);
  else exit();
}

let aborting = null;
/** Stop the run: the first call cleans up and exits with its code; later calls only log. */
function abort(reason, code) {
  log(reason);
  if (aborting) return aborting;
  aborted = true;
  // Cleanup gets a bounded time of its own; then exit regardless.
  setTimeout(() => finish(code), 15_000).unref();
  aborting = cleanup()
    .catch((e) => log("cleanup failed:", e?.message ?? e))
    .finally(() => finish(code));
  return aborting;
}

const overall = setTimeout(
  () => void abort(`overall timeout of ${cfg.timeoutS} s reached; aborting`, 124),
  cfg.timeoutS * 1000,
);
overall.unref();
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => void abort(`received ${sig}; aborting`, 130));
}
process.on("unhandledRejection", (e) => void abort(`unhandled rejection: ${e?.stack ?? e}`, 1));

main().then(
  async (result) => {
    await cleanup();
    clearTimeout(overall);
    finish(0, JSON.stringify(result));
  },
  (e) => void abort(aborted ? "run stopped" : `failed: ${e?.stack ?? e}`, 1),
);
