/**
 * Test citizens shared by the FranceConnect sandbox (who logs in) and the demo providers
 * (whose records they hold). Identities follow FranceConnect's claim formats: birthdate
 * YYYY-MM-DD, gender male|female, birthplace a 5-character INSEE commune code (empty when
 * born abroad), birthcountry an INSEE country code (99100 is France).
 *
 * This module belongs to the sandboxes; the gateway never imports it.
 */
export interface TestCitizen {
  /** What the citizen types in the sandbox's login form. */
  login: string;
  /** A line for the README and demo.json: who this person is for a tester. */
  note: string;
  given_name: string;
  family_name: string;
  birthdate: string;
  gender: 'male' | 'female';
  birthplace: string;
  birthcountry: string;
  email: string;
  preferred_username?: string;
}

export const TEST_CITIZENS: readonly TestCitizen[] = [
  {
    login: 'angela',
    note: 'Plusieurs prénoms, nom d’usage ; connue de tous les fournisseurs (allocataire CNAF avec deux enfants, imposable).',
    given_name: 'Angela Claire Louise',
    family_name: 'DUBOIS',
    preferred_username: 'DUBOIS',
    birthdate: '1962-08-24',
    gender: 'female',
    birthplace: '75107',
    birthcountry: '99100',
    email: 'angela.dubois@example.fr',
  },
  {
    login: 'helene',
    note: 'Prénom et nom accentués avec trait d’union ; allocataire CNAF, inscrite à France Travail.',
    given_name: 'Hélène Éloïse',
    family_name: 'LEFÈVRE-DURAND',
    birthdate: '1988-02-29',
    gender: 'female',
    birthplace: '69123',
    birthcountry: '99100',
    email: 'helene.lefevre-durand@example.fr',
  },
  {
    login: 'karim',
    note: 'Né à l’étranger (Maroc) : lieu de naissance vide ; demandeur d’emploi et imposable.',
    given_name: 'Karim Youssef',
    family_name: 'BENALI',
    birthdate: '1990-03-15',
    gender: 'male',
    birthplace: '',
    birthcountry: '99350',
    email: 'karim.benali@example.fr',
  },
  {
    login: 'lucas',
    note: 'Étudiant ; inconnu de la CNAF et de France Travail.',
    given_name: 'Lucas Antoine',
    family_name: 'MOREAU',
    birthdate: '2003-11-02',
    gender: 'male',
    birthplace: '31555',
    birthcountry: '99100',
    email: 'lucas.moreau@example.fr',
  },
  {
    login: 'camille',
    note: 'Données différentes selon le fournisseur : adresse et composition du foyer ne sont pas les mêmes à la CNAF et à la DGFiP.',
    given_name: 'Camille',
    family_name: 'ROUSSEAU',
    birthdate: '1979-06-11',
    gender: 'female',
    birthplace: '33063',
    birthcountry: '99100',
    email: 'camille.rousseau@example.fr',
  },
  {
    login: 'pierre',
    note: 'Inconnu de tous les fournisseurs de démonstration : chaque appel répond « inconnu ».',
    given_name: 'Pierre Marie',
    family_name: 'MARTIN',
    birthdate: '1971-12-05',
    gender: 'male',
    birthplace: '59350',
    birthcountry: '99100',
    email: 'pierre.martin@example.fr',
  },
];

export function findCitizen(login: string): TestCitizen | undefined {
  return TEST_CITIZENS.find((c) => c.login === login.trim().toLowerCase());
}
