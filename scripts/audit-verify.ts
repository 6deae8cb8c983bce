/**
 * `npm run audit:verify [-- --checkpoint <file|URL>] [--jwks <file|URL>]`: recomputes the audit
 * hash chain of the database the gateway is configured for (same environment variables) and
 * reports the first broken link; lists the provider calls whose intent has no outcome (see
 * AuditService.callsWithoutOutcome); then recomputes the transparency log's Merkle tree and
 * checks every stored checkpoint (signature, root), or the given checkpoint obtained earlier
 * (truncation, rewrite, reorder, fork). Checkpoint signatures are checked against `--jwks`
 * (e.g. the gateway's /.well-known/jwks.json) or else the public keys in the database.
 * Exit status: 0 all verifies, 2 tampered (naming the first bad sequence number), 1 the check
 * could not run.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import { loadConfig } from '../src/config/app-config.js';
import { PrismaService } from '../src/database/prisma.service.js';
import { AuditChainRepository } from '../src/audit/audit-chain.repository.js';
import { AuditService } from '../src/audit/audit.service.js';
import { AuditLogRepository } from '../src/audit/audit-log.repository.js';
import { parseTreeVerifyArgs, verifyTree } from '../src/audit/verify-cli.js';

async function main(): Promise<number> {
  const treeOptions = parseTreeVerifyArgs(process.argv.slice(2));
  const config = loadConfig(process.env);
  const prisma = await PrismaService.open(config, join(process.cwd(), 'prisma', 'migrations'));
  try {
    const started = Date.now();
    const audit = new AuditService(new AuditChainRepository(prisma));
    const result = await audit.verify();
    const ms = Date.now() - started;
    if (result.ok) {
      process.stdout.write(`audit chain verifies: ${result.checked} events in ${ms} ms\n`);
      // Not a broken chain (exit 0): provider calls whose outcome the log does not know.
      const open = await audit.callsWithoutOutcome();
      process.stdout.write(`provider calls without an outcome: ${open.count}\n`);
      for (const call of open.calls) {
        process.stdout.write(
          `  seq=${call.seq} request=${call.requestId} consent=${call.consentId} at=${call.at.toISOString()}\n`,
        );
      }
    } else {
      const b = result.broken!;
      process.stdout.write(
        `audit chain BROKEN at seq=${b.seq} id=${b.id} (${b.reason}) after ${result.checked - 1} good events\n`,
      );
    }
    const tree = await verifyTree(
      new AuditLogRepository(prisma),
      treeOptions,
      config.masterKey,
      (line) => process.stdout.write(`${line}\n`),
    );
    return result.ok ? tree : 2;
  } finally {
    await prisma.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`audit:verify: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
