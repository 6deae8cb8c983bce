import { jest } from '@jest/globals';
import dns from 'node:dns';
import {
  addressProblem,
  hostNameProblem,
  outboundRequestOptions,
  parseAllowList,
  urlTargetProblem,
} from './outbound-guard.js';

describe('addressProblem', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.5',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.100.100.200',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    '::ffff:7f00:1',
    '::ffff:127.0.0.1',
    '::ffff:a9fe:a9fe',
    '::ffff:8.8.8.8',
    '64:ff9b::a9fe:a9fe',
    'fc00::1',
    'fd00:ec2::254',
    'fe80::1',
    'ff02::1',
    '2002:7f00:1::',
  ])('refuses %s', (ip) => {
    expect(addressProblem(ip)).not.toBeNull();
  });
  it.each(['8.8.8.8', '93.184.216.34', '2001:4860:4860::8888', '2a00:1450:4007:80a::200e'])(
    'accepts the public %s',
    (ip) => {
      expect(addressProblem(ip)).toBeNull();
    },
  );
});

describe('hostNameProblem', () => {
  it('refuses metadata and private names, accepts public ones', () => {
    for (const h of [
      'metadata.google.internal',
      'METADATA.GOOGLE.INTERNAL.',
      'localhost',
      'a.localhost',
      'db.internal',
      'printer.local',
      'intranet',
    ]) {
      expect(hostNameProblem(h)).not.toBeNull();
    }
    expect(hostNameProblem('api.caf.fr')).toBeNull();
  });
});

describe('urlTargetProblem', () => {
  it('sees through the spellings WHATWG URL normalises', () => {
    for (const u of [
      'https://169.254.169.254/latest/meta-data/',
      'https://2130706433/',
      'https://0x7f.1/',
      'https://017700000001/',
      'https://[::ffff:7f00:1]/',
      'https://[::ffff:127.0.0.1]:8443/',
      'https://metadata.google.internal/computeMetadata/v1/',
    ]) {
      expect({ u, ok: urlTargetProblem(u, []) === null }).toEqual({ u, ok: false });
    }
    expect(urlTargetProblem('https://api.caf.fr/v1', [])).toBeNull();
  });

  it('lets the allow list through, by host, address, range and port', () => {
    const allow = parseAllowList('localhost:3201,10.1.0.0/16,[fd00::1]:8443,providers');
    expect(urlTargetProblem('http://localhost:3201/x', allow)).toBeNull();
    expect(urlTargetProblem('http://localhost:3202/x', allow)).not.toBeNull();
    expect(urlTargetProblem('https://10.1.2.3/x', allow)).toBeNull();
    expect(urlTargetProblem('https://10.2.0.1/x', allow)).not.toBeNull();
    expect(urlTargetProblem('https://[fd00::1]:8443/', allow)).toBeNull();
    expect(urlTargetProblem('https://[fd00::1]/', allow)).not.toBeNull();
    expect(urlTargetProblem('http://providers:3000/', allow)).toBeNull();
    // Allowing localhost:3201 does not allow 127.0.0.1's other spellings on another port.
    expect(urlTargetProblem('https://[::ffff:7f00:1]/', allow)).not.toBeNull();
  });

  it('refuses a malformed allow list entry', () => {
    expect(() => parseAllowList('10.0.0.0/99')).toThrow(/prefix/);
    expect(() => parseAllowList('host:port')).toThrow(/port/);
    expect(() => parseAllowList('a b')).toThrow();
  });
});

describe('outboundRequestOptions', () => {
  afterEach(() => jest.restoreAllMocks());

  const resolve = (lookup: ReturnType<typeof outboundRequestOptions>['lookup'], host: string) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((done) =>
      lookup(host, {}, (err, address) => done({ err, address })),
    );

  it('gives every call to one host and port the same lookup, and another host or port its own', () => {
    const allow = parseAllowList('');
    const { lookup } = outboundRequestOptions('https://provider.example.fr/a?x=1', allow);
    expect(outboundRequestOptions('https://provider.example.fr/b', allow).lookup).toBe(lookup);
    expect(outboundRequestOptions('https://provider.example.fr:8443/b', allow).lookup).not.toBe(
      lookup,
    );
    expect(outboundRequestOptions('https://other.example.fr/a', allow).lookup).not.toBe(lookup);
    // Another allow list may trust the host: it never shares a lookup made for this one.
    const trusting = parseAllowList('provider.example.fr');
    expect(outboundRequestOptions('https://provider.example.fr/a', trusting).lookup).not.toBe(
      lookup,
    );
  });

  it('a shared lookup still resolves and checks at every connection (rebinding)', async () => {
    const answers = ['8.8.8.8', '10.0.0.5'];
    // Stubbed: no packet leaves the machine. First answer public, the next one internal.
    jest
      .spyOn(dns, 'lookup')
      .mockImplementation(((
        _host: string,
        _options: unknown,
        callback: (err: null, addresses: dns.LookupAddress[]) => void,
      ) => callback(null, [{ address: answers.shift()!, family: 4 }])) as never);
    const allow = parseAllowList('');
    const first = await resolve(
      outboundRequestOptions('https://rebind.example.fr/a', allow).lookup,
      'rebind.example.fr',
    );
    expect(first.err).toBeNull();
    expect(first.address).toBe('8.8.8.8');
    const second = await resolve(
      outboundRequestOptions('https://rebind.example.fr/b', allow).lookup,
      'rebind.example.fr',
    );
    expect(second.err?.message).toMatch(/resolves to a private address/);
    expect(dns.lookup).toHaveBeenCalledTimes(2);
  });

  it('refuses a URL that is not one, or points at an internal address as written', () => {
    const allow = parseAllowList('');
    expect(() => outboundRequestOptions('not a url', allow)).toThrow(/is not a URL/);
    expect(() => outboundRequestOptions('http://169.254.169.254/latest', allow)).toThrow(
      /outbound connection refused/,
    );
  });
});
