/** Finding a Chromium for the browser tests, and saying how to get one when there is none. */
import { findChromium, NO_CHROMIUM_MESSAGE } from './support/browser.js';

describe('browser tests: finding Chromium', () => {
  it('takes the first existing candidate, CHROMIUM_PATH first, and null when none exists', () => {
    expect(findChromium(['/nonexistent/chromium', process.execPath])).toBe(process.execPath);
    expect(findChromium([undefined, '', '/nonexistent/a', '/nonexistent/b'])).toBeNull();
  });

  it('says in one line how to get the browser tests', () => {
    expect(NO_CHROMIUM_MESSAGE).not.toContain('\n');
    expect(NO_CHROMIUM_MESSAGE).toContain('apt-get install chromium');
  });
});
