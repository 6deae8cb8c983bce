import { Html, html, joinHtml, unsafeRawHtml } from './html.js';

const HOSTILE = `<script>alert("x") & 'y' \`z\`</script>`;
const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39; &#96;z&#96;&lt;/script&gt;';

describe('html template layer', () => {
  it('escapes every interpolated text, in text and in attributes', () => {
    expect(html`<p title="${HOSTILE}">${HOSTILE}</p>`.toString()).toBe(
      `<p title="${ESCAPED}">${ESCAPED}</p>`,
    );
  });

  it('prints numbers, nothing for null and undefined, and keeps the literal markup as written', () => {
    expect(html`<i>${42}</i><b>${null}</b><u>${undefined}</u>`.toString()).toBe(
      '<i>42</i><b></b><u></u>',
    );
  });

  it('drops invisible formatting characters (bidi overrides, zero-width) from text', () => {
    expect(html`${'Mairie \u202E<b>\u202C\u200B'}`.toString()).toBe('Mairie &lt;b&gt;');
  });

  it('keeps fragments built with html, and escapes text inside arrays and joins', () => {
    const items = ['a<', 'b&'].map((t) => html`<li>${t}</li>`);
    expect(html`<ul>${items}</ul>`.toString()).toBe('<ul><li>a&lt;</li><li>b&amp;</li></ul>');
    expect(html`<ul>${['<x>', html`<y>`]}</ul>`.toString()).toBe('<ul>&lt;x&gt;<y></ul>');
    expect(joinHtml([html`<br>`, '<br>'], '\n<hr>').toString()).toBe('<br>\n&lt;hr&gt;&lt;br&gt;');
  });

  it('lets raw markup through only where unsafeRawHtml marks it', () => {
    expect(html`${'<b>bold</b>'}`.toString()).toBe('&lt;b&gt;bold&lt;/b&gt;');
    expect(html`${unsafeRawHtml('<b>bold</b>')}`.toString()).toBe('<b>bold</b>');
  });

  it('cannot be fooled into trusting a string: no Html without the layer’s own functions', () => {
    // A string that looks like a template's strings array is not one (not frozen, no `raw`).
    expect(() => html([HOSTILE] as unknown as TemplateStringsArray)).toThrow(TypeError);
    // The constructor wants a token only this module holds.
    expect(() => new Html(Symbol('trusted markup') as never, HOSTILE)).toThrow(TypeError);
    // An object that merely looks like a fragment is text.
    const lookalike = { toString: () => HOSTILE } as unknown as Html;
    expect(html`${lookalike}`.toString()).toBe(ESCAPED);
  });

  it('refuses plain strings where markup is expected, at compile time (tsc checks this file)', () => {
    // @ts-expect-error a string is not Html: it must be interpolated (escaped) or marked raw
    const refused: Html = '<b>';
    // @ts-expect-error booleans are refused: `${cond && x}` would print "false"
    const printsFalse = html`${false}`;
    // At run time these are what the compiler stops: a bare string, and the word "false".
    expect(refused).toBe('<b>');
    expect(printsFalse.toString()).toBe('false');
  });
});
