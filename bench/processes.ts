/**
 * Child processes of the benchmark (the gateway and the demo providers run apart from the load
 * generator, as they would on a real deployment) and what Linux tells about them: CPU time
 * (/proc/<pid>/stat) and resident memory (/proc/<pid>/status).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Last lines of stderr/stdout, for the error message when it dies. */
  tail(): string;
  stop(): Promise<number | null>;
}

export function startChild(
  name: string,
  args: string[],
  env: Record<string, string>,
  { echo = false }: { echo?: boolean } = {},
): Child {
  const proc = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (echo) process.stderr.write(text.replace(/^/gm, `[${name}] `));
    lines.push(...text.split('\n').filter(Boolean));
    if (lines.length > 50) lines.splice(0, lines.length - 50);
  };
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  let exited: Promise<number | null> | null = null;
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    name,
    proc,
    pid: proc.pid!,
    tail: () => lines.join('\n'),
    stop: () => {
      exited ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
        const code = await exit;
        clearTimeout(timer);
        return code;
      })();
      return exited;
    },
  };
}

/** Polls `url` until it answers 2xx; fails early if the child dies. */
export async function waitReady(child: Child, url: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.proc.exitCode !== null) {
      throw new Error(`${child.name} exited with ${child.proc.exitCode}:\n${child.tail()}`);
    }
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > end)
      throw new Error(`${child.name} not ready after ${timeoutMs} ms:\n${child.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux everywhere). */
const USER_HZ = 100;

/** User + system CPU time consumed so far by `pid`, in milliseconds. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces, hence the last ')').
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / USER_HZ;
}

/** Resident set size of `pid`, in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Samples RSS every `everyMs` while running. */
export class RssSampler {
  readonly samples: Array<{ t: number; mib: number }> = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly started = Date.now();

  constructor(
    private readonly pid: number,
    everyMs = 1000,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    try {
      this.samples.push({ t: (Date.now() - this.started) / 1000, mib: rssMiB(this.pid) });
    } catch {
      // process gone
    }
  }

  stop(): { startMiB: number; endMiB: number; maxMiB: number } {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const values = this.samples.map((s) => s.mib);
    return {
      startMiB: values[0] ?? NaN,
      endMiB: values[values.length - 1] ?? NaN,
      maxMiB: Math.max(...values),
    };
  }
}

/** Busy and total CPU time of the whole machine so far (all cores), in milliseconds. */
export function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: (busy * 1000) / USER_HZ, total: ((busy + idle + iowait) * 1000) / USER_HZ };
}

/** CPU time (ms) of every process whose command name is `comm` (e.g. PostgreSQL's backends). */
export function cpuTimeByCommand(comm: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
      out.set(Number(entry), cpuTimeMs(Number(entry)));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
