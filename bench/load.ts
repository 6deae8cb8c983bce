/**
 * One load run with autocannon, measured by us: autocannon's own latency histogram counts whole
 * milliseconds (a 0.8 ms answer is recorded as 0), too coarse for a gateway whose added latency
 * is itself about a millisecond. Every response time is kept (float ms) and sorted at the end.
 *
 * Measured in steady state: the window (requests, latencies, CPU) opens once every connection
 * has had an answer, and lasts `durationSeconds`. autocannon opens all its connections at once,
 * and a Node server whose CPU is saturated takes in the connections waiting in its listen queue
 * only a few at a time between requests (seen with a bare node:http server too, Node 20 and 24):
 * at 256 connections some waited seconds for their first answer, which made the p99 of a
 * CPU-bound endpoint a measure of that ramp. The ramp is reported apart (`rampMs`).
 */
import autocannon from 'autocannon';
import { cpuTimeByCommand, cpuTimeMs, machineCpuMs, RssSampler } from './processes.js';

export interface LoadRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadSpec {
  name: string;
  /** Base URL (scheme, host, port). */
  url: string;
  connections: number;
  durationSeconds: number;
  /** Cycled through, one after the other, by every connection. */
  requests: LoadRequest[];
  /** Called before each run, e.g. to refresh an access token (return new requests). */
  prepare?: () => Promise<LoadRequest[] | void>;
  /**
   * Processes whose CPU time and memory are measured during the run; several pids under one
   * name (a gateway of several processes) add up their CPU, memory is the first one's.
   */
  watch: Record<string, number | number[]>;
  /** Keep the X-Request-Id of every 2xx answer (to match them with audit events). */
  collectRequestIds?: boolean;
}

export interface LoadResult {
  name: string;
  connections: number;
  durationSeconds: number;
  requests: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  statusCodes: Record<string, number>;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  /** Per watched process: CPU ms per request, RSS at start/end/max (MiB). */
  processes: Record<
    string,
    {
      cpuMsPerRequest: number;
      cpuPercent: number;
      rss: { startMiB: number; endMiB: number; maxMiB: number };
    }
  >;
  /** With collectRequestIds: the request ids of the 2xx answers. */
  requestIds?: string[];
  /** With BENCH_ROUNDS > 1: which round of the gateway / lean reference pair this run was. */
  round?: number;
  /**
   * From the start until every connection had an answer (the window opened then), or until
   * MAX_RAMP_MS if some never did (the window opened anyway; `connectionsAnswered` says how many).
   */
  rampMs: number;
  connectionsAnswered: number;
  /**
   * The machine during the run, in % of one core: everything busy, the load generator (this
   * process), PostgreSQL's processes, and what is left for processes outside the benchmark
   * (other work on a shared machine skews the figures: the report says how much).
   */
  machine: {
    busyPercent: number;
    loadGeneratorPercent: number;
    postgresPercent: number;
    otherPercent: number;
  };
}

function requestIdOf(headers: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'x-request-id' && typeof value === 'string') return value;
  }
  return undefined;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

/** The longest the window waits for every connection's first answer. */
const MAX_RAMP_MS = 15_000;

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const prepared = (await spec.prepare?.()) ?? spec.requests;
  let times = new Float64Array(1 << 16);
  let count = 0;
  const statusCodes: Record<string, number> = {};
  const cpuBefore: Record<string, number> = {};
  const samplers: Record<string, RssSampler> = {};
  const pids = (watched: number | number[]) => (Array.isArray(watched) ? watched : [watched]);
  const cpuOf = (watched: number | number[]) =>
    pids(watched).reduce((sum, pid) => sum + cpuTimeMs(pid), 0);
  const requestIds: string[] = [];
  // The window's state: closed until every connection has had an answer.
  let measuring = false;
  const answered = new Set<unknown>();
  const launched = process.hrtime.bigint();
  let rampMs = NaN;
  let machineBefore = machineCpuMs();
  let selfBefore = process.cpuUsage();
  let postgresBefore = cpuTimeByCommand('postgres');
  let started = launched;
  let stopTimer: NodeJS.Timeout | undefined;
  const openWindow = () => {
    measuring = true;
    rampMs = Number(process.hrtime.bigint() - launched) / 1e6;
    for (const [name, watched] of Object.entries(spec.watch)) {
      cpuBefore[name] = cpuOf(watched);
      samplers[name] = new RssSampler(pids(watched)[0]);
    }
    machineBefore = machineCpuMs();
    selfBefore = process.cpuUsage();
    postgresBefore = cpuTimeByCommand('postgres');
    started = process.hrtime.bigint();
    stopTimer = setTimeout(() => instance.stop(), spec.durationSeconds * 1000);
  };
  const rampLimit = setTimeout(() => measuring || openWindow(), MAX_RAMP_MS);
  const onResponse = spec.collectRequestIds
    ? (status: number, _body: string, _context: object, headers: Record<string, unknown>) => {
        // Every answer, ramp included: the audit check matches them all with their events.
        if (status >= 200 && status < 300) {
          const id = requestIdOf(headers);
          if (id) requestIds.push(id);
        }
      }
    : undefined;
  let finish!: (err: unknown, result?: autocannon.Result) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (err, result) => (err ? reject(err) : resolve(result!));
  });
  const instance = autocannon(
    {
      url: spec.url,
      connections: spec.connections,
      // Stopped by the window's timer; this only bounds a run whose window never opened.
      duration: spec.durationSeconds + MAX_RAMP_MS / 1000 + 5,
      pipelining: 1,
      timeout: 30,
      requests: prepared.map((r) => ({
        method: r.method ?? 'GET',
        path: r.path,
        headers: r.headers,
        body: r.body,
        ...(onResponse ? { onResponse: onResponse as never } : {}),
      })),
    },
    (err, result) => finish(err, result),
  );
  instance.on(
    'response',
    (client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (!measuring) {
        answered.add(client);
        if (answered.size >= spec.connections) openWindow();
        return;
      }
      if (count === times.length) {
        const bigger = new Float64Array(times.length * 2);
        bigger.set(times);
        times = bigger;
      }
      times[count++] = responseTime;
      const key = String(statusCode);
      statusCodes[key] = (statusCodes[key] ?? 0) + 1;
    },
  );
  const result = await done;
  clearTimeout(rampLimit);
  clearTimeout(stopTimer);
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const elapsedMs = elapsedS * 1000;
  const machineAfter = machineCpuMs();
  const self = process.cpuUsage(selfBefore);
  let postgresMs = 0;
  for (const [pid, ms] of cpuTimeByCommand('postgres'))
    postgresMs += ms - (postgresBefore.get(pid) ?? 0);
  const selfMs = (self.user + self.system) / 1000;
  const processes: LoadResult['processes'] = {};
  let watchedMs = 0;
  for (const [name, watched] of Object.entries(spec.watch)) {
    const cpuMs = cpuOf(watched) - cpuBefore[name];
    watchedMs += cpuMs;
    processes[name] = {
      cpuMsPerRequest: count ? cpuMs / count : NaN,
      cpuPercent: (cpuMs / (elapsedS * 1000)) * 100,
      rss: samplers[name].stop(),
    };
  }
  const sorted = times.slice(0, count).sort();
  let sum = 0;
  for (const t of sorted) sum += t;
  const ok2xx = Object.entries(statusCodes)
    .filter(([code]) => code.startsWith('2'))
    .reduce((n, [, c]) => n + c, 0);
  return {
    name: spec.name,
    connections: spec.connections,
    durationSeconds: spec.durationSeconds,
    requests: count,
    ok2xx,
    non2xx: count - ok2xx,
    errors: result.errors,
    statusCodes,
    rps: count / elapsedS,
    latencyMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      p999: percentile(sorted, 99.9),
      max: sorted[count - 1] ?? NaN,
      mean: count ? sum / count : NaN,
    },
    processes,
    machine: {
      busyPercent: ((machineAfter.busy - machineBefore.busy) / elapsedMs) * 100,
      loadGeneratorPercent: (selfMs / elapsedMs) * 100,
      postgresPercent: (postgresMs / elapsedMs) * 100,
      otherPercent: Math.max(
        0,
        ((machineAfter.busy - machineBefore.busy - selfMs - postgresMs - watchedMs) / elapsedMs) *
          100,
      ),
    },
    ...(spec.collectRequestIds ? { requestIds } : {}),
    rampMs,
    connectionsAnswered: answered.size,
  };
}
