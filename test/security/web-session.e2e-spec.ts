/**
 * Adversarial suite — web and session. What a hostile page can make a citizen's browser do
 * (log out on a GET, post forms), what a requesting service can make the consent page say (XSS,
 * Unicode spoofing), and the transport promises of production (no plain http unless an explicit,
 * logged setting says a TLS proxy is in front).
 */
import {
  CookieJar,
  loginThroughSandbox,
  navigate,
  request,
} from '../../sandbox/franceconnect/browser.js';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';
import { startCitizenStack, type CitizenStack } from '../support/browser.js';
import { createTestDatabase } from '../support/database.js';
import { freePort, startGateway } from '../support/gateway.js';

const WHOAMI = '/auth/whoami';

function errorCode(page: { body: string }): string | undefined {
  return /<code data-error-code>([a-z_]+)<\/code>/.exec(page.body)?.[1];
}

// First in the file: nestjs-pino binds its logger to the first app of a process.
describe('security: production transport (item 5)', () => {
  const production = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/passerelle',
    MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    OPERATOR_TOKEN: 'o'.repeat(32),
    SESSION_SECRET: 's'.repeat(40),
    FC_CLIENT_ID: 'abc',
    FC_CLIENT_SECRET: 'def',
  };

  it('refuses to start on http PUBLIC_URL or FC_ISSUER, in one line', () => {
    for (const [setting, env] of [
      [
        'PUBLIC_URL',
        { PUBLIC_URL: 'http://passerelle.example.fr', FC_ISSUER: 'https://fc.example.fr/api/v2' },
      ],
      [
        'FC_ISSUER',
        { PUBLIC_URL: 'https://passerelle.example.fr', FC_ISSUER: 'http://fc.example.fr/api/v2' },
      ],
    ] as const) {
      let error: unknown;
      try {
        loadConfig({ ...production, ...env });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).setting).toBe(setting);
      expect((error as ConfigError).message).not.toContain('\n');
    }
  });

  // Production mode needs PostgreSQL (no embedded database): skipped when none is configured.
  const withPostgres = process.env.DATABASE_URL ? it : it.skip;
  if (!process.env.DATABASE_URL) {
    console.log('TLS-proxy production start skipped: it needs DATABASE_URL (production mode)');
  }
  withPostgres(
    'starts behind a TLS proxy only with the explicit setting, and says so in the log',
    async () => {
      const port = await freePort();
      // Production also refuses a runtime role that could alter the audit log (issue 11): as
      // production runs, migrations as the owner and the gateway as a runtime role.
      const db = await createTestDatabase({ roles: true });
      try {
        const prod = await startGateway(
          {
            PASSERELLE_MODE: 'production',
            PORT: String(port),
            PUBLIC_URL: `http://localhost:${port}`,
            FC_ISSUER: 'http://localhost:9/api/v2',
            FC_CLIENT_ID: 'abc',
            FC_CLIENT_SECRET: 'def',
            ALLOW_HTTP_BEHIND_TLS_PROXY: 'true',
            TRUST_PROXY: 'true',
            MIGRATION_DATABASE_URL: db.ownerUrl!,
          },
          db,
        );
        try {
          expect(prod.config.mode).toBe('production');
          expect(prod.logs.text()).toMatch(/"level":40.*ALLOW_HTTP_BEHIND_TLS_PROXY=true/);
        } finally {
          await prod.close();
        }
      } finally {
        await db.drop();
      }
    },
  );
});

describe('security: web and session', () => {
  let stack: CitizenStack;
  let gw: CitizenStack['gw'];

  beforeAll(async () => {
    stack = await startCitizenStack();
    gw = stack.gw;
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function loggedIn(login = 'angela') {
    const jar = new CookieJar();
    const page = await loginThroughSandbox(`${gw.url}/auth/login?returnTo=${WHOAMI}`, login, jar);
    expect(page.status).toBe(200);
    return { jar, page };
  }
  const stillLoggedIn = async (jar: CookieJar) =>
    (await request(jar, `${gw.url}${WHOAMI}`)).status === 200;

  describe('logout (item 10)', () => {
    it('a GET on /auth/logout (a link or an image on any site) does not log the citizen out', async () => {
      const { jar } = await loggedIn();
      const res = await request(jar, `${gw.url}/auth/logout`);
      expect(res.status).toBe(200);
      expect(res.body).toContain('<form method="post" action="/auth/logout">');
      expect(await stillLoggedIn(jar)).toBe(true);
    });

    it('a POST without the session’s CSRF token is refused (403) and logs nobody out', async () => {
      const { jar } = await loggedIn('karim');
      for (const csrf of [undefined, '', 'x'.repeat(43)]) {
        const form = new URLSearchParams(csrf === undefined ? {} : { csrf });
        const res = await request(jar, `${gw.url}/auth/logout`, { body: form });
        expect(res.status).toBe(403);
        expect(errorCode(res)).toBe('logout_csrf_invalid');
      }
      expect(await stillLoggedIn(jar)).toBe(true);
    });

    it('the header’s form logs out through FranceConnect', async () => {
      const { jar, page } = await loggedIn('lucas');
      const csrf = /action="\/auth\/logout"><input type="hidden" name="csrf" value="([^"]+)"/.exec(
        page.body,
      )?.[1];
      expect(csrf).toBeDefined();
      const out = await navigate(jar, `${gw.url}/auth/logout`, {
        body: new URLSearchParams({ csrf: csrf! }),
      });
      expect(out.hops.some((h) => h.url.startsWith(`${stack.fc.issuer}/session/end`))).toBe(true);
      expect(out.body).toContain('Vous êtes déconnecté');
      expect(await stillLoggedIn(jar)).toBe(false);
    });
  });

  describe('what the consent page shows (items 8 and XSS)', () => {
    it('escapes markup and drops invisible characters stored before they were refused', async () => {
      // Written straight to the database: the API refuses both (test/security/input).
      await gw.prisma.client.update({
        where: { id: stack.registry.client.id },
        data: { name: 'Mairie <script>alert(1)</script> \u202Eeibbus\u202C' },
      });
      const created = await stack.createRequest();
      await gw.prisma.consentRequest.update({
        where: { id: created.id },
        data: { purpose: 'Cantine\u200B scolaire \u2066<img src=x onerror=alert(1)>\u2069' },
      });
      const jar = new CookieJar();
      const page = await loginThroughSandbox(created.consentUrl, 'camille', jar, {
        stopAt: stack.service.origin,
      });
      expect(page.status).toBe(200);
      expect(page.body).not.toMatch(/<script>alert|<img src=x/);
      expect(page.body).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200F]/);
      expect(page.body).toContain('Mairie &lt;script&gt;alert(1)&lt;/script&gt; eibbus');
      expect(page.body).toContain('Cantine scolaire &lt;img src=x onerror=alert(1)&gt;');
    });

    it('keeps the session cookie HttpOnly and SameSite=Lax', async () => {
      const res = await request(new CookieJar(), `${gw.url}/auth/login`);
      const cookie = res.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=Lax/i);
    });
  });
});
