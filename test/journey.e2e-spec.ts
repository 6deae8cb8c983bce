/**
 * The citizen's journey in a real browser (headless Debian Chromium driven by playwright-core):
 * a requesting service asks, the citizen logs in at the FranceConnect sandbox, reads the consent
 * page, previews the data, approves (or refuses) and lands back on the service with the right
 * `state`; the service then reads a consent whose receipt verifies against the gateway's JWKS.
 * Then /me shows the consent and revokes it. Screenshots go to test/artifacts/ (git-ignored).
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  artifactPath,
  launchChromium,
  startCitizenStack,
  type CitizenStack,
} from './support/browser.js';

describe('consent journey in a real browser', () => {
  let stack: CitizenStack;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    stack = await startCitizenStack();
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await stack?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({
      locale: 'fr-FR',
      viewport: { width: 1280, height: 900 },
    });
    contexts.push(context);
    return context.newPage();
  }

  /** Opens the consent link, logs `login` in at the sandbox's form, lands on the consent page. */
  async function openConsentPage(page: Page, consentUrl: string, login = 'angela'): Promise<void> {
    await page.goto(consentUrl);
    await page.waitForSelector('form[data-fc-sandbox="login"]');
    await page.fill('input[name="login"]', login);
    await Promise.all([
      page.waitForURL(consentUrl),
      page.click('form[data-fc-sandbox="login"] button[type="submit"]'),
    ]);
  }

  function landedUrl(page: Page): URL {
    return new URL(page.url());
  }

  it('approves: consent page, preview, approval, redirect with state, verifiable receipt, /me, revocation', async () => {
    const state = 'etat-parcours-accord';
    const created = await stack.createRequest({
      datasets: ['cnaf.quotient_familial', 'dgfip.avis_imposition'],
      purpose: 'Calcul du tarif de la restauration scolaire',
      state,
    });
    const page = await newPage();
    await openConsentPage(page, created.consentUrl);

    // The consent page, as the citizen reads it.
    expect(await page.locator('h1').count()).toBe(1);
    expect(await page.locator('h1').innerText()).toBe('Demande de partage de vos justificatifs');
    expect(await page.locator('[data-client-name]').innerText()).toBe(stack.registry.client.name);
    expect(await page.locator('[data-purpose]').innerText()).toBe(
      'Calcul du tarif de la restauration scolaire',
    );
    const text = await page.locator('main').innerText();
    expect(text).toContain('Quotient familial CAF & MSA');
    expect(text).toContain('Avis d’impôt sur le revenu');
    const until = await page.locator('[data-valid-until]').innerText();
    const expected = new Intl.DateTimeFormat('fr-FR', {
      dateStyle: 'long',
      timeZone: 'Europe/Paris',
    }).format(new Date(Date.now() + 30 * 24 * 3600 * 1000));
    expect(until).toBe(`Jusqu’au ${expected}`);
    // Works without JavaScript: the decision is a plain form with labelled buttons.
    expect(await page.getByRole('button', { name: /J’accepte/ }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Je refuse' }).count()).toBe(1);
    await page.screenshot({ path: artifactPath('consent-page.png'), fullPage: true });

    // The preview: what the CNAF holds for Angela, fetched live.
    await Promise.all([
      page.waitForURL(`${created.consentUrl}/preview`),
      page.getByRole('link', { name: 'Voir les données qui seront transmises' }).click(),
    ]);
    const preview = page.locator('[data-dataset="cnaf.quotient_familial"] [data-preview-data]');
    expect(await preview.innerText()).toContain('1186');
    expect(await preview.innerText()).toContain('14 RUE CLER');
    await page.screenshot({ path: artifactPath('consent-preview.png'), fullPage: true });
    await Promise.all([
      page.waitForURL(created.consentUrl),
      page.getByRole('link', { name: /Revenir à la demande/ }).click(),
    ]);

    // Approve: the 303 to the service's origin is followed (the page's CSP allows it).
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(stack.service.redirectUri)),
      page.getByRole('button', { name: /J’accepte/ }).click(),
    ]);
    const landed = landedUrl(page);
    expect(landed.searchParams.get('consent_request')).toBe(created.id);
    expect(landed.searchParams.get('status')).toBe('approved');
    expect(landed.searchParams.get('state')).toBe(state);
    expect(stack.service.hits.map((h) => h.href)).toContain(landed.href);

    // The service sees `approved` and reads a consent whose receipt verifies against the JWKS.
    const req = await stack.clientGet(`/api/v1/consent-requests/${created.id}`);
    expect(req.body.status).toBe('approved');
    const consentId = req.body.consentId as string;
    const consent = await stack.clientGet(`/api/v1/consents/${consentId}`);
    expect(consent.status).toBe(200);
    expect(consent.body.status).toBe('active');
    const jwks = createRemoteJWKSet(new URL(`${stack.gw.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(consent.body.receipt as string, jwks, {
      algorithms: ['ES256'],
      issuer: stack.gw.config.publicUrl,
    });
    expect(protectedHeader.kid).toBeDefined();
    expect(payload).toMatchObject({
      consent_id: consentId,
      consent_request_id: created.id,
      client_id: stack.registry.client.clientId,
      datasets: ['cnaf.quotient_familial', 'dgfip.avis_imposition'],
      purpose: 'Calcul du tarif de la restauration scolaire',
    });

    // The service fetches what the citizen agreed to; the citizen will see it at /me.
    const fetched = await stack.clientGet(
      `/api/v1/consents/${consentId}/data/cnaf.quotient_familial`,
    );
    expect(fetched.status).toBe(200);
    expect(fetched.body.data).toMatchObject({ quotient_familial: { valeur: 1186 } });

    // /me shows it; revoking it there is effective for the service at once.
    await page.goto(`${stack.gw.url}/me`);
    const item = page.locator(`[data-consent="${consentId}"]`);
    expect(await item.getAttribute('data-status')).toBe('active');
    expect(await item.innerText()).toContain(stack.registry.client.name);
    expect(await item.textContent()).toContain('Actif');
    const log = (await page.locator('[data-access-log]').textContent()) ?? '';
    expect(log).toContain('Avis d’impôt sur le revenu');
    expect(log).toContain('affiché pour vous seul (aperçu)');
    const served = page.locator('[data-access-log] tbody tr').first();
    expect(await served.getAttribute('data-outcome')).toBe('transmitted');
    expect(await served.innerText()).toContain('Quotient familial CAF & MSA');
    expect(await served.innerText()).toContain(stack.registry.client.name);
    expect(await served.innerText()).toContain('transmis');
    await page.screenshot({ path: artifactPath('me.png'), fullPage: true });

    await Promise.all([
      page.waitForURL(`${stack.gw.url}/me?revoque=${consentId}`),
      item.getByRole('button', { name: /Retirer mon accord/ }).click(),
    ]);
    expect(await page.locator('[data-revoked-notice]').innerText()).toContain('est retiré');
    expect(await page.locator(`[data-consent="${consentId}"]`).getAttribute('data-status')).toBe(
      'revoked',
    );
    expect((await stack.clientGet(`/api/v1/consents/${consentId}`)).body.status).toBe('revoked');

    // The next fetch is refused, and the citizen sees that too.
    const refused = await stack.clientGet(
      `/api/v1/consents/${consentId}/data/dgfip.avis_imposition`,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('consent_revoked');
    await page.goto(`${stack.gw.url}/me`);
    const latest = page.locator('[data-access-log] tbody tr').first();
    expect(await latest.getAttribute('data-outcome')).toBe('refused');
    expect(await latest.innerText()).toContain('refusé : consentement révoqué');
    await page.screenshot({ path: artifactPath('me-after-revocation.png'), fullPage: true });
  });

  it('refuses: redirect with status=denied and the same state, no consent', async () => {
    const state = 'etat-parcours-refus';
    const created = await stack.createRequest({ state });
    const page = await newPage();
    await openConsentPage(page, created.consentUrl, 'helene');
    expect(await page.locator('main').innerText()).toContain('Quotient familial CAF & MSA');

    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(stack.service.redirectUri)),
      page.getByRole('button', { name: 'Je refuse' }).click(),
    ]);
    const landed = landedUrl(page);
    expect(landed.searchParams.get('consent_request')).toBe(created.id);
    expect(landed.searchParams.get('status')).toBe('denied');
    expect(landed.searchParams.get('state')).toBe(state);

    const req = await stack.clientGet(`/api/v1/consent-requests/${created.id}`);
    expect(req.body.status).toBe('denied');
    expect(req.body.consentId).toBeUndefined();

    // Going back and answering again is refused in French, nothing changed.
    await page.goto(created.consentUrl);
    expect(await page.locator('h1').innerText()).toBe('Demande déjà traitée');
    expect(await page.locator('[data-error-code]').innerText()).toBe(
      'consent_request_already_decided',
    );
  });
});
