/**
 * Private PostgreSQL and Redis servers for fault tests: started on free ports in a temporary
 * folder, stopped and restarted by the test, removed at the end. The machine's shared servers
 * (127.0.0.1:5432, :6379) are never touched. Where the binaries are missing (or PostgreSQL
 * cannot be run as the `postgres` user), `unavailableReason` says why and the test skips.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './gateway.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';

function postgresUid(): { uid: number; gid: number } | null {
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) return null;
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Why a private PostgreSQL cannot be started here, or null when it can. */
export function postgresUnavailableReason(): string | null {
  if (!existsSync(join(PG_BIN, 'initdb'))) return `no PostgreSQL binaries in ${PG_BIN}`;
  if (process.getuid?.() !== 0) return 'needs root to run initdb as the postgres user (runuser)';
  if (!postgresUid()) return 'no postgres user';
  if (spawnSync('runuser', ['--help']).error) return 'no runuser';
  return null;
}

/** Why a private Redis cannot be started here, or null when it can. */
export function redisUnavailableReason(): string | null {
  return spawnSync('redis-server', ['--version']).error ? 'no redis-server binary' : null;
}

export interface PrivatePostgres {
  url: string;
  port: number;
  /** `pg_ctl stop -m immediate`: a crash, as far as clients can tell. */
  crash(): void;
  start(): void;
  remove(): void;
}

function asPostgres(args: string[]): void {
  execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'pipe' });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const ids = postgresUid()!;
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-pg-'));
  chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  asPostgres([join(PG_BIN, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = () =>
    asPostgres([
      join(PG_BIN, 'pg_ctl'),
      '-D',
      data,
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-l',
      join(dir, 'log'),
      '-w',
      'start',
    ]);
  start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    crash: () => asPostgres([join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']),
    start,
    remove: () => {
      spawnSync('runuser', [
        '-u',
        'postgres',
        '--',
        join(PG_BIN, 'pg_ctl'),
        '-D',
        data,
        '-m',
        'immediate',
        'stop',
      ]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): void;
  start(): void;
  /** SIGSTOP: the server keeps its sockets but answers nothing (a hung or failing-over Redis). */
  pause(): void;
  resume(): void;
  remove(): void;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-redis-'));
  const port = await freePort();
  const pidfile = join(dir, 'redis.pid');
  const start = () => {
    execFileSync('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
      '--pidfile',
      pidfile,
      '--dir',
      dir,
    ]);
    for (let i = 0; i < 100 && !existsSync(pidfile); i++) execFileSync('sleep', ['0.02']);
  };
  const stop = () => {
    if (!existsSync(pidfile)) return;
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(pidfile, { force: true });
  };
  const signal = (name: NodeJS.Signals) => {
    process.kill(Number(readFileSync(pidfile, 'utf8').trim()), name);
  };
  start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    remove: () => {
      if (existsSync(pidfile)) signal('SIGCONT');
      stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
