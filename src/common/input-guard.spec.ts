import { html } from './html.js';
import { characterProblem, jsonDeeperThan, withoutInvisibleCharacters } from './input-guard.js';

describe('jsonDeeperThan', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonDeeperThan('[[[1]]]', 3)).toBe(false);
    expect(jsonDeeperThan('[[[[1]]]]', 3)).toBe(true);
    expect(jsonDeeperThan('{"a":{"b":{"c":1}}}', 3)).toBe(false);
    expect(jsonDeeperThan('{"a":{"b":{"c":{}}}}', 3)).toBe(true);
    expect(jsonDeeperThan(`{"a":"${'['.repeat(100)}"}`, 3)).toBe(false);
    // An escaped quote does not end the string.
    expect(jsonDeeperThan(`{"a":"\\"${'{'.repeat(100)}"}`, 3)).toBe(false);
    // Siblings do not add up.
    expect(jsonDeeperThan(`[${'[1],'.repeat(1000)}[1]]`, 2)).toBe(false);
  });
});

describe('characterProblem', () => {
  it('refuses controls everywhere, but tab and line breaks only in ids', () => {
    expect(characterProblem('a\u0000b', false)).toBe('control');
    expect(characterProblem('a\u001bb', false)).toBe('control');
    expect(characterProblem('a\u0085b', false)).toBe('control');
    expect(characterProblem('a\nb\tc\r', false)).toBeNull();
    expect(characterProblem('a\nb', true)).toBe('control');
  });
  it('refuses bidi controls, zero-width and other invisible format characters', () => {
    for (const c of [
      '\u202E',
      '\u202A',
      '\u2066',
      '\u2069',
      '\u200B',
      '\u200D',
      '\u200F',
      '\u2060',
      '\uFEFF',
      '\u00AD',
      '\u061C',
      '\u2028',
      '\u3164',
    ]) {
      expect(characterProblem(`a${c}b`, false)).toBe('invisible');
    }
  });
  it('accepts French text', () => {
    expect(
      characterProblem('Hélène Éloïse LEFÈVRE-DURAND — « l’école » 3\u00A0€', true),
    ).toBeNull();
  });
});

describe('neutralising already stored text', () => {
  it('drops invisible characters, and the template layer does so on every page', () => {
    expect(withoutInvisibleCharacters('Can\u200Btine \u202Eabc\u202C')).toBe('Cantine abc');
    expect(html`${'Mairie \u202E<b>\u202C'}`.toString()).toBe('Mairie &lt;b&gt;');
  });
});
