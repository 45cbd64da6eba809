// Shared by the peer benchmarks (bullmq.mjs, graphile.mjs): env parsing,
// logging, abort state, the latency phase and the run/cleanup/exit wrapper.
// Each script supplies only what talks to its own job system.

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

export function envInt(name, dflt, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return dflt;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min) {
    throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return v;
}

/** The BENCH_* settings both scripts share; each adds its own service URL. */
export function benchConfig() {
  return {
    drainJobs: envInt("BENCH_DRAIN_JOBS", 5000),
    concurrency: envInt("BENCH_CONCURRENCY", 32),
    enqueueJobs: envInt("BENCH_ENQUEUE_JOBS", 5000),
    enqueueInFlight: envInt("BENCH_ENQUEUE_IN_FLIGHT", 16),
    latencySamples: envInt("BENCH_LATENCY_SAMPLES", 100),
    latencyGapMs: envInt("BENCH_LATENCY_GAP_MS", 50, 0),
    timeoutS: envInt("BENCH_TIMEOUT_S", 600),
  };
}

// Module-level so the helpers here can log under the script's tag too.
let logTag = "peer";
export function setLogTag(tag) {
  logTag = tag;
}

export function log(...args) {
  console.error(`[peer:${logTag}]`, ...args);
}

/** Version of a package installed next to these scripts. */
export function pkgVersion(name) {
  const url = new URL(`./node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted, p) {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export const round1 = (x) => Math.round(x * 10) / 10;
export const round3 = (x) => Math.round(x * 1000) / 1000;

// Set once the run is being aborted (timeout, signal, error): the phases stop
// at their next step instead of racing the cleanup.
let aborted = false;
export function checkAborted() {
  if (aborted) throw new Error("aborted");
}

// First job failure reported by the worker; waitFor() fails fast on it
// instead of waiting out its timeout.
let jobFailure = null;
export function recordJobFailure(what) {
  jobFailure ??= what;
}

/** Rejects after `ms` unless `promise` settles first. */
export function withTimeout(promise, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/**
 * Resolves when `done()` (sync or async) returns true, checked every
 * `stepMs`; rejects after `ms`.
 */
export async function waitFor(what, done, ms, stepMs = 1) {
  const deadline = performance.now() + ms;
  while (!(await done())) {
    checkAborted();
    if (jobFailure) throw new Error(`a job failed while waiting for ${what}: ${jobFailure}`);
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Run `total` async operations with at most `inFlight` in progress at once. */
export async function runConcurrent(total, inFlight, op) {
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

/** Logs and returns a throughput phase's result. */
export function reportRate(phase, n, secs) {
  const rate = n / secs;
  log(`${phase}: ${n} jobs in ${secs.toFixed(3)} s = ${rate.toFixed(1)} jobs/s`);
  return { secs, rate };
}

/**
 * The latency phase. `startWorker(onJob)` starts an idle worker whose handler
 * calls `onJob(i)` first thing, with `i` from the job's payload; after
 * `idleMs` (so the worker reaches its idle wait), `add(i)` is called once
 * every `latencyGapMs`. Latency = handler start minus the moment just before
 * `add(i)`. Returns { p50, p90, p99 } in ms.
 */
export async function measureLatency(cfg, { idleMs, startWorker, add, stopWorker }) {
  const n = cfg.latencySamples;
  const gap = cfg.latencyGapMs;
  log(`latency: ${n} samples, one job every ${gap} ms, idle worker (concurrency ${cfg.concurrency})`);
  const tAdd = new Float64Array(n);
  const addMs = new Float64Array(n);
  const lat = new Float64Array(n).fill(NaN);
  let seen = 0;
  await startWorker((i) => {
    const now = performance.now();
    // Ignore anything that is not one of our samples, and redeliveries.
    if (Number.isInteger(i) && i >= 0 && i < n && Number.isNaN(lat[i])) {
      lat[i] = now - tAdd[i];
      seen++;
    }
  });
  await sleep(idleMs);

  const start = performance.now();
  for (let i = 0; i < n; i++) {
    checkAborted();
    // Fixed schedule from the start, so a slow add does not shift later ones.
    const due = start + i * gap;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    tAdd[i] = performance.now();
    await add(i);
    addMs[i] = performance.now() - tAdd[i];
  }
  await waitFor("latency samples", () => seen >= n, 30_000);
  await stopWorker();

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

/**
 * Runs cleanup steps ([description, async fn] pairs) in order; a failing step
 * is logged and does not stop the ones after it.
 */
export async function runSteps(steps) {
  for (const [what, fn] of steps) {
    try {
      await fn();
    } catch (e) {
      log(`${what} failed:`, e?.message ?? e);
    }
  }
}

function finish(code, line) {
  // Exit only once the line is flushed: stdout may be a pipe.
  const exit = () => process.exit(code);
  if (line !== undefined) process.stdout.write(line + "\n", exit);
  else exit();
}

/**
 * Runs a benchmark to completion and exits the process: installs the overall
 * timeout (exit 124) and SIGINT/SIGTERM handlers (exit 130), runs
 * `main()` (which returns { version, drain, enqueue, latency }), runs
 * `cleanup()` exactly once whatever happens, prints the one JSON result line
 * on stdout and exits 0, or exits 1 on any error.
 */
export function runBenchmark({ system, cfg, main, cleanup }) {
  // Idempotent: every caller waits for the same single cleanup.
  let cleanupPromise = null;
  const cleanupOnce = () => (cleanupPromise ??= cleanup());

  let aborting = null;
  /** Stop the run: the first call cleans up and exits with its code; later calls only log. */
  function abort(reason, code) {
    log(reason);
    if (aborting) return aborting;
    aborted = true;
    // Cleanup gets a bounded time of its own; then exit regardless.
    setTimeout(() => finish(code), 15_000).unref();
    aborting = cleanupOnce()
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
    async ({ version, drain, enqueue, latency }) => {
      // The output format: worker/benches/jobs/peers.rs parses this line.
      const result = {
        system,
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
      await cleanupOnce();
      clearTimeout(overall);
      finish(0, JSON.stringify(result));
    },
    (e) => void abort(aborted ? "run stopped" : `failed: ${e?.stack ?? e}`, 1),
  );
}
