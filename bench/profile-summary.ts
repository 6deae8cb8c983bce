/**
 * Where a V8 CPU profile (`node --cpu-prof`, `BENCH_PROFILE=1`) spends its time:
 *
 *   node dist/bench/profile-summary.js bench/results/gateway-<stamp>.cpuprofile [top]
 *
 * prints the functions with the most self time, then the same by package / source file (the
 * shape of the cost: framework, database driver, crypto, our code), then inclusive time of our
 * own functions (src/): how long each spends including what it calls.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function where(url: string): string {
  if (!url) return '(native / V8)';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (path.startsWith('node:')) return path;
  // Our own code, from whichever build (dist/ or a private one): src/..., sandbox/..., bench/...
  const own = /\/(src|sandbox|bench|scripts)\/.*$/.exec(path);
  return own ? own[0].slice(1) : path;
}

function main(): void {
  const file = process.argv[2];
  const top = Number(process.argv[3] ?? 25);
  if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  let idleUs = 0;
  const fnSelf = new Map<string, number>();
  const placeSelf = new Map<string, number>();
  const ownInclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const name = `${functionName || '(anonymous)'}  ${where(url)}${url ? `:${lineNumber + 1}` : ''}`;
    fnSelf.set(name, (fnSelf.get(name) ?? 0) + us);
    const place = where(url);
    placeSelf.set(place, (placeSelf.get(place) ?? 0) + us);
    // Inclusive time of our own functions: walk up the stack, count each frame once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!where(f.url).startsWith('src/')) continue;
      const own = `${f.functionName || '(anonymous)'}  ${where(f.url)}:${f.lineNumber + 1}`;
      if (seen.has(own)) continue;
      seen.add(own);
      ownInclusive.set(own, (ownInclusive.get(own) ?? 0) + us);
    }
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => `${((us / busyUs) * 100).toFixed(1).padStart(5)} %`;
  const print = (title: string, entries: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`);
    for (const [name, us] of [...entries].sort((x, y) => y[1] - x[1]).slice(0, top)) {
      process.stdout.write(`  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}\n`);
    }
  };
  process.stdout.write(
    `profile: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, busy ${(busyUs / 1e6).toFixed(1)} s ` +
      `(idle ${(idleUs / 1e6).toFixed(1)} s); percentages are of busy time\n`,
  );
  print('self time by function', fnSelf);
  print('self time by package / file', placeSelf);
  print('inclusive time of our own functions (src/)', ownInclusive);
}

main();
