/**
 * The consent journey through the real HTML flow, with the test helpers other suites use: a
 * client asks over HTTP, the citizen's browser (cookie-jar browser) logs in at the FranceConnect
 * sandbox, submits the consent page's CSRF-protected form, and lands on the client's redirect
 * URI; the client then reads the outcome over HTTP.
 */
import {
  startGatewayWithFranceConnect,
  type GatewayWithFranceConnect,
} from './support/franceconnect.js';
import {
  approveAsCitizen,
  clientGet,
  consentClient,
  CONSENTS,
  CONSENT_REQUESTS,
  decideInBrowser,
  pendingRequest,
  seedConsentCatalog,
  type ConsentClient,
} from './support/consent.js';

describe('consent through the citizen pages', () => {
  let env: GatewayWithFranceConnect;
  let c: ConsentClient;

  beforeAll(async () => {
    env = await startGatewayWithFranceConnect();
    await seedConsentCatalog(env.gateway);
    c = await consentClient(env.gateway);
  });

  afterAll(async () => {
    await env?.close();
  });

  it('approve: the browser lands on the redirect URI with the state; the client reads the consent', async () => {
    const gw = env.gateway;
    const req = await pendingRequest(gw, c, { state: 'browser-state' });
    const { page, decision } = await approveAsCitizen(
      req.consentUrl,
      'angela',
      c.redirectUri.split('?')[0],
    );
    expect(page.url).toBe(req.consentUrl);
    expect(decision.status).toBe(303);
    const landing = new URL(decision.location!);
    expect(landing.searchParams.get('consent_request')).toBe(req.id);
    expect(landing.searchParams.get('status')).toBe('approved');
    expect(landing.searchParams.get('state')).toBe('browser-state');
    const status = await clientGet(gw, c.token, `${CONSENT_REQUESTS}/${req.id}`);
    expect(status.body.status).toBe('approved');
    const consent = await clientGet(gw, c.token, `${CONSENTS}/${status.body.consentId}`);
    expect(consent.body.status).toBe('active');
  });

  it('deny: status=denied and no consent', async () => {
    const gw = env.gateway;
    const req = await pendingRequest(gw, c);
    const { decision } = await decideInBrowser(
      req.consentUrl,
      'karim',
      'deny',
      c.redirectUri.split('?')[0],
    );
    expect(new URL(decision.location!).searchParams.get('status')).toBe('denied');
    const status = await clientGet(gw, c.token, `${CONSENT_REQUESTS}/${req.id}`);
    expect(status.body).toMatchObject({ status: 'denied' });
    expect(status.body.consentId).toBeUndefined();
  });
});
