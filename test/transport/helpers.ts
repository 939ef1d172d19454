/**
 * Shared fixtures for the transport tests: the test PKI of test/fixtures/pki
 * (ECDSA P-256 root → intermediate → leaves for "localhost" and 127.0.0.1)
 * and small promise helpers for sockets and servers.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type net from 'node:net';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { ClientConfig, ServerConfig } from '../../src/config.js';

const pki = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../fixtures/pki/${name}`, import.meta.url)), 'utf8');

export const ROOT = pki('root-ec.pem');
export const IMPOSTOR_ROOT = pki('root-impostor.pem');
const INTERMEDIATE = pki('int-ec.pem');

/** Leaf for DNS:localhost (and p256.test), with its intermediate. */
export const LOCALHOST = { cert: pki('leaf-p256.pem') + INTERMEDIATE, key: pki('leaf-p256.key') };
/** Leaf for IP:127.0.0.1 and ::1, with its intermediate. */
export const LOOPBACK_IP = { cert: pki('leaf-ip.pem') + INTERMEDIATE, key: pki('leaf-ip.key') };
/** A client certificate (EKU clientAuth) under the same intermediate. */
export const CLIENT_CERT = { cert: pki('leaf-client.pem') + INTERMEDIATE, key: pki('leaf-client.key') };

/** Fixed so the test PKI's 2025..2125 validity holds whatever the wall clock says. */
export const NOW = (): Date => new Date('2026-06-01T00:00:00Z');

export const serverConfig: ServerConfig = { certificates: [LOCALHOST, LOOPBACK_IP], now: NOW };
export const clientConfig: ClientConfig = { ca: ROOT, now: NOW };

export function portOf(server: net.Server): number {
  return (server.address() as AddressInfo).port;
}

export function listen<S extends net.Server>(server: S): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

export function once<T = unknown>(emitter: NodeJS.EventEmitter, event: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      emitter.off(event, onEvent);
      reject(err);
    };
    const onEvent = (value: T): void => {
      emitter.off('error', onError);
      resolve(value);
    };
    emitter.once(event, onEvent);
    if (event !== 'error') emitter.once('error', onError);
  });
}

/** Reads a stream to its end, returning the bytes. */
export function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A deterministic PRNG (mulberry32) so a failing random run can be replayed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Two connected in-process Duplex streams (Node 20 has no stream.duplexPair):
 * what one side writes, the other reads. A write completes only when the
 * other side's reader has room, so backpressure crosses the pair as it does
 * a TCP connection, minus the kernel buffers.
 */
export function duplexPair(highWaterMark = 16 * 1024): [Duplex, Duplex] {
  let a!: Duplex;
  let b!: Duplex;
  const waiting = new Map<Duplex, () => void>();
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      highWaterMark,
      allowHalfOpen: true,
      write(chunk: Buffer, _enc, callback) {
        const other = peer();
        if (other.destroyed) return callback(new Error('peer destroyed'));
        if (other.push(chunk)) callback();
        else waiting.set(other, () => callback());
      },
      final(callback) {
        peer().push(null);
        callback();
      },
      read() {
        const resume = waiting.get(this);
        waiting.delete(this);
        resume?.();
      },
      destroy(err, callback) {
        const other = peer();
        if (!other.destroyed) other.destroy();
        callback(err);
      },
    });
  a = make(() => b);
  b = make(() => a);
  return [a, b];
}
