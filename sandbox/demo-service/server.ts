/**
 * A tiny requesting service ("fournisseur de service") for the demo: the page a newcomer
 * clicks through. It talks to the gateway exactly as a real procedure would, over HTTP:
 * OAuth client credentials, a consent request, the citizen's redirect back, then the fetch.
 * Its /callback is the demo client's registered redirect URI and shows what it received.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';

export interface DemoServiceOptions {
  port?: number;
  host?: string;
  gatewayUrl: string;
  clientId: string;
  clientSecret: string;
  datasets: string[];
  /**
   * When set, a second button runs FranceConnect's own flow as this service provider, with
   * data scopes, then reads each granted dataset from the API FranceConnectée with the
   * citizen's FranceConnect access token. `datasets`: dataset id -> its FranceConnect scope.
   */
  franceConnect?: {
    issuer: string;
    clientId: string;
    clientSecret: string;
    datasets: Record<string, string>;
  };
}

/** The scopes the demo service asks FranceConnect for, besides its data scopes. */
export const FC_IDENTITY_SCOPES = ['openid', 'identite_pivot'];

export interface DemoService {
  url: string;
  redirectUri: string;
  /** Its redirect URI registered at FranceConnect. */
  franceConnectRedirectUri: string;
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
  /** FranceConnect flow: state -> nonce (one use). */
  const fcStates = new Map<string, string>();
  let base = '';
  const fc = opts.franceConnect;
  const fcScopes = fc ? [...FC_IDENTITY_SCOPES, ...Object.values(fc.datasets)] : [];
  let fcMetadata: Record<string, string> | undefined;
  const fcDiscovery = async (): Promise<Record<string, string>> => {
    if (!fc) throw new Error('FranceConnect is not configured');
    if (!fcMetadata) {
      const res = await fetch(`${fc.issuer}/.well-known/openid-configuration`);
      if (!res.ok) throw new Error(`FranceConnect discovery answered HTTP ${res.status}`);
      fcMetadata = (await res.json()) as Record<string, string>;
    }
    return fcMetadata;
  };

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
<button type="submit">Demander mon accord via Passerelle</button></form>
${
  fc
    ? `<h2>Ou : avec FranceConnect (API FranceConnectée)</h2>
<p>Vous autorisez sur FranceConnect la transmission de vos justificatifs ; le service les lit ensuite auprès de Passerelle.</p>
<form method="post" action="/fc/start"><button type="submit" data-franceconnect-button>Se connecter avec FranceConnect</button></form>`
    : ''
}`,
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
      if (fc && req.method === 'POST' && url.pathname === '/fc/start') {
        const meta = await fcDiscovery();
        // FranceConnect v2: state and nonce of at least 32 characters.
        const state = randomBytes(24).toString('base64url');
        const nonce = randomBytes(24).toString('base64url');
        fcStates.set(state, nonce);
        const authorize = new URL(meta.authorization_endpoint);
        authorize.search = new URLSearchParams({
          response_type: 'code',
          client_id: fc.clientId,
          redirect_uri: `${base}/fc-callback`,
          scope: fcScopes.join(' '),
          state,
          nonce,
          acr_values: 'eidas1',
        }).toString();
        res.writeHead(303, { location: authorize.href });
        return res.end();
      }
      if (fc && req.method === 'GET' && url.pathname === '/fc-callback') {
        const state = url.searchParams.get('state') ?? '';
        const nonce = fcStates.get(state);
        fcStates.delete(state);
        const code = url.searchParams.get('code');
        if (!nonce || !code) {
          return send(
            400,
            page(
              'Retour de FranceConnect refusé',
              `<p>${esc(url.searchParams.get('error') ?? 'state inconnu')}</p><p><a href="/">Recommencer</a></p>`,
            ),
          );
        }
        const meta = await fcDiscovery();
        const tokenRes = await fetch(meta.token_endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: `${base}/fc-callback`,
            client_id: fc.clientId,
            client_secret: fc.clientSecret,
          }),
        });
        const tokens = (await tokenRes.json()) as Record<string, unknown>;
        if (typeof tokens.access_token !== 'string' || typeof tokens.id_token !== 'string') {
          throw new Error(`FranceConnect token endpoint answered HTTP ${tokenRes.status}`);
        }
        // A real service provider verifies the ID token; so does this one.
        const { payload } = await jwtVerify(
          tokens.id_token,
          createRemoteJWKSet(new URL(meta.jwks_uri)),
          { issuer: meta.issuer, audience: fc.clientId },
        );
        if (payload.nonce !== nonce) throw new Error('ID token nonce mismatch');
        let details = '';
        for (const ds of Object.keys(fc.datasets)) {
          const r = await fetch(
            `${opts.gatewayUrl}/api/v1/france-connect/data/${encodeURIComponent(ds)}`,
            { headers: { authorization: `Bearer ${tokens.access_token}` } },
          );
          const body = await r.json().catch(() => null);
          details += `<h2>${esc(ds)} (HTTP ${r.status})</h2><pre data-franceconnect-dataset="${esc(ds)}">${esc(JSON.stringify(body, null, 2))}</pre>`;
        }
        return send(
          200,
          page(
            'Retour de FranceConnect',
            `<p>Connecté avec FranceConnect ; portées demandées : <code>${esc(fcScopes.join(' '))}</code>.
Chaque justificatif est lu auprès de Passerelle avec votre jeton FranceConnect.</p>${details}
<p><a href="/">Nouvelle demande</a></p>`,
          ),
        );
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
    franceConnectRedirectUri: `${base}/fc-callback`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
