import { html, type Html, page } from './html.js';

export interface LoginForm {
  error?: string;
  notice?: string;
  username?: string;
  returnTo?: string;
  accountId?: string;
  /** When the person belongs to several accounts: the choice. */
  accounts?: { id: string; name: string }[];
  /** A link to this account's SSO sign-in, e.g. after an SSO-only refusal. */
  ssoAccountId?: string;
}

function ssoLink(accountId: string, returnTo?: string): string {
  const query = returnTo ? `?RelayState=${encodeURIComponent(returnTo)}` : '';
  return `/sso/saml/${encodeURIComponent(accountId)}/login${query}`;
}

export function loginPage(form: LoginForm): string {
  const message: Html | string = form.error
    ? html`<p class="error" role="alert" id="form-error">${form.error}</p>`
    : form.notice
      ? html`<p class="notice" role="status">${form.notice}</p>`
      : '';
  const ssoNow = form.ssoAccountId ? html`<p><a href="${ssoLink(form.ssoAccountId, form.returnTo)}" id="sso-link">Sign in with SSO</a></p>` : '';
  const accountChoice = form.accounts?.length
    ? html`<label for="account_id">Account</label>
<select id="account_id" name="account_id" required>${form.accounts.map((a) => html`<option value="${a.id}"${a.id === form.accountId ? html` selected` : ''}>${a.name} (${a.id})</option>`)}</select>`
    : form.accountId
      ? html`<input type="hidden" name="account_id" value="${form.accountId}">`
      : '';
  return page(
    'Sign in',
    html`${message}${ssoNow}
<form method="post" action="/login" aria-describedby="${form.error ? 'form-error' : ''}">
<input type="hidden" name="return_to" value="${form.returnTo ?? ''}">
<label for="username">User name or email</label>
<input id="username" name="username" autocomplete="username" required value="${form.username ?? ''}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
${accountChoice}
<button type="submit">Sign in</button>
</form>
<section aria-labelledby="sso-heading">
<h2 id="sso-heading">Single sign-on (SSO)</h2>
<p>If your company signs in to Rollcall through its identity provider (Okta, Entra ID, ...), enter your work email: an address at a domain your company has verified goes straight to its sign-in.</p>
<form method="post" action="/login/sso" id="sso-email-form">
<input type="hidden" name="return_to" value="${form.returnTo ?? ''}">
<label for="sso_email">Work email</label>
<input id="sso_email" name="email" type="email" autocomplete="email" required maxlength="320">
<button type="submit">Continue with SSO</button>
</form>
<p>Or enter your account ID.</p>
<form method="get" action="/login/sso">
<input type="hidden" name="return_to" value="${form.returnTo ?? ''}">
<label for="sso_account_id">Account ID</label>
<input id="sso_account_id" name="account_id" required pattern="acc_[a-z0-9]+" value="${form.accountId ?? ''}">
<button type="submit">Sign in with SSO</button>
</form>
</section>`,
  );
}

export function refusalPage(title: string, message: string, links: { href: string; text: string }[] = [{ href: '/login', text: 'Back to sign-in' }]): string {
  return page(title, html`<p class="error" role="alert">${message}</p>
<ul>${links.map((l) => html`<li><a href="${l.href}">${l.text}</a></li>`)}</ul>`);
}

export interface HomeView {
  name: string;
  email: string | undefined;
  accountName: string;
  accountId: string;
  method: string;
  roles: readonly string[];
  /** Invitations from other accounts waiting for an answer. */
  pendingInvitations: number;
  /** An admin of the account signed in to: the way to the admin console is shown. */
  isAdmin: boolean;
}

export function homePage(me: HomeView): string {
  const how = me.method === 'saml' ? 'single sign-on (SAML)' : 'a password';
  return page(
    'Signed in',
    html`<p id="signed-in">You are signed in as <strong>${me.name}</strong>${me.email ? html` (${me.email})` : ''} to <strong>${me.accountName}</strong> (${me.accountId}) with ${how}.</p>
<p>Roles: ${me.roles.length ? me.roles.join(', ') : 'none'}</p>
${me.isAdmin ? html`<p><a href="/admin" id="admin-console">Admin console</a>: connect your identity provider (SCIM, SSO), people, role mappings, the provisioning log and the audit trail.</p>` : ''}
${me.pendingInvitations ? html`<p class="notice" role="status" id="invitations"><a href="/invitations">${me.pendingInvitations === 1 ? 'An account has' : `${me.pendingInvitations} accounts have`} invited you: accept or decline</a></p>` : ''}
<form method="post" action="/logout"><button type="submit">Sign out</button></form>`,
  );
}
