/**
 * `tls13 demo`: a guided tour of TLS 1.3, run entirely in memory.
 *
 * A client and a server (the library's sans-I/O connections) talk through a
 * pretend network that this file drives one flight at a time, so every
 * message, state change and key change can be printed where it happens:
 *
 *   0. a private CA and a server certificate, made with src/x509/issue.ts;
 *   1. a full handshake;
 *   2. a resumption with a session ticket, with 0-RTT data, showing which
 *      bytes the server received as early data and when the handshake was
 *      confirmed (confirmHandshake() resolving);
 *   3. an attacker replaying that first flight, and the server refusing the
 *      replayed 0-RTT data.
 */
import {
  ClientConnection,
  ServerConnection,
  nobleCrypto,
  type ClientConfig,
  type ClientSession,
  type ConnectionEvent,
  type ServerConfig,
  type TraceEntry,
} from '../../src/index.js';
import { pump, type AnyConnection } from '../../src/transport/index.js';
import {
  createCertificate,
  encodeCertificatePem,
  encodePrivateKeyPem,
  generatePrivateKey,
  parseCertificate,
  publicKeyFromPrivateKey,
} from '../../src/x509/index.js';
import { parseArgs, type CommandSpec } from '../args.js';
import { describeMessage as decodeMessage, messageName, messageSection, renderFields, type Side } from '../../src/inspect/index.js';
import { PLAIN, styleFor, type Style } from '../style.js';
import { summarizeMessage } from '../summary.js';

export const DEMO_SPEC: CommandSpec = {
  name: 'tls13 demo',
  positionals: [],
  summary: 'Run a TLS 1.3 handshake, a resumption with 0-RTT data and a replay attempt in memory, explaining each step.',
  flags: {
    states: { type: 'boolean', help: 'also show every state machine transition (RFC 8446 Appendix A)' },
    fields: { type: 'boolean', help: 'decode every message field by field (with RFC sections) instead of a summary' },
  },
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Where each side's outgoing messages are protected, from its 'keys' trace entries. */
type Level = 'plaintext' | 'early' | 'handshake' | 'application';

class Narrator {
  private readonly writeLevel: Record<Side, Level> = { client: 'plaintext', server: 'plaintext' };
  private readonly pending: { side: Side; entry: TraceEntry }[] = [];
  readonly notes: string[] = [];
  /** The first session ticket a client received (for the resumption act). */
  firstTicket: ClientSession | undefined;

  constructor(
    readonly style: Style,
    private readonly showStates: boolean,
    private readonly showFields: boolean,
    private readonly color: boolean,
  ) {}

  out(line = ''): void {
    process.stdout.write(`${line}\n`);
  }

  heading(text: string): void {
    this.out();
    this.out(this.style.bold(`== ${text} ==`));
  }

  para(text: string): void {
    for (const line of wrap(text, 92)) this.out(`  ${line}`);
  }

  tracer(side: Side): (entry: TraceEntry) => void {
    return (entry) => this.pending.push({ side, entry });
  }

  /** A new connection on `side`: it starts in plaintext again. */
  reset(side: Side): void {
    this.writeLevel[side] = 'plaintext';
  }

  /**
   * Prints what `side` produced for the flight now leaving it: its messages
   * and key changes (they were traced when made, which may have been while
   * it was still reading the previous flight).
   */
  printOutgoing(side: Side): void {
    this.take((e) => e.side === side).forEach((e) => this.printEntry(e.side, e.entry));
  }

  /** Prints what `side` did on receiving a flight (read-key changes, transitions), keeping what it will send. */
  printIncoming(side: Side): void {
    const receiving = (entry: TraceEntry): boolean =>
      (entry.kind === 'keys' && entry.direction === 'read') ||
      entry.kind === 'transition' ||
      entry.kind === 'note' ||
      (entry.kind === 'alert' && entry.direction === 'received');
    this.take((e) => e.side === side && receiving(e.entry)).forEach((e) => this.printEntry(e.side, e.entry));
  }

  /** Forgets what `side` traced (a reply nobody will receive). */
  discard(side: Side): { side: Side; entry: TraceEntry }[] {
    return this.take((e) => e.side === side);
  }

  private take(pred: (e: { side: Side; entry: TraceEntry }) => boolean): { side: Side; entry: TraceEntry }[] {
    const taken: { side: Side; entry: TraceEntry }[] = [];
    const kept: { side: Side; entry: TraceEntry }[] = [];
    for (const e of this.pending.splice(0)) (pred(e) ? taken : kept).push(e);
    this.pending.push(...kept);
    return taken;
  }

  private who(side: Side): string {
    return side === 'client' ? this.style.client('client') : this.style.server('server');
  }

  private printEntry(side: Side, entry: TraceEntry): void {
    const s = this.style;
    switch (entry.kind) {
      case 'message': {
        if (entry.direction !== 'sent') return; // shown once, by its sender
        const arrow = side === 'client' ? `${s.client('C')} ───▶ ${s.server('S')}` : `${s.client('C')} ◀─── ${s.server('S')}`;
        const level = this.writeLevel[side];
        const protection = level === 'plaintext' ? 'plaintext' : `encrypted, ${level} keys`;
        const section = messageSection(entry.message);
        this.out(`  ${arrow}  ${s.bold(messageName(entry.message).padEnd(20))} ${s.dim(`${entry.bytes.length} bytes, ${protection}  [${section}]`)}`);
        if (this.showFields) {
          // Every field, as src/inspect decodes it.
          for (const child of decodeMessage(entry.message).children ?? []) {
            for (const line of renderFields(child, { color: this.color })) this.out(`               ${line}`);
          }
        } else {
          for (const d of summarizeMessage(entry.message)) this.out(`               ${s.dim('·')} ${d}`);
        }
        return;
      }
      case 'keys': {
        const level = entry.level as Level;
        if (entry.direction === 'write') this.writeLevel[side] = level;
        const verb = entry.direction === 'write' ? 'sends' : 'receives';
        this.out(`               ${s.dim(`${side} now ${verb} with ${entry.level} traffic keys`)}`);
        return;
      }
      case 'transition':
        if (this.showStates) this.out(`               ${s.dim(`${side} state ${entry.from} → ${entry.to} (on ${entry.on}; ${entry.rfc})`)}`);
        return;
      case 'change_cipher_spec':
        return; // a compatibility no-op (RFC 8446 §D.4); mentioned once in the text instead
      case 'alert':
        this.out(`               ${this.who(side)} ${entry.direction} alert ${s.warn(entry.alert)} (${entry.level})`);
        return;
      case 'note':
        this.out(`               ${s.dim(`${side}: ${entry.text}`)}`);
        return;
    }
  }

  /** Prints the application-level events of one side (data, handshake done, tickets, ...). */
  events(side: Side, events: readonly ConnectionEvent[]): void {
    const s = this.style;
    for (const ev of events) {
      switch (ev.type) {
        case 'handshake':
          this.out(`  ${this.who(side)} event ${s.ok('handshake')}: complete${side === 'server' ? '' : ` (${ev.state.cipherSuite?.name}, ${ev.state.group?.name ?? 'no group'})`}`);
          break;
        case 'data': {
          const tag = ev.early ? s.warn('early: true  (0-RTT, replayable)') : s.ok('early: false (1-RTT)');
          this.out(`  ${this.who(side)} event data ${tag}  ${JSON.stringify(decoder.decode(ev.bytes))}`);
          break;
        }
        case 'ticket':
          if (side === 'client') this.firstTicket ??= ev.session;
          this.out(`  ${this.who(side)} event ticket: stored a session ticket (0-RTT allowed: ${ev.session.maxEarlyData} bytes)`);
          break;
        case 'early_data':
          this.out(
            `  ${this.who(side)} event early_data: ${ev.accepted ? s.ok('accepted') : s.warn(`rejected (${ev.rejected.length} bytes ${ev.resent ? 'will be resent as 1-RTT' : 'dropped'})`)}`,
          );
          break;
        case 'error':
          this.out(`  ${this.who(side)} event ${s.warn('error')}: ${ev.error.message}`);
          break;
        default:
          this.out(`  ${this.who(side)} event ${ev.type}`);
      }
    }
    for (const note of this.notes.splice(0)) this.out(note);
  }
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * One flight: everything `from` has to send, delivered to `to`. Prints the
 * messages as they leave `from`, what `to` does on receiving them, then both
 * applications' events.
 */
async function flight(
  n: Narrator,
  title: string,
  from: AnyConnection,
  to: AnyConnection,
  pair: { client: AnyConnection; server: AnyConnection },
  tap?: (bytes: Uint8Array) => void,
): Promise<void> {
  const fromSide: Side = from === pair.client ? 'client' : 'server';
  n.out();
  n.out(`  ${n.style.dim(`-- ${title} --`)}`);
  await from.settled();
  n.printOutgoing(fromSide);
  await pump(from, to, tap ? { onTransfer: (_f, bytes) => (tap(bytes), bytes) } : {});
  // Let promise callbacks (confirmHandshake) run before we print.
  await Promise.resolve();
  n.printIncoming(fromSide === 'client' ? 'server' : 'client');
  n.events('client', pair.client.events());
  n.events('server', pair.server.events());
}

export async function demoCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(DEMO_SPEC, argv);
  const style = styleFor(process.stdout);
  const n = new Narrator(style, args.flag('states'), args.flag('fields'), style !== PLAIN);
  const provider = nobleCrypto;

  n.out(style.bold('tls13 demo: TLS 1.3 (RFC 8446) between a client and a server in this process, no network'));
  n.para(
    'Each arrow is one handshake message, printed by the side that sent it, with whether it travelled in ' +
      'plaintext or encrypted and under which keys. "event" lines are what each application sees.',
  );

  // ------------------------------------------------------------ 0. PKI
  n.heading('0. A private CA and a server certificate');
  const caKey = generatePrivateKey('P-256', provider.random);
  const now = Date.now();
  const caDer = await createCertificate({
    subject: { organization: 'tls13 demo', commonName: 'tls13 demo CA' },
    issuerKey: caKey,
    publicKey: publicKeyFromPrivateKey(caKey),
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    usage: 'ca',
    provider,
  });
  const leafKey = generatePrivateKey('P-256', provider.random);
  const leafDer = await createCertificate({
    subject: { commonName: 'localhost' },
    issuer: caDer,
    issuerKey: caKey,
    publicKey: publicKeyFromPrivateKey(leafKey),
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    provider,
  });
  const ca = parseCertificate(caDer);
  const leaf = parseCertificate(leafDer);
  n.out(`  CA:     ${ca.subject.text}  (ECDSA P-256, self-signed)`);
  n.out(`  leaf:   ${leaf.subject.text}, SAN DNS:localhost, IP:127.0.0.1, issued by ${leaf.issuer.text}`);
  n.para('The client trusts the CA; the server holds the leaf certificate and its private key.');

  const serverConfig: ServerConfig = {
    certificates: [{ cert: encodeCertificatePem(leafDer), key: encodePrivateKeyPem(leafKey) }],
    maxEarlyData: 16_384,
    ticketCount: 2,
    alpnProtocols: ['http/1.1'],
    trace: n.tracer('server'),
  };
  const clientConfig: ClientConfig = {
    ca: encodeCertificatePem(caDer),
    alpnProtocols: ['http/1.1'],
    enableEarlyData: true,
    trace: n.tracer('client'),
  };

  // ------------------------------------------------------------ 1. full handshake
  n.heading('1. Full handshake: one round trip, then application data');
  n.para(
    'The client guesses the key exchange and sends its key shares in the very first message, so the ' +
      'server can answer with its share and switch to encryption at once. Everything after ServerHello ' +
      'is encrypted. (Both sides also send a dummy ChangeCipherSpec record to soothe old middleboxes, RFC 8446 §D.4; it is not shown.)',
  );
  const client = new ClientConnection(clientConfig, { serverName: 'localhost' });
  const server = new ServerConnection(serverConfig);
  const pair1 = { client, server };
  await flight(n, 'flight 1: client → server', client, server, pair1);
  await flight(n, 'flight 2: server → client', server, client, pair1);
  n.para('The client has verified the certificate chain, the CertificateVerify signature and the Finished MAC: it may send data now.');
  client.write(encoder.encode('hello over 1-RTT'));
  await flight(n, 'flight 3: client → server (Finished, then application data)', client, server, pair1);
  n.para('After the handshake the server sends session tickets; each lets the client resume later without a certificate.');
  await flight(n, 'server → client (after the handshake)', server, client, pair1);
  const full = client.state;
  const session = n.firstTicket;
  if (!session) throw new Error('demo: the server sent no ticket');
  n.out();
  n.para('Both sides close with a close_notify alert, so neither can mistake a cut connection for the end of the data.');
  client.close();
  await pump(client, server);
  server.close();
  await pump(server, client);
  n.discard('client');
  n.discard('server');
  client.events();
  server.events();

  // ------------------------------------------------------------ 2. resumption + 0-RTT
  n.heading('2. Resumption with a ticket, and 0-RTT data');
  n.para(
    'The client now offers the ticket as a pre-shared key and, because the ticket allows it, sends a request ' +
      'straight after the ClientHello, encrypted with keys derived from the ticket alone: 0-RTT "early data". ' +
      'It costs no round trip, but it is replayable: the server must treat it with care until the handshake is confirmed.',
  );
  n.reset('client');
  n.reset('server');
  const client2 = new ClientConnection(clientConfig, { serverName: 'localhost', session });
  const server2 = new ServerConnection(serverConfig);
  const pair2 = { client: client2, server: server2 };
  const earlyRequest = 'GET /early HTTP/1.1 (sent as 0-RTT)';
  n.out(`  client writes ${JSON.stringify(earlyRequest)} before the handshake (the ticket allows ${client2.earlyDataWritable} bytes)`);
  client2.write(encoder.encode(earlyRequest));
  let confirmedAt = '';
  let currentFlight = '';
  void server2.confirmHandshake().then(() => {
    confirmedAt = currentFlight;
    n.notes.push(
      `  ${style.server('server')} ${style.ok('confirmHandshake() resolved')}: the client's Finished is verified, handshakeConfirmed = true`,
    );
  });
  let replayBytes: Uint8Array | undefined;
  currentFlight = 'flight 1';
  await flight(n, 'flight 1: client → server (ClientHello + 0-RTT data)', client2, server2, pair2, (b) => (replayBytes = b));
  n.para(
    `The server handed the early bytes to its application at once, flagged early: true, while handshakeConfirmed = ${server2.handshakeConfirmed}. ` +
      'It may read them, but should not act on anything that must not happen twice until the handshake is confirmed.',
  );
  currentFlight = 'flight 2';
  await flight(n, 'flight 2: server → client', server2, client2, pair2);
  client2.write(encoder.encode('and this line goes after the handshake'));
  currentFlight = 'flight 3';
  await flight(n, 'flight 3: client → server (EndOfEarlyData, Finished, 1-RTT data)', client2, server2, pair2);
  n.para('Early and 1-RTT bytes are delivered as separate chunks, each saying which it is; they are never merged.');
  currentFlight = 'after the handshake';
  await flight(n, 'server → client (after the handshake)', server2, client2, pair2);
  const resumed = server2.state;

  // ------------------------------------------------------------ 3. replay
  n.heading('3. An attacker replays flight 1');
  n.para(
    'Someone who recorded the ClientHello and its 0-RTT data sends the same bytes to the server again. ' +
      'The server may still resume the session (the attacker will not get further), but the ticket was single-use for 0-RTT: ' +
      'the anti-replay store remembers it, so the early data is not delivered this time.',
  );
  n.reset('server');
  const replayServer = new ServerConnection(serverConfig);
  let replayedEarly = 0;
  if (replayBytes) {
    n.out();
    n.out(`  ${style.dim('-- attacker → server: the recorded flight 1, byte for byte --')}`);
    replayServer.receive(replayBytes);
    await replayServer.settled();
    n.printIncoming('server');
    const answer = n.discard('server').flatMap((e) => (e.entry.kind === 'message' && e.entry.direction === 'sent' ? [messageName(e.entry.message)] : []));
    const evs = replayServer.events();
    for (const e of evs) if (e.type === 'data' && e.early) replayedEarly += e.bytes.length;
    n.events('server', evs);
    const accepted = replayServer.state.earlyDataAccepted;
    n.out(`  server answers with ${answer.join(', ')}: 0-RTT ${accepted ? style.warn('accepted') : style.ok('rejected (no early_data in EncryptedExtensions)')}`);
    n.out(`  replayed 0-RTT bytes delivered to the server application: ${replayedEarly === 0 ? style.ok('0') : style.warn(String(replayedEarly))}`);
    n.para("Without the client's keys the attacker cannot produce the client's Finished, so this handshake never completes.");
  }

  // ------------------------------------------------------------ summary
  n.heading('Summary');
  const rows: [string, string][] = [
    ['full handshake', `${full.cipherSuite?.name}, ${full.group?.name}, certificate signed with ${full.signatureScheme?.name}; 1 round trip`],
    ['resumption', `${resumed.resumed ? 'yes' : 'no'}: ticket (PSK) + fresh ${resumed.group?.name ?? '(no)'} key exchange, no certificate sent`],
    ['0-RTT', `${resumed.earlyDataAccepted ? 'accepted' : 'rejected'}: ${JSON.stringify(earlyRequest)} arrived with the ClientHello, flagged early: true`],
    ['confirmation', confirmedAt ? `server confirmHandshake() resolved at ${confirmedAt}, when the client's Finished arrived` : 'never (unexpected)'],
    ['replay', replayedEarly === 0 ? 'the replayed 0-RTT data was refused' : `${replayedEarly} replayed bytes delivered (unexpected)`],
  ];
  for (const [k, v] of rows) n.out(`  ${k.padEnd(15)} ${v}`);
  n.out();
  return resumed.earlyDataAccepted && confirmedAt && replayedEarly === 0 ? 0 : 1;
}
