/**
 * RFC 8448 replay of resumption and 0-RTT, byte for byte, from both sides:
 *
 * - §3 completed on the server side: after the handshake (replayed in
 *   replay.test.ts) our server sends the RFC's NewSessionTicket, then the
 *   RFC's application data and close_notify.
 * - §4 (resumed 0-RTT handshake): our client resumes with the session it
 *   built from the §3 ticket and sends the RFC's ClientHello (binder
 *   included), its early data record, EndOfEarlyData, Finished, application
 *   data and close_notify; our server resumes the session our §3 server put
 *   in that ticket, reads the RFC's early data as `early: true`, and sends
 *   the RFC's ServerHello, encrypted flight, application data and
 *   close_notify.
 *
 * The sessions flow as they would in real use: §4's client session is the
 * one our client derived from §3's NewSessionTicket (ticket event), and §4's
 * server session is the one our §3 server handed to `wrapSession`. Only
 * what the RFC's peers chose is injected, each through a public hook:
 *
 * - `random`: as in replay.test.ts (randoms, ephemeral keys, the RSA-PSS
 *   salt), plus §3's ticket_age_add, drawn by our server once its handshake
 *   is done (see PhasedRandom).
 * - `wrapSession` returns the RFC's 178-byte ticket (the RFC's server sealed
 *   the session in a format of its own); `unwrapSession` maps that ticket
 *   back to the session our §3 server issued.
 * - `now`: the ticket is received/issued at RFC8448_NOW; §4 runs 6 ms
 *   later, because the RFC's obfuscated_ticket_age is its ticket_age_add + 6
 *   (the client thought the ticket 6 ms old), and the server's clock agrees.
 * - `shapeMessage`: the RFC's ClientHello carries renegotiation_info and
 *   padding (and more groups and schemes than we implement); the RFC's
 *   server lists supported_groups in EncryptedExtensions, in its own order.
 *
 * The RFC's certificates have no subjectAltName (see replay.test.ts), so
 * §3's client verifies the chain in verifyPeerCertificate, host name aside.
 */
import { describe, expect, it } from 'vitest';
import { ClientConnection, ServerConnection, type ConnectionEvent } from '../../src/connection.js';
import type { ClientConfig, ServerConfig } from '../../src/config.js';
import { createNobleCrypto } from '../../src/crypto/noble.js';
import type { PrivateKey, PublicKey, RandomSource } from '../../src/crypto/provider.js';
import type { TraceEntry } from '../../src/handshake/events.js';
import type { ClientSession } from '../../src/handshake/sessions.js';
import type { SessionState } from '../../src/handshake/tickets.js';
import { CipherSuite, ExtensionType, HandshakeType, NamedGroup, SignatureScheme } from '../../src/registry.js';
import { ByteWriter, bytesEqual, toHex } from '../../src/util/bytes.js';
import { type ClientHello, type NewSessionTicket, type ServerHello, decodeHandshake, findExtension } from '../../src/wire/index.js';
import { parseCertificate, verifyChain } from '../../src/x509/index.js';
import { rfcRsaKey } from './checks/keys.js';
import { Transcript, certificatePublicKey, certificateVerifyContent, endEntityCertificate } from './model.js';
import {
  MessageShaper,
  RFC8448_NOW,
  ReplayObserver,
  type ReplayReport,
  type RfcRecord,
  type ScriptEntry,
  ScriptedRandom,
  type ShapePolicy,
  recoverPssSalt,
  replay,
  rfcRecords,
} from './replayHelpers.js';
import { Trace, openTrace } from './vectors.js';

// RFC 8448's RSA key is 1024-bit, below the provider's default floor of 2048.
const provider = createNobleCrypto({ rsaMinModulusBits: 1024 });

/** The RFC's cipher_suites (our default order), as in replay.test.ts. */
const SUITES = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384];
const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];
/** The schemes we implement that the RFC's client also lists, as in replay.test.ts. */
const SCHEMES = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

const CLIENT_POLICY: Partial<Record<'client_hello', ShapePolicy>> = {
  client_hello: {
    // §3's hello also has session_ticket; §4's has padding instead (RFC 7685).
    add: [ExtensionType.renegotiation_info, ExtensionType.session_ticket, ExtensionType.padding],
    widen: [ExtensionType.supported_groups, ExtensionType.signature_algorithms],
  },
};

const SERVER_POLICY: Partial<Record<'encrypted_extensions', ShapePolicy>> = {
  encrypted_extensions: { add: [ExtensionType.supported_groups] },
};

// ---------------------------------------------------------------------------
// What the traces hold

const t3 = new Transcript(openTrace(3));
const t4 = new Transcript(openTrace(4));

function decoded<T>(t: Transcript, sender: 'client' | 'server', type: number): T {
  return decodeHandshake(t.sent(sender, type)[0]!.bytes, { hashLength: 32 }) as T;
}

const CH3 = decoded<ClientHello>(t3, 'client', HandshakeType.client_hello);
const SH3 = decoded<ServerHello>(t3, 'server', HandshakeType.server_hello);
const NST3 = decoded<NewSessionTicket>(t3, 'server', HandshakeType.new_session_ticket);
const CH4 = decoded<ClientHello>(t4, 'client', HandshakeType.client_hello);
const SH4 = decoded<ServerHello>(t4, 'server', HandshakeType.server_hello);
const SERVER_CERT = endEntityCertificate(t3.sent('server', HandshakeType.certificate)[0]!.bytes);
const RFC_TICKET = NST3.ticket;

/** §4's offered identity: the §3 ticket with the client's obfuscated age. */
function offeredIdentity(): { identity: Uint8Array; obfuscatedTicketAge: number } {
  const psk = findExtension(CH4.extensions, 'pre_shared_key');
  if (!psk || psk.identities.length !== 1) throw new Error('§4 ClientHello: expected one PSK identity');
  return psk.identities[0]!;
}

/**
 * How old the client thought the ticket was, in ms: obfuscated_ticket_age
 * minus ticket_age_add, mod 2^32 (RFC 8446 §4.2.11.1). The RFC's is 6.
 */
const CLIENT_TICKET_AGE_MS = (offeredIdentity().obfuscatedTicketAge - NST3.ticketAgeAdd) >>> 0;
/** §4 happens this long after §3's ticket was issued and received. */
const RESUMED_AT = new Date(RFC8448_NOW.getTime() + CLIENT_TICKET_AGE_MS);

/** The ephemeral private key a side creates in a trace (one per side in §3 and §4). */
function ephemeralKey(trace: Trace, actor: 'client' | 'server'): Uint8Array {
  return trace.one({ actor, action: 'create an ephemeral x25519 key pair' }).peek('private key');
}

/** The resumption PSK of §3 (HKDF-Expand-Label(res master, "resumption", nonce)). */
function rfcResumptionPsk(): Uint8Array {
  return openTrace(3).one({ actor: 'server', action: 'generate resumption secret "tls13 resumption"' }).bytes('expanded');
}

/** The trace without the records `drop` picks (they are driven by hand). */
function withoutRecords(trace: Trace, drop: (rec: RfcRecord) => boolean): Trace {
  const dropped = new Set(rfcRecords(trace).filter(drop).map((r) => r.where));
  const kept = trace.data.steps.filter((step) => {
    const where = `§${trace.section} {${step.actor}} ${step.action} (RFC 8448 line ${step.line})`;
    return !dropped.has(where);
  });
  return new Trace({ ...trace.data, steps: kept });
}

/** The RFC records of `sender`, as the replay driver names them. */
function recordsOf(trace: Trace, sender: 'client' | 'server'): string[] {
  return rfcRecords(trace)
    .filter((r) => r.sender === sender)
    .map((r) => r.where);
}

/** The secrets a key log must show: label → the step that derives it. */
function expectedKeyLog(trace: Trace, labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [label, hkdf] of Object.entries(labels)) {
    const steps = trace.find({ action: `derive secret "tls13 ${hkdf}"`, hasValues: true });
    if (steps.length !== 1) throw new Error(`§${trace.section}: expected one step deriving "${hkdf}"`);
    out[label] = toHex(steps[0]!.bytes('expanded'));
  }
  return out;
}

const ONE_RTT_SECRETS = {
  CLIENT_HANDSHAKE_TRAFFIC_SECRET: 'c hs traffic',
  SERVER_HANDSHAKE_TRAFFIC_SECRET: 's hs traffic',
  CLIENT_TRAFFIC_SECRET_0: 'c ap traffic',
  SERVER_TRAFFIC_SECRET_0: 's ap traffic',
  EXPORTER_SECRET: 'exp master',
};

function u32(n: number): Uint8Array {
  return new ByteWriter(4).u32(n).finish();
}

// ---------------------------------------------------------------------------
// Randomness in two phases

/**
 * The §3 server's draws come in two phases: the handshake's (ephemeral key,
 * random, RSA-PSS salt, then RSA blinding draws, which cancel out and get
 * filler) and, once its Finished is out, the ticket's ticket_age_add. The
 * blinding draws sit between the salt and the age_add, so one script in
 * order cannot hold both; the phase switches when our server sends its
 * Finished (seen through the trace hook), after which no blinding happens.
 */
class PhasedRandom {
  private phase: 'handshake' | 'tickets' = 'handshake';

  constructor(
    readonly handshake: ScriptedRandom,
    readonly tickets: ScriptedRandom,
  ) {}

  readonly source: RandomSource = (length) => (this.phase === 'handshake' ? this.handshake : this.tickets).source(length);

  /** Wraps a trace hook so the phase follows our Finished. */
  watch(next: (entry: TraceEntry) => void): (entry: TraceEntry) => void {
    return (entry) => {
      next(entry);
      if (entry.kind === 'message' && entry.direction === 'sent' && entry.message.type === 'finished') this.phase = 'tickets';
    };
  }
}

// ---------------------------------------------------------------------------
// §3 client (to obtain the session) and server (to issue the ticket)

interface SessionFromClient {
  readonly session: ClientSession;
  readonly report: ReplayReport;
}

/** Replays §3 with our client (as replay.test.ts does) and returns the session it derived from the ticket. */
async function sessionFromSection3Client(): Promise<SessionFromClient> {
  const trace = openTrace(3);
  const random = new ScriptedRandom(
    [
      { label: 'client random', bytes: CH3.random },
      { label: 'x25519 private key', bytes: ephemeralKey(trace, 'client') },
    ],
    'none',
  );
  const observer = new ReplayObserver();
  const shaper = new MessageShaper(
    t3.messages.filter((m) => m.sender === 'client').map((m) => m.bytes),
    CLIENT_POLICY,
  );
  const config: ClientConfig = {
    crypto: provider,
    random: random.source,
    now: () => RFC8448_NOW,
    cipherSuites: SUITES,
    groups: GROUPS,
    keyShareGroups: [NamedGroup.x25519],
    signatureSchemes: SCHEMES,
    recordSizeLimit: 16385,
    middleboxCompat: false,
    sessionCache: false,
    insecureSkipVerify: true,
    verifyPeerCertificate: async (rawCerts) => {
      await verifyChain({ leaf: rawCerts[0]!, roots: [parseCertificate(SERVER_CERT)], now: RFC8448_NOW, provider, usage: 'server' });
    },
    shapeMessage: shaper.shape,
    trace: observer.trace,
  };
  const connection = new ClientConnection(config, { serverName: 'server' });
  const report = await replay(trace, 'client', connection, observer);
  const tickets = report.events.filter((e): e is ConnectionEvent & { type: 'ticket' } => e.type === 'ticket');
  if (tickets.length !== 1) throw new Error(`§3: expected one ticket event, got ${tickets.length}`);
  return { session: tickets[0]!.session, report };
}

interface Section3Server {
  readonly connection: ServerConnection;
  readonly observer: ReplayObserver;
  readonly random: PhasedRandom;
  readonly shaper: MessageShaper;
  /** Every session our server asked wrapSession to turn into a ticket. */
  readonly wrapped: SessionState[];
}

function section3Server(tweak: { ageAdd?: number } = {}): Section3Server {
  const trace = openTrace(3);
  const key: PrivateKey = rfcRsaKey(openTrace(2).steps[0]!);
  const cv = decoded<{ signature: Uint8Array }>(t3, 'server', HandshakeType.certificate_verify);
  const publicKey = certificatePublicKey(SERVER_CERT) as PublicKey & { kind: 'rsa' };
  const salt = recoverPssSalt(publicKey, certificateVerifyContent('server', t3.beforeCertificateVerify('server')), cv.signature);
  const random = new PhasedRandom(
    new ScriptedRandom(
      [
        { label: 'x25519 private key', bytes: ephemeralKey(trace, 'server') },
        { label: 'server random', bytes: SH3.random },
        { label: 'RSA-PSS salt', bytes: salt },
      ],
      'filler',
    ),
    new ScriptedRandom([{ label: 'ticket_age_add', bytes: u32(tweak.ageAdd ?? NST3.ticketAgeAdd) }], 'none'),
  );
  const observer = new ReplayObserver();
  const shaper = new MessageShaper(
    t3.messages.filter((m) => m.sender === 'server').map((m) => m.bytes),
    SERVER_POLICY,
  );
  const wrapped: SessionState[] = [];
  const config: ServerConfig = {
    crypto: provider,
    random: random.source,
    now: () => RFC8448_NOW,
    cipherSuites: SUITES,
    groups: GROUPS,
    signatureSchemes: SCHEMES,
    certificates: [{ chain: [SERVER_CERT], privateKey: key }],
    // The RFC's NewSessionTicket: one ticket, lifetime 30 s, early_data 1024.
    ticketCount: 1,
    ticketLifetime: 30,
    maxEarlyData: 1024,
    // The RFC's server sealed the session in its own format; ours hands back its bytes.
    wrapSession: (session) => {
      wrapped.push(session);
      return RFC_TICKET.slice();
    },
    shapeMessage: shaper.shape,
    trace: random.watch(observer.trace),
    keyLog: observer.log,
  };
  return { connection: new ServerConnection(config), observer, random, shaper, wrapped };
}

// ---------------------------------------------------------------------------

describe('RFC 8448 §3 replay: our server through NewSessionTicket, application data and close_notify', () => {
  it('emits every RFC §3 server record byte for byte, the ticket included', async () => {
    const trace = openTrace(3);
    const run = section3Server();
    const report = await replay(trace, 'server', run.connection, run.observer);

    expect(report.compared).toEqual(recordsOf(trace, 'server'));
    const ticketRecord = rfcRecords(trace).find((r) => r.messageTypes.includes(HandshakeType.new_session_ticket))!;
    expect(report.compared).toContain(ticketRecord.where);
    expect(report.accepted).toEqual(recordsOf(trace, 'client'));
    expect(report.notCompared).toEqual([]);

    const conn = run.connection;
    expect(conn.handshakeState).toBe('CONNECTED');
    expect(conn.error).toBeUndefined();
    expect(conn.closed).toBe(true);
    expect(report.events.at(-1)?.type).toBe('close');
    expect(Object.fromEntries(report.keyLog)).toEqual(expectedKeyLog(trace, ONE_RTT_SECRETS));

    expect(run.random.handshake.used).toEqual(['x25519 private key', 'server random', 'RSA-PSS salt']);
    expect(run.random.handshake.exhausted).toBe(true);
    expect(run.random.tickets.used).toEqual(['ticket_age_add']);
    expect(run.shaper.adjustments).toEqual(['encrypted_extensions 1: + supported_groups']);
    expect(run.shaper.complete).toBe(true);
  });

  it('seals into the ticket the RFC\'s resumption PSK, age_add, lifetime and early data limit', async () => {
    const run = section3Server();
    await replay(openTrace(3), 'server', run.connection, run.observer);
    expect(run.wrapped).toHaveLength(1);
    const s = run.wrapped[0]!;
    // PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce 0x0000) (RFC 8446 §4.6.1).
    expect(toHex(s.psk)).toBe(toHex(rfcResumptionPsk()));
    expect(toHex(NST3.ticketNonce)).toBe('0000');
    expect(s).toMatchObject({
      cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
      createdAt: RFC8448_NOW.getTime(),
      lifetime: 30,
      ageAdd: NST3.ticketAgeAdd,
      maxEarlyData: 1024,
      alpn: undefined,
      serverName: 'server',
      peerCertificates: [],
    });
  });

  it('another ticket_age_add changes the NewSessionTicket, and the replay says where', async () => {
    const run = section3Server({ ageAdd: (NST3.ticketAgeAdd + 1) >>> 0 });
    await expect(replay(openTrace(3), 'server', run.connection, run.observer)).rejects.toThrow(
      /handshake message 6 \(new_session_ticket\) differs first at byte 11 of the message; ticketAgeAdd/,
    );
  });
});

// ---------------------------------------------------------------------------
// §4 client

interface ResumingClient {
  readonly connection: ClientConnection;
  readonly observer: ReplayObserver;
  readonly random: ScriptedRandom;
  readonly shaper: MessageShaper;
  readonly certificatesVerified: () => number;
}

function resumingClient(session: ClientSession, now: Date = RESUMED_AT): ResumingClient {
  const trace = openTrace(4);
  const random = new ScriptedRandom(
    [
      { label: 'client random', bytes: CH4.random },
      { label: 'x25519 private key', bytes: ephemeralKey(trace, 'client') },
    ],
    'none',
  );
  const observer = new ReplayObserver();
  const shaper = new MessageShaper(
    t4.messages.filter((m) => m.sender === 'client').map((m) => m.bytes),
    CLIENT_POLICY,
  );
  let certificatesVerified = 0;
  const config: ClientConfig = {
    crypto: provider,
    random: random.source,
    now: () => now,
    cipherSuites: SUITES,
    groups: GROUPS,
    keyShareGroups: [NamedGroup.x25519],
    signatureSchemes: SCHEMES,
    recordSizeLimit: 16385,
    middleboxCompat: false,
    enableEarlyData: true,
    // The session comes from §3, passed in ClientOptions; no cache is involved.
    sessionCache: false,
    insecureSkipVerify: true,
    // A PSK handshake has no server certificate (RFC 8446 §2.2): never called.
    verifyPeerCertificate: () => {
      certificatesVerified++;
    },
    shapeMessage: shaper.shape,
    trace: observer.trace,
    keyLog: observer.log,
  };
  return {
    connection: new ClientConnection(config, { serverName: 'server', session }),
    observer,
    random,
    shaper,
    certificatesVerified: () => certificatesVerified,
  };
}

describe('RFC 8448 §4 replay: our client resumes the §3 session with 0-RTT', () => {
  it('the session our client derived from §3\'s ticket is the RFC\'s, received at RFC8448_NOW', async () => {
    const { session } = await sessionFromSection3Client();
    expect(toHex(session.ticket)).toBe(toHex(offeredIdentity().identity));
    expect(toHex(session.psk)).toBe(toHex(rfcResumptionPsk()));
    expect(session).toMatchObject({
      serverName: 'server',
      cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256,
      receivedAt: RFC8448_NOW.getTime(),
      lifetime: 30,
      ageAdd: NST3.ticketAgeAdd,
      maxEarlyData: 1024,
      alpn: undefined,
    });
    expect(session.peerCertificates.map(toHex)).toEqual([toHex(SERVER_CERT)]);
    expect(CLIENT_TICKET_AGE_MS).toBe(6);
  });

  it('emits exactly the RFC\'s ClientHello (binder included), early data, EndOfEarlyData, Finished, application data and close_notify', async () => {
    const trace = openTrace(4);
    const { session } = await sessionFromSection3Client();
    const run = resumingClient(session);
    const report = await replay(trace, 'client', run.connection, run.observer);

    // ClientHello, early data, EndOfEarlyData, Finished, application data, close_notify.
    expect(report.compared).toEqual(recordsOf(trace, 'client'));
    expect(report.compared).toHaveLength(6);
    expect(report.accepted).toEqual(recordsOf(trace, 'server'));
    expect(report.notCompared).toEqual([]);

    // The binder we computed is the RFC's "calculate PSK binder" value.
    const ours = decodeHandshake(run.observer.sentMessages[0]!, { hashLength: 32 }) as ClientHello;
    const binder = trace.one({ actor: 'client', action: 'calculate PSK binder' }).bytes('finished');
    expect(findExtension(ours.extensions, 'pre_shared_key')?.binders.map(toHex)).toEqual([toHex(binder)]);
    expect(run.observer.sentMessages.map((m) => m[0])).toEqual([HandshakeType.client_hello, HandshakeType.end_of_early_data, HandshakeType.finished]);

    const conn = run.connection;
    expect(conn.handshakeState).toBe('CONNECTED');
    expect(conn.error).toBeUndefined();
    expect(conn.closed).toBe(true);
    const state = conn.state;
    expect(state.resumed).toBe(true);
    expect(state.earlyDataAccepted).toBe(true);
    expect(state.cipherSuite?.code).toBe(CipherSuite.TLS_AES_128_GCM_SHA256);
    expect(state.group?.code).toBe(NamedGroup.x25519);
    expect(state.signatureScheme).toBeUndefined();
    // The server's identity carries over from §3's full handshake.
    expect(state.peerCertificates.map(toHex)).toEqual([toHex(SERVER_CERT)]);
    expect(run.certificatesVerified()).toBe(0);

    const early = report.events.filter((e) => e.type === 'early_data');
    expect(early).toEqual([{ type: 'early_data', accepted: true, rejected: new Uint8Array(0), resent: false }]);
    expect(report.events.filter((e) => e.type === 'handshake')).toHaveLength(1);
    expect(report.events.at(-1)?.type).toBe('close');

    expect(Object.fromEntries(report.keyLog)).toEqual(
      expectedKeyLog(trace, { CLIENT_EARLY_TRAFFIC_SECRET: 'c e traffic', ...ONE_RTT_SECRETS }),
    );
    expect([...report.keyLogRandoms]).toEqual([toHex(CH4.random)]);
    expect(run.random.used).toEqual(['client random', 'x25519 private key']);
    expect(run.random.exhausted).toBe(true);
    expect(run.shaper.adjustments).toEqual([
      'client_hello 1: extension order as the RFC\'s',
      'client_hello 1: + renegotiation_info',
      'client_hello 1: supported_groups as the RFC\'s (+ secp521r1, ffdhe2048, ffdhe3072, ffdhe4096, 0x0103, 0x0104)',
      'client_hello 1: signature_algorithms as the RFC\'s (+ ecdsa_secp521r1_sha512, ecdsa_sha1, rsa_pkcs1_sha1, 0x0402, 0x0502, 0x0602, 0x0202)',
      'client_hello 1: + padding',
    ]);
    expect(run.shaper.complete).toBe(true);
  });

  it('a clock 1 ms later changes obfuscated_ticket_age (and so the binder), and the replay says where', async () => {
    const { session } = await sessionFromSection3Client();
    const run = resumingClient(session, new Date(RESUMED_AT.getTime() + 1));
    await expect(replay(openTrace(4), 'client', run.connection, run.observer)).rejects.toThrow(
      /handshake message 1 \(client_hello\) differs first at byte \d+ of the message; extensions\[10\]\.identities\[0\]\.obfuscatedTicketAge: ours 4208372428, RFC 4208372427/,
    );
  });
});

// ---------------------------------------------------------------------------
// §4 server

interface ResumingServer {
  readonly connection: ServerConnection;
  readonly observer: ReplayObserver;
  readonly random: ScriptedRandom;
  readonly shaper: MessageShaper;
  readonly unwrapped: Uint8Array[];
}

/** The session our §3 server sealed into the RFC's ticket. */
async function sessionFromSection3Server(): Promise<SessionState> {
  const run = section3Server();
  await replay(openTrace(3), 'server', run.connection, run.observer);
  return run.wrapped[0]!;
}

function resumingServer(session: SessionState): ResumingServer {
  const trace = openTrace(4);
  const random = new ScriptedRandom(
    [
      { label: 'x25519 private key', bytes: ephemeralKey(trace, 'server') },
      { label: 'server random', bytes: SH4.random },
    ],
    'none',
  );
  const observer = new ReplayObserver();
  const shaper = new MessageShaper(
    t4.messages.filter((m) => m.sender === 'server').map((m) => m.bytes),
    SERVER_POLICY,
  );
  const unwrapped: Uint8Array[] = [];
  const config: ServerConfig = {
    crypto: provider,
    random: random.source,
    // The server's clock agrees with the client's: the ticket is 6 ms old (§8.3 freshness).
    now: () => RESUMED_AT,
    cipherSuites: SUITES,
    groups: GROUPS,
    signatureSchemes: SCHEMES,
    // Offered for a full handshake; a PSK handshake sends no certificate.
    certificates: [{ chain: [SERVER_CERT], privateKey: rfcRsaKey(openTrace(2).steps[0]!) }],
    // The RFC's §4 server sends no NewSessionTicket.
    ticketCount: 0,
    maxEarlyData: 1024,
    unwrapSession: (ticket) => {
      unwrapped.push(ticket.slice());
      return bytesEqual(ticket, RFC_TICKET) ? session : undefined;
    },
    shapeMessage: shaper.shape,
    trace: observer.trace,
    keyLog: observer.log,
  };
  return { connection: new ServerConnection(config), observer, random, shaper, unwrapped };
}

/** The client's records before its EndOfEarlyData: ClientHello and 0-RTT data. */
const FIRST_FLIGHT: ReadonlySet<string> = (() => {
  const records = rfcRecords(openTrace(4));
  const eoed = records.findIndex((r) => r.messageTypes.includes(HandshakeType.end_of_early_data));
  return new Set(records.slice(0, eoed).filter((r) => r.sender === 'client').map((r) => r.where));
})();

function isFirstFlight(rec: RfcRecord): boolean {
  return FIRST_FLIGHT.has(rec.where);
}

describe('RFC 8448 §4 replay: our server resumes and accepts 0-RTT', () => {
  it('reads the RFC\'s early data as early, and emits exactly the RFC\'s server records', async () => {
    const trace = openTrace(4);
    const run = resumingServer(await sessionFromSection3Server());
    const conn = run.connection;

    // The client's first flight is fed by hand: the driver's checks expect
    // 1-RTT data, and this record is 0-RTT data, which must say so.
    const first = rfcRecords(trace).filter(isFirstFlight);
    expect(first.map((r) => r.kind)).toEqual(['handshake', 'application_data']);
    conn.receive(first[0]!.record);
    await conn.settled();
    expect(conn.events()).toEqual([]);
    expect(conn.handshakeState).toBe('WAIT_EOED');
    conn.receive(first[1]!.record);
    await conn.settled();
    const earlyEvents = conn.events();
    expect(earlyEvents).toEqual([{ type: 'data', bytes: first[1]!.payload, early: true }]);
    expect(toHex(first[1]!.payload)).toBe(toHex(new TextEncoder().encode('ABCDEF')));
    // Still replayable: the client's Finished has not been verified.
    expect(conn.handshakeConfirmed).toBe(false);

    const report = await replay(withoutRecords(trace, isFirstFlight), 'server', conn, run.observer);
    // ServerHello, EncryptedExtensions + Finished, application data, close_notify.
    expect(report.compared).toEqual(recordsOf(trace, 'server'));
    expect(report.compared).toHaveLength(4);
    expect(report.accepted).toEqual(recordsOf(trace, 'client').slice(2));
    expect(report.notCompared).toEqual([]);
    expect(run.observer.sentMessages.map((m) => m[0])).toEqual([HandshakeType.server_hello, HandshakeType.encrypted_extensions, HandshakeType.finished]);

    expect(conn.handshakeState).toBe('CONNECTED');
    expect(conn.error).toBeUndefined();
    expect(conn.closed).toBe(true);
    const state = conn.state;
    expect(state.resumed).toBe(true);
    expect(state.earlyDataAccepted).toBe(true);
    expect(state.handshakeConfirmed).toBe(true);
    expect(state.cipherSuite?.code).toBe(CipherSuite.TLS_AES_128_GCM_SHA256);
    expect(state.group?.code).toBe(NamedGroup.x25519);
    expect(state.signatureScheme).toBeUndefined();
    expect(state.serverName).toBe('server');
    expect(state.peerCertificates).toEqual([]);
    // Early and 1-RTT data are never merged: the 1-RTT chunk came separately, not early.
    const data = report.events.filter((e) => e.type === 'data');
    expect(data.map((e) => e.type === 'data' && e.early)).toEqual([false]);

    expect(run.unwrapped.map(toHex)).toEqual([toHex(RFC_TICKET)]);
    expect(Object.fromEntries(report.keyLog)).toEqual(
      expectedKeyLog(trace, { CLIENT_EARLY_TRAFFIC_SECRET: 'c e traffic', ...ONE_RTT_SECRETS }),
    );
    expect(run.random.used).toEqual(['x25519 private key', 'server random']);
    expect(run.random.exhausted).toBe(true);
    expect(run.shaper.adjustments).toEqual([
      'encrypted_extensions 1: extension order as the RFC\'s',
      'encrypted_extensions 1: + supported_groups',
    ]);
    expect(run.shaper.complete).toBe(true);
  });

  it('the session from §3 carries the RFC\'s PSK: another PSK fails the binder (decrypt_error)', async () => {
    const session = await sessionFromSection3Server();
    const run = resumingServer({ ...session, psk: session.psk.map((b, i) => (i === 0 ? b ^ 1 : b)) });
    run.connection.receive(rfcRecords(openTrace(4))[0]!.record);
    await run.connection.settled();
    expect(run.connection.error?.alert).toBe('decrypt_error');
  });
});
