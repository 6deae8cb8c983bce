/**
 * The registry entries an operator would create in Passerelle for the demo data providers
 * ("fournisseurs de données"). The demo servers in ./server.ts serve exactly these paths, read
 * exactly these query parameters and answer bodies that validate against these schemas.
 *
 * Answer shapes follow API Particulier v3 (snake_case field names, same nesting), with one
 * simplification: the 200 body IS the dataset object (API Particulier wraps it as
 * `{data, links, meta}`; here `data` is the whole body so the field paths below are relative
 * to the body's root).
 *
 * The schemas use only keywords that mean the same in JSON Schema draft-07 and 2020-12
 * (type, properties, required, additionalProperties, items, enum, pattern, minimum, anyOf), no
 * `format` and no union `type` arrays, so they compile under `new Ajv()` and `new Ajv2020()`,
 * strict mode included, without ajv-formats.
 *
 * Long because it is data: each dataset's registry entry, schema and French field descriptions.
 */

export type ProviderId = 'cnaf' | 'france_travail' | 'mesr' | 'dgfip';

/** FranceConnect identity-pivot claims a dataset may need. */
export type IdentityClaim =
  'family_name' | 'given_name' | 'birthdate' | 'gender' | 'birthplace' | 'birthcountry';

export interface DemoProviderEntry {
  id: ProviderId;
  name: string;
}

export interface DemoDatasetEntry {
  /** `<provider>.<name>` */
  id: string;
  providerId: ProviderId;
  /** Path appended to the provider's base URL, GET with the identity as query parameters. */
  path: string;
  /** FranceConnect claim -> query parameter name, only the claims this provider needs. */
  identityParams: Partial<Record<IdentityClaim, string>>;
  /** JSON Schema of the 200 body. */
  responseSchema: JsonSchema;
  title: string;
  description: string;
  /** Dotted path (from the body's root) -> French description shown to the citizen. A path
   * naming an object or an array covers everything below it. */
  fields: Record<string, string>;
}

export type JsonSchema = { [key: string]: unknown };

export interface DemoCatalog {
  providers: DemoProviderEntry[];
  datasets: DemoDatasetEntry[];
}

/**
 * Query parameter names (API Particulier's, simplified: one `prenoms` string, one ISO
 * `dateNaissance`). Values are sent exactly as FranceConnect gives them: `sexe` is
 * `male|female`, `codeCogInseeCommuneNaissance` is an empty string for people born abroad.
 */
export const IDENTITY_QUERY_PARAMS: Record<IdentityClaim, string> = {
  family_name: 'nomNaissance',
  given_name: 'prenoms',
  birthdate: 'dateNaissance',
  gender: 'sexe',
  birthplace: 'codeCogInseeCommuneNaissance',
  birthcountry: 'codeCogInseePaysNaissance',
};

function pick(...claims: IdentityClaim[]): Partial<Record<IdentityClaim, string>> {
  const out: Partial<Record<IdentityClaim, string>> = {};
  for (const c of claims) out[c] = IDENTITY_QUERY_PARAMS[c];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Schema helpers
// ---------------------------------------------------------------------------------------------

const ISO_DATE = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';

const str = (extra: JsonSchema = {}): JsonSchema => ({ type: 'string', ...extra });
const int = (extra: JsonSchema = {}): JsonSchema => ({ type: 'integer', ...extra });
const num = (extra: JsonSchema = {}): JsonSchema => ({ type: 'number', ...extra });
const date = (): JsonSchema => str({ pattern: ISO_DATE });
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });

/** A closed object: every listed property is required (nullable ones may be null). */
function obj(properties: Record<string, JsonSchema>): JsonSchema {
  return {
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
  };
}

const arrayOf = (items: JsonSchema): JsonSchema => ({ type: 'array', items });

// ---------------------------------------------------------------------------------------------
// Datasets
// ---------------------------------------------------------------------------------------------

const personneCaf = obj({
  nom_naissance: str({ minLength: 1 }),
  nom_usage: nullable(str()),
  prenoms: str({ minLength: 1 }),
  date_naissance: date(),
  sexe: str({ enum: ['F', 'M'] }),
});

const quotientFamilialSchema: JsonSchema = obj({
  allocataires: { ...arrayOf(personneCaf), minItems: 1 },
  enfants: arrayOf(personneCaf),
  adresse: obj({
    destinataire: str(),
    complement_information: nullable(str()),
    complement_information_geographique: nullable(str()),
    numero_libelle_voie: nullable(str()),
    lieu_dit: nullable(str()),
    code_postal_ville: str(),
    pays: str(),
  }),
  quotient_familial: obj({
    fournisseur: str({ enum: ['CNAF', 'MSA'] }),
    valeur: int({ minimum: 0 }),
    annee: int({ minimum: 2000 }),
    mois: int({ minimum: 1, maximum: 12 }),
    annee_calcul: int({ minimum: 2000 }),
    mois_calcul: int({ minimum: 1, maximum: 12 }),
  }),
});

const statutFranceTravailSchema: JsonSchema = obj({
  identifiant: str({ minLength: 1 }),
  identite: obj({
    civilite: str({ enum: ['M.', 'MME'] }),
    nom_naissance: str({ minLength: 1 }),
    nom_usage: nullable(str()),
    prenom: str({ minLength: 1 }),
    sexe: str({ enum: ['Masculin', 'Féminin'] }),
    date_naissance: date(),
  }),
  contact: obj({
    email: nullable(str()),
    telephone: nullable(str()),
    telephone2: nullable(str()),
  }),
  adresse: obj({
    code_cog_insee_commune: nullable(str({ pattern: '^[0-9][0-9AB][0-9]{3}$' })),
    code_postal: nullable(str()),
    ligne_complement_adresse: nullable(str()),
    ligne_complement_destinataire: nullable(str()),
    ligne_complement_distribution: nullable(str()),
    ligne_nom: nullable(str()),
    ligne_voie: nullable(str()),
    localite: nullable(str()),
  }),
  inscription: obj({
    date_debut: date(),
    date_fin: nullable(date()),
    code_certification_cnav: nullable(str()),
    categorie: obj({
      code: int({ minimum: 1, maximum: 8 }),
      libelle: str(),
    }),
  }),
});

const statutEtudiantSchema: JsonSchema = obj({
  identite: obj({
    nom_naissance: str({ minLength: 1 }),
    prenom: str({ minLength: 1 }),
    date_naissance: date(),
  }),
  admissions: arrayOf(
    obj({
      date_debut: date(),
      date_fin: date(),
      est_inscrit: { type: 'boolean' },
      regime_formation: obj({ libelle: str(), code: str() }),
      code_cog_insee_commune: str({ pattern: '^[0-9][0-9AB][0-9]{3}$' }),
      etablissement_etudes: obj({
        uai: str({ pattern: '^[0-9]{7}[A-Z]$' }),
        nom: str({ minLength: 1 }),
      }),
    }),
  ),
});

const declarant = obj({
  nom: str({ minLength: 1 }),
  nom_naissance: str({ minLength: 1 }),
  prenoms: str({ minLength: 1 }),
  date_naissance: date(),
});

const avisImpositionSchema: JsonSchema = obj({
  declarant1: declarant,
  declarant2: nullable(declarant),
  foyer_fiscal: obj({ annee: int({ minimum: 2000 }), adresse: str() }),
  situation_familiale: str({
    enum: ['Célibataire', 'Marié(e)', 'Pacsé(e)', 'Divorcé(e)', 'Séparé(e)', 'Veuf(ve)'],
  }),
  nombre_parts: num({ minimum: 1, multipleOf: 0.25 }),
  nombre_personnes_a_charge: int({ minimum: 0 }),
  annee_impots: int({ minimum: 2000 }),
  annee_revenus: int({ minimum: 2000 }),
  date_etablissement: date(),
  date_recouvrement: date(),
  revenu_brut_global: int({ minimum: 0 }),
  revenu_imposable: int({ minimum: 0 }),
  impot_revenu_net_avant_corrections: nullable(int({ minimum: 0 })),
  montant_impot: nullable(int({ minimum: 0 })),
  revenu_fiscal_reference: int({ minimum: 0 }),
  situation_partielle: nullable(str()),
  erreur_correctif: nullable(str()),
});

export const DEMO_CATALOG: DemoCatalog = {
  providers: [
    { id: 'cnaf', name: 'Caisse nationale des allocations familiales (CNAF)' },
    { id: 'france_travail', name: 'France Travail' },
    {
      id: 'mesr',
      name: 'Ministère de l’Enseignement supérieur et de la Recherche (MESR)',
    },
    { id: 'dgfip', name: 'Direction générale des Finances publiques (DGFiP)' },
  ],
  datasets: [
    {
      id: 'cnaf.quotient_familial',
      providerId: 'cnaf',
      path: '/v3/dss/quotient_familial/identite',
      identityParams: pick(
        'family_name',
        'given_name',
        'birthdate',
        'gender',
        'birthplace',
        'birthcountry',
      ),
      responseSchema: quotientFamilialSchema,
      title: 'Quotient familial CAF & MSA',
      description:
        'Le quotient familial calculé par votre caisse (CAF ou MSA), avec la composition de votre foyer allocataire et votre adresse.',
      fields: {
        'quotient_familial.valeur': 'Montant du quotient familial (en euros)',
        'quotient_familial.annee': 'Année du quotient familial',
        'quotient_familial.mois':
          'Mois du quotient familial [1 = janvier ; 2 = février ; 3 = mars ; 4 = avril ; 5 = mai ; 6 = juin ; 7 = juillet ; 8 = août ; 9 = septembre ; 10 = octobre ; 11 = novembre ; 12 = décembre]',
        'quotient_familial.fournisseur':
          'Régime qui calcule le quotient familial [CNAF = Caisse nationale des allocations familiales ; MSA = Mutualité sociale agricole]',
        'quotient_familial.annee_calcul': 'Année du calcul',
        'quotient_familial.mois_calcul':
          'Mois du calcul [1 = janvier ; 2 = février ; 3 = mars ; 4 = avril ; 5 = mai ; 6 = juin ; 7 = juillet ; 8 = août ; 9 = septembre ; 10 = octobre ; 11 = novembre ; 12 = décembre]',
        allocataires: 'Allocataires du foyer : noms, prénoms, date de naissance et sexe',
        'allocataires.nom_naissance': 'Nom de naissance',
        'allocataires.nom_usage': 'Nom d’usage',
        'allocataires.prenoms': 'Prénoms',
        'allocataires.date_naissance': 'Date de naissance',
        'allocataires.sexe': 'Sexe [F = femme ; M = homme]',
        enfants: 'Enfants à charge : noms, prénoms, date de naissance et sexe',
        'enfants.nom_naissance': 'Nom de naissance',
        'enfants.nom_usage': 'Nom d’usage',
        'enfants.prenoms': 'Prénoms',
        'enfants.date_naissance': 'Date de naissance',
        'enfants.sexe': 'Sexe [F = femme ; M = homme]',
        adresse: 'Adresse postale connue de la caisse',
        'adresse.destinataire': 'Destinataire',
        'adresse.complement_information': 'Complément d’adresse',
        'adresse.complement_information_geographique': 'Bâtiment, résidence',
        'adresse.numero_libelle_voie': 'Numéro et voie',
        'adresse.lieu_dit': 'Lieu-dit',
        'adresse.code_postal_ville': 'Code postal et commune',
        'adresse.pays': 'Pays',
      },
    },
    {
      id: 'france_travail.statut',
      providerId: 'france_travail',
      path: '/v3/france_travail/statut/identite',
      identityParams: pick('family_name', 'given_name', 'birthdate', 'gender'),
      responseSchema: statutFranceTravailSchema,
      title: 'Statut demandeur d’emploi',
      description:
        'Votre inscription à France Travail : catégorie, date d’inscription et, le cas échéant, date de cessation.',
      fields: {
        identifiant: 'Identifiant France Travail',
        identite:
          'Identité connue de France Travail : civilité, noms, prénom, sexe, date de naissance',
        'identite.civilite': 'Civilité [MME = Madame ; M = Monsieur]',
        'identite.nom_naissance': 'Nom de naissance',
        'identite.nom_usage': 'Nom d’usage',
        'identite.prenom': 'Prénom',
        'identite.sexe': 'Sexe',
        'identite.date_naissance': 'Date de naissance',
        contact: 'Coordonnées : adresse électronique et téléphones',
        'contact.email': 'Adresse électronique',
        'contact.telephone': 'Téléphone',
        'contact.telephone2': 'Second téléphone',
        adresse: 'Adresse postale connue de France Travail',
        'adresse.ligne_nom': 'Destinataire',
        'adresse.ligne_complement_destinataire': 'Complément (appartement, étage)',
        'adresse.ligne_complement_adresse': 'Complément (bâtiment, résidence)',
        'adresse.ligne_voie': 'Numéro et voie',
        'adresse.ligne_complement_distribution': 'Lieu-dit ou boîte postale',
        'adresse.code_postal': 'Code postal',
        'adresse.localite': 'Code postal et commune',
        'adresse.code_cog_insee_commune': 'Code INSEE de la commune',
        'inscription.date_debut': 'Date d’inscription comme demandeur d’emploi',
        'inscription.date_fin':
          'Date de cessation d’inscription (vide si vous êtes toujours inscrit)',
        'inscription.categorie': 'Catégorie d’inscription',
        'inscription.categorie.code': 'Numéro de catégorie',
        'inscription.categorie.libelle': 'Intitulé de la catégorie',
        'inscription.code_certification_cnav': 'Code de certification de l’identité par la CNAV',
      },
    },
    {
      id: 'mesr.statut_etudiant',
      providerId: 'mesr',
      path: '/v3/mesri/statut_etudiant/identite',
      identityParams: pick('family_name', 'given_name', 'birthdate', 'birthplace', 'birthcountry'),
      responseSchema: statutEtudiantSchema,
      title: 'Statut étudiant',
      description:
        'Vos admissions et inscriptions dans un établissement d’enseignement supérieur pour l’année en cours.',
      fields: {
        identite:
          'Identité connue de l’établissement : nom de naissance, prénom, date de naissance',
        'identite.nom_naissance': 'Nom de naissance',
        'identite.prenom': 'Prénom',
        'identite.date_naissance': 'Date de naissance',
        admissions:
          'Admissions et inscriptions : statut (admis ou inscrit), régime de formation, dates, établissement (code UAI et nom) et commune',
        'admissions.date_debut': 'Début de l’année de formation',
        'admissions.date_fin': 'Fin de l’année de formation',
        'admissions.est_inscrit': 'Inscrit (sinon seulement admis)',
        'admissions.regime_formation': 'Régime de formation',
        'admissions.regime_formation.libelle': 'Intitulé',
        'admissions.regime_formation.code': 'Code du régime',
        'admissions.code_cog_insee_commune': 'Code INSEE de la commune des études',
        'admissions.etablissement_etudes': 'Établissement',
        'admissions.etablissement_etudes.uai': 'Code de l’établissement (UAI)',
        'admissions.etablissement_etudes.nom': 'Nom de l’établissement',
      },
    },
    {
      id: 'dgfip.avis_imposition',
      providerId: 'dgfip',
      path: '/v3/dgfip/avis_imposition/identite',
      identityParams: pick(
        'family_name',
        'given_name',
        'birthdate',
        'gender',
        'birthplace',
        'birthcountry',
      ),
      responseSchema: avisImpositionSchema,
      title: 'Avis d’impôt sur le revenu',
      description:
        'Les éléments de votre dernier avis d’impôt sur le revenu : revenu fiscal de référence, nombre de parts et situation du foyer fiscal.',
      fields: {
        revenu_fiscal_reference: 'Revenu fiscal de référence (en euros)',
        montant_impot: 'Montant de l’impôt (en euros)',
        nombre_parts: 'Nombre de parts du foyer fiscal',
        nombre_personnes_a_charge: 'Nombre de personnes à charge',
        situation_familiale: 'Situation de famille',
        annee_revenus: 'Année des revenus déclarés',
        annee_impots: 'Année d’imposition',
        declarant1: 'Premier déclarant : noms, prénoms, date de naissance',
        'declarant1.nom': 'Nom d’usage',
        'declarant1.nom_naissance': 'Nom de naissance',
        'declarant1.prenoms': 'Prénoms',
        'declarant1.date_naissance': 'Date de naissance',
        declarant2: 'Second déclarant, s’il y en a un : noms, prénoms, date de naissance',
        'declarant2.nom': 'Nom d’usage',
        'declarant2.nom_naissance': 'Nom de naissance',
        'declarant2.prenoms': 'Prénoms',
        'declarant2.date_naissance': 'Date de naissance',
        foyer_fiscal: 'Foyer fiscal : adresse et année de référence',
        'foyer_fiscal.adresse': 'Adresse du foyer fiscal',
        'foyer_fiscal.annee': 'Année de référence',
        revenu_brut_global: 'Revenu brut global (en euros)',
        revenu_imposable: 'Revenu imposable (en euros)',
        impot_revenu_net_avant_corrections: 'Impôt sur le revenu net avant corrections (en euros)',
        date_etablissement: 'Date d’établissement de l’avis',
        date_recouvrement: 'Date de mise en recouvrement',
        situation_partielle: 'Mention de situation partielle, le cas échéant',
        erreur_correctif: 'Mention d’avis correctif, le cas échéant',
      },
    },
  ],
};

export function datasetsOf(providerId: ProviderId): DemoDatasetEntry[] {
  return DEMO_CATALOG.datasets.filter((d) => d.providerId === providerId);
}
