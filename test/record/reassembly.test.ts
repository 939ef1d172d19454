import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concat, toHex } from '../../src/util/bytes.js';
import {
  DEFAULT_MAX_CERTIFICATE_MESSAGE_LENGTH,
  DEFAULT_MAX_HANDSHAKE_MESSAGE_LENGTH,
  HandshakeReassembler,
} from '../../src/record/reassembly.js';
import { expectAlert, handshakeMessage, splitAt } from './helpers.js';

function drain(r: HandshakeReassembler): string[] {
  const out: string[] = [];
  for (let m = r.next(); m; m = r.next()) out.push(toHex(m));
  return out;
}

describe('HandshakeReassembler', () => {
  it('joins a message split across fragments and reports the partial bytes', () => {
    const msg = handshakeMessage(11, 1000);
    const r = new HandshakeReassembler();
    r.push(msg.subarray(0, 2));
    expect(r.next()).toBeUndefined();
    expect(r.buffered).toBe(2);
    r.push(msg.subarray(2, 600));
    expect(r.next()).toBeUndefined();
    expect(r.buffered).toBe(600);
    r.push(msg.subarray(600));
    expect(drain(r)).toEqual([toHex(msg)]);
    expect(r.buffered).toBe(0);
  });

  it('splits several messages out of one fragment, including empty-bodied ones', () => {
    const a = handshakeMessage(8, 10);
    const eoed = handshakeMessage(5, 0);
    const c = handshakeMessage(20, 32);
    const r = new HandshakeReassembler();
    r.push(concat(a, eoed, c, c.subarray(0, 3)));
    expect(drain(r)).toEqual([toHex(a), toHex(eoed), toHex(c)]);
    expect(r.buffered).toBe(3);
  });

  it('property: any split of a message stream yields the same messages', () => {
    const message = fc
      .record({ type: fc.integer({ min: 0, max: 255 }), body: fc.uint8Array({ maxLength: 3000 }) })
      .map(({ type, body }) => concat(new Uint8Array([type, 0, body.length >> 8, body.length & 0xff]), body));
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(), { maxLength: 30 }), (msgs, cuts) => {
        const r = new HandshakeReassembler();
        const got: string[] = [];
        for (const piece of splitAt(concat(...msgs), cuts)) {
          if (piece.length === 0) continue; // records never carry empty handshake fragments
          r.push(piece);
          got.push(...drain(r));
        }
        expect(got).toEqual(msgs.map(toHex));
        expect(r.buffered).toBe(0);
      }),
    );
  });

  it('refuses an oversized message from its header, before buffering the body', () => {
    const r = new HandshakeReassembler();
    // ClientHello claiming 64 KiB + 1.
    const header = new Uint8Array([1, 0x01, 0x00, 0x01]);
    const err = expectAlert(() => r.push(header), 'illegal_parameter');
    expect(err.message).toContain('client_hello');
  });

  it('default limits: 64 KiB per message, 256 KiB for Certificate', () => {
    expect([DEFAULT_MAX_HANDSHAKE_MESSAGE_LENGTH, DEFAULT_MAX_CERTIFICATE_MESSAGE_LENGTH]).toEqual([65536, 262144]);
    const ok = new HandshakeReassembler();
    const big = handshakeMessage(11, 262144);
    for (let off = 0; off < big.length; off += 2 ** 14) ok.push(big.subarray(off, off + 2 ** 14));
    expect(ok.next()?.length).toBe(262148);
    expect(() => new HandshakeReassembler().push(handshakeMessage(8, 65536))).not.toThrow();
    expectAlert(() => new HandshakeReassembler().push(handshakeMessage(8, 65537).subarray(0, 4)), 'illegal_parameter');
    expectAlert(() => new HandshakeReassembler().push(handshakeMessage(11, 262145).subarray(0, 4)), 'illegal_parameter');
  });

  it('checks the header of a later message in the same fragment', () => {
    const r = new HandshakeReassembler({ maxMessageLength: 100 });
    expectAlert(() => r.push(concat(handshakeMessage(8, 100), handshakeMessage(11, 101).subarray(0, 6))), 'illegal_parameter');
  });

  it('checks a header whose bytes arrive in separate fragments', () => {
    const r = new HandshakeReassembler({ maxMessageLength: (t) => (t === 2 ? 50 : 10) });
    r.push(handshakeMessage(2, 50));
    r.push(new Uint8Array([8, 0]));
    expectAlert(() => r.push(new Uint8Array([0, 11])), 'illegal_parameter');
  });
});
