/**
 * The citizen's journey in a real browser (headless Debian Chromium driven by playwright-core):
 * a requesting service asks, the citizen logs in at the FranceConnect sandbox, reads the consent
 * page, previews the data, approves (or refuses) and lands back on the service with the right
 * `state`; the service then reads a consent whose receipt verifies against the gateway's JWKS.
 * Then /me shows the consent and revokes it. Screenshots go to test/artifacts/ (git-ignored).
 *
 * Over ~350 lines on purpose: one file is one stack (gateway, sandboxes, Chromium) started once
 * for all its cases; split, each part would start its own.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  checkPage,
  describeWithBrowser,
  launchChromium,
  startCitizenStack,
  type CitizenStack,
} from './support/browser.js';
import { freePort } from './support/gateway.js';
import { ADMIN, operatorApi } from './support/operator.js';
import { startDemoService } from '../sandbox/demo-service/server.js';

// Every page visited is checked at 1280 and 375 px (axe-core: no serious or critical violation)
// and photographed into test/artifacts/<name>-<width>.png.
describeWithBrowser('consent journey in a real browser', () => {
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
    await checkPage(page, 'franceconnect-sandbox-login');
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
    })
      .format(new Date(Date.now() + 30 * 24 * 3600 * 1000))
      // The first of a month is an ordinal in French ("1er janvier 2027"), which Intl does not say.
      .replace(/^1 /, '1er ');
    expect(until).toBe(`Jusqu’au ${expected}`);
    // Works without JavaScript: the decision is a plain form with labelled buttons.
    expect(await page.getByRole('button', { name: /J’accepte/ }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Je refuse' }).count()).toBe(1);
    // The legal purpose (habilitation) beside the specific case (request).
    expect(await page.locator('[data-habilitation-purpose]').innerText()).toBe(
      stack.registry.habilitation.purpose as string,
    );
    // The decision is within reach: the buttons come before the details.
    const approveBox = await page.getByRole('button', { name: /J’accepte/ }).boundingBox();
    const detailsBox = await page.locator('#quelles-donnees').boundingBox();
    expect(approveBox!.y).toBeLessThan(detailsBox!.y);
    const pageHeight = () => page.evaluate(() => document.documentElement.scrollHeight);
    const desktopHeight = await pageHeight();
    await checkPage(page, 'consent');
    // On a phone, the decision is reachable within two screens (summary first).
    await page.setViewportSize({ width: 375, height: 740 });
    const phoneApprove = await page.getByRole('button', { name: /J’accepte/ }).boundingBox();
    expect(phoneApprove!.y).toBeLessThan(2 * 740);
    // A figure for the record, not an assertion.
    console.log(
      `consent page (2 datasets): approve button at ${Math.round(approveBox!.y)} of ${desktopHeight} px at 1280 px, at ${Math.round(phoneApprove!.y)} of ${await pageHeight()} px at 375 px`,
    );
    await page.setViewportSize({ width: 1280, height: 900 });

    // The preview: what the CNAF holds for Angela, fetched live.
    await Promise.all([
      page.waitForURL(`${created.consentUrl}/preview`),
      page.getByRole('link', { name: 'Voir les données qui seront transmises' }).click(),
    ]);
    const preview = page.locator('[data-dataset="cnaf.quotient_familial"] [data-preview-data]');
    const cnafText = await preview.innerText();
    // French labels and formats, never a raw key.
    expect(cnafText).toContain('Montant du quotient familial');
    expect(cnafText).toContain('1\u202f186\u00a0€');
    expect(cnafText).toContain('Numéro et voie');
    expect(cnafText).toContain('14 RUE CLER');
    expect(cnafText).toContain('24 août 1962');
    expect(cnafText).toContain('femme');
    expect(cnafText).toContain('septembre');
    const dgfipText = await page
      .locator('[data-dataset="dgfip.avis_imposition"] [data-preview-data]')
      .innerText();
    expect(dgfipText).toContain('Montant de l’impôt');
    expect(dgfipText).toContain('2\u202f436\u00a0€');
    for (const text of [cnafText, dgfipText]) {
      expect(text).not.toMatch(
        /Numero libelle voie|Code postal ville|Prenoms|Nom naissance|Date naissance|_|Autre information/,
      );
    }
    await checkPage(page, 'consent-preview');
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
    expect(await item.locator('[data-usage]').innerText()).toBe(
      'Accès unique : 1 justificatif sur 2 transmis.',
    );
    await checkPage(page, 'me');

    // On a phone: logout is in the header, and the access log reads as cards (no sideways scroll).
    await page.setViewportSize({ width: 375, height: 740 });
    const phoneLogout = page.locator('[data-logout="navbar"]');
    expect(await phoneLogout.isVisible()).toBe(true);
    expect(await page.locator('[data-logout="tools"]').isVisible()).toBe(false);
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scroll).toBeLessThanOrEqual(375);
    const logBox = await page.locator('[data-access-log] tbody tr').first().boundingBox();
    expect(logBox!.width).toBeLessThanOrEqual(375);
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(await page.locator('[data-logout="tools"]').isVisible()).toBe(true);
    expect(await phoneLogout.isVisible()).toBe(false);

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
    await checkPage(page, 'me-after-revocation');

    // Only the session cookie is set, as the cookies page says. (Cookies are per host, not per
    // port: the FranceConnect sandbox's own, on the same localhost, are not the gateway's.)
    const cookies = await page.context().cookies(stack.gw.url);
    expect(
      cookies.map((c) => c.name).filter((name) => !name.startsWith('fc_sandbox_session')),
    ).toEqual(['passerelle.sid']);

    // Logging out works from a phone's header.
    await page.setViewportSize({ width: 375, height: 740 });
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/auth/logged-out'),
      page.locator('[data-logout="navbar"]').click(),
    ]);
    await checkPage(page, 'logged-out');
  });

  it('used: approved with the keyboard alone; the consent then says "Utilisé"', async () => {
    const created = await stack.createRequest({ datasets: ['cnaf.quotient_familial'] });
    const page = await newPage();
    await openConsentPage(page, created.consentUrl, 'camille');
    // Tab from the top of the page to the approve button, then Enter (as the accessibility
    // statement says: the pages work with the keyboard; they carry no script at all, see the
    // page specs).
    let reached = false;
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(
        () => document.activeElement?.getAttribute('value') === 'approve',
      );
    }
    expect(reached).toBe(true);
    await Promise.all([
      page.waitForURL((url) => url.href.startsWith(stack.service.redirectUri)),
      page.keyboard.press('Enter'),
    ]);
    const consentId = (await stack.clientGet(`/api/v1/consent-requests/${created.id}`)).body
      .consentId as string;
    expect(
      (await stack.clientGet(`/api/v1/consents/${consentId}/data/cnaf.quotient_familial`)).status,
    ).toBe(200);
    await page.goto(`${stack.gw.url}/me`);
    const item = page.locator(`[data-consent="${consentId}"]`);
    expect(await item.getAttribute('data-display-status')).toBe('used');
    expect(await item.locator('.fr-badge').innerText()).toMatch(/utilisé/i);
    expect(await item.locator('[data-usage]').innerText()).toBe(
      'Accès unique : le justificatif a été transmis ; l’accord est utilisé.',
    );
  });

  it('logged out: /me explains the space and offers FranceConnect’s button; the footer pages exist', async () => {
    const page = await newPage();
    await page.goto(`${stack.gw.url}/me`);
    expect(new URL(page.url()).pathname).toBe('/me');
    const button = page.locator('a.fr-connect');
    expect((await button.innerText()).replace(/\s+/g, ' ').trim()).toBe(
      'S’identifier avec FranceConnect',
    );
    expect(await page.getByRole('link', { name: 'Qu’est-ce que FranceConnect ?' }).count()).toBe(1);
    await checkPage(page, 'me-logged-out');

    const footer = [
      ['Accessibilité : partiellement conforme', '/accessibilite', 'Déclaration d’accessibilité'],
      ['Mentions légales', '/mentions-legales', 'Mentions légales'],
      ['Données personnelles', '/donnees-personnelles', 'Données personnelles'],
      ['Gestion des cookies', '/cookies', 'Gestion des cookies'],
    ];
    for (const [text, path, title] of footer) {
      await page.goto(`${stack.gw.url}/me`);
      await Promise.all([
        page.waitForURL(`${stack.gw.url}${path}`),
        page.locator('footer').getByRole('link', { name: text, exact: true }).click(),
      ]);
      expect(await page.locator('h1').innerText()).toBe(title);
      await checkPage(page, `footer${path.replace('/', '-')}`);
    }
    expect(await page.locator('footer [data-licence]').innerText()).toContain('etalab-2.0');

    // The FranceConnect button leads to the login, and back to /me.
    await page.goto(`${stack.gw.url}/me`);
    await Promise.all([page.waitForSelector('form[data-fc-sandbox="login"]'), button.click()]);
    await page.fill('input[name="login"]', 'pierre');
    await Promise.all([
      page.waitForURL(`${stack.gw.url}/me`),
      page.click('form[data-fc-sandbox="login"] button[type="submit"]'),
    ]);
    expect(await page.locator('h1').innerText()).toBe('Mes accords de partage');
    expect(await page.locator('[data-logout="tools"]').count()).toBe(1);
  });

  it('the demo requesting service: a clean DSFR page, plain messages for approval and refusal', async () => {
    const port = await freePort();
    const redirectUri = `http://localhost:${port}/callback`;
    const client = stack.registry.client;
    const patched = await operatorApi(stack.gw).patch(`${ADMIN}/clients/${client.clientId}`, {
      redirectUris: [stack.service.redirectUri, redirectUri],
    });
    expect(patched.status).toBe(200);
    const demo = await startDemoService({
      port,
      gatewayUrl: stack.gw.url,
      clientId: client.clientId,
      clientSecret: client.clientSecret ?? '',
      datasets: ['cnaf.quotient_familial', 'dgfip.avis_imposition'],
    });
    try {
      const page = await newPage();
      const home = await page.goto(demo.url);
      expect(home!.status()).toBe(200);
      // Datasets by their titles, never their ids; the favicon is served.
      const form = await page.locator('[data-start-form]').innerText();
      expect(form).toContain('Quotient familial CAF & MSA');
      expect(form).not.toContain('cnaf.quotient_familial');
      expect((await fetch(`${demo.url}/favicon.ico`)).status).toBe(200);
      await checkPage(page, 'demo-service');

      // Approve: the service says, in plain words, that it received the proofs.
      await Promise.all([
        page.waitForSelector('form[data-fc-sandbox="login"]'),
        page.getByRole('button', { name: /Transmettre mes justificatifs/ }).click(),
      ]);
      await page.fill('input[name="login"]', 'angela');
      await Promise.all([
        page.waitForURL((url) => url.pathname.startsWith('/consent/')),
        page.click('form[data-fc-sandbox="login"] button[type="submit"]'),
      ]);
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(redirectUri)),
        page.getByRole('button', { name: /J’accepte/ }).click(),
      ]);
      expect(await page.locator('[data-outcome]').innerText()).toContain(
        'Merci, vos justificatifs ont été reçus',
      );
      await checkPage(page, 'demo-service-approved');

      // Refuse: no raw "status=denied", a sentence and what to do next.
      await page.goto(demo.url);
      await Promise.all([
        page.waitForURL((url) => url.pathname.startsWith('/consent/')),
        page.getByRole('button', { name: /Transmettre mes justificatifs/ }).click(),
      ]);
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(redirectUri)),
        page.getByRole('button', { name: 'Je refuse' }).click(),
      ]);
      const refused = await page.locator('[data-outcome]').innerText();
      expect(refused).toContain('Vous avez refusé le partage');
      expect(refused).toContain('Aucun justificatif ne nous a été transmis');
      await checkPage(page, 'demo-service-denied');
    } finally {
      await demo.close();
    }
  });

  it('a wrong URL: a browser gets the French 404 page, an API client problem+json', async () => {
    const page = await newPage();
    const res = await page.goto(`${stack.gw.url}/nulle-part`);
    expect(res!.status()).toBe(404);
    expect(res!.headers()['content-type']).toContain('text/html');
    expect(await page.locator('h1').innerText()).toBe('Page introuvable');
    await checkPage(page, 'not-found');
    const api = await fetch(`${stack.gw.url}/nulle-part`, { headers: { accept: '*/*' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
    const apiHtml = await fetch(`${stack.gw.url}/api/v1/nulle-part`, {
      headers: { accept: 'text/html' },
    });
    expect(apiHtml.headers.get('content-type')).toContain('application/problem+json');
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
    await checkPage(page, 'error-already-decided');
  });
});
