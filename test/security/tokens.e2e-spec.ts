/**
 * Adversarial suite — tokens. The token endpoint's rate limits against encoding tricks and
 * unknown-id floods, and the forged access tokens and client assertions that must never pass
 * (the full matrix of each refusal lives in test/oauth.e2e-spec.ts; this file keeps one replay
 * of each attack so that a regression fails the security suite too).
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT } from 'jose';
import { SigningKeyService } from '../../src/signing/signing-key.service.js';
import {
  basicAuthorization,
  clientAssertion,
  clientToken,
  postToken,
  registerKeyClient,
  registerSecretClient,
  type SecretClient,
} from '../support/clients.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const FORM = { grant_type: 'client_credentials' };
const b64url = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Basic credentials with the id percent-encoded character by character (still RFC 6749-valid). */
function encodedBasic(clientId: string, secret: string, encodeAt: number[]): string {
  const id = [...clientId]
    .map((c, i) =>
      encodeAt.includes(i) ? `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : c,
    )
    .join('');
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${id}:${enc(secret)}`).toString('base64')}`;
}

describe('security: tokens', () => {
  describe('token endpoint rate limits (item 1)', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startGateway({
        RATE_LIMIT_TOKEN_PER_MINUTE: '3',
        RATE_LIMIT_TOKEN_PER_ADDRESS_PER_MINUTE: '12',
      });
    });
    afterAll(async () => {
      await gw?.close();
    });

    it('keys the limit on the form-decoded client id: re-encoding the id buys no fresh budget', async () => {
      const c = await registerSecretClient(gw, 'client_secret_basic', { clientId: 'ville-abc' });
      for (let i = 0; i < 3; i++) {
        const wrong = await postToken(gw, FORM, {
          authorization: basicAuthorization(c.clientId, `wrong-${i}`),
        });
        expect(wrong.status).toBe(401);
      }
      // The right secret, with the id spelled %76ille-abc, vi%6Cle-abc, …: the same bucket.
      for (const at of [[0], [2], [0, 1, 2, 3]]) {
        const res = await postToken(gw, FORM, {
          authorization: encodedBasic(c.clientId, c.clientSecret, at),
        });
        expect({ at, status: res.status }).toEqual({ at, status: 429 });
        expect(res.body.error).toBeDefined();
        expect(res.body).not.toHaveProperty('access_token');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      const plain = await postToken(gw, FORM, {
        authorization: basicAuthorization(c.clientId, c.clientSecret),
      });
      expect(plain.status).toBe(429);
    });

    it('has a per-address budget that rotating unknown client ids does not escape', async () => {
      // 7 token requests from this address so far (previous test: 3 + 3 + 1).
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await postToken(gw, FORM, {
          authorization: basicAuthorization(`unknown-${randomUUID()}`, 'guess'),
        });
        statuses.push(res.status);
        if (res.status === 429) {
          expect(res.body.error).toBeDefined();
          expect(res.headers.get('ratelimit-policy')).toBe('12;w=60');
        }
      }
      // 7 earlier + 5 here reach 12; then every id, known or not, is refused for the minute.
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
      const d = await registerSecretClient(gw);
      const known = await postToken(gw, FORM, {
        authorization: basicAuthorization(d.clientId, d.clientSecret),
      });
      expect(known.status).toBe(429);
    });
  });

  describe('the campaign’s replay, with the default settings (item 1)', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      // undefined: the product's default budget, not the test helpers' raised one.
      gw = await startGateway({ RATE_LIMIT_TOKEN_PER_ADDRESS_PER_MINUTE: undefined });
    });
    afterAll(async () => {
      await gw?.close();
    });

    it('70 distinct unknown client ids from one address: 60 answered, then 429', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 70; i++) {
        const res = await postToken(gw, FORM, {
          authorization: basicAuthorization(`unknown-${i}-${randomUUID()}`, 'guess'),
        });
        statuses.push(res.status);
      }
      expect(statuses.slice(0, 60).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(60)).toEqual(Array(10).fill(429));
    });
  });

  describe('forged credentials (attacks that held)', () => {
    let gw: TestGateway;
    let client: SecretClient;
    let token: string;
    const me = (authorization: string) =>
      fetch(`${gw.url}/api/v1/clients/me`, { headers: { authorization } });
    const now = () => Math.floor(Date.now() / 1000);
    const claims = () => ({
      iss: gw.config.publicUrl,
      aud: gw.config.publicUrl,
      sub: client.clientId,
      client_id: client.clientId,
      scope: '',
      iat: now(),
      nbf: now(),
      exp: now() + 300,
      jti: randomUUID(),
    });

    beforeAll(async () => {
      gw = await startGateway();
      client = await registerSecretClient(gw);
      token = await clientToken(gw, client);
    });
    afterAll(async () => {
      await gw?.close();
    });

    it('refuses alg:none, another key, a tampered payload and an expired token (401 invalid_token)', async () => {
      const kid = await gw.app.get(SigningKeyService).activeKid();
      const { privateKey } = await generateKeyPair('ES256');
      const [h, , s] = token.split('.');
      const forged = [
        `${b64url({ alg: 'none', typ: 'at+jwt', kid })}.${b64url(claims())}.`,
        await new SignJWT(claims())
          .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
          .sign(privateKey),
        `${h}.${b64url({ ...claims(), client_id: 'someone-else' })}.${s}`,
        await gw.app
          .get(SigningKeyService)
          .sign(
            { ...claims(), iat: now() - 900, nbf: now() - 900, exp: now() - 60 },
            { typ: 'at+jwt' },
          ),
      ];
      for (const t of forged) {
        const res = await me(`Bearer ${t}`);
        expect(res.status).toBe(401);
        expect(((await res.json()) as { code: string }).code).toBe('invalid_token');
      }
      expect((await me(`Bearer ${token}`)).status).toBe(200);
    });

    it('refuses an unsigned client assertion and a replayed one (invalid_client)', async () => {
      const k = await registerKeyClient(gw);
      const assertionForm = (assertion: string) => ({
        ...FORM,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      });
      const unsigned = `${b64url({ alg: 'none' })}.${b64url({
        iss: k.clientId,
        sub: k.clientId,
        aud: `${gw.config.publicUrl}/oauth/token`,
        exp: now() + 60,
        jti: randomUUID(),
      })}.`;
      expect((await postToken(gw, assertionForm(unsigned))).body.error).toBe('invalid_client');
      const once = await clientAssertion(gw, k);
      expect((await postToken(gw, assertionForm(once))).status).toBe(200);
      const replay = await postToken(gw, assertionForm(once));
      expect({ status: replay.status, error: replay.body.error }).toEqual({
        status: 401,
        error: 'invalid_client',
      });
    });

    it('answers a wrong secret and an unknown client identically', async () => {
      const wrong = await postToken(gw, FORM, {
        authorization: basicAuthorization(client.clientId, 'not-the-secret'),
      });
      const unknown = await postToken(gw, FORM, {
        authorization: basicAuthorization(`nobody-${randomUUID()}`, 'not-the-secret'),
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.headers.get('www-authenticate')).toBe(unknown.headers.get('www-authenticate'));
    });
  });
});
