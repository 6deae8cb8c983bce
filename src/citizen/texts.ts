/**
 * Every word the citizen reads on the citizen module's pages, one section per page. French,
 * plain, second person ("vous"), as the State's editorial charter asks. Values interpolated
 * into these strings are escaped by the page renderers, never here.
 */

export const CONSENT_PAGE = {
  title: 'Demande de partage de vos justificatifs',
  intro: (service: string) =>
    `${service} demande à récupérer directement auprès des administrations concernées les justificatifs ci-dessous. Rien ne sera transmis sans votre accord.`,
  whoHeading: 'Qui demande ?',
  siret: 'SIRET',
  whyHeading: 'Pourquoi ?',
  purpose: 'Finalité',
  legalBasis: 'Cadre juridique',
  legalBasisLink: 'Lire le texte',
  whatHeading: 'Quelles données ?',
  providedBy: 'Fourni par',
  fieldsCaption: (title: string) => `Informations contenues dans « ${title} »`,
  noFields: 'Le fournisseur n’a pas détaillé les informations de ce justificatif.',
  howLongHeading: 'Pour combien de temps ?',
  until: (date: string) => `Jusqu’au ${date}`,
  once: 'Accès unique : chaque justificatif ne pourra être consulté qu’une seule fois.',
  periodic:
    'Accès répété : le service pourra consulter à nouveau ces justificatifs tant que votre accord est valable, pour tenir son dossier à jour.',
  revocable:
    'Vous pourrez retirer votre accord à tout moment depuis votre espace « Mes accords », et voir chaque consultation de vos données.',
  preview: 'Voir les données qui seront transmises',
  previewHint:
    'Les valeurs détenues par chaque administration sont affichées, sans être transmises.',
  decisionLegend: 'Votre réponse',
  decisionHint: (date: string) => `Cette demande doit recevoir une réponse avant le ${date}.`,
  approve: 'J’accepte de partager ces justificatifs',
  deny: 'Je refuse',
} as const;

export const PREVIEW_PAGE = {
  title: 'Aperçu des données qui seront transmises',
  intro: (service: string) =>
    `Voici ce que les administrations détiennent aujourd’hui à votre sujet et qui serait transmis à ${service} si vous acceptez. Ces données ne sont ni enregistrées ni transmises tant que vous n’avez pas donné votre accord.`,
  providedBy: 'Fourni par',
  citizenUnknown: 'Cette administration ne vous connaît pas',
  providerUnavailable:
    'Cette administration n’a pas pu être interrogée pour le moment. Réessayez dans quelques minutes.',
  providerError:
    'Cette administration a répondu de façon inattendue : l’aperçu de ce justificatif n’est pas disponible.',
  datasetUnavailable: 'Ce justificatif n’est plus proposé par le fournisseur pour le moment.',
  empty: 'Non renseigné',
  yes: 'Oui',
  no: 'Non',
  item: (n: number) => `Élément ${n}`,
  none: 'Aucun',
  back: 'Revenir à la demande pour donner ma réponse',
} as const;

export const ME_PAGE = {
  title: 'Mes accords de partage',
  intro:
    'Retrouvez ici les accords que vous avez donnés pour que des services récupèrent vos justificatifs, et retirez-les quand vous le souhaitez.',
  revokedNotice: (service: string) =>
    `Votre accord donné à ${service} est retiré. Plus aucun justificatif ne lui sera transmis à ce titre.`,
  noConsent: 'Vous n’avez donné aucun accord pour le moment.',
  consentsHeading: 'Mes accords',
  status: { active: 'Actif', revoked: 'Retiré', expired: 'Expiré' },
  datasets: 'Justificatifs',
  purpose: 'Finalité',
  legalBasis: 'Cadre juridique',
  givenOn: 'Accordé le',
  validUntil: 'Valable jusqu’au',
  revokedOn: 'Retiré le',
  expiredOn: 'Expiré le',
  mode: { once: 'Accès unique', periodic: 'Accès répété' },
  fetchCount: (n: number) =>
    n === 0 ? 'Aucune consultation' : n === 1 ? '1 consultation' : `${n} consultations`,
  revoke: 'Retirer mon accord',
  revokeContext: (service: string, date: string) => `donné à ${service} le ${date}`,
  accessesHeading: 'Qui a consulté mes données',
  accessesIntro:
    'Chaque consultation de vos justificatifs par un service, et chaque aperçu que vous avez demandé, est enregistré avant que les données ne soient transmises. Toutes les quelques secondes, Passerelle scelle ce journal par une signature électronique (arbre de Merkle, RFC 9162) dont une copie est conservée hors de sa base de données. Une fois scellée, une consultation ne peut plus être effacée, modifiée ou déplacée sans que la vérification le révèle, même par un administrateur de la base de données. Seul le détenteur de la clé de signature de Passerelle pourrait signer un autre historique ; les copies des signatures déjà données (la vôtre, celle du témoin) le feraient apparaître. Pour chaque consultation, la preuve téléchargeable se vérifie sans nous faire confiance.',
  proofLink: 'Preuve',
  proofLinkTitle: (date: string) =>
    `Télécharger la preuve de la consultation du ${date} (fichier JSON)`,
  noAccess: 'Aucune consultation de vos données pour le moment.',
  accessesCaption:
    'Journal des consultations de vos données, de la plus récente à la plus ancienne',
  columns: {
    when: 'Date et heure',
    service: 'Service',
    dataset: 'Justificatif',
    purpose: 'Finalité',
    outcome: 'Résultat',
  },
  olderAccesses: 'Consultations plus anciennes',
  newestAccesses: 'Revenir aux consultations les plus récentes',
} as const;

/** What an access-log row says happened, in plain French (keyed by the audit outcome/code). */
export const ACCESS_OUTCOMES = {
  transmitted: 'transmis',
  previewed: 'affiché pour vous seul (aperçu)',
  previewFailed: 'aperçu impossible',
  refused: 'refusé',
  failed: 'échec',
  byCode: {
    consent_revoked: 'refusé : consentement révoqué',
    consent_expired: 'refusé : consentement expiré',
    consent_not_active: 'refusé : consentement inactif',
    consent_not_found: 'refusé : consentement introuvable',
    dataset_not_in_consent: 'refusé : justificatif non couvert par votre accord',
    dataset_not_found: 'refusé : justificatif inconnu',
    dataset_unavailable: 'échec : justificatif momentanément indisponible',
    insufficient_scope: 'refusé : le service n’est pas autorisé à le demander',
    fetch_budget_exhausted: 'refusé : accès unique déjà utilisé',
    consent_fetch_budget_exhausted: 'refusé : accès unique déjà utilisé',
    fetch_too_soon: 'refusé : consultation trop rapprochée',
    habilitation_inactive: 'refusé : le service n’est plus habilité',
    habilitation_not_found: 'refusé : le service n’est plus habilité',
    client_suspended: 'refusé : service suspendu',
    consent_identity_shredded: 'refusé : consentement clos',
    citizen_unknown_to_provider: 'échec : l’administration ne vous connaît pas',
    provider_timeout: 'échec : administration indisponible',
    provider_error: 'échec : administration indisponible',
    provider_circuit_open: 'échec : administration indisponible',
    provider_busy: 'échec : administration indisponible',
    provider_disabled: 'échec : administration indisponible',
    provider_rate_limited: 'échec : administration indisponible',
    provider_malformed_response:
      'échec : réponse de l’administration invalide, rien n’a été transmis',
    provider_schema_mismatch: 'échec : réponse de l’administration invalide, rien n’a été transmis',
    provider_auth_failed: 'échec : administration indisponible',
    provider_rejected_request: 'échec : administration indisponible',
    audit_unavailable: 'échec : rien n’a été transmis',
  } as Record<string, string>,
  previewPurpose: (purpose: string) => `Aperçu avant votre réponse — ${purpose}`,
  previewPurposeUnknown: 'Aperçu avant votre réponse',
  unknownService: 'Service inconnu',
} as const;

/** The French error pages of the citizen module, by stable code (and a default per status). */
export const ERROR_PAGE = {
  codeLabel: 'Code de l’erreur',
  referenceLabel: 'Référence à communiquer au support',
  home: 'Aller à mes accords',
  byCode: {
    consent_request_not_found: {
      title: 'Demande introuvable',
      message:
        'Cette demande de partage n’existe pas ou plus. Vérifiez le lien reçu du service, ou recommencez votre démarche sur son site.',
    },
    consent_request_expired: {
      title: 'Demande expirée',
      message:
        'Cette demande n’est plus valable : le délai pour y répondre est dépassé. Aucune donnée n’a été transmise. Recommencez votre démarche sur le site du service.',
    },
    consent_request_already_decided: {
      title: 'Demande déjà traitée',
      message:
        'Vous avez déjà répondu à cette demande : votre réponse n’a pas été modifiée. Vos accords sont dans votre espace, où vous pouvez les retirer.',
    },
    consent_request_other_citizen: {
      title: 'Demande réservée à une autre personne',
      message:
        'Cette demande a été ouverte par une autre personne connectée avec FranceConnect. Par sécurité, vous ne pouvez ni la consulter ni y répondre. Rien n’a été modifié.',
    },
    habilitation_no_longer_active: {
      title: 'Accord impossible',
      message:
        'Ce service n’est plus autorisé à recevoir ces justificatifs : votre accord ne peut pas être enregistré. Aucune donnée n’a été transmise. Vous pouvez refuser la demande ou contacter le service.',
    },
    consent_not_found: {
      title: 'Accord introuvable',
      message: 'Cet accord n’existe pas ou ne vous concerne pas. Rien n’a été modifié.',
    },
    csrf_token_invalid: {
      title: 'Formulaire expiré ou invalide',
      message:
        'Le formulaire envoyé ne correspond pas à votre session (il a peut-être expiré). Par sécurité, rien n’a été modifié. Rechargez la page et recommencez.',
    },
    validation_failed: {
      title: 'Formulaire incomplet',
      message: 'Le formulaire envoyé est incomplet ou incorrect. Rien n’a été modifié.',
    },
    session_store_unavailable: {
      title: 'Service momentanément indisponible',
      message:
        'Votre session ne peut pas être lue pour le moment. Réessayez dans quelques instants.',
    },
  } as Record<string, { title: string; message: string }>,
  byStatus: {
    400: {
      title: 'Requête invalide',
      message: 'La demande envoyée est incorrecte. Rien n’a été modifié.',
    },
    403: {
      title: 'Accès refusé',
      message: 'Vous n’avez pas accès à cette page. Rien n’a été modifié.',
    },
    404: { title: 'Page introuvable', message: 'Cette page n’existe pas ou plus.' },
    409: {
      title: 'Action impossible',
      message: 'Cette action n’est plus possible. Rien n’a été modifié.',
    },
    410: { title: 'Lien expiré', message: 'Ce lien n’est plus valable.' },
    500: {
      title: 'Erreur inattendue',
      message:
        'Une erreur inattendue nous empêche d’afficher cette page. Réessayez dans quelques instants ; si elle persiste, communiquez la référence ci-dessous au support.',
    },
  } as Record<number, { title: string; message: string }>,
} as const;
