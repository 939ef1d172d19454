/**
 * The pcap writer the key log test relies on, checked without tshark: the
 * RFC 1071 checksum example, TCP sequence/acknowledgement bookkeeping, and
 * the file layout.
 */
import { describe, expect, it } from 'vitest';
import { MSS, internetChecksum, tcpSegments, writePcap } from './pcap.js';

describe('pcap writer', () => {
  it('internet checksum: the RFC 1071 §3 example sums to ddf2, so the checksum is 220d', () => {
    expect(internetChecksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7))).toBe(0x220d);
    // Split anywhere, even mid-word, the sum is the same.
    expect(internetChecksum(Uint8Array.of(0x00, 0x01, 0xf2), Uint8Array.of(0x03, 0xf4, 0xf5, 0xf6, 0xf7))).toBe(0x220d);
    // An odd trailing byte is padded with zero on the right.
    expect(internetChecksum(Uint8Array.of(0x12))).toBe(~0x1200 & 0xffff);
  });

  it('segments follow the byte streams: handshake, data cut at the MSS, FINs, last ACK', () => {
    const big = new Uint8Array(MSS + 10);
    const segs = tcpSegments(
      [
        { from: 'client', bytes: new Uint8Array(5) },
        { from: 'server', bytes: big },
        { from: 'server', fin: true },
        { from: 'client', fin: true },
      ],
      { client: 100, server: 1000 },
    );
    const view = segs.map((s) => [s.fromClient ? 'c' : 's', s.flags, s.seq, s.ack, s.payload.length]);
    expect(view).toEqual([
      ['c', 0x02, 100, 0, 0], // SYN
      ['s', 0x12, 1000, 101, 0], // SYN+ACK
      ['c', 0x10, 101, 1001, 0], // ACK
      ['c', 0x18, 101, 1001, 5],
      ['s', 0x18, 1001, 106, MSS],
      ['s', 0x18, 1001 + MSS, 106, 10],
      ['s', 0x11, 1011 + MSS, 106, 0], // FIN
      ['c', 0x11, 106, 1012 + MSS, 0], // FIN acknowledging the server's
      ['s', 0x10, 1012 + MSS, 107, 0], // last ACK
    ]);
  });

  it('file layout: global header, then one record per packet with Ethernet/IPv4/TCP and valid checksums', () => {
    const file = writePcap([{ from: 'client', bytes: Uint8Array.of(1, 2, 3) }], { clientPort: 40000, serverPort: 443 });
    const v = new DataView(file.buffer);
    expect(v.getUint32(0, true)).toBe(0xa1b2c3d4);
    expect([v.getUint16(4, true), v.getUint16(6, true), v.getUint32(20, true)]).toEqual([2, 4, 1]);
    // Walk the records: SYN, SYN+ACK, ACK, data.
    const frames: Uint8Array[] = [];
    for (let at = 24; at < file.length; ) {
      const len = v.getUint32(at + 8, true);
      expect(v.getUint32(at + 12, true)).toBe(len);
      frames.push(file.subarray(at + 16, at + 16 + len));
      at += 16 + len;
    }
    expect(frames.map((f) => f.length)).toEqual([54, 54, 54, 57]);
    const data = frames[3]!;
    const d = new DataView(data.buffer, data.byteOffset, data.length);
    expect(d.getUint16(12)).toBe(0x0800);
    expect(d.getUint16(14 + 2)).toBe(43); // IPv4 total length
    expect([d.getUint16(34), d.getUint16(36)]).toEqual([40000, 443]);
    expect(Array.from(data.subarray(54))).toEqual([1, 2, 3]);
    // A correct checksum makes the one's-complement sum over the covered bytes zero.
    expect(internetChecksum(data.subarray(14, 34))).toBe(0);
    const pseudo = Uint8Array.of(127, 0, 0, 1, 127, 0, 0, 1, 0, 6, 0, 23);
    expect(internetChecksum(pseudo, data.subarray(34))).toBe(0);
  });
});
