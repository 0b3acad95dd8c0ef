/** Server-rendered pages: plain HTML, one column, labelled fields, no script. */

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A tagged template whose interpolations are escaped unless they are already Html. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  values.forEach((value, i) => {
    const items = Array.isArray(value) ? value : [value];
    out += items.map((item) => (item instanceof Html ? item.text : item === undefined || item === null || item === false ? '' : escapeHtml(item))).join('');
    out += strings[i + 1];
  });
  return new Html(out);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
label{display:block;margin-top:1rem;font-weight:600}input,select{display:block;width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}
button{margin-top:1.25rem;padding:.6rem 1.2rem;font-size:1rem}.error{border:2px solid #b00020;padding:.75rem;color:#b00020}
.notice{border:2px solid #1d5fb4;padding:.75rem}section{margin-top:2.5rem;border-top:1px solid #ccc}`;

export function page(title: string, body: Html): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · Rollcall</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
${body.text}
</main></body>
</html>`;
}
