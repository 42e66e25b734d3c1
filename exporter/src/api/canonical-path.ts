/**
 * One spelling per route. Grafana's plugin proxy matches its routes' static segments
 * case-sensitively after %-decoding and trimming one trailing slash, then forwards the rest as
 * written; a sidecar that answered `/api/v1/AUDIT`, `/api/v1/audit/` or `/api/v1/%61udit` like
 * `/api/v1/audit` would let a path miss the proxy's admin-only route and still reach the audit
 * handler. So a request whose path is not in canonical form is refused before routing, whatever
 * route it resembles (routing itself is case-sensitive and strict). The query string is not checked.
 */

/** Characters RFC 3986 calls unreserved: never percent-encoded in a canonical path. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Why the request target's path is not canonical, or null when it is. */
export function nonCanonicalReason(target: string): string | null {
  const q = target.indexOf('?');
  const p = q === -1 ? target : target.slice(0, q);
  if (!p.startsWith('/')) return 'not a path (absolute-form or asterisk request target)';
  if (p.includes('#')) return 'fragment in the request target';
  if (p.includes('\\')) return 'backslash';
  if (p.length > 1 && p.endsWith('/')) return 'trailing slash';
  if (p.includes('//')) return 'duplicate slash';
  for (const seg of p.split('/')) {
    if (seg === '.' || seg === '..') return 'dot segment';
  }
  for (let i = p.indexOf('%'); i !== -1; i = p.indexOf('%', i + 1)) {
    const hex = p.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return 'malformed percent-encoding';
    const ch = String.fromCharCode(parseInt(hex, 16));
    if (ch === '/') return 'encoded slash';
    if (ch === '\\') return 'encoded backslash';
    if (UNRESERVED.test(ch)) return `percent-encoded unreserved character (%${hex} is ${ch})`;
  }
  return null;
}
