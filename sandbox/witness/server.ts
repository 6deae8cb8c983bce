/**
 * A small audit witness for the demo: receives the gateway's signed checkpoints
 * (AUDIT_WITNESS_URL, `POST {"checkpoint": "<compact JWS>"}`), checks the signature against the
 * gateway's JWKS and that the tree never shrinks, and appends each one as a JSON line to a
 * file outside the gateway's database (the demo's data folder). Any line of that file is a
 * checkpoint `npm run audit:verify -- --checkpoint <file>` accepts (the last line is used).
 *
 * A real witness would also ask the gateway for a consistency proof between the checkpoint it
 * held and the new one (GET /api/v1/audit/proof/consistency) and keep its copy elsewhere.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { compactVerify, createRemoteJWKSet } from 'jose';

export interface Witness {
  url: string;
  file: string;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage, limit = 16_384): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function lastSize(file: string): number {
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  if (lines.length === 0) return 0;
  return (JSON.parse(lines[lines.length - 1]) as { treeSize: number }).treeSize;
}

export async function startWitness(options: {
  host?: string;
  port?: number;
  file: string;
  gatewayJwksUrl: string;
}): Promise<Witness> {
  const jwks = createRemoteJWKSet(new URL(options.gatewayJwksUrl));
  let held = lastSize(options.file);
  const server: Server = createServer((req, res) => {
    const answer = (status: number, message?: string) => {
      res.writeHead(status, message ? { 'content-type': 'text/plain' } : {});
      res.end(message);
    };
    if (req.method !== 'POST' || req.url !== '/checkpoints') return answer(404, 'not found');
    void (async () => {
      try {
        const body = JSON.parse(await readBody(req)) as { checkpoint?: unknown };
        if (typeof body.checkpoint !== 'string') return answer(400, 'checkpoint expected');
        const { payload, protectedHeader } = await compactVerify(body.checkpoint, jwks, {
          algorithms: ['ES256'],
        });
        if (protectedHeader.typ !== 'checkpoint+jwt') return answer(400, 'not a checkpoint');
        const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as {
          tree_size: number;
          root_hash: string;
        };
        if (claims.tree_size < held) return answer(409, 'tree shrank');
        held = claims.tree_size;
        appendFileSync(
          options.file,
          JSON.stringify({
            receivedAt: new Date().toISOString(),
            treeSize: claims.tree_size,
            rootHash: claims.root_hash,
            checkpoint: body.checkpoint,
          }) + '\n',
        );
        answer(204);
      } catch {
        answer(400, 'bad checkpoint');
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? 'localhost', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${options.host ?? 'localhost'}:${port}/checkpoints`,
    file: options.file,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
