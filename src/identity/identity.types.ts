/**
 * What a citizen session holds, and what other modules get from `@CurrentCitizen()`.
 */
import 'express-session';

/**
 * The identity pivot as FranceConnect sends it (plus email and usage name). Kept in the
 * server-side session for the consent step only (the session store encrypts it at rest), never
 * in a table in clear.
 */
export interface IdentityPivot {
  given_name: string;
  family_name: string;
  /** YYYY-MM-DD */
  birthdate: string;
  /** `male` | `female` */
  gender: string;
  /** INSEE commune code, empty when born abroad. */
  birthplace: string;
  /** INSEE country code (`99100` is France). */
  birthcountry: string;
  email?: string;
  preferred_username?: string;
}

export const IDENTITY_PIVOT_CLAIMS = [
  'given_name',
  'family_name',
  'birthdate',
  'gender',
  'birthplace',
  'birthcountry',
] as const;

/** The logged-in citizen, as handed to controllers by `@CurrentCitizen()`. */
export interface CitizenPrincipal {
  /** citizen.id (uuid): the pseudonymous reference used everywhere else (audit, consents). */
  citizenId: string;
  /** FranceConnect pairwise subject. */
  sub: string;
  identity: IdentityPivot;
}

/** An authorization request started at /auth/login and not yet completed. */
export interface PendingLogin {
  /** ≥ 32 random characters (FranceConnect's minimum). */
  state: string;
  nonce: string;
  /** PKCE code_verifier (RFC 7636), when the provider advertises S256. */
  codeVerifier?: string;
  /** Local path to go to once logged in (already validated). */
  returnTo: string;
  /** epoch ms */
  createdAt: number;
}

declare module 'express-session' {
  interface SessionData {
    citizenId: string;
    sub: string;
    /** Kept for RP-initiated logout (`id_token_hint`). */
    idToken: string;
    identity: IdentityPivot;
    acr: string;
    /** epoch ms of the login. */
    loginAt: number;
    /** Synchronizer CSRF token (csrf.ts). */
    csrfToken: string;
    /** At most a few concurrent logins per browser (two tabs), keyed by state. */
    pendingLogins: Record<string, PendingLogin>;
    /** `state` sent with the logout to FranceConnect, checked at /auth/logged-out. */
    logoutState: string;
  }
}
