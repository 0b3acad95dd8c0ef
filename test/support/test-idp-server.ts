import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inflateRawSync } from 'node:zlib';
import { generateSigningKey, TestIdp } from './test-idp.js';

/**
 * The test IdP as a tiny web server on this machine, for a real browser: GET /sso takes the
 * AuthnRequest (HTTP-Redirect binding) and answers a page that posts a signed response for
 * `signedInAs` back to the ACS URL the request named, with its RelayState.
 */
export interface TestIdpServer {
  idp: TestIdp;
  /** The person "signed in at the IdP". */
  signedInAs: string;
  stop(): Promise<void>;
}

const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function startTestIdpServer(entityId = 'http://idp.test/metadata'): Promise<TestIdpServer> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const idp = await TestIdp.create({ entityId, ssoUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sso`, key: await generateSigningKey() });
  const state: TestIdpServer = {
    idp,
    signedInAs: '',
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/sso' || !url.searchParams.get('SAMLRequest')) {
      res.writeHead(404).end('not found');
      return;
    }
    const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64')).toString('utf8');
    const id = /\sID="([^"]+)"/.exec(xml)![1];
    const acsUrl = /AssertionConsumerServiceURL="([^"]+)"/.exec(xml)![1];
    const audience = /<saml:Issuer[^>]*>([^<]+)<\/saml:Issuer>/.exec(xml)![1];
    const response = idp.response({ nameId: state.signedInAs, acsUrl, audience, inResponseTo: id });
    const relayState = url.searchParams.get('RelayState');
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="${esc(acsUrl)}"><input type="hidden" name="SAMLResponse" value="${esc(response)}">
${relayState ? `<input type="hidden" name="RelayState" value="${esc(relayState)}">` : ''}<noscript><button>Continue</button></noscript></form></body></html>`);
  });
  return state;
}
