/**
 * What each demo provider knows about the test citizens of ../citizens.ts, keyed by their
 * login. Field names and shapes follow API Particulier v3; the people, addresses and amounts
 * are invented. A citizen absent from a provider's table is unknown to it (404).
 *
 * | login   | cnaf | france_travail        | mesr                  | dgfip |
 * | ------- | ---- | --------------------- | --------------------- | ----- |
 * | angela  | yes  | yes (inscription ended)| yes (formation continue)| yes |
 * | helene  | yes (MSA) | yes              | no                    | no    |
 * | karim   | no   | yes                   | no                    | yes   |
 * | lucas   | no   | no                    | yes                   | no    |
 * | camille | yes  | no                    | no                    | yes (other address, married) |
 * | pierre  | no   | no                    | no                    | no    |
 *
 * Long because it is data: one record per citizen and provider, nothing else.
 */
import type { ProviderId } from './catalog.js';

export type ProviderRecords = Record<string, Record<string, unknown>>;

const FT_CATEGORIES: Record<number, string> = {
  1: 'PERSONNE SANS EMPLOI DISPONIBLE DUREE INDETERMINEE PLEIN TPS',
  2: 'PERSONNE SANS EMPLOI DISPONIBLE DUREE INDETERMINEE PARTIEL',
  3: 'PERSONNE SANS EMPLOI DISPONIBLE DUREE DETERMINEE OU SAISON',
  4: 'PERSONNE SANS EMPLOI NON DISPONIBLE',
  5: 'PERSONNE AVEC EMPLOI',
};

const categorie = (code: number) => ({ code, libelle: FT_CATEGORIES[code] });

const CNAF: ProviderRecords = {
  angela: {
    allocataires: [
      {
        nom_naissance: 'DUBOIS',
        nom_usage: null,
        prenoms: 'ANGELA CLAIRE LOUISE',
        date_naissance: '1962-08-24',
        sexe: 'F',
      },
    ],
    enfants: [
      {
        nom_naissance: 'DUBOIS',
        nom_usage: null,
        prenoms: 'THÉO MARC',
        date_naissance: '2007-04-12',
        sexe: 'M',
      },
      {
        nom_naissance: 'DUBOIS',
        nom_usage: null,
        prenoms: 'JULIE ANNE',
        date_naissance: '2010-10-03',
        sexe: 'F',
      },
    ],
    adresse: {
      destinataire: 'Madame DUBOIS ANGELA',
      complement_information: 'APPARTEMENT 32',
      complement_information_geographique: null,
      numero_libelle_voie: '14 RUE CLER',
      lieu_dit: null,
      code_postal_ville: '75007 PARIS',
      pays: 'FRANCE',
    },
    quotient_familial: {
      fournisseur: 'CNAF',
      valeur: 1186,
      annee: 2025,
      mois: 9,
      annee_calcul: 2025,
      mois_calcul: 10,
    },
  },
  helene: {
    allocataires: [
      {
        nom_naissance: 'LEFÈVRE-DURAND',
        nom_usage: null,
        prenoms: 'HÉLÈNE ÉLOÏSE',
        date_naissance: '1988-02-29',
        sexe: 'F',
      },
    ],
    enfants: [
      {
        nom_naissance: 'LEFÈVRE-DURAND',
        nom_usage: null,
        prenoms: 'NINA',
        date_naissance: '2016-06-21',
        sexe: 'F',
      },
    ],
    adresse: {
      destinataire: 'Madame LEFÈVRE-DURAND HÉLÈNE',
      complement_information: null,
      complement_information_geographique: 'FERME DES TILLEULS',
      numero_libelle_voie: null,
      lieu_dit: 'LE BOURG',
      code_postal_ville: '69440 MORNANT',
      pays: 'FRANCE',
    },
    quotient_familial: {
      fournisseur: 'MSA',
      valeur: 542,
      annee: 2025,
      mois: 9,
      annee_calcul: 2025,
      mois_calcul: 10,
    },
  },
  camille: {
    allocataires: [
      {
        nom_naissance: 'ROUSSEAU',
        nom_usage: null,
        prenoms: 'CAMILLE',
        date_naissance: '1979-06-11',
        sexe: 'F',
      },
    ],
    enfants: [
      {
        nom_naissance: 'ROUSSEAU',
        nom_usage: null,
        prenoms: 'LÉO',
        date_naissance: '2012-01-30',
        sexe: 'M',
      },
    ],
    adresse: {
      destinataire: 'Madame ROUSSEAU CAMILLE',
      complement_information: 'BÂTIMENT C ESCALIER 2',
      complement_information_geographique: 'RÉSIDENCE LES CHARTRONS',
      numero_libelle_voie: '8 RUE NOTRE-DAME',
      lieu_dit: null,
      code_postal_ville: '33000 BORDEAUX',
      pays: 'FRANCE',
    },
    quotient_familial: {
      fournisseur: 'CNAF',
      valeur: 874,
      annee: 2025,
      mois: 9,
      annee_calcul: 2025,
      mois_calcul: 10,
    },
  },
};

const FRANCE_TRAVAIL: ProviderRecords = {
  angela: {
    identifiant: '0615243D',
    identite: {
      civilite: 'MME',
      nom_naissance: 'DUBOIS',
      nom_usage: null,
      prenom: 'ANGELA',
      sexe: 'Féminin',
      date_naissance: '1962-08-24',
    },
    contact: {
      email: 'angela.dubois@example.fr',
      telephone: '0601020304',
      telephone2: null,
    },
    adresse: {
      code_cog_insee_commune: '75107',
      code_postal: '75007',
      ligne_complement_adresse: null,
      ligne_complement_destinataire: 'APPARTEMENT 32',
      ligne_complement_distribution: null,
      ligne_nom: 'MME DUBOIS ANGELA',
      ligne_voie: '14 RUE CLER',
      localite: '75007 PARIS',
    },
    inscription: {
      date_debut: '2022-01-17',
      date_fin: '2023-06-30',
      code_certification_cnav: 'VC',
      categorie: categorie(1),
    },
  },
  helene: {
    identifiant: '2214587H',
    identite: {
      civilite: 'MME',
      nom_naissance: 'LEFÈVRE-DURAND',
      nom_usage: null,
      prenom: 'HÉLÈNE',
      sexe: 'Féminin',
      date_naissance: '1988-02-29',
    },
    contact: {
      email: 'helene.lefevre-durand@example.fr',
      telephone: '0611223344',
      telephone2: '0478000000',
    },
    adresse: {
      code_cog_insee_commune: '69141',
      code_postal: '69440',
      ligne_complement_adresse: 'FERME DES TILLEULS',
      ligne_complement_destinataire: null,
      ligne_complement_distribution: 'LE BOURG',
      ligne_nom: 'MME LEFÈVRE-DURAND HÉLÈNE',
      ligne_voie: null,
      localite: '69440 MORNANT',
    },
    inscription: {
      date_debut: '2025-05-12',
      date_fin: null,
      code_certification_cnav: 'VC',
      categorie: categorie(2),
    },
  },
  karim: {
    identifiant: '3378102K',
    identite: {
      civilite: 'M.',
      nom_naissance: 'BENALI',
      nom_usage: null,
      prenom: 'KARIM',
      sexe: 'Masculin',
      date_naissance: '1990-03-15',
    },
    contact: {
      email: 'karim.benali@example.fr',
      telephone: '0655443322',
      telephone2: null,
    },
    adresse: {
      code_cog_insee_commune: '93066',
      code_postal: '93200',
      ligne_complement_adresse: null,
      ligne_complement_destinataire: 'ESCALIER B',
      ligne_complement_distribution: null,
      ligne_nom: 'M BENALI KARIM',
      ligne_voie: '5 RUE DE LA RÉPUBLIQUE',
      localite: '93200 SAINT-DENIS',
    },
    inscription: {
      date_debut: '2024-11-04',
      date_fin: null,
      code_certification_cnav: 'VC',
      categorie: categorie(1),
    },
  },
};

const MESR: ProviderRecords = {
  angela: {
    identite: {
      nom_naissance: 'DUBOIS',
      prenom: 'ANGELA',
      date_naissance: '1962-08-24',
    },
    admissions: [
      {
        date_debut: '2025-09-01',
        date_fin: '2026-08-31',
        est_inscrit: true,
        regime_formation: { libelle: 'formation continue', code: 'RF5' },
        code_cog_insee_commune: '75105',
        etablissement_etudes: { uai: '0755890V', nom: 'Sorbonne Université' },
      },
    ],
  },
  lucas: {
    identite: {
      nom_naissance: 'MOREAU',
      prenom: 'LUCAS',
      date_naissance: '2003-11-02',
    },
    admissions: [
      {
        date_debut: '2025-09-01',
        date_fin: '2026-08-31',
        est_inscrit: true,
        regime_formation: { libelle: 'formation initiale', code: 'RF1' },
        code_cog_insee_commune: '31555',
        etablissement_etudes: { uai: '0311384L', nom: 'Université Toulouse III - Paul Sabatier' },
      },
      {
        date_debut: '2025-09-01',
        date_fin: '2026-08-31',
        est_inscrit: false,
        regime_formation: { libelle: 'formation initiale', code: 'RF1' },
        code_cog_insee_commune: '31555',
        etablissement_etudes: { uai: '0311382J', nom: 'Université Toulouse Capitole' },
      },
    ],
  },
};

const DGFIP: ProviderRecords = {
  angela: {
    declarant1: {
      nom: 'DUBOIS',
      nom_naissance: 'DUBOIS',
      prenoms: 'ANGELA CLAIRE LOUISE',
      date_naissance: '1962-08-24',
    },
    declarant2: null,
    foyer_fiscal: { annee: 2025, adresse: '14 RUE CLER 75007 PARIS' },
    situation_familiale: 'Divorcé(e)',
    nombre_parts: 2.5,
    nombre_personnes_a_charge: 2,
    annee_impots: 2025,
    annee_revenus: 2024,
    date_etablissement: '2025-07-24',
    date_recouvrement: '2025-09-30',
    revenu_brut_global: 58210,
    revenu_imposable: 52390,
    impot_revenu_net_avant_corrections: 2436,
    montant_impot: 2436,
    revenu_fiscal_reference: 52390,
    situation_partielle: null,
    erreur_correctif: null,
  },
  karim: {
    declarant1: {
      nom: 'BENALI',
      nom_naissance: 'BENALI',
      prenoms: 'KARIM YOUSSEF',
      date_naissance: '1990-03-15',
    },
    declarant2: null,
    foyer_fiscal: { annee: 2025, adresse: '5 RUE DE LA RÉPUBLIQUE 93200 SAINT-DENIS' },
    situation_familiale: 'Célibataire',
    nombre_parts: 1,
    nombre_personnes_a_charge: 0,
    annee_impots: 2025,
    annee_revenus: 2024,
    date_etablissement: '2025-07-24',
    date_recouvrement: '2025-09-30',
    revenu_brut_global: 27340,
    revenu_imposable: 24610,
    impot_revenu_net_avant_corrections: 1206,
    montant_impot: 1206,
    revenu_fiscal_reference: 24610,
    situation_partielle: null,
    erreur_correctif: null,
  },
  camille: {
    declarant1: {
      nom: 'ROUSSEAU',
      nom_naissance: 'ROUSSEAU',
      prenoms: 'CAMILLE',
      date_naissance: '1979-06-11',
    },
    declarant2: {
      nom: 'MARCHAND',
      nom_naissance: 'MARCHAND',
      prenoms: 'JULIEN PAUL',
      date_naissance: '1977-02-08',
    },
    foyer_fiscal: { annee: 2025, adresse: '27 AVENUE DE LA MARNE 33700 MÉRIGNAC' },
    situation_familiale: 'Marié(e)',
    nombre_parts: 3,
    nombre_personnes_a_charge: 2,
    annee_impots: 2025,
    annee_revenus: 2024,
    date_etablissement: '2025-07-24',
    date_recouvrement: '2025-09-30',
    revenu_brut_global: 87650,
    revenu_imposable: 78880,
    impot_revenu_net_avant_corrections: 4971,
    montant_impot: 4971,
    revenu_fiscal_reference: 79440,
    situation_partielle: null,
    erreur_correctif: null,
  },
};

export const PROVIDER_RECORDS: Record<ProviderId, ProviderRecords> = {
  cnaf: CNAF,
  france_travail: FRANCE_TRAVAIL,
  mesr: MESR,
  dgfip: DGFIP,
};

/**
 * The `schema_break` answer: the citizen's record (or the provider's first one) with a string
 * where the schema wants a number and a required field removed.
 */
export function breakRecord(
  providerId: ProviderId,
  record: Record<string, unknown>,
): Record<string, unknown> {
  // A deep, untyped copy: the point is to break the record's shape on purpose.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const copy = JSON.parse(JSON.stringify(record)) as Record<string, any>;
  switch (providerId) {
    case 'cnaf':
      copy.quotient_familial.valeur = String(copy.quotient_familial.valeur) + ',00 €';
      delete copy.quotient_familial.annee;
      break;
    case 'france_travail':
      copy.inscription.categorie.code = 'CAT' + String(copy.inscription.categorie.code);
      delete copy.inscription.date_debut;
      break;
    case 'mesr':
      copy.identite.date_naissance = 20031102;
      delete copy.admissions;
      copy.inscriptions = 'voir établissement';
      break;
    case 'dgfip':
      copy.revenu_fiscal_reference = String(copy.revenu_fiscal_reference).replace(
        /\B(?=(\d{3})+(?!\d))/g,
        ' ',
      );
      delete copy.nombre_parts;
      break;
  }
  return copy;
}
