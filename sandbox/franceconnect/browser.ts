/**
 * A tiny headless "browser" for tests: fetch with a tough-cookie jar, redirects followed by hand,
 * and the FranceConnect sandbox's login form filled in. Independent of jest; the gateway's e2e
 * tests reuse it, e.g.
 *
 *   const jar = new CookieJar();
 *   const done = await loginThroughSandbox(`${gateway}/auth/login?returnTo=/me`, 'angela', jar);
 *   // done.url is where the browser lands (say `${gateway}/me`), done.status / done.body its answer
 *
 * It starts from ANY URL, follows redirects, submits the sandbox's form when it meets it (no form
 * when the sandbox already has a session for this jar: it just follows through), and keeps going
 * until a response that is not a redirect.
 */
import { CookieJar } from 'tough-cookie';

export { CookieJar };

export interface BrowserResponse {
  /** URL of this response (the request URL). */
  url: string;
  method: string;
  status: number;
  headers: Headers;
  body: string;
  /** Absolute redirect target, when the status is a redirect with a Location. */
  location?: string;
}

export interface NavigationResult extends BrowserResponse {
  /** Every response on the way, in order, the final one included. */
  hops: BrowserResponse[];
}

export interface SandboxLoginResult extends NavigationResult {
  /** Whether the sandbox's login form was met and submitted (false when its session was reused). */
  loginFormSubmitted: boolean;
}

export interface RequestInit {
  method?: string;
  /** Form body (sent as application/x-www-form-urlencoded) or raw string. */
  body?: URLSearchParams | string;
  headers?: Record<string, string>;
}

export interface NavigateOptions {
  /** Redirects followed before giving up (default 20). */
  maxHops?: number;
  /**
   * Do not follow a redirect whose target starts with this prefix: return that redirect response
   * instead (its `location` is the target). Handy when nothing listens at a client's redirect_uri.
   */
  stopAt?: string;
}

export interface SandboxForm {
  /** Absolute URL the login form posts to. */
  action: string;
  /** Absolute URL of the cancel link. */
  cancelUrl?: string;
  /** Error message shown on the form (e.g. unknown login). */
  error?: string;
}

/** Thrown when the sandbox's login form comes back after submission (unknown login…). */
export class SandboxLoginError extends Error {
  constructor(
    message: string,
    readonly page: BrowserResponse,
  ) {
    super(message);
    this.name = 'SandboxLoginError';
  }
}

const REDIRECT = new Set([301, 302, 303, 307, 308]);

function decodeEntities(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** One HTTP request with the jar: sends its cookies, stores the answer's, never follows redirects. */
export async function request(
  jar: CookieJar,
  url: string,
  init: RequestInit = {},
): Promise<BrowserResponse> {
  const method = (init.method ?? (init.body !== undefined ? 'POST' : 'GET')).toUpperCase();
  const headers = new Headers(init.headers);
  const cookie = await jar.getCookieString(url);
  if (cookie) headers.set('cookie', cookie);
  if (!headers.has('accept')) headers.set('accept', 'text/html,application/json;q=0.9,*/*;q=0.8');
  let body: string | undefined;
  if (init.body instanceof URLSearchParams) {
    body = init.body.toString();
    if (!headers.has('content-type')) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
    }
  } else {
    body = init.body;
  }
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  for (const setCookie of res.headers.getSetCookie()) {
    await jar.setCookie(setCookie, url, { ignoreError: true });
  }
  const text = await res.text();
  const locationHeader = res.headers.get('location');
  return {
    url,
    method,
    status: res.status,
    headers: res.headers,
    body: text,
    location:
      REDIRECT.has(res.status) && locationHeader ? new URL(locationHeader, url).href : undefined,
  };
}

/** Requests `url` and follows redirects as a browser does, until a non-redirect response. */
export async function navigate(
  jar: CookieJar,
  url: string,
  init: RequestInit = {},
  opts: NavigateOptions = {},
): Promise<NavigationResult> {
  const maxHops = opts.maxHops ?? 20;
  const hops: BrowserResponse[] = [];
  let current = url;
  let currentInit = init;
  for (;;) {
    const res = await request(jar, current, currentInit);
    hops.push(res);
    if (!res.location || (opts.stopAt && res.location.startsWith(opts.stopAt))) {
      return { ...res, hops };
    }
    if (hops.length > maxHops) {
      throw new Error(`too many redirects from ${url}: ${hops.map((h) => h.url).join(' -> ')}`);
    }
    // 307/308 keep method and body; the others turn a POST into a GET, as browsers do.
    const keep = (res.status === 307 || res.status === 308) && res.method !== 'GET';
    currentInit = keep ? currentInit : { headers: pickHeaders(currentInit.headers) };
    current = res.location;
  }
}

function pickHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (!/^content-(type|length)$/i.test(k)) out[k] = v;
  }
  return out;
}

/** The sandbox's login form on this page, if it is that page. */
export function findSandboxLoginForm(page: BrowserResponse): SandboxForm | null {
  const contentType = page.headers.get('content-type') ?? '';
  if (!contentType.includes('text/html')) return null;
  const formTag = /<form\b[^>]*data-fc-sandbox="login"[^>]*>/i.exec(page.body)?.[0];
  if (!formTag) return null;
  const action = /\baction="([^"]*)"/i.exec(formTag)?.[1];
  if (action === undefined) return null;
  const cancel = /<a\b[^>]*href="([^"]*)"[^>]*data-fc-sandbox="cancel"/i.exec(page.body)?.[1];
  const error = /<p\b[^>]*role="alert"[^>]*>([\s\S]*?)<\/p>/i.exec(page.body)?.[1];
  return {
    action: new URL(decodeEntities(action), page.url).href,
    cancelUrl: cancel === undefined ? undefined : new URL(decodeEntities(cancel), page.url).href,
    error: error === undefined ? undefined : decodeEntities(error).trim(),
  };
}

/**
 * From any URL (the gateway's login route, an /authorize URL…), follows redirects, logs `login`
 * in at the sandbox's form and follows on until a non-redirect answer: typically the page the
 * gateway shows after its callback, or the client's redirect_uri when that server answers 200.
 * Throws SandboxLoginError if the sandbox shows its form again (unknown login).
 */
export async function loginThroughSandbox(
  startUrl: string,
  login: string,
  jar: CookieJar = new CookieJar(),
  opts: NavigateOptions & { password?: string; init?: RequestInit } = {},
): Promise<SandboxLoginResult> {
  const first = await navigate(jar, startUrl, opts.init, opts);
  const form = findSandboxLoginForm(first);
  if (!form) return { ...first, loginFormSubmitted: false };
  const after = await navigate(
    jar,
    form.action,
    { body: new URLSearchParams({ login, password: opts.password ?? 'motdepasse' }) },
    opts,
  );
  const again = findSandboxLoginForm(after);
  if (again) {
    throw new SandboxLoginError(
      `the FranceConnect sandbox refused login "${login}": ${again.error ?? 'form shown again'}`,
      after,
    );
  }
  return { ...after, hops: [...first.hops, ...after.hops], loginFormSubmitted: true };
}

/**
 * Like loginThroughSandbox but clicks "Annuler" on the sandbox's form: the client gets
 * `error=access_denied`. Throws if no form is met.
 */
export async function cancelThroughSandbox(
  startUrl: string,
  jar: CookieJar = new CookieJar(),
  opts: NavigateOptions & { init?: RequestInit } = {},
): Promise<NavigationResult> {
  const first = await navigate(jar, startUrl, opts.init, opts);
  const form = findSandboxLoginForm(first);
  if (!form?.cancelUrl) {
    throw new Error(`no FranceConnect sandbox login form at ${first.url} (status ${first.status})`);
  }
  const after = await navigate(jar, form.cancelUrl, {}, opts);
  return { ...after, hops: [...first.hops, ...after.hops] };
}
