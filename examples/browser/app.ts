/**
 * The example page's script (bundled by examples/browser/bundle.ts).
 *
 * 1. A whole TLS 1.3 handshake inside the page: the page makes its own CA
 *    and server certificate (so no private key ships with the example),
 *    connects a client and a server through an in-memory stream pair, echoes
 *    a message, and prints the annotated trace of both sides.
 * 2. A TLS client in the page talking to a real TCP server (openssl
 *    s_server) through a WebSocket relay (relay.ts): the relay only moves
 *    ciphertext; certificate verification and the keys stay in the page.
 *
 * Only the library's platform-neutral entry point is used: the same code
 * runs in Node, Deno, Bun and Workers.
 */
import {
  type ConnectionState,
  TraceClock,
  TraceRecorder,
  acceptStreams,
  connectStreams,
  formatDialogue,
  formatTrace,
  nobleCrypto,
  streamPair,
  webSocketStreams,
} from '../../src/index.js';
import { createCertificate, generatePrivateKey, publicKeyFromPrivateKey } from '../../src/x509/index.js';

/** What serve.ts tells the page about the relay (GET config.json). */
interface RelayConfig {
  /** Path of the WebSocket relay, relative to the page. */
  readonly relay: string;
  /** The name in the target's certificate. */
  readonly serverName: string;
  /** PEM of the CA that issued the target's certificate. */
  readonly ca: string;
  /** For people: what the relay connects to. */
  readonly target: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function element<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** The status lines the browser test reads: data-state is idle | running | done | error. */
function setStatus(id: string, state: 'running' | 'done' | 'error', text: string): void {
  const el = element(id);
  el.dataset.state = state;
  el.textContent = text;
}

function describeState(state: ConnectionState): string {
  return [
    state.version,
    state.cipherSuite?.name,
    state.group?.name,
    state.signatureScheme?.name,
    state.verifiedChains.length > 0 ? `certificate verified for ${state.serverName ?? '(no name)'}` : 'certificate not verified',
  ]
    .filter(Boolean)
    .join(', ');
}

async function readText(readable: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    text += decoder.decode(value, { stream: true });
  }
}

// ------------------------------------------------------ 1. in-page handshake

/** A fresh CA and a server certificate for `name`, valid from an hour ago for a day. */
async function makeCertificates(name: string) {
  const provider = nobleCrypto;
  const notBefore = new Date(Date.now() - 3_600_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const caKey = generatePrivateKey('P-256', provider.random);
  const ca = await createCertificate({
    subject: { organization: 'tls13 example', commonName: 'In-page CA' },
    issuerKey: caKey,
    publicKey: publicKeyFromPrivateKey(caKey),
    notBefore,
    notAfter,
    usage: 'ca',
    provider,
  });
  const leafKey = generatePrivateKey('P-256', provider.random);
  const leaf = await createCertificate({
    subject: { commonName: name },
    issuer: ca,
    issuerKey: caKey,
    publicKey: publicKeyFromPrivateKey(leafKey),
    dnsNames: [name],
    notBefore,
    notAfter,
    usage: 'server',
    provider,
  });
  return { ca, leaf, leafKey };
}

async function runInPage(): Promise<void> {
  setStatus('status', 'running', 'making a CA and a server certificate…');
  element('trace').textContent = '';
  const started = performance.now();
  const name = 'server.example';
  const { ca, leaf, leafKey } = await makeCertificates(name);

  // One clock for both recorders, so the dialogue interleaves in the order things happened.
  const clock = new TraceClock();
  const clientTrace = new TraceRecorder('client', { clock });
  const serverTrace = new TraceRecorder('server', { clock });

  setStatus('status', 'running', 'handshaking…');
  const [clientSide, serverSide] = streamPair();
  const server = acceptStreams(serverSide, {
    certificates: [{ chain: [leaf], privateKey: leafKey }],
    trace: serverTrace.handler,
  });
  // The server echoes what it reads; pipeTo also closes its side when the client closes.
  const echo = server.readable.pipeTo(server.writable);
  const client = connectStreams(clientSide, { ca, trace: clientTrace.handler }, { serverName: name });

  const message = 'hello from the page';
  const writer = client.writable.getWriter();
  await writer.write(encoder.encode(message));
  await writer.close();
  const echoed = await readText(client.readable);
  await Promise.all([echo, client.closed, server.closed]);
  const state = await client.handshake;
  const ms = Math.round(performance.now() - started);

  element('summary').textContent =
    `client: ${describeState(state)}\n` +
    `server: ${describeState(await server.handshake)}\n` +
    `sent "${message}", the server echoed "${echoed}"; both sides closed with close_notify`;
  element('trace').textContent = formatDialogue(clientTrace.entries, serverTrace.entries);
  if (echoed !== message) throw new Error(`the echo came back as "${echoed}"`);
  setStatus('status', 'done', `handshake complete in ${ms} ms: ${state.cipherSuite?.name} with ${state.group?.name}`);
}

// ------------------------------------------------------ 2. TLS over WebSocket

let relayConfig: RelayConfig | undefined;

async function loadRelayConfig(): Promise<void> {
  const button = element<HTMLButtonElement>('ws-run');
  try {
    const res = await fetch('config.json');
    if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
    relayConfig = (await res.json()) as RelayConfig;
    element('ws-target').textContent = `relay ${relayConfig.relay} → ${relayConfig.target} (certificate for ${relayConfig.serverName})`;
    button.disabled = false;
  } catch {
    element('ws-target').textContent = 'No relay here: start the page with `npm run example:browser` to try this part.';
  }
}

async function runOverWebSocket(): Promise<void> {
  const config = relayConfig;
  if (!config) throw new Error('no relay configured');
  element('ws-response').textContent = '';
  element('ws-trace').textContent = '';
  setStatus('ws-status', 'running', 'opening the WebSocket…');
  const url = new URL(config.relay, location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const transport = await webSocketStreams(new WebSocket(url));

  setStatus('ws-status', 'running', 'handshaking with the target through the relay…');
  const trace = new TraceRecorder('client');
  const tls = connectStreams(
    transport,
    { ca: config.ca, trace: trace.handler },
    { serverName: config.serverName, onWire: (direction, bytes) => trace.wire(direction, bytes) },
  );
  try {
    const writer = tls.writable.getWriter();
    await writer.write(encoder.encode(`GET / HTTP/1.0\r\nHost: ${config.serverName}\r\n\r\n`));
    const state = await tls.handshake;
    // HTTP/1.0: the response ends when the server closes (with close_notify, or it is an error).
    const response = await readText(tls.readable);
    await writer.close();
    await tls.closed;
    element('ws-response').textContent = response;
    const statusLine = response.split('\r\n', 1)[0] ?? '';
    setStatus('ws-status', 'done', `${statusLine} — ${describeState(state)}`);
  } finally {
    element('ws-trace').textContent = formatTrace(trace.entries, { fields: false });
  }
}

// ------------------------------------------------------------------ wiring

function guarded(id: string, run: () => Promise<void>): () => void {
  return () => {
    run().catch((err: unknown) => {
      setStatus(id, 'error', err instanceof Error ? `${err.name}: ${err.message}` : String(err));
    });
  };
}

element('run').addEventListener('click', guarded('status', runInPage));
element('ws-run').addEventListener('click', guarded('ws-status', runOverWebSocket));
guarded('status', runInPage)();
void loadRelayConfig();
