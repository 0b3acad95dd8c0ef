/**
 * Limits on a posted SAMLResponse, checked before any XML parser sees it (issue 13): the ACS takes
 * posts from anyone, and a 1 MiB deeply nested document held the event loop for about a second.
 * A real IdP response (one signed assertion, a few attributes, one or two certificates) is under
 * 20 KB and about 8 elements deep.
 */
export const SAML_RESPONSE_LIMITS = {
  /** Bytes of the decoded document. */
  maxBytes: 256 * 1024,
  /** Elements nested inside one another. */
  maxDepth: 32,
} as const;

export type SamlResponseRefusal = { reason: 'response_too_large' | 'response_too_deep' | 'response_not_base64'; message: string };

/**
 * The deepest element nesting of `xml`, read by a linear scan of its tags (no parser, no
 * recursion): comments, processing instructions and declarations are skipped. It stops counting
 * once `stopAt` is passed. Not a validator: a malformed document gets its verdict from the parser.
 */
export function elementDepth(xml: string, stopAt: number): number {
  let depth = 0;
  let deepest = 0;
  let i = xml.indexOf('<');
  while (i !== -1 && i < xml.length) {
    const next = xml[i + 1];
    if (next === '!' || next === '?') {
      const end = xml.startsWith('<!--', i) ? xml.indexOf('-->', i + 4) : xml.indexOf('>', i + 2);
      if (end === -1) break;
      i = xml.indexOf('<', end);
      continue;
    }
    const end = xml.indexOf('>', i + 1);
    if (end === -1) break;
    if (next === '/') depth--;
    else if (xml[end - 1] !== '/') {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > stopAt) return deepest;
    }
    i = xml.indexOf('<', end);
  }
  return deepest;
}

/** Why a posted SAMLResponse (base64) is refused before parsing, or undefined when it may be parsed. */
export function refuseSamlResponse(base64: string): SamlResponseRefusal | undefined {
  // base64 is 4/3 of the bytes: refuse on the length alone before decoding anything big
  if (base64.length > Math.ceil((SAML_RESPONSE_LIMITS.maxBytes * 4) / 3) + 4) {
    return { reason: 'response_too_large', message: `the SAML response is larger than ${SAML_RESPONSE_LIMITS.maxBytes / 1024} KB` };
  }
  if (!/^[A-Za-z0-9+/=\s]*$/.test(base64)) return { reason: 'response_not_base64', message: 'the SAML response is not base64' };
  const xml = Buffer.from(base64, 'base64').toString('utf8');
  if (elementDepth(xml, SAML_RESPONSE_LIMITS.maxDepth) > SAML_RESPONSE_LIMITS.maxDepth) {
    return { reason: 'response_too_deep', message: `the SAML response nests elements deeper than ${SAML_RESPONSE_LIMITS.maxDepth} levels` };
  }
  return undefined;
}
