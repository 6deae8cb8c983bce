/** The benchmark's figures: the JSON written to bench/results/ and the table printed. */
import type { LoadResult } from './load.js';

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  setup: {
    database: 'postgresql' | 'pglite';
    redis: boolean;
    durationSeconds: number;
    concurrencies: number[];
    consents: number;
    dataset: string;
    providerLatencyScenarioMs: number;
    profile: string | null;
  };
  results: LoadResult[];
  soak: {
    seconds: number;
    rps: number;
    rssMiB: number[];
    firstHalfAvgMiB: number;
    secondHalfAvgMiB: number;
  } | null;
  audit: {
    valid: boolean;
    fetches2xx: number;
    auditedOk: number;
    missing: number;
    duplicated: number;
    unanswered: number;
    unansweredAllowed: number;
    outcomes: Record<string, number>;
    chain: { ok: boolean; checked: number; durationMs?: number };
    reasons: string[];
  };
  valid: boolean;
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

export interface Ratio {
  concurrency: number;
  scenario: string;
  throughputRatio: number;
  /** gateway / lean reference, same concurrency and provider (when the lean one ran). */
  leanRatio?: number;
  /** With BENCH_ROUNDS > 1: the round of the gateway run (and of its lean run). */
  round?: number;
  addedP50Ms: number;
  addedP99Ms: number;
}

/** A run's name in the report: `gateway #2` for the second round (BENCH_ROUNDS). */
export function runLabel(r: LoadResult): string {
  return r.round === undefined ? r.name : `${r.name} #${r.round}`;
}

/**
 * gateway vs direct at the same concurrency (and the same provider latency); vs the lean
 * reference of the same round.
 */
export function ratios(results: LoadResult[]): Ratio[] {
  const out: Ratio[] = [];
  for (const g of results) {
    if (!g.name.startsWith('gateway') || g.name.includes('soak')) continue;
    const directName = g.name.replace('gateway', 'direct');
    const d = results.find((r) => r.name === directName && r.connections === g.connections);
    const leanName = g.name.replace('gateway', 'lean');
    const l = results.find(
      (r) => r.name === leanName && r.connections === g.connections && r.round === g.round,
    );
    if (!d && !l) continue;
    out.push({
      concurrency: g.connections,
      scenario: runLabel(g),
      throughputRatio: d ? g.rps / d.rps : NaN,
      ...(l ? { leanRatio: g.rps / l.rps } : {}),
      ...(g.round !== undefined ? { round: g.round } : {}),
      addedP50Ms: d ? g.latencyMs.p50 - d.latencyMs.p50 : NaN,
      addedP99Ms: d ? g.latencyMs.p99 - d.latencyMs.p99 : NaN,
    });
  }
  return out;
}

export function printReport(report: BenchReport): void {
  const out: string[] = [];
  const { machine, setup } = report;
  out.push('');
  out.push(
    `Passerelle benchmark — ${machine.cpus} CPU (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}; ` +
      `${setup.database}${setup.redis ? ' + Redis' : ''}; ${setup.durationSeconds} s per run; ${setup.consents} consents`,
  );
  out.push('');
  const widths = [20, 5, 9, 8, 8, 9, 7, 11, 11, 9, 10, 8];
  out.push(
    pad(
      [
        'scenario',
        'conc',
        'req/s',
        'p50 ms',
        'p99 ms',
        'p99.9 ms',
        'errors',
        'gw CPU/req',
        'db CPU/req',
        'gw RSS',
        'prov CPU',
        'other',
      ],
      widths,
    ),
  );
  for (const r of report.results) {
    // The lean reference's rows show its own process's CPU and memory.
    const gw = (r.name.startsWith('lean') && r.processes.lean) || r.processes.gateway;
    const prov = r.processes.providers;
    out.push(
      pad(
        [
          runLabel(r),
          String(r.connections),
          r.rps.toFixed(0),
          ms(r.latencyMs.p50),
          ms(r.latencyMs.p99),
          ms(r.latencyMs.p999),
          String(r.non2xx + r.errors),
          r.name.startsWith('direct') ? '-' : `${gw.cpuMsPerRequest.toFixed(3)} ms`,
          r.name.startsWith('direct') ? '-' : dbCpu(r),
          `${gw.rss.maxMiB.toFixed(0)} MiB`,
          `${prov.cpuPercent.toFixed(0)} %`,
          `${r.machine.otherPercent.toFixed(0)} %`,
        ],
        widths,
      ),
    );
  }
  out.push(
    '(gw CPU/req: the gateway process’s (lean rows: the lean reference’s) user+system CPU per ' +
      'answered request; db CPU/req: PostgreSQL’s processes on this machine (all of them: its ' +
      'background writers too; - when the database is embedded or elsewhere), per answered request; ' +
      'prov CPU and other: ' +
      'busy % of one core of the demo providers and of processes outside the benchmark)',
  );
  out.push('');
  out.push('gateway vs direct and vs the lean reference (same concurrency, same provider):');
  for (const q of ratios(report.results)) {
    const lean =
      q.leanRatio === undefined ? '' : `  ${(q.leanRatio * 100).toFixed(0).padStart(3)} % of lean`;
    out.push(
      `  ${q.scenario.padEnd(16)} c=${String(q.concurrency).padStart(3)}  throughput ${Number.isFinite(q.throughputRatio) ? (q.throughputRatio * 100).toFixed(1).padStart(5) : '    -'} % of direct${lean}` +
        `   added p50 ${ms(q.addedP50Ms)} ms   added p99 ${ms(q.addedP99Ms)} ms`,
    );
  }
  for (const line of roundsSummary(report.results)) out.push(line);
  if (report.soak) {
    const s = report.soak;
    out.push('');
    out.push(
      `soak: ${s.seconds} s at c=64, ${s.rps.toFixed(0)} req/s; gateway RSS first half ${s.firstHalfAvgMiB.toFixed(1)} MiB, ` +
        `second half ${s.secondHalfAvgMiB.toFixed(1)} MiB (min ${Math.min(...s.rssMiB).toFixed(0)}, max ${Math.max(...s.rssMiB).toFixed(0)})`,
    );
  }
  const a = report.audit;
  out.push('');
  out.push(
    `audit: ${a.fetches2xx} successful fetches answered, ${a.auditedOk} audited as successful ` +
      `(${a.unanswered} cut at run ends, allowed ${a.unansweredAllowed}), missing ${a.missing}, duplicated ${a.duplicated}; ` +
      `chain ${a.chain.ok ? 'verifies' : 'BROKEN'} (${a.chain.checked} events${a.chain.durationMs !== undefined ? `, ${a.chain.durationMs} ms` : ''})`,
  );
  out.push(report.valid ? 'run VALID' : `run INVALID: ${a.reasons.join('; ')}`);
  out.push('');
  process.stdout.write(out.join('\n') + '\n');
}

/** PostgreSQL's CPU per answered request: the other half of what a fetch costs the machine. */
function dbCpu(r: LoadResult): string {
  // busy % of one core over the window, at rps requests a second: ms of CPU per request.
  const perRequest = ((r.machine.postgresPercent / 100) * 1000) / r.rps;
  return r.machine.postgresPercent > 0 && r.rps > 0 ? `${perRequest.toFixed(3)} ms` : '-';
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * With BENCH_ROUNDS > 1, per concurrency: the median and range of gateway / lean over the
 * rounds, and each one's median CPU per fetch. One pair of runs on a shared machine can put the
 * ratio anywhere in a band 30 points wide; the median of alternating pairs is the figure to quote.
 */
export function roundsSummary(results: LoadResult[]): string[] {
  const paired = ratios(results).filter((q) => q.round !== undefined);
  const concurrencies = [...new Set(paired.map((q) => q.concurrency))];
  const cpu = (name: string, c: number, own: 'gateway' | 'lean') =>
    median(
      results
        .filter((r) => r.name === name && r.connections === c && r.round !== undefined)
        .map((r) => r.processes[own]?.cpuMsPerRequest ?? NaN),
    );
  const lines: string[] = [];
  for (const c of concurrencies) {
    const leanRatios = paired
      .filter((q) => q.concurrency === c && q.leanRatio !== undefined)
      .map((q) => q.leanRatio! * 100);
    if (leanRatios.length < 2) continue;
    if (lines.length === 0) lines.push('', 'gateway / lean reference over alternating rounds:');
    lines.push(
      `  c=${String(c).padStart(3)}  ${leanRatios.length} rounds: median ${median(leanRatios).toFixed(0)} % ` +
        `(${Math.min(...leanRatios).toFixed(0)}–${Math.max(...leanRatios).toFixed(0)} %: ` +
        `${leanRatios.map((x) => x.toFixed(0)).join(', ')}); CPU per fetch, medians: ` +
        `gateway ${cpu('gateway', c, 'gateway').toFixed(3)} ms, lean ${cpu('lean', c, 'lean').toFixed(3)} ms`,
    );
  }
  return lines;
}
