/**
 * Command-line handling for `npm run interop` (interop/run.ts), kept apart
 * so tests can check how arguments become peers and command lines without
 * starting anything.
 */
import { dockerImage, dockerPeer, gnutlsPeer, localPeer, DOCKER_VERSIONS, type Peer } from './peer.js';

export interface Options {
  /** --peer values, in order (empty: the default). */
  readonly peers: readonly string[];
  /** --docker: run the peers in containers. */
  readonly docker: boolean;
  /** --docker-bin: the docker CLI. */
  readonly dockerBinary: string;
  /** --filter: case id or row substrings. */
  readonly filters: readonly string[];
  readonly concurrency: number;
  readonly timeoutScale: number;
  readonly list: boolean;
  readonly verbose: boolean;
  readonly json: string | undefined;
  readonly help: boolean;
}

export const USAGE = `usage: npm run interop -- [options]

  --peer P         a peer to test against, repeatable:
                     openssl          the openssl in PATH (default)
                     /path/to/openssl another local binary
                     gnutls           gnutls-serv / gnutls-cli in PATH (TLS 1.3 rows)
                     with --docker: an OpenSSL version (3.0, 3.5) or an image name
  --docker         start openssl with "docker run --rm --network host IMAGE openssl …"
                   (default peers: ${DOCKER_VERSIONS.map(dockerImage).join(', ')};
                   build them with: docker compose -f interop/docker-compose.yml build)
  --docker-bin B   the docker CLI to use (default: docker)
  --filter S       only cases whose id or row contains S (repeatable)
  --concurrency N  cases run at once (default 3)
  --timeout-scale X multiply every case timeout by X (slow machines)
  --list           list the cases and exit
  --verbose        print every result as it arrives
  --json FILE      also write the results as JSON
`;

export function parseArgs(argv: readonly string[]): Options {
  const peers: string[] = [];
  const filters: string[] = [];
  let docker = false;
  let dockerBinary = 'docker';
  let concurrency = 3;
  let timeoutScale = 1;
  let list = false;
  let verbose = false;
  let json: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--peer':
        peers.push(value());
        break;
      case '--docker':
        docker = true;
        break;
      case '--docker-bin':
        dockerBinary = value();
        break;
      case '--filter':
        filters.push(value());
        break;
      case '--concurrency': {
        concurrency = Number(value());
        if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error('--concurrency must be a positive integer');
        break;
      }
      case '--timeout-scale': {
        timeoutScale = Number(value());
        if (!(timeoutScale > 0)) throw new Error('--timeout-scale must be a positive number');
        break;
      }
      case '--list':
        list = true;
        break;
      case '--verbose':
        verbose = true;
        break;
      case '--json':
        json = value();
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  return { peers, docker, dockerBinary, filters, concurrency, timeoutScale, list, verbose, json, help };
}

/**
 * The peers an option set names. Local peers are probed (`openssl
 * version`); Docker peers are not (no engine needed to build the command
 * lines), their version comes from the tag.
 */
export function resolvePeers(opts: Options, probeLocal: (binary: string) => Peer = localPeer, probeGnutls: () => Peer = gnutlsPeer): Peer[] {
  if (opts.docker) {
    const specs = opts.peers.length > 0 ? opts.peers : DOCKER_VERSIONS;
    return specs.map((spec) => {
      if (/^\d+\.\d+(\.\d+)?$/.test(spec)) return dockerPeer(dockerImage(spec), spec, opts.dockerBinary);
      const tag = /:(\d+\.\d+(?:\.\d+)?)$/.exec(spec);
      if (!tag) throw new Error(`--docker --peer ${spec}: give a version (3.5) or an image tagged with one (name:3.5)`);
      return dockerPeer(spec, tag[1]!, opts.dockerBinary);
    });
  }
  const specs = opts.peers.length > 0 ? opts.peers : ['openssl'];
  return specs.map((spec) => (spec === 'gnutls' ? probeGnutls() : probeLocal(spec)));
}
