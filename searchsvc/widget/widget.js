/*! <news-search>: the searchsvc embeddable search widget. One file, no dependencies.
 *
 *   <script src="https://search.example.com/widget.js" defer></script>
 *   <news-search endpoint="https://search.example.com" placeholder="Search the news"></news-search>
 *
 * Attributes, all optional:
 *   endpoint     service base URL (default: where this script was loaded from)
 *   placeholder  empty-box text, also the box's accessible name
 *   sections     comma-separated sections every search is limited to
 *   per-page     results per request, 1-100 (default 10)
 *   facets       comma-separated extra facets to offer beside section and date: author, tag
 *   lang         en (default), fr, de; also formats dates and numbers
 *   theme        light (default) | dark
 *   coverage     count (default) | share: the date facet shows each period's share of all articles
 *                (GET /api/timeline) instead of the number of matches
 *   url-state    boolean: the search lives in the page URL (?q=…&section=…&date_from=…
 *                &date_to=…&sort=…&page=…&author=…&tag=…&prefix=last) so it can be shared and Back works
 *
 * Events: "news-search:feed" after each search, detail.url the Atom feed of that search,
 * which the widget also offers as a "Subscribe" link.
 *
 * Keyboard: ArrowDown/ArrowUp move through the completions (a combobox and its listbox), then
 * on to the result links (a plain list of articles); ArrowUp from the first link or Escape
 * returns to the box.
 *
 * While the reader types, searches treat the last word as a prefix (prefix=last: "harbor
 * brid" finds "harbor bridge"); Enter searches for exactly the words typed.
 *
 * Open shadow root: host CSS cannot break it, and it cannot break the host.
 * Theme with custom properties on news-search or any ancestor:
 *   --news-search-font    font-family       --news-search-accent  links, buttons, focus, bars
 *   --news-search-fg      text colour       --news-search-mark    highlighted terms
 *   --news-search-bg      background        --news-search-error   errors, hints
 *   --news-search-muted   dates, counts     --news-search-radius  corner radius
 *   --news-search-border  borders           ::part(input|results|facets) for more
 */
(() => {
"use strict";

// document.currentScript is only set while this file first runs.
const SCRIPT_BASE = new URL(".", document.currentScript?.src || location.href).href;
const DEBOUNCE_MS = 200;
const MAX_RESTORED_PAGES = 10;
const URL_KEYS = ["q", "section", "date_from", "date_to", "sort", "page", "author", "tag", "prefix"];
const VALUE_FACETS = { author: "authors", tag: "tags" }; // facet (and API parameter) name: state key

const LABELS = {
  en: {
    placeholder: "Search articles", results: ["{n} result", "{n} results"],
    articles: ["{n} article", "{n} articles"], none: "No results for “{q}”.",
    error: "Search is unavailable right now. Please try again shortly.", syntax: "Check the search syntax: {m}",
    didYouMean: "Did you mean {s}?", more: "More results", section: "Section", date: "Date", author: "Author", tag: "Tag", sort: "Sort by",
    relevance: "Relevance", newest: "Newest first", remove: "Remove filter: {f}",
    filters: "Filters", listbox: "Search results", complete: "Search for {s}", completions: "Suggestions",
    subscribe: "Subscribe to this search", share: "{p} of all articles",
  },
  fr: {
    placeholder: "Rechercher des articles", results: ["{n} résultat", "{n} résultats"],
    articles: ["{n} article", "{n} articles"], none: "Aucun résultat pour « {q} ».",
    error: "La recherche est indisponible pour le moment. Réessayez dans un instant.", syntax: "Vérifiez la syntaxe de la recherche : {m}",
    didYouMean: "Vouliez-vous dire {s} ?", more: "Plus de résultats", section: "Rubrique", date: "Date", author: "Auteur", tag: "Mot-clé", sort: "Trier par",
    relevance: "Pertinence", newest: "Plus récents", remove: "Retirer le filtre : {f}",
    filters: "Filtres", listbox: "Résultats de recherche", complete: "Rechercher {s}", completions: "Suggestions",
    subscribe: "S’abonner à cette recherche", share: "{p} de tous les articles",
  },
  de: {
    placeholder: "Artikel suchen", results: ["{n} Ergebnis", "{n} Ergebnisse"],
    articles: ["{n} Artikel", "{n} Artikel"], none: "Keine Ergebnisse für „{q}“.",
    error: "Die Suche ist gerade nicht erreichbar. Bitte gleich noch einmal versuchen.", syntax: "Bitte prüfen Sie die Suchsyntax: {m}",
    didYouMean: "Meinten Sie {s}?", more: "Weitere Ergebnisse", section: "Rubrik", date: "Datum", author: "Autor", tag: "Schlagwort", sort: "Sortieren nach",
    relevance: "Relevanz", newest: "Neueste zuerst", remove: "Filter entfernen: {f}",
    filters: "Filter", listbox: "Suchergebnisse", complete: "Nach {s} suchen", completions: "Vorschläge",
    subscribe: "Diese Suche abonnieren", share: "{p} aller Artikel",
  },
};

const STYLES = `
:host{display:block;container-type:inline-size;color-scheme:light;
--_font:var(--news-search-font,system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif);
--_fg:var(--news-search-fg,#1d2126);--_bg:var(--news-search-bg,#fff);--_muted:var(--news-search-muted,#5a6470);
--_border:var(--news-search-border,#d5dae0);--_accent:var(--news-search-accent,#0b57d0);
--_mark:var(--news-search-mark,#ffe58a);--_error:var(--news-search-error,#b3261e);--_radius:var(--news-search-radius,8px)}
:host([theme=dark]){color-scheme:dark;--_fg:var(--news-search-fg,#e6e8eb);--_bg:var(--news-search-bg,#16181b);
--_muted:var(--news-search-muted,#a3acb7);--_border:var(--news-search-border,#3a4048);
--_accent:var(--news-search-accent,#8ab4f8);--_mark:var(--news-search-mark,#463c10);--_error:var(--news-search-error,#f2b8b5)}
:host([hidden]),[hidden]{display:none!important}
*{box-sizing:border-box}
.root{all:initial;display:block;font:16px/1.45 var(--_font);color:var(--_fg);background:var(--_bg);
--_soft:color-mix(in srgb,var(--_accent) 12%,var(--_bg));padding:12px;border-radius:var(--_radius)}
:focus-visible{outline:3px solid var(--_accent);outline-offset:2px}
button,input,select{font:inherit;color:inherit}
button{cursor:pointer}
ul,ol{list-style:none;margin:0;padding:0}
p,h3{margin:0}
h3{font-size:1em}
.field{display:flex;border:1px solid var(--_border);border-radius:var(--_radius)}
.field:focus-within{outline:3px solid var(--_accent);outline-offset:2px;border-color:var(--_accent)}
.field input{flex:1;min-width:0;border:0;outline:0;background:none;padding:10px 12px;font-size:1.05em}
[aria-busy=true] .cols{opacity:.55;transition:opacity .2s .15s}
.hint:not(:empty){margin:6px 2px 0;color:var(--_error);font-size:.875em}
.status:not(:empty){margin:10px 2px 0;color:var(--_muted);font-size:.9em}
.status.error{color:var(--_error);font-weight:600}
.dym{margin:10px 2px 0}
.dym a,.title,.feed{color:var(--_accent);font-weight:650}
.feed{font-size:.875em;margin-inline-start:auto}
.toolbar{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;justify-content:space-between;margin-top:8px}
.sort{font-size:.875em;color:var(--_muted);display:flex;gap:6px;align-items:center}
.sort select{background:var(--_bg);border:1px solid var(--_border);border-radius:4px;padding:4px 6px}
.chips{display:flex;flex-wrap:wrap;gap:6px}
.chip{display:inline-flex;gap:6px;max-width:100%;font-size:.85em;border:1px solid var(--_accent);color:var(--_accent);
background:var(--_soft);border-radius:999px;padding:3px 10px;overflow-wrap:anywhere;text-align:start}
.cols{display:grid;gap:12px 20px;margin-top:12px}
@container (min-width:640px){.cols{grid-template-columns:minmax(150px,210px) minmax(0,1fr)}}
.facets>summary{cursor:pointer;font-weight:600;padding:4px 2px}
.facet{border:0;margin:0 0 16px;padding:0;min-width:0}
.facet-title{font-weight:700;font-size:.75em;text-transform:uppercase;letter-spacing:.06em;color:var(--_muted);padding:0;margin-bottom:6px;display:block}
.facet label{display:flex;align-items:center;gap:8px;padding:3px 2px;cursor:pointer;border-radius:4px}
.facet label:hover,.dates button:hover{background:var(--_soft)}
.facet input{accent-color:var(--_accent);margin:0}
.name{flex:1;min-width:0;overflow-wrap:anywhere}
.count{color:var(--_muted);font-size:.85em;font-variant-numeric:tabular-nums}
.dates button{display:grid;grid-template:"l c" auto "b b" 4px/minmax(0,1fr) auto;gap:2px 8px;width:100%;
font-size:.875em;background:none;border:0;border-radius:4px;padding:3px 4px;text-align:start}
.dates [aria-pressed=true]{background:var(--_soft);font-weight:700}
.bar{grid-area:b;border-radius:2px;background:var(--_border)}
.bar::after{content:"";display:block;height:100%;width:calc(var(--w) * 100%);background:var(--_accent);border-radius:2px}
[role=option]{border-radius:6px;cursor:pointer}
[role=option][aria-selected=true]{background:var(--_soft);outline:2px solid var(--_accent);outline-offset:-2px}
.hit{padding:10px;border-bottom:1px solid var(--_border)}
.title{font-size:1.1em;text-decoration:none;overflow-wrap:anywhere}
a.title:hover,.feed:hover{text-decoration:underline}
.meta{display:flex;flex-wrap:wrap;gap:4px 10px;margin-top:2px;font-size:.8em;color:var(--_muted)}
.section{font-weight:700;text-transform:uppercase;letter-spacing:.04em}
.snippet{margin-top:4px;overflow-wrap:anywhere}
mark{background:var(--_mark);color:inherit;border-radius:2px;padding:0 1px}
#completions{margin-top:4px;border:1px solid var(--_border);border-radius:var(--_radius)}
.completion{padding:6px 10px}
.more{width:100%;margin-top:12px;padding:9px 16px;border:1px solid var(--_accent);border-radius:var(--_radius);background:var(--_bg);color:var(--_accent);font-weight:600}
.more:disabled{opacity:.6;cursor:progress}
`;

// Constant markup only: nothing from a response ever goes through innerHTML here.
const SKELETON = `<div class="root" aria-busy="false">
<div role="search"><div class="field">
<input id="q" part="input" type="search" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="completions"
aria-describedby="hint" autocomplete="off" spellcheck="false" enterkeyhint="search">
</div><ul id="completions" role="listbox" data-t-label="completions" hidden></ul>
<p id="hint" class="hint" aria-live="polite"></p></div>
<p id="status" class="status" role="status" aria-live="polite"></p>
<div id="panel" hidden><p id="dym" class="dym" hidden></p>
<div class="toolbar"><div id="chips" class="chips"></div><a id="feed" class="feed" type="application/atom+xml" data-t="subscribe"></a><label class="sort"><span data-t="sort"></span><select id="sort">
<option value="relevance" data-t="relevance"></option><option value="newest" data-t="newest"></option></select></label></div>
<div class="cols"><details id="facets" class="facets" part="facets" open><summary data-t="filters"></summary>
<fieldset id="sections" class="facet"><legend class="facet-title" data-t="section"></legend><ul></ul></fieldset>
<div id="dates" class="facet dates" role="group" aria-labelledby="dates-title"><span id="dates-title" class="facet-title" data-t="date"></span><ul></ul></div>
</details><div part="results"><ol id="list" data-t-label="listbox"></ol>
<button id="more" class="more" type="button" data-t="more" hidden></button></div></div></div></div>`;

let sheet = null; // one constructed sheet shared by all instances; exempt from style-src CSP

/** Build an element; string children become text nodes, never markup. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== false && value != null) el.setAttribute(name, value === true ? "" : String(value));
  }
  el.append(...children);
  return el;
}

/**
 * The API promises escaped text plus <mark>; trust nothing. Parse inertly in a template and
 * rebuild from text nodes and fresh <mark> elements only (any other element is unwrapped).
 */
function sanitizeMarked(html) {
  const template = document.createElement("template");
  template.innerHTML = String(html);
  const copy = (from, to) => {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) to.append(node.data);
      else if (node.nodeType === Node.ELEMENT_NODE) copy(node, node.localName === "mark" ? to.appendChild(h("mark")) : to);
    }
    return to;
  };
  return copy(template.content, document.createDocumentFragment());
}

/** Only http(s) links: a javascript: URL in the index must never become clickable. */
function safeHref(url, base) {
  try {
    const parsed = new URL(url, base);
    return url && /^https?:$/.test(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key]);
const emptyState = () => ({ q: "", sections: [], from: "", to: "", sort: "relevance", page: 1, authors: [], tags: [], typed: false });
const isActive = (s) => Boolean(s.q.trim() || s.sections.length || s.from || s.to || s.authors.length || s.tags.length);

function stateFromUrl(allowedSections) {
  const params = new URLSearchParams(location.search);
  const sections = params.getAll("section").filter((v) => !allowedSections.length || allowedSections.includes(v));
  const page = Math.min(Math.max(Number.parseInt(params.get("page"), 10) || 1, 1), MAX_RESTORED_PAGES);
  const sort = params.get("sort") === "newest" ? "newest" : "relevance";
  return { q: params.get("q") || "", sections: [...new Set(sections)], from: params.get("date_from") || "", to: params.get("date_to") || "", sort, page,
    authors: [...new Set(params.getAll("author"))], tags: [...new Set(params.getAll("tag"))], typed: params.get("prefix") === "last" };
}

class NewsSearch extends HTMLElement {
  static observedAttributes = ["placeholder", "lang"];

  #el = {}; // shadow elements by id
  #state = emptyState();
  #data = null; // latest search response
  #shares = null; // coverage="share": each date bucket's share of all articles, by bucket key
  #hits = []; // all hits shown, over every loaded page
  #open = false;
  #active = -1;
  #timer = 0;
  #controller = null;
  #seq = 0;
  #suggestSeq = 0;
  #suggestAbsent = false;
  #typingEntry = false;
  #t = LABELS.en;
  #format = null;

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    if (!sheet) (sheet = new CSSStyleSheet()).replaceSync(STYLES);
    root.adoptedStyleSheets = [sheet];
    const template = document.createElement("template");
    template.innerHTML = SKELETON;
    root.append(template.content);
    for (const el of root.querySelectorAll("[id]")) this.#el[el.id] = el;
    this.#el.root = root.firstElementChild;
    this.#bindEvents();
  }

  connectedCallback() {
    this.#applyLanguage();
    this.#el.facets.open = this.clientWidth >= 640; // narrow screens: filters start folded
    if (this.hasAttribute("url-state")) {
      window.addEventListener("popstate", this.#restoreFromUrl);
      this.#restoreFromUrl();
    }
  }

  disconnectedCallback() {
    window.removeEventListener("popstate", this.#restoreFromUrl);
    this.#abort();
  }

  attributeChangedCallback() {
    if (!this.isConnected) return;
    this.#applyLanguage();
    if (this.#data) this.#renderAll();
  }

  get #base() {
    const endpoint = this.getAttribute("endpoint");
    return endpoint ? new URL(endpoint.replace(/\/?$/, "/"), location.href).href : SCRIPT_BASE;
  }

  /** The author/tag facets the page asked for with the facets attribute. */
  get #valueFacets() {
    return (this.getAttribute("facets") || "").split(",").map((s) => s.trim()).filter((name) => name in VALUE_FACETS);
  }

  get #allowedSections() {
    return (this.getAttribute("sections") || "").split(",").map((s) => s.trim()).filter(Boolean);
  }

  // ---- language

  #applyLanguage() {
    let locale = "en";
    try {
      locale = Intl.getCanonicalLocales(this.getAttribute("lang") || "en")[0];
    } catch {} // an invalid lang tag falls back to English
    this.#t = LABELS[locale.split("-")[0].toLowerCase()] || LABELS.en;
    const plural = new Intl.PluralRules(locale);
    const number = new Intl.NumberFormat(locale);
    const dateFormat = (options) => new Intl.DateTimeFormat(locale, options);
    this.#format = {
      count: (forms, n) => fill(forms[plural.select(n) === "one" ? 0 : 1], { n: number.format(n) }),
      number: (n) => number.format(n),
      percent: new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format,
      published: dateFormat({ dateStyle: "medium" }),
      month: dateFormat({ month: "short", year: "numeric", timeZone: "UTC" }),
      day: dateFormat({ dateStyle: "medium", timeZone: "UTC" }),
    };
    for (const el of this.shadowRoot.querySelectorAll("[data-t]")) el.textContent = this.#t[el.dataset.t];
    for (const el of this.shadowRoot.querySelectorAll("[data-t-label]")) el.setAttribute("aria-label", this.#t[el.dataset.tLabel]);
    const placeholder = this.getAttribute("placeholder");
    this.#el.q.placeholder = placeholder ?? this.#t.placeholder;
    this.#el.q.setAttribute("aria-label", placeholder || this.#t.placeholder);
  }

  /** Bucket keys are UTC dates: 2025, 2025-03 or 2025-03-14. */
  #bucketLabel(key) {
    const [year, month, day] = String(key).split("-").map(Number);
    if (!month) return String(key);
    return (day ? this.#format.day : this.#format.month).format(new Date(Date.UTC(year, month - 1, day || 1)));
  }

  // ---- events

  #bindEvents() {
    const { q, list, completions, sections, dates, sort, more, dym } = this.#el;
    q.addEventListener("input", () => {
      this.#state.q = q.value;
      this.#abort();
      this.#timer = setTimeout(() => {
        this.#state.typed = true;
        this.#search("typing");
        this.#complete(q.value);
      }, DEBOUNCE_MS);
    });
    q.addEventListener("keydown", (event) => this.#onKeyDown(event));
    completions.addEventListener("click", ({ target }) => {
      const option = target.closest("[role=option]");
      if (option) this.#runQuery(option.dataset.text);
    });
    list.addEventListener("keydown", (event) => this.#onResultsKeyDown(event));
    sections.addEventListener("change", ({ target }) => {
      const others = this.#state.sections.filter((s) => s !== target.value);
      this.#refine({ sections: target.checked ? [...others, target.value] : others });
    });
    dates.addEventListener("click", ({ target }) => {
      const button = target.closest("button");
      const { from, to } = button?.dataset || {};
      if (!button) return;
      const same = this.#state.from === from && this.#state.to === to;
      this.#refine(same ? { from: "", to: "" } : { from, to });
    });
    sort.addEventListener("change", () => this.#refine({ sort: sort.value }));
    this.#el.facets.addEventListener("change", ({ target }) => {
      const key = VALUE_FACETS[target.dataset.facet];
      if (!key) return;
      const others = this.#state[key].filter((v) => v !== target.value);
      this.#refine({ [key]: target.checked ? [...others, target.value] : others });
    });
    more.addEventListener("click", () => this.#loadMore("replace"));
    dym.addEventListener("click", (event) => {
      event.preventDefault();
      const link = event.target.closest("a");
      if (link) this.#runQuery(link.dataset.q);
    });
  }

  #onKeyDown(event) {
    const options = this.#options();
    const last = options.length - 1;
    const i = this.#active;
    const down = event.key === "ArrowDown";
    if (down || event.key === "ArrowUp") {
      const links = this.#resultLinks();
      if (last < 0 && !links.length) return;
      event.preventDefault();
      const wasOpen = this.#open;
      this.#setOpen(true);
      // Past the last completion (or with none), ArrowDown goes on to the first result.
      if (down && wasOpen && i >= last && links.length) {
        this.#setActive(-1);
        return links[0].focus();
      }
      if (last >= 0) this.#setActive(down ? (i >= last ? 0 : i + 1) : i <= 0 ? last : i - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();
      this.#runQuery(this.#open && options[i] ? options[i].dataset.text : this.#el.q.value);
    } else if (event.key === "Escape" && (this.#open || this.#el.q.value || isActive(this.#state))) {
      // First Escape closes the list, the second clears the search.
      event.preventDefault();
      if (this.#open) this.#setOpen(false);
      else {
        this.#state = emptyState();
        this.#runQuery("");
      }
    }
  }

  /** Arrows move between the result links (Enter opens one, as any link); ArrowUp from the
   *  first, or Escape, goes back to the box. */
  #onResultsKeyDown(event) {
    const links = this.#resultLinks();
    const i = links.indexOf(this.shadowRoot.activeElement);
    const down = event.key === "ArrowDown";
    if (i < 0 || !(down || event.key === "ArrowUp" || event.key === "Escape")) return;
    event.preventDefault();
    const next = event.key === "Escape" ? null : links[down ? Math.min(i + 1, links.length - 1) : i - 1];
    (next || this.#el.q).focus();
  }

  #resultLinks() {
    return [...this.#el.list.querySelectorAll("a.title")];
  }

  #runQuery(text) {
    this.#state.q = text;
    this.#state.typed = false; // Enter, a completion or "did you mean": exactly these words
    this.#showQuery();
    this.#el.q.focus();
    this.#search("push");
  }

  /** Put the state's query in the box; pending completions are for an older text. */
  #showQuery() {
    this.#el.q.value = this.#state.q;
    this.#suggestSeq += 1;
    this.#renderCompletions([]);
  }

  #refine(patch) {
    Object.assign(this.#state, patch);
    this.#search("push");
  }

  #restoreFromUrl = () => {
    this.#state = stateFromUrl(this.#allowedSections);
    this.#typingEntry = false;
    this.#showQuery();
    this.#search("none", this.#state.page);
  };

  /** mode: "push" (a new search), "typing" (one entry per typing burst), "replace", "none". */
  #syncUrl(mode) {
    if (!this.hasAttribute("url-state") || mode === "none") return;
    const url = new URL(location.href);
    for (const key of URL_KEYS) url.searchParams.delete(key);
    for (const [key, value] of this.#stateParams()) url.searchParams.append(key, value);
    if (this.#state.page > 1) url.searchParams.set("page", this.#state.page);
    const typing = mode === "typing";
    if (url.href !== location.href) {
      const push = mode === "push" || (typing && !this.#typingEntry);
      history[push ? "pushState" : "replaceState"](history.state, "", url);
    }
    if (mode !== "replace") this.#typingEntry = typing;
  }

  // ---- fetching

  #abort() {
    clearTimeout(this.#timer);
    this.#controller?.abort();
    this.#seq += 1;
    this.#el.root.setAttribute("aria-busy", "false");
  }

  /** The search as query parameters, in the API's names (the page URL uses them too). */
  #stateParams() {
    const s = this.#state;
    const params = new URLSearchParams();
    if (s.q.trim()) params.set("q", s.q.trim());
    for (const section of s.sections) params.append("section", section);
    if (s.from) params.set("date_from", s.from);
    if (s.to) params.set("date_to", s.to);
    if (s.sort === "newest") params.set("sort", "newest");
    if (s.typed && s.q.trim()) params.set("prefix", "last"); // typed, not entered: the last word is a prefix
    for (const [name, key] of Object.entries(VALUE_FACETS)) for (const value of s[key]) params.append(name, value);
    return params;
  }

  #searchParams(page) {
    const params = this.#stateParams();
    const perPage = Number.parseInt(this.getAttribute("per-page"), 10) || 10;
    if (!this.#state.sections.length) for (const section of this.#allowedSections) params.append("section", section);
    params.set("page", page);
    params.set("per_page", Math.min(Math.max(perPage, 1), 100));
    const extra = this.#valueFacets;
    if (extra.length) params.set("facets", ["section", "date", ...extra].join(","));
    if (this.getAttribute("collapse") !== "none") params.set("collapse", "duplicates"); // one hit per story
    return params;
  }

  /** One page of results, or null when superseded (aborted / newer sequence number) or failed. */
  async #fetchPage(page) {
    this.#abort();
    const controller = (this.#controller = new AbortController());
    const seq = this.#seq;
    this.#el.root.setAttribute("aria-busy", "true");
    let status = 0;
    let body = null;
    try {
      const response = await fetch(new URL(`api/search?${this.#searchParams(page)}`, this.#base), { signal: controller.signal });
      status = response.status;
      body = await response.json().catch(() => null);
    } catch {
      // Network failure: status stays 0. Abort: caught by the sequence check.
    }
    if (seq !== this.#seq) return null;
    this.#el.root.setAttribute("aria-busy", "false");
    if (status === 200 && Array.isArray(body?.hits)) {
      this.#el.hint.textContent = "";
      return body;
    }
    const message = typeof body?.message === "string" ? body.message : "";
    if (status === 400 && (body?.code === "invalid_query" || body?.code === "query_too_broad")) {
      // Mid-typing syntax slips are normal: keep the last good results, explain under the box.
      this.#el.hint.textContent = fill(this.#t.syntax, { m: message });
    } else {
      this.#showIdle(status >= 400 && status < 500 && message ? message : this.#t.error, true);
    }
    return null;
  }

  async #search(mode, targetPage = 1) {
    this.#state.page = 1;
    this.#syncUrl(mode);
    if (!isActive(this.#state)) {
      this.#abort();
      return this.#showIdle("");
    }
    const data = await this.#fetchPage(1);
    if (!data) return;
    const seq = this.#seq;
    const shares = this.getAttribute("coverage") === "share" ? await this.#fetchShares(data.date_interval) : null;
    if (seq !== this.#seq) return;
    this.#shares = shares;
    this.#data = data;
    this.#hits = [...data.hits];
    this.#renderAll();
    this.#announceFeed();
    while (this.#state.page < targetPage && (await this.#loadMore("none")));
  }

  /** Tell the host page the Atom feed of this search (event "news-search:feed", detail.url),
   *  e.g. for its <link rel="alternate">: a reader can subscribe to the search. */
  #announceFeed() {
    const params = this.#stateParams();
    params.delete("prefix"); // a subscription is to the words, not to a half-typed one
    const url = new URL(`api/search.atom?${params}`, this.#base).href;
    this.#el.feed.href = url;
    this.dispatchEvent(new CustomEvent("news-search:feed", { detail: { url }, bubbles: true, composed: true }));
  }

  /** coverage="share": the timeline of this search, at the date facet's interval and like its
   *  counts ignoring the date filter, as a Map of bucket key to share; null when unavailable. */
  async #fetchShares(interval) {
    const params = this.#searchParams(1);
    params.delete("date_from");
    params.delete("date_to");
    params.set("interval", interval);
    try {
      const response = await fetch(new URL(`api/timeline?${params}`, this.#base), { signal: this.#controller.signal });
      const body = response.ok ? await response.json() : null;
      return new Map((Array.isArray(body?.buckets) ? body.buckets : []).map((b) => [b.key, Number(b.share) || 0]));
    } catch {
      return null; // the date facet falls back to counts
    }
  }

  async #loadMore(mode) {
    const { more, list } = this.#el;
    if (!this.#data || this.#state.page >= this.#data.pages) return false;
    more.disabled = true;
    const next = await this.#fetchPage(this.#state.page + 1);
    more.disabled = false;
    if (!next) return false;
    const start = this.#hits.length;
    this.#data = next;
    this.#hits.push(...next.hits);
    this.#state.page = next.page;
    list.append(...next.hits.map((hit, i) => this.#hitItem(hit, start + i)));
    more.hidden = next.page >= next.pages;
    this.#setOpen(true);
    this.#syncUrl(mode);
    return true;
  }

  /** Completions from /api/suggest, if the service has it (404 = feature absent, stop asking). */
  async #complete(text) {
    const prefix = text.trim();
    const seq = ++this.#suggestSeq;
    let texts = [];
    if (!this.#suggestAbsent && prefix.length > 1) {
      try {
        const response = await fetch(new URL(`api/suggest?${new URLSearchParams({ q: prefix })}`, this.#base));
        this.#suggestAbsent = response.status === 404;
        const body = response.ok ? await response.json() : null;
        texts = (Array.isArray(body?.suggestions) ? body.suggestions : []).map((s) => s?.text);
      } catch {
        // Completions are a nicety: a failure leaves the results alone.
      }
    }
    if (seq !== this.#suggestSeq || this.#el.q.value.trim() !== prefix) return;
    const fresh = texts.filter((s) => typeof s === "string" && s && s.toLowerCase() !== prefix.toLowerCase());
    this.#renderCompletions([...new Set(fresh)].slice(0, 5));
  }

  // ---- rendering

  #options() {
    return [...this.#el.completions.children];
  }

  #setOpen(open) {
    this.#open = open;
    const expanded = open && this.#options().length > 0;
    this.#el.panel.hidden = !open;
    this.#el.completions.hidden = !expanded;
    if (!open) this.#setActive(-1);
    this.#el.q.setAttribute("aria-expanded", String(expanded));
  }

  #setActive(index) {
    const options = this.#options();
    options[this.#active]?.setAttribute("aria-selected", "false");
    const option = options[(this.#active = index)];
    if (option) {
      option.setAttribute("aria-selected", "true");
      this.#el.q.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      this.#el.q.removeAttribute("aria-activedescendant");
    }
  }

  #showIdle(message, isError = false) {
    this.#data = null;
    this.#hits = [];
    this.#el.list.replaceChildren();
    this.#setOpen(false);
    this.#el.hint.textContent = "";
    this.#el.status.textContent = message;
    this.#el.status.classList.toggle("error", isError);
  }

  /** Rebuild everything from #data and #hits, keeping keyboard focus on the same control. */
  #renderAll() {
    const { status, list, more, sort } = this.#el;
    const data = this.#data;
    const q = this.#state.q.trim();
    const focused = this.shadowRoot.activeElement;
    this.#state.page = data.page;
    status.classList.remove("error");
    status.textContent = q && !data.total ? fill(this.#t.none, { q }) : this.#format.count(this.#t.results, data.total || 0);
    list.replaceChildren(...this.#hits.map((hit, i) => this.#hitItem(hit, i)));
    more.hidden = !(data.page < data.pages);
    if (["relevance", "newest"].includes(data.sort)) sort.value = data.sort;
    this.#renderSuggestion(data.suggestion);
    this.#renderSectionFacet(data.facets?.section);
    this.#renderDateFacet(data.facets?.date);
    for (const name of Object.keys(VALUE_FACETS)) this.#renderValueFacet(name, data.facets?.[name]);
    this.#renderChips();
    this.#setActive(-1);
    this.#setOpen(true);
    const key = focused?.dataset.key;
    if (focused && !focused.isConnected) ((key && this.shadowRoot.querySelector(`[data-key="${CSS.escape(key)}"]`)) || this.#el.q).focus();
  }

  /** A hit: an article in the results list, its title a heading and (when safe) a link. */
  #hitItem(hit, index) {
    const href = safeHref(hit.url, this.#base);
    const title = h(href ? "a" : "span", { class: "title", href, "data-key": `hit:${index}` });
    title.append(hit.title_html ? sanitizeMarked(hit.title_html) : hit.title ?? "");
    const meta = h("p", { class: "meta" });
    if (hit.section) meta.append(h("span", { class: "section" }, hit.section));
    const published = new Date(hit.published || NaN);
    if (!Number.isNaN(published.getTime())) {
      meta.append(h("time", { datetime: published.toISOString() }, this.#format.published.format(published)));
    }
    if (hit.similar_count) meta.append(h("span", { class: "similar" }, `+${hit.similar_count} similar`));
    const snippet = h("p", { class: "snippet" });
    snippet.append(hit.snippet_html ? sanitizeMarked(hit.snippet_html) : hit.summary ?? "");
    return h("li", { class: "hit" }, h("article", {}, h("h3", {}, title), meta, snippet));
  }

  #renderCompletions(texts) {
    this.#el.completions.replaceChildren(
      ...texts.map((text, i) => {
        const label = fill(this.#t.complete, { s: text });
        return h("li", { role: "option", id: `completion-${i}`, class: "completion", "aria-selected": "false", "data-text": text, "aria-label": label }, text);
      }),
    );
    this.#setActive(-1);
    this.#setOpen(this.#open);
  }

  #renderSuggestion(suggestion) {
    const text = typeof suggestion?.text === "string" ? suggestion.text.trim() : "";
    const link = h("a", { href: "#", "data-q": text });
    link.append(suggestion?.html ? sanitizeMarked(suggestion.html) : text);
    const [before, after] = this.#t.didYouMean.split("{s}");
    this.#el.dym.hidden = !text;
    this.#el.dym.replaceChildren(...(text ? [before, link, after] : []));
  }

  #renderSectionFacet(buckets) {
    const allowed = this.#allowedSections;
    const chosen = this.#state.sections;
    const shown = (Array.isArray(buckets) ? buckets : []).filter((b) => !allowed.length || allowed.includes(b.value));
    for (const value of chosen) if (!shown.some((b) => b.value === value)) shown.push({ value, count: 0 });
    this.#el.sections.hidden = !shown.length;
    this.#el.sections.querySelector("ul").replaceChildren(
      ...shown.map(({ value, count }) => {
        const box = h("input", { type: "checkbox", value, checked: chosen.includes(value), "data-key": `section:${value}` });
        const label = h("label", {}, box, h("span", { class: "name" }, value), h("span", { class: "count" }, this.#format.number(count)));
        return h("li", {}, label);
      }),
    );
  }

  /** An author or tag facet, when the facets attribute asks for it: checkboxes like sections. */
  #renderValueFacet(name, buckets) {
    const chosen = this.#state[VALUE_FACETS[name]];
    const shown = this.#valueFacets.includes(name) && Array.isArray(buckets) ? buckets : [];
    let fieldset = this.#el.facets.querySelector(`fieldset[data-facet="${name}"]`);
    if (!fieldset && shown.length) {
      fieldset = h("fieldset", { class: "facet", "data-facet": name }, h("legend", { class: "facet-title" }, this.#t[name]), h("ul"));
      this.#el.facets.append(fieldset);
    }
    if (!fieldset) return;
    fieldset.hidden = !shown.length;
    fieldset.querySelector("legend").textContent = this.#t[name];
    fieldset.querySelector("ul").replaceChildren(
      ...shown.map(({ value, count }) => {
        const box = h("input", { type: "checkbox", value, checked: chosen.includes(value), "data-facet": name, "data-key": `${name}:${value}` });
        return h("li", {}, h("label", {}, box, h("span", { class: "name" }, value), h("span", { class: "count" }, this.#format.number(count))));
      }),
    );
  }

  /** Each button's accessible name starts with its visible text (period, then count or share). */
  #renderDateFacet(buckets) {
    const shares = this.#shares;
    const shown = (Array.isArray(buckets) ? buckets.filter((b) => b.count > 0) : [])
      .map((b) => ({ ...b, value: shares ? shares.get(b.key) ?? 0 : b.count }));
    const max = Math.max(shares ? 1e-9 : 1, ...shown.map((b) => b.value));
    this.#el.dates.hidden = !shown.length;
    this.#el.dates.querySelector("ul").replaceChildren(
      ...shown.map((b) => {
        const label = this.#bucketLabel(b.key);
        const figure = shares ? this.#format.percent(b.value) : this.#format.number(b.count);
        const button = h(
          "button",
          { type: "button", "aria-pressed": String(b.from === this.#state.from && b.to === this.#state.to), "data-from": b.from, "data-to": b.to,
            "data-key": `date:${b.key}`, "aria-label": `${label}, ${shares ? fill(this.#t.share, { p: figure }) : this.#format.count(this.#t.articles, b.count)}` },
          h("span", {}, label),
          " ", // the visible text reads "Mar 2025 12", not "Mar 202512"
          h("span", { class: "count" }, figure),
          h("span", { class: "bar" }),
        );
        button.style.setProperty("--w", b.value / max);
        return h("li", {}, button);
      }),
    );
  }

  #renderChips() {
    const s = this.#state;
    const chip = (label, patch) => {
      const button = h("button", { type: "button", class: "chip", "aria-label": fill(this.#t.remove, { f: label }) },
        label, h("span", { "aria-hidden": "true" }, "×"));
      button.addEventListener("click", () => this.#refine(patch));
      return button;
    };
    const chips = s.sections.map((v) => chip(v, { sections: s.sections.filter((x) => x !== v) }));
    for (const key of Object.values(VALUE_FACETS)) chips.push(...s[key].map((v) => chip(v, { [key]: s[key].filter((x) => x !== v) })));
    const bucket = this.#data?.facets?.date?.find((b) => b.from === s.from && b.to === s.to);
    const range = bucket ? this.#bucketLabel(bucket.key) : `${s.from || "…"} – ${s.to || "…"}`;
    if (s.from || s.to) chips.push(chip(range, { from: "", to: "" }));
    this.#el.chips.replaceChildren(...chips);
  }
}

if (!customElements.get("news-search")) customElements.define("news-search", NewsSearch);
})();
