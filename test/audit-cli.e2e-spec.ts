/**
 * `npm run audit:verify` as an auditor runs it: against the configured database, exit 0 when
 * the chain holds, exit 2 naming the row when it was tampered with.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditChainRepository } from '../src/audit/audit-chain.repository.js';
import { AuditService } from '../src/audit/audit.service.js';
import { loadConfig } from '../src/config/app-config.js';
import { PrismaService } from '../src/database/prisma.service.js';

const CLI = 'dist/scripts/audit-verify.js';
const MIGRATIONS = join(process.cwd(), 'prisma', 'migrations');

describe('npm run audit:verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-audit-cli-'));
  const env = { PATH: process.env.PATH ?? '', DATA_DIR: dir, PASSERELLE_MODE: 'demo' };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 on an intact chain and 2 naming the edited row', async () => {
    if (!existsSync(CLI)) throw new Error('run `npm run build` first (npm test does)');
    const config = loadConfig(env);
    let prisma = await PrismaService.open(config, MIGRATIONS);
    const audit = new AuditService(new AuditChainRepository(prisma));
    for (let i = 0; i < 5; i++)
      await audit.record({ kind: 'test.cli', actor: 'system', outcome: 'ok' });
    // A provider call with its outcome, and one whose outcome never came.
    const call = (requestId: string) =>
      audit.record({ kind: 'provider.call', actor: 'client:x', outcome: 'started', requestId });
    await call('req-answered');
    await audit.record({
      kind: 'exchange.fetch',
      actor: 'client:x',
      outcome: 'ok',
      requestId: 'req-answered',
    });
    await call('req-lost');
    const target = (await prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } }))[2];
    await prisma.close();

    const ok = spawnSync(process.execPath, [CLI], { env, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/audit chain verifies: 8 events/);
    expect(ok.stdout).toContain('provider calls without an outcome: 1\n');
    expect(ok.stdout).toMatch(/seq=\d+ request=req-lost /);
    expect(ok.stdout).not.toContain('req-answered');

    prisma = await PrismaService.open(config, MIGRATIONS);
    await prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL session_replication_role = replica');
      await tx.$executeRawUnsafe(
        `UPDATE audit_event SET outcome = 'forged' WHERE seq = ${target.seq}`,
      );
    });
    await prisma.close();

    const broken = spawnSync(process.execPath, [CLI], { env, encoding: 'utf8' });
    expect(broken.status).toBe(2);
    expect(broken.stdout).toContain(
      `BROKEN at seq=${target.seq} id=${target.id} (hash_mismatch) after 2 good events`,
    );
  });
});
