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
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import {
  callbackPage,
  franceConnectRefusedPage,
  franceConnectResultPage,
  outcomeAlert,
  page,
  receivedDetails,
  requestRefusedPage,
  startPage,
  type ConsentedRead,
  type FranceConnectRead,
} from './pages.js';
import { html, type Html } from '../../src/common/html.js';

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

/** The DSFR's built files, served by this demo service itself (no CDN, same as the gateway). */
const DSFR_DIR = join(process.cwd(), 'node_modules', '@gouvfr', 'dsfr', 'dist');
const DSFR_TYPES: Record<string, string> = {
  '.css': 'text/css',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The purpose this fictitious service states for its requests (within its habilitation's). */
export const DEMO_PURPOSE = 'Instruction de votre demande d’aide au logement étudiant';

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
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
      res.end(body);
    };
    try {
      if (
        req.method === 'GET' &&
        (url.pathname === '/favicon.ico' || url.pathname.startsWith('/dsfr/'))
      ) {
        const rel = url.pathname === '/favicon.ico' ? 'favicon/favicon.ico' : url.pathname.slice(6);
        const file = normalize(join(DSFR_DIR, rel));
        if (!file.startsWith(DSFR_DIR + sep) || !existsSync(file))
          return send(404, page('Page introuvable', html``));
        res.writeHead(200, {
          'content-type': DSFR_TYPES[extname(file)] ?? 'application/octet-stream',
          'cache-control': 'public, max-age=86400',
        });
        return res.end(readFileSync(file));
      }
      if (req.method === 'GET' && url.pathname === '/') {
        return send(200, startPage(opts.datasets, DEMO_PURPOSE, Boolean(fc)));
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
            requestRefusedPage(
              String(created.body?.detail ?? 'Réponse inattendue.'),
              String(created.body?.code ?? created.status),
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
            franceConnectRefusedPage(url.searchParams.get('error') ?? 'state inconnu'),
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
        const reads: FranceConnectRead[] = [];
        for (const ds of Object.keys(fc.datasets)) {
          const r = await fetch(
            `${opts.gatewayUrl}/api/v1/france-connect/data/${encodeURIComponent(ds)}`,
            { headers: { authorization: `Bearer ${tokens.access_token}` } },
          );
          const body = await r.json().catch(() => null);
          reads.push({ dataset: ds, status: r.status, body });
        }
        return send(200, franceConnectResultPage(fcScopes, reads));
      }
      if (req.method === 'GET' && url.pathname === '/callback') {
        const requestId = url.searchParams.get('consent_request') ?? '';
        const status = url.searchParams.get('status') ?? '';
        const state = url.searchParams.get('state') ?? '';
        const stateOk = states.delete(state);
        let outcome: Html;
        let details: Html | '' = '';
        if (!stateOk) {
          outcome = outcomeAlert(
            'warning',
            'Réponse non reconnue',
            'Cette réponse ne correspond à aucune demande en cours de ce service (lien déjà utilisé ou trop ancien) : elle est ignorée. Recommencez votre demande.',
          );
        } else if (status === 'denied') {
          outcome = outcomeAlert(
            'info',
            'Vous avez refusé le partage',
            'Aucun justificatif ne nous a été transmis. Vous pouvez poursuivre votre demande en nous envoyant vos justificatifs par un autre moyen.',
          );
        } else if (status === 'approved' && /^[0-9a-f-]{36}$/.test(requestId)) {
          const cr = await api(`/api/v1/consent-requests/${requestId}`);
          const consentId = cr.body?.consentId as string | undefined;
          if (consentId) {
            const consent = await api(`/api/v1/consents/${consentId}`);
            const datasets = (consent.body?.datasets as string[] | undefined) ?? [];
            const reads: ConsentedRead[] = [];
            for (const ds of datasets) {
              const data = await api(
                `/api/v1/consents/${consentId}/data/${encodeURIComponent(ds)}`,
              );
              reads.push({ dataset: ds, status: data.status, body: data.body });
            }
            const received = reads.filter((r) => r.status === 200).length;
            outcome =
              received === datasets.length
                ? outcomeAlert(
                    'success',
                    'Merci, vos justificatifs ont été reçus',
                    `Nous avons reçu ${received === 1 ? 'le justificatif' : `les ${received} justificatifs`} de votre demande. Vous pouvez retirer votre accord à tout moment dans votre espace Passerelle.`,
                  )
                : outcomeAlert(
                    'warning',
                    'Une partie de vos justificatifs n’a pas pu être reçue',
                    `Nous avons reçu ${received} justificatif(s) sur ${datasets.length}. Pour les autres, l’administration qui les détient n’a pas pu répondre : vous pouvez les fournir autrement.`,
                  );
            details = receivedDetails(reads, String(consent.body?.receipt ?? ''));
          } else {
            outcome = outcomeAlert(
              'error',
              'Accord introuvable',
              'Passerelle ne retrouve pas d’accord pour cette demande.',
            );
          }
        } else {
          outcome = outcomeAlert(
            'warning',
            'Demande non aboutie',
            'La demande n’a pas abouti (délai dépassé ou réponse inattendue). Recommencez votre demande.',
          );
        }
        return send(200, callbackPage(outcome, details, { requestId, status, state, stateOk }));
      }
      send(404, page('Page introuvable', html``));
    } catch (err) {
      send(
        502,
        page(
          'Service momentanément indisponible',
          outcomeAlert('error', 'Passerelle n’a pas pu être jointe', (err as Error).message),
        ),
      );
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
