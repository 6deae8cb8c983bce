/**
 * A tiny requesting service ("fournisseur de service") for the demo: the page a newcomer
 * clicks through. It talks to the gateway exactly as a real procedure would, over HTTP:
 * OAuth client credentials, a consent request, the citizen's redirect back, then the fetch.
 * Its /callback is the demo client's registered redirect URI and shows what it received.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface DemoServiceOptions {
  port?: number;
  host?: string;
  gatewayUrl: string;
  clientId: string;
  clientSecret: string;
  datasets: string[];
}

export interface DemoService {
  url: string;
  redirectUri: string;
  close(): Promise<void>;
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#161616}
pre{background:#f6f6f6;padding:1rem;overflow:auto}button{background:#000091;color:#fff;border:0;padding:.6rem 1rem;font-size:1rem}
label{display:block;margin:.3rem 0}</style></head><body><p><em>Service de démonstration (fournisseur de service fictif)</em></p>
<h1>${esc(title)}</h1>${body}</body></html>`;
}

export async function startDemoService(opts: DemoServiceOptions): Promise<DemoService> {
  const host = opts.host ?? 'localhost';
  const states = new Map<string, number>();
  let base = '';

  const token = async (): Promise<string> => {
    const res = await fetch(`${opts.gatewayUrl}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(opts.clientId)}:${encodeURIComponent(opts.clientSecret)}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    const body = (await res.json()) as { access_token?: string; error?: string };
    if (!body.access_token) throw new Error(`token refused: ${body.error ?? res.status}`);
    return body.access_token;
  };

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${opts.gatewayUrl}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${await token()}`,
        'content-type': 'application/json',
        ...(init.headers ?? {}),
      },
    });
    return {
      status: res.status,
      body: (await res.json().catch(() => null)) as Record<string, unknown> | null,
    };
  };

  const readForm = (req: http.IncomingMessage) =>
    new Promise<URLSearchParams>((resolve) => {
      let raw = '';
      req.on('data', (c) => {
        raw += c;
        if (raw.length > 10_000) req.destroy();
      });
      req.on('end', () => resolve(new URLSearchParams(raw)));
    });

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', base);
    const send = (status: number, html: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(html);
    };
    try {
      if (req.method === 'GET' && url.pathname === '/') {
        const boxes = opts.datasets
          .map(
            (d) =>
              `<label><input type="checkbox" name="datasets" value="${esc(d)}" checked> ${esc(d)}</label>`,
          )
          .join('');
        return send(
          200,
          page(
            'Demande d’aide au logement étudiant',
            `<p>Pour instruire votre demande, ce service a besoin de justificatifs détenus par d’autres administrations.
Passerelle vous demandera votre accord avant toute transmission.</p>
<form method="post" action="/start">${boxes}
<label>Finalité <input name="purpose" size="60" value="Instruction d’une demande d’aide au logement"></label>
<label>Durée (jours) <input name="durationDays" type="number" value="30" min="1"></label>
<button type="submit">Demander mon accord via Passerelle</button></form>`,
          ),
        );
      }
      if (req.method === 'POST' && url.pathname === '/start') {
        const form = await readForm(req);
        const state = randomBytes(16).toString('hex');
        states.set(state, Date.now());
        const created = await api('/api/v1/consent-requests', {
          method: 'POST',
          body: JSON.stringify({
            datasets: form.getAll('datasets'),
            purpose: form.get('purpose') ?? '',
            durationDays: Number(form.get('durationDays') ?? 30),
            redirectUri: `${base}/callback`,
            state,
          }),
        });
        if (created.status !== 201 || typeof created.body?.consentUrl !== 'string') {
          return send(
            502,
            page(
              'La demande a été refusée par Passerelle',
              `<pre>${esc(JSON.stringify(created.body, null, 2))}</pre>`,
            ),
          );
        }
        res.writeHead(303, { location: created.body.consentUrl });
        return res.end();
      }
      if (req.method === 'GET' && url.pathname === '/callback') {
        const requestId = url.searchParams.get('consent_request') ?? '';
        const status = url.searchParams.get('status') ?? '';
        const state = url.searchParams.get('state') ?? '';
        const stateOk = states.delete(state);
        let details = '';
        if (status === 'approved' && stateOk && /^[0-9a-f-]{36}$/.test(requestId)) {
          const cr = await api(`/api/v1/consent-requests/${requestId}`);
          const consentId = cr.body?.consentId as string | undefined;
          if (consentId) {
            const consent = await api(`/api/v1/consents/${consentId}`);
            const datasets = (consent.body?.datasets as string[] | undefined) ?? [];
            for (const ds of datasets) {
              const data = await api(
                `/api/v1/consents/${consentId}/data/${encodeURIComponent(ds)}`,
              );
              details += `<h2>${esc(ds)} (HTTP ${data.status})</h2><pre>${esc(JSON.stringify(data.body, null, 2))}</pre>`;
            }
            details += `<h2>Reçu de consentement (JWS)</h2><pre>${esc(String(consent.body?.receipt ?? ''))}</pre>`;
          }
        }
        return send(
          200,
          page(
            'Retour de Passerelle',
            `<p>Reçu : <code>consent_request=${esc(requestId)}</code>, <code>status=${esc(status)}</code>,
<code>state=${esc(state)}</code> (${stateOk ? 'state reconnu' : '<strong>state inconnu : réponse ignorée</strong>'}).</p>${details}
<p><a href="/">Nouvelle demande</a></p>`,
          ),
        );
      }
      send(404, page('Page introuvable', ''));
    } catch (err) {
      send(502, page('Erreur', `<p>${esc((err as Error).message)}</p>`));
    }
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://${host}:${port}`;
  return {
    url: base,
    redirectUri: `${base}/callback`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
