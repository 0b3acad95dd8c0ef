import { html, type Html } from '../html.js';

/** Small pieces the console's pages share. */

/** A read-only value with a copy button (admin.js copies the input's value; without JS, select and copy). */
export function copyField(id: string, label: string, value: string, hint?: string): Html {
  return html`<div class="copy-field">
<label for="${id}">${label}</label>
${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : ''}
<div class="copy-row"><input id="${id}" type="text" readonly value="${value}"${hint ? html` aria-describedby="${id}-hint"` : ''}>
<button type="button" data-copy="#${id}">Copy<span class="visually-hidden"> ${label}</span></button></div>
<p class="copy-status" role="status" aria-live="polite" data-copy-status-for="${id}"></p>
</div>`;
}

/** A date and time as people read it, in UTC (the server does not know the reader's zone). */
export function when(value: Date | string | null | undefined, empty = 'never'): Html {
  if (value === null || value === undefined) return html`<span class="muted">${empty}</span>`;
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return html`<span class="muted">${empty}</span>`;
  return html`<time datetime="${d.toISOString()}">${d.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`;
}
