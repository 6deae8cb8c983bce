import {
  addressProblem,
  hostNameProblem,
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
