/**
 * Every word the citizen reads on the citizen module's pages, one section per page. French,
 * plain, second person ("vous"), as the State's editorial charter asks. Values interpolated
 * into these strings are escaped by the page renderers, never here.
 *
 * Over 350 lines on purpose: every French text of the citizen's pages in one place (STYLE.md).
 */

export const CONSENT_PAGE = {
  title: 'Demande de partage de vos justificatifs',
  intro: (service: string) =>
    `${service} demande à récupérer directement auprès des administrations concernées les justificatifs ci-dessous. Rien ne sera transmis sans votre accord.`,
  summaryHeading: 'La demande en bref',
  summaryWho: 'Qui demande',
  summaryWhy: 'Pour quoi',
  summaryWhat: 'Quels justificatifs',
  summaryHowLong: 'Jusqu’à quand',
  withinFrame: 'dans le cadre suivant :',
  detailsHeading: 'Le détail de la demande',
  whoHeading: 'Qui demande ?',
  siret: 'SIRET',
  whyHeading: 'Pourquoi ?',
  habilitationPurpose: 'Cadre autorisé',
  habilitationPurposeHint:
    'Ce que la loi permet à ce service de demander, et pourquoi (son habilitation).',
  purpose: 'Votre démarche',
  purposeHint: 'Le cas précis pour lequel le service vous demande ces justificatifs.',
  legalBasis: 'Cadre juridique',
  legalBasisLink: 'Lire le texte',
  whatHeading: 'Quelles données ?',
  providedBy: 'Fourni par',
  fieldsCaption: (title: string) => `Informations contenues dans « ${title} »`,
  moreFields: (n: number) =>
    n === 1 ? 'Voir 1 autre information' : `Voir les ${n} autres informations`,
  noFields: 'Le fournisseur n’a pas détaillé les informations de ce justificatif.',
  howLongHeading: 'Pour combien de temps ?',
  /** Followed by the date. */
  until: 'Jusqu’au',
  onceShort: 'accès unique',
  periodicShort: 'accès répété',
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
  item: (n: number) => `Élément ${n}`,
  tooDeep: 'Détail non affiché',
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
  status: { active: 'Actif', used: 'Utilisé', revoked: 'Retiré', expired: 'Expiré' },
  datasets: 'Justificatifs',
  habilitationPurpose: 'Cadre autorisé',
  purpose: 'Votre démarche',
  legalBasis: 'Cadre juridique',
  givenOn: 'Accordé le',
  validUntil: 'Valable jusqu’au',
  revokedOn: 'Retiré le',
  expiredOn: 'Expiré le',
  /** What the consent allows and what was done with it, without ambiguity. */
  usage: {
    once: (served: number, total: number) =>
      served === 0
        ? total === 1
          ? 'Accès unique : le justificatif n’a pas encore été transmis.'
          : `Accès unique : aucun des ${total} justificatifs n’a encore été transmis.`
        : served >= total
          ? total === 1
            ? 'Accès unique : le justificatif a été transmis ; l’accord est utilisé.'
            : `Accès unique : les ${total} justificatifs ont été transmis ; l’accord est utilisé.`
          : `Accès unique : ${served} justificatif${served > 1 ? 's' : ''} sur ${total} transmis.`,
    periodic: (count: number) =>
      count === 0
        ? 'Accès répété : aucune transmission pour le moment.'
        : count === 1
          ? 'Accès répété : transmis 1 fois jusqu’ici.'
          : `Accès répété : transmis ${count} fois jusqu’ici.`,
  },
  revoke: 'Retirer mon accord',
  revokeContext: (service: string, date: string) => `donné à ${service} le ${date}`,
  accessesHeading: 'Qui a consulté mes données',
  accessesIntro:
    'Chaque consultation de vos justificatifs par un service, et chaque aperçu que vous avez demandé, est enregistré avant que les données ne soient transmises. Toutes les quelques secondes, Passerelle scelle ce journal par une signature électronique (arbre de Merkle, RFC 9162) dont une copie est conservée hors de sa base de données. Une fois scellée, une consultation ne peut plus être effacée, modifiée ou déplacée sans que la vérification le révèle, même par un administrateur de la base de données. Seul le détenteur de la clé de signature de Passerelle pourrait signer un autre historique ; les copies des signatures déjà données (la vôtre, celle du témoin) le feraient apparaître. Pour chaque consultation, la preuve téléchargeable se vérifie sans nous faire confiance.',
  proofLink: 'Télécharger',
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
    proof: 'Preuve',
  },
  viaFranceConnect: 'via FranceConnect',
  franceConnectScopes: 'Données autorisées sur FranceConnect',
  olderAccesses: 'Consultations plus anciennes',
  newestAccesses: 'Revenir aux consultations les plus récentes',
} as const;

/** The logged-out landing of /me: what the space is, and FranceConnect's button. */
export const WELCOME_PAGE = {
  title: 'Mes accords de partage',
  lead: 'Passerelle permet à une administration de récupérer, avec votre accord, les justificatifs qu’une autre administration détient déjà sur vous : vous n’avez plus à les fournir vous-même.',
  whatHeading: 'Dans votre espace, vous pouvez',
  what: [
    'voir chaque accord que vous avez donné : à quel service, pour quels justificatifs, pourquoi et jusqu’à quand ;',
    'retirer un accord à tout moment : il cesse aussitôt de permettre la transmission ;',
    'voir qui a consulté vos données, quand, et avec quel résultat.',
  ],
  loginHeading: 'Accéder à mon espace',
  loginHint:
    'Vous vous identifiez avec FranceConnect, avec un compte que vous avez déjà (impots.gouv.fr, ameli.fr, l’Identité Numérique La Poste…). Passerelle ne crée pas de compte et ne conserve pas votre mot de passe.',
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
    // API FranceConnectée (accesses with the citizen's FranceConnect token)
    invalid_token: 'refusé : autorisation FranceConnect expirée ou invalide',
    client_not_registered: 'refusé : service inconnu de Passerelle',
    france_connect_unavailable: 'échec : FranceConnect indisponible, rien n’a été transmis',
    france_connect_invalid_response: 'échec : FranceConnect indisponible, rien n’a été transmis',
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

/**
 * The footer's mandatory pages (DSFR). Each statement is true of the code: the cookies page is
 * checked by the browser journey (only the session cookie), the retention of identity by the
 * consent tests (shredded on revocation and expiry).
 */
export const INFO_PAGES: Record<
  'accessibilite' | 'mentions-legales' | 'donnees-personnelles' | 'cookies',
  { title: string; sections: Array<{ heading: string; paragraphs: string[] }> }
> = {
  'mentions-legales': {
    title: 'Mentions légales',
    sections: [
      {
        heading: 'Éditeur',
        paragraphs: [
          'Ce service est édité et exploité par l’administration qui l’a mis en place (l’opérateur). Passerelle est un logiciel libre, publié sous licence EUPL-1.2 : son code peut être lu, réutilisé et vérifié par chacun.',
        ],
      },
      {
        heading: 'Hébergement',
        paragraphs: [
          'Le service est hébergé par l’opérateur ou par l’hébergeur qu’il a choisi. Les pages et leurs ressources (feuilles de style, icônes, polices) sont servies par le service lui-même : aucun tiers n’apprend que vous le consultez.',
        ],
      },
      {
        heading: 'Propriété intellectuelle',
        paragraphs: [
          'Sauf mention contraire, les contenus de ce site sont proposés sous licence etalab-2.0. Le système de design de l’État (DSFR) et la Marianne sont utilisés selon leurs conditions d’usage.',
        ],
      },
    ],
  },
  'donnees-personnelles': {
    title: 'Données personnelles',
    sections: [
      {
        heading: 'Ce que fait Passerelle',
        paragraphs: [
          'Quand un service vous demande des justificatifs, Passerelle vous montre qui les demande, pourquoi et jusqu’à quand, puis, si vous l’acceptez, les récupère auprès de l’administration qui les détient et les transmet au service. Sans votre accord, rien n’est transmis.',
        ],
      },
      {
        heading: 'Données traitées',
        paragraphs: [
          'Votre identité transmise par FranceConnect (noms, prénoms, date et lieu de naissance, sexe, et votre adresse électronique si FranceConnect la transmet), pour que l’administration qui détient vos justificatifs vous retrouve ; et l’identifiant que FranceConnect attribue pour vous à Passerelle, pour retrouver vos accords.',
          'Vos accords : le service, les justificatifs, la finalité, les dates et leur état.',
          'Le journal des accès : qui a consulté quel justificatif, quand, pourquoi et avec quel résultat. Le contenu des justificatifs n’y est jamais conservé, seulement une empreinte qui permet de vérifier ce qui a été transmis.',
        ],
      },
      {
        heading: 'Base légale',
        paragraphs: [
          'Chaque service ne peut demander que les justificatifs prévus par son habilitation, pour la finalité et sur le fondement juridique que la page de demande vous indique. La transmission repose sur votre accord, que vous pouvez retirer à tout moment.',
        ],
      },
      {
        heading: 'Durées de conservation',
        paragraphs: [
          'Votre identité n’est conservée, chiffrée, que pendant la durée de chaque accord : elle est rendue illisible dès que vous retirez l’accord ou qu’il expire.',
          'Les justificatifs eux-mêmes ne sont pas conservés par Passerelle.',
          'Vos accords et le journal des accès sont conservés pour que vous et l’opérateur puissiez vérifier chaque accès ; l’opérateur en fixe la durée de conservation.',
        ],
      },
      {
        heading: 'Vos droits',
        paragraphs: [
          'Vous pouvez consulter vos accords et le journal des accès dans votre espace, et retirer un accord à tout moment. Vous disposez aussi des droits d’accès, de rectification, de limitation et d’opposition prévus par le règlement général sur la protection des données (RGPD).',
          'Pour les exercer, ou pour toute question, contactez le délégué à la protection des données de l’opérateur du service. Si vous estimez, après l’avoir contacté, que vos droits ne sont pas respectés, vous pouvez adresser une réclamation à la CNIL (cnil.fr).',
        ],
      },
    ],
  },
  cookies: {
    title: 'Gestion des cookies',
    sections: [
      {
        heading: 'Un seul cookie, strictement nécessaire',
        paragraphs: [
          'Passerelle ne dépose qu’un cookie, « passerelle.sid », et seulement quand vous commencez à vous identifier : il maintient votre session. Il expire après 30 minutes d’inactivité ; à votre déconnexion, la session qu’il désigne est supprimée.',
          'Ce cookie est indispensable au service : il est exempté de consentement. Aucun cookie de mesure d’audience, de publicité ou de réseau social n’est déposé, et aucune ressource n’est chargée depuis un autre site.',
        ],
      },
    ],
  },
  accessibilite: {
    title: 'Déclaration d’accessibilité',
    sections: [
      {
        heading: 'État de conformité',
        paragraphs: [
          'Passerelle est partiellement conforme avec le référentiel général d’amélioration de l’accessibilité (RGAA), version 4.1 : aucun audit complet n’a encore été réalisé.',
        ],
      },
      {
        heading: 'Ce qui est vérifié',
        paragraphs: [
          'Chaque page du parcours est vérifiée automatiquement, sur ordinateur (1280 pixels) et sur téléphone (375 pixels), avec l’outil axe-core : aucune erreur grave ou critique n’est acceptée. Les pages fonctionnent sans JavaScript et au clavier, et utilisent le système de design de l’État.',
        ],
      },
      {
        heading: 'Contenus non accessibles',
        paragraphs: [
          'Un contrôle automatique ne couvre pas tous les critères du RGAA : certains défauts peuvent subsister jusqu’à l’audit.',
        ],
      },
      {
        heading: 'Retour d’information et contact',
        paragraphs: [
          'Si vous n’arrivez pas à accéder à un contenu ou à un service, contactez l’opérateur du service pour être orienté vers une alternative accessible.',
          'Si, après l’avoir contacté, vous n’avez pas obtenu de réponse satisfaisante, vous pouvez écrire au Défenseur des droits (defenseurdesdroits.fr).',
        ],
      },
    ],
  },
};
