import { describeOutcome, parseCursor } from './access-log.service.js';

describe('access log wording', () => {
  it('tells a served fetch as "transmis"', () => {
    expect(describeOutcome('exchange.fetch', 'success', null)).toEqual({
      outcome: 'transmitted',
      text: 'transmis',
    });
    expect(describeOutcome('exchange.fetch', 'ok', null).text).toBe('transmis');
  });

  it('names the reason of a refusal from its stable code', () => {
    expect(describeOutcome('exchange.fetch_refused', 'refused', 'consent_revoked')).toEqual({
      outcome: 'refused',
      text: 'refusé : consentement révoqué',
    });
    expect(describeOutcome('exchange.fetch', 'consent_expired', null).text).toBe(
      'refusé : consentement expiré',
    );
    expect(describeOutcome('exchange.fetch', 'refused', 'something_new')).toEqual({
      outcome: 'refused',
      text: 'refusé',
    });
  });

  it('words the API FranceConnectée’s own refusals and failures', () => {
    const kind = 'exchange.france_connect_fetch_refused';
    expect(describeOutcome(kind, 'invalid_token', 'invalid_token')).toEqual({
      outcome: 'refused',
      text: 'refusé : autorisation FranceConnect expirée ou invalide',
    });
    expect(
      describeOutcome(
        'exchange.france_connect_fetch_failed',
        'france_connect_unavailable',
        'france_connect_unavailable',
      ),
    ).toEqual({
      outcome: 'failed',
      text: 'échec : FranceConnect indisponible, rien n’a été transmis',
    });
  });

  it('tells provider failures apart from refusals', () => {
    expect(describeOutcome('exchange.fetch', 'error', 'provider_timeout')).toEqual({
      outcome: 'failed',
      text: 'échec : administration indisponible',
    });
    expect(describeOutcome('exchange.fetch', 'error', null)).toEqual({
      outcome: 'failed',
      text: 'échec',
    });
  });

  it('tells previews as such', () => {
    expect(describeOutcome('consent.previewed', 'success', null).outcome).toBe('previewed');
    expect(describeOutcome('consent.previewed', 'error', 'provider_timeout')).toEqual({
      outcome: 'failed',
      text: 'aperçu impossible (échec : administration indisponible)',
    });
  });

  it('reads only decimal cursors', () => {
    expect(parseCursor('42')).toBe(42n);
    expect(parseCursor(undefined)).toBeNull();
    expect(parseCursor('4e2')).toBeNull();
    expect(parseCursor('1'.repeat(20))).toBeNull();
  });
});
