/**
 * Stable error codes of the identity module. Login failures end on a French HTML page (the
 * citizen is in a browser) carrying the code; JSON routes get problem+json through ApiError.
 */
import { ApiError } from '../common/index.js';

export type LoginErrorCode =
  | 'login_return_to_invalid'
  | 'login_state_mismatch'
  | 'login_callback_invalid'
  | 'login_cancelled'
  | 'login_provider_error'
  | 'login_provider_unavailable'
  | 'login_code_rejected'
  | 'login_id_token_invalid'
  | 'login_nonce_mismatch'
  | 'login_acr_insufficient'
  | 'login_userinfo_invalid'
  | 'login_internal_error'
  | 'login_rate_limited'
  | 'logout_csrf_invalid'
  | 'logout_state_mismatch';

interface LoginErrorText {
  status: number;
  /** French, for the citizen. */
  title: string;
  message: string;
}

/** What the citizen reads for each code (user-facing text kept in one place). */
export const LOGIN_ERROR_TEXT: Record<LoginErrorCode, LoginErrorText> = {
  login_return_to_invalid: {
    status: 400,
    title: 'Adresse de retour refusée',
    message:
      'La page vers laquelle vous deviez revenir après la connexion n’appartient pas à Passerelle. Par sécurité, la connexion n’a pas été lancée.',
  },
  login_state_mismatch: {
    status: 400,
    title: 'Connexion expirée ou invalide',
    message:
      'Le retour de FranceConnect ne correspond à aucune connexion en cours dans ce navigateur. Elle a peut-être expiré ou déjà été utilisée.',
  },
  login_callback_invalid: {
    status: 400,
    title: 'Retour de FranceConnect invalide',
    message: 'La réponse de FranceConnect est incomplète.',
  },
  login_cancelled: {
    status: 401,
    title: 'Connexion annulée',
    message: 'Vous avez annulé la connexion avec FranceConnect. Aucune donnée n’a été transmise.',
  },
  login_provider_error: {
    status: 502,
    title: 'FranceConnect a signalé une erreur',
    message: 'FranceConnect n’a pas pu terminer votre connexion.',
  },
  login_provider_unavailable: {
    status: 502,
    title: 'FranceConnect est indisponible',
    message:
      'FranceConnect ne répond pas pour le moment. Réessayez dans quelques minutes : aucune donnée n’a été transmise.',
  },
  login_code_rejected: {
    status: 400,
    title: 'Connexion déjà utilisée ou expirée',
    message:
      'FranceConnect a refusé de confirmer cette connexion : le lien de retour a expiré ou a déjà servi.',
  },
  login_id_token_invalid: {
    status: 401,
    title: 'Identité non vérifiable',
    message:
      'Le jeton d’identité reçu de FranceConnect n’a pas pu être vérifié (signature, émetteur, destinataire ou validité). Par sécurité, la connexion est refusée.',
  },
  login_nonce_mismatch: {
    status: 401,
    title: 'Identité non vérifiable',
    message:
      'Le jeton d’identité reçu ne correspond pas à la connexion lancée depuis ce navigateur. Par sécurité, la connexion est refusée.',
  },
  login_acr_insufficient: {
    status: 401,
    title: 'Niveau de sécurité insuffisant',
    message:
      'La connexion a été faite avec un niveau de garantie inférieur à celui qu’exige Passerelle.',
  },
  login_userinfo_invalid: {
    status: 401,
    title: 'Identité non vérifiable',
    message:
      'Les informations d’identité reçues de FranceConnect n’ont pas pu être vérifiées. Par sécurité, la connexion est refusée.',
  },
  login_internal_error: {
    status: 500,
    title: 'Erreur lors de la connexion',
    message: 'Une erreur inattendue a interrompu la connexion. Réessayez dans quelques instants.',
  },
  login_rate_limited: {
    status: 429,
    title: 'Trop de tentatives de connexion',
    message:
      'Trop de connexions ont été lancées depuis votre adresse en peu de temps. Patientez une minute avant de réessayer.',
  },
  logout_csrf_invalid: {
    status: 403,
    title: 'Déconnexion non confirmée',
    message:
      'La demande de déconnexion ne vient pas d’une page de Passerelle ouverte dans ce navigateur. Utilisez le bouton « Se déconnecter ».',
  },
  logout_state_mismatch: {
    status: 400,
    title: 'Retour de déconnexion invalide',
    message:
      'Ce retour de FranceConnect ne correspond à aucune déconnexion lancée depuis ce navigateur. Vous êtes néanmoins déconnecté de Passerelle.',
  },
};

/**
 * A refused or failed login. `reason` is the internal detail (library message, JOSE error
 * code…) written to the audit log and the logs, never shown to the citizen.
 */
export class LoginError extends Error {
  readonly status: number;

  constructor(
    readonly code: LoginErrorCode,
    readonly reason: string = code,
  ) {
    super(`${code}: ${reason}`);
    this.name = 'LoginError';
    this.status = LOGIN_ERROR_TEXT[code].status;
  }
}

export const IdentityErrors = {
  /** A JSON route under /api/v1/me called without a logged-in citizen. */
  sessionRequired: () =>
    new ApiError(
      401,
      'citizen_session_required',
      'Citizen session required',
      'Log in through FranceConnect at /auth/login first.',
    ),
  /** An HTML route called without a logged-in citizen: a 303 to the login route. */
  loginRedirect: (location: string) =>
    new ApiError(
      303,
      'citizen_session_required',
      'Citizen session required',
      'Log in through FranceConnect first.',
      {},
      { Location: location, 'Cache-Control': 'no-store' },
    ),
  csrfInvalid: () =>
    new ApiError(
      403,
      'csrf_token_invalid',
      'Invalid form token',
      'The form token is missing or does not match this session. Reload the page and try again.',
    ),
  sessionUnavailable: () =>
    new ApiError(
      503,
      'session_store_unavailable',
      'Session store unavailable',
      'Citizen sessions cannot be read or written right now.',
      {},
      { 'Retry-After': '5' },
    ),
};
