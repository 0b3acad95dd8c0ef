import { escapeHtml, html, type Html } from '../html.js';
import type { AdminSession } from './admin-session.js';

/** The console's pages, in the order of the navigation. Tests walk this list (every page is for admins only). */
export type AdminSection = 'overview' | 'scim' | 'sso' | 'people' | 'role-mappings' | 'log' | 'audit';

export const ADMIN_NAV: readonly { section: AdminSection; href: string; label: string }[] = [
  { section: 'overview', href: '/admin', label: 'Overview' },
  { section: 'scim', href: '/admin/scim', label: 'SCIM provisioning' },
  { section: 'sso', href: '/admin/sso', label: 'Single sign-on' },
  { section: 'people', href: '/admin/people', label: 'People' },
  { section: 'role-mappings', href: '/admin/role-mappings', label: 'Role mappings' },
  { section: 'log', href: '/admin/log', label: 'Provisioning log' },
  { section: 'audit', href: '/admin/audit', label: 'Audit trail' },
];

/** Every page's address, for the tests that check who may see them. */
export const ADMIN_PAGE_PATHS: readonly string[] = ADMIN_NAV.map((n) => n.href);

export interface AdminPageView {
  title: string;
  /** The navigation entry marked current; none on a page outside the sections (an error). */
  section?: AdminSection;
  session: AdminSession;
  notice?: string;
  error?: string;
}

// Styles and script are files (CSP: no inline style or script), served by admin-router.ts.
const HEAD = `<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/admin/assets/admin.css"><script src="/admin/assets/admin.js" defer></script>`;

/** A whole console page: skip link, header (account, who, sign out), navigation, one h1, messages, the page's body. */
export function adminPage(view: AdminPageView, body: Html): string {
  const nav = ADMIN_NAV.map(
    (n) => html`<li><a href="${n.href}"${n.section === view.section ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
  );
  const messages = html`${view.notice ? html`<p class="notice" role="status" id="notice">${view.notice}</p>` : ''}${view.error ? html`<p class="error" role="alert" id="error">${view.error}</p>` : ''}`;
  return `<!doctype html>
<html lang="en">
<head>${HEAD}<title>${escapeHtml(view.title)} · ${escapeHtml(view.session.accountName)} · Rollcall admin</title></head>
<body>
${html`<a class="skip-link" href="#main">Skip to content</a>
<header class="top">
<p class="brand"><a href="/admin">Rollcall admin</a></p>
<p class="who"><span class="account">${view.session.accountName}</span> <span class="account-id">(${view.session.accountId})</span> · signed in as ${view.session.memberName}</p>
<form method="post" action="/logout" class="sign-out"><button type="submit">Sign out</button></form>
</header>
<div class="frame">
<nav aria-label="Admin console"><ul>${nav}</ul></nav>
<main id="main" tabindex="-1">
<h1>${view.title}</h1>
${messages}
${body}
</main>
</div>`.text}
</body>
</html>`;
}

/** A refusal under /admin (403, a form refused), without the navigation: it may be shown to someone who is not an admin. */
export function adminErrorPage(title: string, message: string, links: { href: string; text: string }[] = [{ href: '/admin', text: 'Back to the admin console' }]): string {
  return `<!doctype html>
<html lang="en">
<head>${HEAD}<title>${escapeHtml(title)} · Rollcall admin</title></head>
<body>
${html`<main id="main" class="alone">
<h1>${title}</h1>
<p class="error" role="alert">${message}</p>
<ul>${links.map((l) => html`<li><a href="${l.href}">${l.text}</a></li>`)}</ul>
</main>`.text}
</body>
</html>`;
}
