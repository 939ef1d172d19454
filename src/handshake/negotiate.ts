/**
 * Server-side choices (RFC 8446 §4.1.1): cipher suite, key exchange group,
 * signature scheme and ALPN protocol. Pure functions over code points, so
 * they can be read and tested on their own.
 */
import { TLSError } from '../errors.js';
import { isGrease } from '../registry.js';

/** The first entry of `preferred` that `other` also lists (GREASE never matches). */
function firstCommon<T>(preferred: readonly T[], other: readonly T[]): T | undefined {
  return preferred.find((x) => other.includes(x) && !(typeof x === 'number' && isGrease(x)));
}

/** Picks the suite by server preference (default) or client preference. */
export function selectCipherSuite(
  ours: readonly number[],
  offered: readonly number[],
  serverPreference: boolean,
): number {
  const suite = serverPreference ? firstCommon(ours, offered) : firstCommon(offered, ours);
  if (suite === undefined) {
    throw new TLSError('handshake_failure', 'no cipher suite in common with the client: enable one of its suites in `cipherSuites`');
  }
  return suite;
}

export type GroupChoice =
  | { readonly kind: 'share'; readonly group: number }
  | { readonly kind: 'retry'; readonly group: number };

/**
 * Picks the key exchange group. A group the client already sent a share for
 * saves a round trip, so among mutually supported groups the best one with a
 * share wins; only when no share is usable do we ask for another with a
 * HelloRetryRequest (§4.1.4).
 */
export function selectGroup(
  ours: readonly number[],
  clientGroups: readonly number[],
  clientShares: readonly number[],
  serverPreference: boolean,
): GroupChoice {
  const mutual = serverPreference
    ? ours.filter((g) => clientGroups.includes(g))
    : clientGroups.filter((g) => ours.includes(g) && !isGrease(g));
  const withShare = mutual.find((g) => clientShares.includes(g));
  if (withShare !== undefined) return { kind: 'share', group: withShare };
  const first = mutual[0];
  if (first === undefined) {
    throw new TLSError('handshake_failure', 'no key exchange group in common with the client: enable one of its groups in `groups`');
  }
  return { kind: 'retry', group: first };
}

/**
 * ALPN (RFC 7301 §3.2): when both sides speak it and share no protocol, the
 * server must refuse with no_application_protocol rather than guess.
 */
export function selectAlpn(
  ours: readonly string[],
  offered: readonly string[],
  serverPreference: boolean,
): string | undefined {
  if (ours.length === 0 || offered.length === 0) return undefined;
  const proto = serverPreference ? firstCommon(ours, offered) : firstCommon(offered, ours);
  if (proto === undefined) {
    throw new TLSError(
      'no_application_protocol',
      `no ALPN protocol in common: the client offered ${offered.join(', ')}, we support ${ours.join(', ')}`,
    );
  }
  return proto;
}

/**
 * The signature scheme for our CertificateVerify: the first of our schemes
 * the peer accepts and our key can make.
 */
export function selectSignatureScheme(
  ours: readonly number[],
  peerAccepts: readonly number[],
  keyFits: (scheme: number) => boolean,
): number | undefined {
  return ours.find((s) => peerAccepts.includes(s) && keyFits(s));
}
