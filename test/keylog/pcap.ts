/**
 * A tiny pcap writer for the key log test: it turns the byte stream one TCP
 * connection carried (as our socket saw it, in the order it saw it) into a
 * capture file Wireshark/tshark reads as if it had been taken on the wire.
 *
 * Why write it ourselves: live capture needs CAP_NET_RAW, which a sandbox or
 * an unprivileged CI runner may not grant; the socket, on the other hand,
 * sees every byte both ways, so the capture can be rebuilt exactly. Each
 * packet is Ethernet + IPv4 + TCP (no options) with sequence and
 * acknowledgement numbers that follow the stream, and real IPv4/TCP
 * checksums, so tshark can be asked to verify them.
 *
 * Format: the classic libpcap file (global header, then per packet a record
 * header and the frame), little-endian, microsecond timestamps.
 */

/** One step of a TCP conversation, from the client's point of view. */
export type Chunk =
  | { readonly from: 'client' | 'server'; readonly bytes: Uint8Array }
  | { readonly from: 'client' | 'server'; readonly fin: true };

export interface Endpoints {
  readonly clientPort: number;
  readonly serverPort: number;
  /** IPv4 addresses; default 127.0.0.1 both. */
  readonly clientIp?: readonly [number, number, number, number];
  readonly serverIp?: readonly [number, number, number, number];
}

const LINKTYPE_ETHERNET = 1;
const ETHERTYPE_IPV4 = 0x0800;
const IPPROTO_TCP = 6;
/** A conventional Ethernet MSS: streams are cut into segments no longer than this. */
export const MSS = 1460;

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_PSH = 0x08;
const TCP_ACK = 0x10;

/** RFC 1071 one's-complement sum over `parts` (concatenated), folded and inverted. */
export function internetChecksum(...parts: Uint8Array[]): number {
  let sum = 0;
  let odd: number | undefined;
  for (const p of parts) {
    for (const b of p) {
      if (odd === undefined) odd = b;
      else {
        sum += (odd << 8) | b;
        odd = undefined;
      }
    }
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Segment {
  readonly fromClient: boolean;
  readonly flags: number;
  readonly seq: number;
  readonly ack: number;
  readonly payload: Uint8Array;
}

/** Ethernet + IPv4 + TCP frame for one segment. */
function frame(seg: Segment, ends: Required<Endpoints>, ipId: number): Uint8Array {
  const [srcIp, dstIp] = seg.fromClient ? [ends.clientIp, ends.serverIp] : [ends.serverIp, ends.clientIp];
  const [srcPort, dstPort] = seg.fromClient ? [ends.clientPort, ends.serverPort] : [ends.serverPort, ends.clientPort];
  const tcpLen = 20 + seg.payload.length;
  const ipLen = 20 + tcpLen;
  const out = new Uint8Array(14 + ipLen);
  const v = new DataView(out.buffer);

  // Ethernet: locally administered MACs, one per side (02:00:00:00:00:01 / :02).
  out.set([2, 0, 0, 0, 0, seg.fromClient ? 2 : 1], 0);
  out.set([2, 0, 0, 0, 0, seg.fromClient ? 1 : 2], 6);
  v.setUint16(12, ETHERTYPE_IPV4);

  // IPv4 (RFC 791): version 4, IHL 5, DF set, TTL 64.
  const ip = 14;
  v.setUint8(ip, 0x45);
  v.setUint16(ip + 2, ipLen);
  v.setUint16(ip + 4, ipId & 0xffff);
  v.setUint16(ip + 6, 0x4000);
  v.setUint8(ip + 8, 64);
  v.setUint8(ip + 9, IPPROTO_TCP);
  out.set(srcIp, ip + 12);
  out.set(dstIp, ip + 16);
  v.setUint16(ip + 10, internetChecksum(out.subarray(ip, ip + 20)));

  // TCP (RFC 9293): 20-byte header, no options.
  const tcp = ip + 20;
  v.setUint16(tcp, srcPort);
  v.setUint16(tcp + 2, dstPort);
  v.setUint32(tcp + 4, seg.seq >>> 0);
  v.setUint32(tcp + 8, seg.ack >>> 0);
  v.setUint8(tcp + 12, 5 << 4);
  v.setUint8(tcp + 13, seg.flags);
  v.setUint16(tcp + 14, 0xffff);
  out.set(seg.payload, tcp + 20);
  // The TCP checksum covers a pseudo-header: addresses, protocol, TCP length.
  const pseudo = new Uint8Array(12);
  pseudo.set(srcIp, 0);
  pseudo.set(dstIp, 4);
  pseudo[9] = IPPROTO_TCP;
  new DataView(pseudo.buffer).setUint16(10, tcpLen);
  v.setUint16(tcp + 16, internetChecksum(pseudo, out.subarray(tcp)));
  return out;
}

/**
 * The TCP segments for a conversation: three-way handshake, the chunks in
 * order (cut at MSS, each acknowledging everything the other side has sent so
 * far), FINs where the chunks say, and a last ACK for any FIN.
 */
export function tcpSegments(chunks: readonly Chunk[], isn = { client: 0x1000_0000, server: 0x2000_0000 }): Segment[] {
  // next[c] = the next sequence number side c will use.
  const next = { client: isn.client, server: isn.server };
  const segs: Segment[] = [];
  const ackFor = (fromClient: boolean): number => (fromClient ? next.server : next.client);
  const push = (fromClient: boolean, flags: number, payload: Uint8Array = new Uint8Array(0)): void => {
    const side = fromClient ? 'client' : 'server';
    const ack = flags & TCP_ACK ? ackFor(fromClient) : 0;
    segs.push({ fromClient, flags, seq: next[side], ack, payload });
    // SYN and FIN each take one sequence number (RFC 9293 §3.4).
    next[side] = (next[side] + payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
  };

  push(true, TCP_SYN);
  push(false, TCP_SYN | TCP_ACK);
  push(true, TCP_ACK);
  for (const c of chunks) {
    const fromClient = c.from === 'client';
    if ('fin' in c) {
      push(fromClient, TCP_FIN | TCP_ACK);
      continue;
    }
    for (let at = 0; at < c.bytes.length; at += MSS) push(fromClient, TCP_PSH | TCP_ACK, c.bytes.subarray(at, at + MSS));
  }
  // Every segment acknowledges all the other side sent before it, so only a
  // FIN that closes the trace is left unacknowledged: the other side ACKs it.
  const last = segs[segs.length - 1]!;
  if (last.flags & TCP_FIN) push(!last.fromClient, TCP_ACK);
  return segs;
}

/**
 * A pcap file holding the conversation, packets 1 ms apart from `start`.
 */
export function writePcap(chunks: readonly Chunk[], endpoints: Endpoints, start = new Date('2026-06-01T00:00:00Z')): Uint8Array {
  const ends: Required<Endpoints> = { clientIp: [127, 0, 0, 1], serverIp: [127, 0, 0, 1], ...endpoints };
  const frames = tcpSegments(chunks).map((s, i) => frame(s, ends, i + 1));
  const total = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  // thiszone and sigfigs stay 0
  v.setUint32(16, 262144, true);
  v.setUint32(20, LINKTYPE_ETHERNET, true);
  let at = 24;
  const t0 = start.getTime() * 1000;
  frames.forEach((f, i) => {
    const us = t0 + i * 1000;
    v.setUint32(at, Math.floor(us / 1e6), true);
    v.setUint32(at + 4, us % 1e6, true);
    v.setUint32(at + 8, f.length, true);
    v.setUint32(at + 12, f.length, true);
    out.set(f, at + 16);
    at += 16 + f.length;
  });
  return out;
}
