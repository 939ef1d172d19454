/**
 * `tls13 client HOST:PORT`: a TLS 1.3 client in the spirit of
 * `openssl s_client`. It connects, completes the handshake, then copies stdin
 * to the connection and the connection to stdout. It exits 0 once the
 * server has closed (close_notify, or a bare TCP close, which is reported),
 * and non-zero with the error's sentence on stderr when anything fails.
 *
 * Resumption and 0-RTT: --sess-out saves the latest ticket; --sess-in
 * resumes with it; --early-data FILE sends FILE's bytes as 0-RTT data when
 * the saved ticket allows it (and as ordinary data after the handshake if the
 * server refuses them). Stdin is read only after the handshake, so only
 * FILE's bytes are ever early.
 */
import net from 'node:net';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { ClientConnection, type ClientConfig, type ClientOptions } from '../../src/index.js';
import { parseArgs, type CommandSpec, type ParsedArgs } from '../args.js';
import { SHARED_FLAGS, describeState, parseHostPort, sharedConfig, traceWriter } from '../common.js';
import { Driver } from '../driver.js';
import { CliError, readCertificates, readKeyPair, readSession, writeSession } from '../files.js';

export const CLIENT_SPEC: CommandSpec = {
  name: 'tls13 client',
  positionals: ['HOST:PORT'],
  summary: 'Connect to a TLS 1.3 server; copy stdin to it and what it sends to stdout.',
  flags: {
    ca: { type: 'string', value: 'FILE', help: 'trust these CA certificates (PEM) instead of the system roots' },
    servername: { type: 'string', value: 'NAME', help: 'name to send as SNI and verify the certificate against (default: HOST)' },
    cert: { type: 'string', value: 'FILE', help: 'client certificate chain (PEM), for servers that ask for one' },
    key: { type: 'string', value: 'FILE', help: 'private key of the client certificate (PEM)' },
    insecure: { type: 'boolean', help: 'do NOT verify the server certificate (testing only)' },
    'sess-out': { type: 'string', value: 'FILE', help: 'save the session ticket the server sends to FILE' },
    'sess-in': { type: 'string', value: 'FILE', help: 'resume the session saved in FILE' },
    'early-data': { type: 'string', value: 'FILE', help: "send FILE's contents as 0-RTT early data (needs --sess-in)" },
    'key-update': { type: 'boolean', help: 'send a KeyUpdate on SIGUSR1, or when a stdin line is exactly "K"' },
    ...SHARED_FLAGS,
  },
  epilogue: [
    'examples:',
    '  echo hello | tls13 client 127.0.0.1:4433 --ca ca/ca.crt',
    '  printf "GET / HTTP/1.0\\r\\n\\r\\n" | tls13 client localhost:4433 --ca ca/ca.crt --sess-out s.pem',
    '  tls13 client localhost:4433 --ca ca/ca.crt --sess-in s.pem --early-data request.txt < /dev/null',
  ].join('\n'),
};

export async function clientCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(CLIENT_SPEC, argv);
  const target = hostPortOrUsageError(args);
  const quiet = args.flag('quiet');
  const info = (line: string): void => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  const certPath = args.string('cert');
  const keyPath = args.string('key');
  if ((certPath === undefined) !== (keyPath === undefined)) args.fail('--cert and --key go together');
  const earlyPath = args.string('early-data');
  if (earlyPath && !args.has('sess-in')) args.fail('--early-data needs --sess-in: 0-RTT is only possible when resuming a session');
  const caPath = args.string('ca');
  const insecure = args.flag('insecure');
  if (insecure) {
    process.stderr.write(
      'WARNING: --insecure: the server certificate is NOT verified; anyone on the network path can impersonate the server\n',
    );
  }

  const config: ClientConfig = {
    ...sharedConfig(args),
    ...(args.flag('trace') ? { trace: traceWriter('client') } : {}),
    ca: caPath ? readCertificates(caPath, 'CA file') : tls.rootCertificates,
    ...(insecure ? { insecureSkipVerify: true } : {}),
    ...(certPath && keyPath ? { certificates: [readKeyPair(certPath, keyPath)] } : {}),
    enableEarlyData: earlyPath !== undefined,
    // Refused 0-RTT bytes are sent again once the handshake completes, so FILE always arrives.
    retryRejectedEarlyData: true,
  };
  const sessIn = args.string('sess-in');
  const session = sessIn ? readSession(sessIn) : undefined;
  const options: ClientOptions = {
    serverName: args.string('servername') ?? target.host,
    ...(session ? { session } : {}),
  };
  if (session && session.serverName !== options.serverName) {
    // RFC 8446 §4.6.1 / §4.2.10: a ticket is tied to the server name it was issued under.
    info(`warning: the session in ${sessIn} was made for "${session.serverName}", not "${options.serverName}": expect a full handshake`);
  }
  let early: Uint8Array | undefined;
  if (earlyPath) {
    try {
      early = new Uint8Array(readFileSync(earlyPath));
    } catch (err) {
      throw new CliError(`cannot read early data file ${earlyPath}: ${(err as NodeJS.ErrnoException).code ?? ''}`);
    }
  }

  const connection = new ClientConnection(config, options);
  if (early && early.length > 0) {
    const allowed = connection.earlyDataWritable;
    connection.write(early);
    if (allowed === 0) info('early data: the session does not allow 0-RTT; the data will be sent after the handshake');
    else info(`early data: sending ${Math.min(allowed, early.length)} of ${early.length} bytes as 0-RTT`);
  }

  const sessOut = args.string('sess-out');
  const keyUpdate = args.flag('key-update');
  const socket = net.connect({ host: target.host, port: target.port });

  return new Promise<number>((resolve) => {
    let status = 0;
    let stdinStarted = false;
    const fail = (message: string): void => {
      if (status === 0) process.stderr.write(`tls13: error: ${message}\n`);
      status = 1;
    };
    const sendKeyUpdate = (): void => {
      try {
        connection.updateKeys(true);
        driver.flush();
        info('KeyUpdate sent (update_requested)');
      } catch (err) {
        info(`cannot send KeyUpdate: ${(err as Error).message}`);
      }
    };
    const driver = new Driver(socket, connection, {
      onEvent(event) {
        switch (event.type) {
          case 'handshake':
            if (!stdinStarted) {
              // Stdin is read only now, so that none of it can go out as (replayable) 0-RTT data.
              stdinStarted = true;
              if (keyUpdate) process.on('SIGUSR1', sendKeyUpdate);
              pipeStdin(driver, keyUpdate ? sendKeyUpdate : undefined);
            }
            info(`handshake: ${describeState(event.state)}`);
            if (event.state.resumed) info('server authenticated by the resumed session (its certificate was verified when the ticket was issued)');
            else if (insecure) info('certificate: NOT verified (--insecure)');
            else info(`certificate: verified for ${options.serverName}`);
            return;
          case 'data':
            process.stdout.write(event.bytes);
            return;
          case 'ticket':
            if (sessOut) {
              writeSession(sessOut, event.session);
              info(`session ticket saved to ${sessOut} (0-RTT allowed: ${event.session.maxEarlyData} bytes)`);
            }
            return;
          case 'early_data':
            if (event.accepted) info('early data: ACCEPTED by the server (sent as 0-RTT)');
            else info(`early data: REJECTED by the server; ${event.rejected.length} bytes ${event.resent ? 'resent after the handshake' : 'dropped'}`);
            return;
          case 'key_update':
            info(`keys updated (${event.direction})`);
            return;
          case 'end':
            // The server is done; close our side too and leave.
            driver.close();
            return;
          case 'alert':
            info(`alert from the server: ${event.alert}`);
            return;
          case 'error':
            fail(event.error.message);
            driver.abort();
            return;
          default:
            return;
        }
      },
      onSocketEnd(clean) {
        if (!clean && !connection.closed) info('the server closed the TCP connection without close_notify');
        if (!connection.handshakeComplete && !connection.error) fail('the server closed the connection during the handshake');
        socket.end();
      },
      onSocketError(err) {
        fail(`${err.message}`);
      },
      onSocketClose() {
        process.off('SIGUSR1', sendKeyUpdate);
        resolve(status);
      },
    });
    driver.flush();
  });
}

function hostPortOrUsageError(args: ParsedArgs): { host: string; port: number } {
  try {
    return parseHostPort(args.positionals[0]!);
  } catch (err) {
    return args.fail((err as Error).message);
  }
}

/**
 * Copies stdin into the connection. With a KeyUpdate trigger, input is taken
 * line by line and a line that is exactly "K" sends a KeyUpdate instead of
 * data. At EOF we send close_notify but keep reading: TLS 1.3 closes each
 * direction separately (RFC 8446 §6.1), and the server may still answer.
 */
function pipeStdin(driver: Driver, onK: (() => void) | undefined): void {
  let pending = '';
  const write = (text: string): void => {
    if (text.length > 0) driver.write(Buffer.from(text, 'latin1'));
  };
  process.stdin.on('data', (chunk: Buffer) => {
    if (driver.connection.closed) return;
    if (!onK) {
      driver.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      return;
    }
    pending += chunk.toString('latin1');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl + 1);
      pending = pending.slice(nl + 1);
      if (line.replace(/\r?\n$/, '') === 'K') onK();
      else write(line);
    }
  });
  process.stdin.on('end', () => {
    if (pending === 'K' && onK) onK();
    else write(pending);
    pending = '';
    if (!driver.connection.closed) {
      driver.connection.close();
      driver.flush();
    }
  });
  process.stdin.on('error', () => {
    // stdin closed under us (e.g. a terminal went away): treat as EOF.
  });
}
