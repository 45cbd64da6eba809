// Peer benchmark: BullMQ (Redis) — drain, enqueue and latency with no-op jobs.
//
// Env: REDIS_URL (default redis://127.0.0.1:6379), BENCH_DRAIN_JOBS (5000),
// BENCH_CONCURRENCY (32), BENCH_ENQUEUE_JOBS (5000), BENCH_ENQUEUE_IN_FLIGHT
// (16), BENCH_LATENCY_SAMPLES (100), BENCH_LATENCY_GAP_MS (50),
// BENCH_TIMEOUT_S (600).
//
// Prints exactly one JSON line on stdout at the end; everything else goes to
// stderr. Exits non-zero on failure. Uses its own queue (random suffix) and
// obliterates it at the end.

import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

import { Queue, Worker } from "bullmq";

const SYSTEM = "bullmq";

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
  console.error(`[peer:${SYSTEM}]`, ...args);
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

/** Rejects after `ms` unless `promise` settles first. */
function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

const round1 = (x) => Math.round(x * 10) / 10;
const round3 = (x) => Math.round(x * 1000) / 1000;

/** Resolves when `done()` returns true, checked every `stepMs`; rejects after `ms`. */
async function waitFor(what, done, ms, stepMs = 1) {
  const deadline = performance.now() + ms;
  while (!done()) {
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
  redisUrl: process.env.REDIS_URL || "redis://127.0.0.1:6379",
  drainJobs: envInt("BENCH_DRAIN_JOBS", 5000),
  concurrency: envInt("BENCH_CONCURRENCY", 32),
  enqueueJobs: envInt("BENCH_ENQUEUE_JOBS", 5000),
  enqueueInFlight: envInt("BENCH_ENQUEUE_IN_FLIGHT", 16),
  latencySamples: envInt("BENCH_LATENCY_SAMPLES", 100),
  latencyGapMs: envInt("BENCH_LATENCY_GAP_MS", 50, 0),
  timeoutS: envInt("BENCH_TIMEOUT_S", 600),
};

const queueName = `peer-bench-${randomBytes(6).toString("hex")}`;
const connection = { url: cfg.redisUrl };
const JOB_OPTS = { removeOnComplete: true };

let queue = null;
let worker = null;
let jobFailure = null;

async function closeWorker() {
  const w = worker;
  worker = null;
  if (w) await w.close(true);
}

let cleanupPromise = null;
/** Idempotent: every caller waits for the same single cleanup. */
function cleanup() {
  cleanupPromise ??= doCleanup();
  return cleanupPromise;
}

async function doCleanup() {
  try {
    await closeWorker();
  } catch (e) {
    log("closing worker failed:", e?.message ?? e);
  }
  if (queue) {
    try {
      await queue.obliterate({ force: true });
    } catch (e) {
      log("obliterating queue failed:", e?.message ?? e);
    }
    try {
      await queue.close();
    } catch (e) {
      log("closing queue failed:", e?.message ?? e);
    }
    queue = null;
  }
}

function startWorker(handler) {
  const w = new Worker(queueName, handler, {
    connection,
    concurrency: cfg.concurrency,
  });
  w.on("error", (e) => log("worker error:", e?.message ?? e));
  w.on("failed", (job, e) => {
    jobFailure ??= `job ${job?.id}: ${e?.message ?? e}`;
    log(`job ${job?.id} failed:`, e?.message ?? e);
  });
  worker = w;
  return w;
}

async function assertQueueEmpty(phase) {
  const c = await queue.getJobCounts("wait", "active", "delayed", "prioritized", "paused", "waiting-children");
  const left = Object.values(c).reduce((a, b) => a + b, 0);
  if (left !== 0) throw new Error(`${phase}: queue not empty afterwards: ${JSON.stringify(c)}`);
}

async function benchDrain() {
  const n = cfg.drainJobs;
  log(`drain: enqueueing ${n} jobs (addBulk, chunks of 1000)`);
  const CHUNK = 1000;
  for (let start = 0; start < n; start += CHUNK) {
    checkAborted();
    const jobs = [];
    for (let i = start; i < Math.min(n, start + CHUNK); i++) {
      jobs.push({ name: "noop", data: { i }, opts: JOB_OPTS });
    }
    await queue.addBulk(jobs);
  }
  const waiting = await queue.getWaitingCount();
  if (waiting !== n) throw new Error(`drain: expected ${n} waiting jobs, found ${waiting}`);

  let completed = 0;
  let t1 = 0;
  const t0 = performance.now();
  const w = startWorker(async () => {});
  w.on("completed", () => {
    completed++;
    if (completed === n) t1 = performance.now();
  });
  await waitFor("drain completion", () => completed >= n, cfg.timeoutS * 1000);
  const secs = (t1 - t0) / 1000;
  await closeWorker();
  await assertQueueEmpty("drain");
  const rate = n / secs;
  log(`drain: ${n} jobs in ${secs.toFixed(3)} s = ${rate.toFixed(1)} jobs/s`);
  return { secs, rate };
}

async function benchEnqueue() {
  const n = cfg.enqueueJobs;
  log(`enqueue: ${n} jobs via queue.add, ${cfg.enqueueInFlight} in flight, no worker`);
  // Warm up the connection and the Lua script cache outside the timed section.
  await queue.add("warmup", {}, JOB_OPTS);
  await queue.drain(true);

  const t0 = performance.now();
  await runConcurrent(n, cfg.enqueueInFlight, (i) => queue.add("noop", { i }, JOB_OPTS));
  const secs = (performance.now() - t0) / 1000;

  const waiting = await queue.getWaitingCount();
  if (waiting !== n) throw new Error(`enqueue: expected ${n} waiting jobs, found ${waiting}`);
  await queue.drain(true);
  await assertQueueEmpty("enqueue");
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
  const w = startWorker(async (job) => {
    const now = performance.now();
    const i = job.data.i;
    if (Number.isInteger(i) && i >= 0 && i < n && Number.isNaN(lat[i])) {
      lat[i] = now - tAdd[i];
      seen++;
    }
  });
  await w.waitUntilReady();
  // Let the worker reach its idle blocking wait before the first sample.
  await sleep(250);

  const start = performance.now();
  for (let i = 0; i < n; i++) {
    checkAborted();
    const due = start + i * gap;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    tAdd[i] = performance.now();
    await queue.add("noop", { i }, JOB_OPTS);
    addMs[i] = performance.now() - tAdd[i];
  }
  await waitFor("latency samples", () => seen >= n, 30_000);
  await closeWorker();

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
  const version = pkgVersion("bullmq");
  log(`bullmq ${version}, redis ${cfg.redisUrl}, queue ${queueName}`, JSON.stringify(cfg));
  queue = new Queue(queueName, { connection });
  queue.on("error", (e) => log("queue error:", e?.message ?? e));
  await withTimeout(queue.waitUntilReady(), 10_000, `connecting to ${cfg.redisUrl}`);

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
