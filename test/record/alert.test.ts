import { describe, expect, it } from 'vitest';
import { encodeAlertBody, parseAlertBody } from '../../src/record/alert.js';
import { expectAlert } from './helpers.js';

describe('alert body (RFC 8446 §6)', () => {
  it('encodes and parses level and description', () => {
    expect([...encodeAlertBody(2, 40)]).toEqual([2, 40]);
    expect(parseAlertBody(new Uint8Array([1, 0]))).toEqual({ level: 1, description: 0 });
    expect(parseAlertBody(new Uint8Array([2, 120]))).toEqual({ level: 2, description: 120 });
  });

  it('passes unknown descriptions up unchanged (they are error alerts, §6)', () => {
    expect(parseAlertBody(new Uint8Array([2, 250]))).toEqual({ level: 2, description: 250 });
  });

  it('a body that is not exactly 2 bytes is decode_error', () => {
    for (const n of [0, 1, 3, 4]) expectAlert(() => parseAlertBody(new Uint8Array(n).fill(2)), 'decode_error');
  });

  it('an unknown level is illegal_parameter', () => {
    for (const level of [0, 3, 255]) expectAlert(() => parseAlertBody(new Uint8Array([level, 0])), 'illegal_parameter');
  });

  it('refuses to encode invalid values', () => {
    expectAlert(() => encodeAlertBody(3, 0), 'internal_error');
    expectAlert(() => encodeAlertBody(2, 256), 'internal_error');
    expectAlert(() => encodeAlertBody(2, -1), 'internal_error');
  });
});
