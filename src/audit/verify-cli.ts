/**
 * The transparency-log part of `npm run audit:verify` (scripts/audit-verify.ts runs the chain
 * check, then this): reads `--checkpoint <file|URL>` and `--jwks <file|URL>`, prints one line,
 * returns the exit status (0 verified, 2 tampered).
 */
import { readFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import type { AuditLogRepository } from './audit-log.repository.js';
import { CheckpointError, verifyAgainstCheckpoint, verifyStoredLog } from './log-verifier.js';

export interface TreeVerifyOptions {
  checkpoint?: string;
  jwks?: string;
}

export function parseTreeVerifyArgs(argv: string[]): TreeVerifyOptions {
  const options: TreeVerifyOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    if (flag !== '--checkpoint' && flag !== '--jwks') throw new Error(`unknown option ${argv[i]}`);
    const value = inline ?? argv[++i];
    if (!value) throw new Error(`${flag} needs a file or a URL`);
    options[flag === '--checkpoint' ? 'checkpoint' : 'jwks'] = value;
  }
  return options;
}

async function readSource(source: string): Promise<string> {
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`${source} answered ${res.status}`);
    return res.text();
  }
  return readFileSync(source, 'utf8');
}

/**
 * A checkpoint as anyone may hold it: the JSON of GET /api/v1/audit/checkpoint, a witness line
 * (`{"checkpoint": jws}` per line: the last one), a proof bundle (`{checkpoint: {jws}}`) or the bare compact JWS.
 */
export function extractCheckpointJws(text: string): string {
  // A witness file: one checkpoint per line, the last is the newest.
  const trimmed = text.trim().split('\n').filter(Boolean).pop() ?? '';
  if (!trimmed.startsWith('{')) return trimmed.split(/\s+/).pop()!;
  const json = JSON.parse(trimmed) as Record<string, unknown>;
  const c = json.checkpoint ?? json;
  if (typeof c === 'string') return c;
  const jws = (c as { jws?: unknown }).jws;
  if (typeof jws !== 'string') throw new CheckpointError('no checkpoint JWS in that file');
  return jws;
}

export async function verifyTree(
  repo: AuditLogRepository,
  options: TreeVerifyOptions,
  masterKey: Buffer | undefined,
  out: (line: string) => void,
): Promise<number> {
  const jwks = options.jwks
    ? (JSON.parse(await readSource(options.jwks)) as JSONWebKeySet)
    : undefined;
  if (options.checkpoint) {
    const jws = extractCheckpointJws(await readSource(options.checkpoint));
    const r = await verifyAgainstCheckpoint(repo, jws, { jwks, masterKey });
    if (r.ok) {
      out(
        `audit log consistent with the checkpoint of ${r.checkpoint.treeSize} events (signed by ${r.checkpoint.kid}); ${r.events} events in the table`,
      );
      return 0;
    }
    out(`audit log TAMPERED at seq=${r.problem!.seq}: ${r.problem!.reason}`);
    return 2;
  }
  const r = await verifyStoredLog(repo, { jwks, masterKey });
  if (r.ok) {
    out(
      `audit tree verifies: ${r.events} events, ${r.checkpoints} signed checkpoints consistent with the table`,
    );
    return 0;
  }
  out(`audit tree TAMPERED at seq=${r.problem!.seq}: ${r.problem!.reason}`);
  return 2;
}
