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
import { performance } from "node:perf_hooks";

import { Queue, Worker } from "bullmq";

import { benchConfig, checkAborted, log, measureLatency, pkgVersion, recordJobFailure, reportRate, runBenchmark, runConcurrent, runSteps, setLogTag, waitFor, withTimeout } from "./common.mjs";

const SYSTEM = "bullmq";
setLogTag(SYSTEM);

const cfg = {
  redisUrl: process.env.REDIS_URL || "redis://127.0.0.1:6379",
  ...benchConfig(),
};

const queueName = `peer-bench-${randomBytes(6).toString("hex")}`;
const connection = { url: cfg.redisUrl };
const JOB_OPTS = { removeOnComplete: true };

let queue = null;
let worker = null;

async function closeWorker() {
  const w = worker;
  worker = null;
  if (w) await w.close(true);
}

async function cleanup() {
  await runSteps([
    ["closing worker", closeWorker],
    ["obliterating queue", async () => queue && (await queue.obliterate({ force: true }))],
    ["closing queue", async () => queue && (await queue.close())],
  ]);
  queue = null;
}

function startWorker(handler) {
  const w = new Worker(queueName, handler, {
    connection,
    concurrency: cfg.concurrency,
  });
  w.on("error", (e) => log("worker error:", e?.message ?? e));
  w.on("failed", (job, e) => {
    recordJobFailure(`job ${job?.id}: ${e?.message ?? e}`);
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
  // The clock stops at the last completion event, not when the poll notices.
  w.on("completed", () => {
    completed++;
    if (completed === n) t1 = performance.now();
  });
  await waitFor("drain completion", () => completed >= n, cfg.timeoutS * 1000);
  await closeWorker();
  await assertQueueEmpty("drain");
  return reportRate("drain", n, (t1 - t0) / 1000);
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
  return reportRate("enqueue", n, secs);
}

function benchLatency() {
  return measureLatency(cfg, {
    startWorker: (onJob) => startWorker(async (job) => onJob(job.data.i)).waitUntilReady(),
    // Let the worker reach its idle blocking wait before the first sample.
    idleMs: 250,
    add: (i) => queue.add("noop", { i }, JOB_OPTS),
    stopWorker: closeWorker,
  });
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
  return { version, drain, enqueue, latency };
}

runBenchmark({ system: SYSTEM, cfg, main, cleanup });
