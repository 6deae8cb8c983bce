/**
 * The demo requesting service's pages (DSFR, French): the request form, the return from
 * Passerelle and from FranceConnect, and its errors. Built with the gateway's `html` template
 * tag: what the gateway, FranceConnect or the query string sent back (details, codes, state,
 * JSON answers) is escaped unless it is an `Html` fragment.
 */
import { html, joinHtml, type Html } from '../../src/common/html.js';
import { DEMO_CATALOG } from '../providers/catalog.js';

/** What an integrator shows for each dataset it may ask: the title the citizen will read. */
export function datasetTitle(id: string): string {
  return DEMO_CATALOG.datasets.find((d) => d.id === id)?.title ?? id;
}
function providerName(datasetId: string): string {
  const providerId = DEMO_CATALOG.datasets.find((d) => d.id === datasetId)?.providerId;
  return DEMO_CATALOG.providers.find((p) => p.id === providerId)?.name ?? '';
}

export function page(title: string, body: Html): string {
  return html`<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — Aide au logement étudiant (démonstration)</title>
<link rel="stylesheet" href="/dsfr/dsfr.min.css">
<link rel="stylesheet" href="/dsfr/utility/icons/icons.min.css">
<link rel="icon" href="/dsfr/favicon/favicon.svg" type="image/svg+xml">
<link rel="shortcut icon" href="/favicon.ico" type="image/x-icon">
</head>
<body>
<header role="banner" class="fr-header">
  <div class="fr-header__body">
    <div class="fr-container">
      <div class="fr-header__body-row">
        <div class="fr-header__brand">
          <div class="fr-header__brand-top">
            <div class="fr-header__logo"><p class="fr-logo">République<br>Française</p></div>
          </div>
          <div class="fr-header__service">
            <a href="/" title="Accueil — Aide au logement étudiant"><p class="fr-header__service-title">Aide au logement étudiant</p></a>
            <p class="fr-header__service-tagline">Service fictif de démonstration de Passerelle</p>
          </div>
        </div>
      </div>
    </div>
  </div>
</header>
<main id="contenu" role="main">
<div class="fr-container fr-my-6w">
<div class="fr-notice fr-notice--info fr-mb-4w"><div class="fr-container"><div class="fr-notice__body"><p class="fr-notice__title">Démonstration : ce service est fictif. Il montre ce qu’une administration construit avec l’API de Passerelle.</p></div></div></div>
<h1>${title}</h1>
${body}
</div>
</main>
<footer class="fr-footer" role="contentinfo">
  <div class="fr-container">
    <div class="fr-footer__bottom">
      <div class="fr-footer__bottom-copy"><p>Service fictif de démonstration, sans valeur administrative.</p></div>
    </div>
  </div>
</footer>
</body>
</html>`.toString();
}

/** What the citizen reads on returning from Passerelle, per outcome. */
export function outcomeAlert(
  kind: 'success' | 'info' | 'warning' | 'error',
  title: string,
  text: string,
): Html {
  return html`<div class="fr-alert fr-alert--${kind} fr-mb-4w" data-outcome="${kind}">
<h2 class="fr-alert__title">${title}</h2>
<p>${text}</p>
</div>`;
}

/** The request form: one box per dataset, the purpose and duration, one or two ways to go on. */
export function startPage(datasets: string[], purpose: string, withFranceConnect: boolean): string {
  const boxes = joinHtml(
    datasets.map(
      (d, i) => html`<div class="fr-fieldset__element"><div class="fr-checkbox-group">
<input type="checkbox" id="justificatif-${i}" name="datasets" value="${d}" checked>
<label class="fr-label" for="justificatif-${i}">${datasetTitle(d)}<span class="fr-hint-text">${providerName(d)}</span></label>
</div></div>`,
    ),
    '\n',
  );
  return page(
    'Demande d’aide au logement étudiant',
    html`<p class="fr-text--lead">Pour instruire votre demande, nous avons besoin de justificatifs que d’autres administrations détiennent déjà. Avec votre accord, Passerelle nous les transmet directement : vous n’avez rien à télécharger.</p>
<form method="post" action="/start" data-start-form>
<fieldset class="fr-fieldset" aria-describedby="justificatifs-aide">
<legend class="fr-fieldset__legend">Justificatifs demandés</legend>
<p class="fr-hint-text fr-fieldset__element" id="justificatifs-aide">Décochez ceux que vous préférez fournir autrement.</p>
${boxes}
</fieldset>
<details class="fr-mb-3w"><summary>Paramètres de la demande (démonstration)</summary>
<div class="fr-input-group fr-mt-2w"><label class="fr-label" for="finalite">Finalité indiquée à l’usager</label>
<input class="fr-input" id="finalite" name="purpose" value="${purpose}"></div>
<div class="fr-input-group"><label class="fr-label" for="duree">Durée de l’accord (jours)</label>
<input class="fr-input" id="duree" name="durationDays" type="number" value="30" min="1"></div>
</details>
<ul class="fr-btns-group fr-btns-group--inline-md" data-start-buttons>
<li><button class="fr-btn" type="submit">Transmettre mes justificatifs avec Passerelle</button></li>
${
  withFranceConnect
    ? html`<li><button class="fr-btn fr-btn--secondary" type="submit" formaction="/fc/start" data-franceconnect-button>Se connecter avec FranceConnect</button></li>`
    : ''
}
</ul>
${withFranceConnect ? html`<p class="fr-hint-text">Avec FranceConnect (API FranceConnectée), vous autorisez la transmission sur FranceConnect ; le service lit ensuite vos justificatifs auprès de Passerelle.</p>` : ''}
</form>`,
  );
}

/** Passerelle refused the consent request: its `detail` and `code`. */
export function requestRefusedPage(detail: string, code: string): string {
  return page(
    'Demande impossible pour le moment',
    html`${outcomeAlert('error', 'Passerelle a refusé la demande', detail)}
<p>Code renvoyé par l’API : <code>${code}</code></p>
<p><a class="fr-link" href="/">Revenir au formulaire</a></p>`,
  );
}

export function franceConnectRefusedPage(error: string): string {
  return page(
    'Retour de FranceConnect refusé',
    html`<p>${error}</p><p><a href="/">Recommencer</a></p>`,
  );
}

/** One dataset read from the API FranceConnectée: its HTTP status and JSON answer. */
export interface FranceConnectRead {
  dataset: string;
  status: number;
  body: unknown;
}

export function franceConnectResultPage(scopes: string[], reads: FranceConnectRead[]): string {
  const details = reads.map(
    (r) =>
      html`<h2>${r.dataset} (HTTP ${r.status})</h2><pre data-franceconnect-dataset="${r.dataset}">${JSON.stringify(r.body, null, 2)}</pre>`,
  );
  return page(
    'Retour de FranceConnect',
    html`<p>Connecté avec FranceConnect ; portées demandées : <code>${scopes.join(' ')}</code>.
Chaque justificatif est lu auprès de Passerelle avec votre jeton FranceConnect.</p>${details}
<p><a href="/">Nouvelle demande</a></p>`,
  );
}

/** One dataset fetched after the citizen's approval: HTTP status and the gateway's answer. */
export interface ConsentedRead {
  dataset: string;
  status: number;
  body: Record<string, unknown> | null;
}

/** What the service received: each dataset (received or not, with the API's answer), the receipt. */
export function receivedDetails(reads: ConsentedRead[], receipt: string): Html {
  const sections = reads.map((r) => {
    const summary =
      r.status === 200
        ? html`<span class="fr-badge fr-badge--success fr-badge--sm">reçu</span>`
        : html`<span class="fr-badge fr-badge--warning fr-badge--sm">non reçu</span> ${String(r.body?.detail ?? '')}`;
    return html`<section class="fr-mb-3w" data-dataset="${r.dataset}">
<h3 class="fr-h6">${datasetTitle(r.dataset)} ${summary}</h3>
<details><summary>Réponse de l’API (HTTP ${r.status})</summary><pre>${JSON.stringify(r.body, null, 2)}</pre></details>
</section>`;
  });
  return html`<h2 class="fr-h4">Ce que le service a reçu</h2>${sections}
<details><summary>Reçu de consentement signé (JWS)</summary><pre>${receipt}</pre></details>`;
}

/** The return from Passerelle: the outcome, what was received, and the parameters as received. */
export function callbackPage(
  outcome: Html,
  details: Html | '',
  params: { requestId: string; status: string; state: string; stateOk: boolean },
): string {
  return page(
    'Retour de Passerelle',
    html`${outcome}${details}
<details class="fr-mt-4w" data-callback-params><summary>Paramètres reçus (pour l’intégrateur)</summary>
<p><code>consent_request=${params.requestId}</code>, <code>status=${params.status}</code>, <code>state=${params.state}</code> (${params.stateOk ? 'state reconnu' : 'state inconnu : réponse ignorée'})</p>
</details>
<p class="fr-mt-4w"><a class="fr-link" href="/">Faire une nouvelle demande</a></p>`,
  );
}
