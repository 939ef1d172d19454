/**
 * X25519MLKEM768 (NamedGroup 0x11ec, draft-ietf-tls-ecdhe-mlkem): ML-KEM-768
 * (FIPS 203) run side by side with X25519, so the handshake stays secure if
 * either one holds — ML-KEM against a future quantum computer, X25519 against
 * a flaw in the young lattice scheme.
 *
 *   client share  = ML-KEM-768 encapsulation key (1184) || X25519 share (32)
 *   server share  = ML-KEM-768 ciphertext (1088)         || X25519 share (32)
 *   shared secret = ML-KEM shared secret (32)            || X25519 secret (32)
 *
 * (For this group the ML-KEM part comes first, unlike the NIST-curve hybrids.)
 *
 * Randomness comes from the injected source so tests are deterministic. Order
 * of draws: generate takes the 64-byte ML-KEM key-generation seed (d || z,
 * FIPS 203 §7.1), then the 32-byte X25519 private key; encapsulate takes the
 * 32-byte ML-KEM message m (FIPS 203 §7.2), then the X25519 private key.
 *
 * The private key we hand back is the ML-KEM decapsulation key (2400 bytes)
 * followed by the X25519 private key (32 bytes).
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { NamedGroup } from '../registry.js';
import { drawRandom, x25519Dh } from './ecdh.js';
import {
  InvalidShareError,
  type KeyExchange,
  type KeyExchangeEncapsulation,
  type KeyExchangePair,
  type RandomSource,
} from './provider.js';
import { concat } from '../util/bytes.js';

export const MLKEM768_ENCAPSULATION_KEY_LENGTH = 1184;
export const MLKEM768_DECAPSULATION_KEY_LENGTH = 2400;
export const MLKEM768_CIPHERTEXT_LENGTH = 1088;
const MLKEM_SEED_LENGTH = 64;
const MLKEM_MESSAGE_LENGTH = 32;
const X25519_LENGTH = 32;

export const CLIENT_SHARE_LENGTH = MLKEM768_ENCAPSULATION_KEY_LENGTH + X25519_LENGTH;
export const SERVER_SHARE_LENGTH = MLKEM768_CIPHERTEXT_LENGTH + X25519_LENGTH;
const PRIVATE_KEY_LENGTH = MLKEM768_DECAPSULATION_KEY_LENGTH + X25519_LENGTH;

export const x25519MlKem768KeyExchange: KeyExchange = {
  group: NamedGroup.X25519MLKEM768,
  name: 'X25519MLKEM768',

  generate(random: RandomSource): KeyExchangePair {
    const seed = drawRandom(random, MLKEM_SEED_LENGTH);
    const kem = ml_kem768.keygen(seed);
    const ecdhPrivate = x25519Dh.newPrivateKey(random);
    return {
      share: concat(kem.publicKey, x25519Dh.publicShare(ecdhPrivate)),
      privateKey: concat(kem.secretKey, ecdhPrivate),
    };
  },

  decapsulate(privateKey: Uint8Array, serverShare: Uint8Array): Uint8Array {
    if (privateKey.length !== PRIVATE_KEY_LENGTH) throw new Error(`X25519MLKEM768: private key must be ${PRIVATE_KEY_LENGTH} bytes`);
    if (serverShare.length !== SERVER_SHARE_LENGTH) {
      throw new InvalidShareError(`X25519MLKEM768 server share must be ${SERVER_SHARE_LENGTH} bytes, got ${serverShare.length}`);
    }
    const ciphertext = serverShare.subarray(0, MLKEM768_CIPHERTEXT_LENGTH);
    const peerX25519 = serverShare.subarray(MLKEM768_CIPHERTEXT_LENGTH);
    // ML-KEM decapsulation never fails on a well-sized ciphertext: a forged
    // one yields an unrelated secret (implicit rejection, FIPS 203 §6.3) and
    // the handshake then fails at Finished.
    const kemSecret = ml_kem768.decapsulate(ciphertext, privateKey.subarray(0, MLKEM768_DECAPSULATION_KEY_LENGTH));
    const ecdhSecret = x25519Dh.sharedSecret(privateKey.subarray(MLKEM768_DECAPSULATION_KEY_LENGTH), peerX25519);
    return concat(kemSecret, ecdhSecret);
  },

  encapsulate(clientShare: Uint8Array, random: RandomSource): KeyExchangeEncapsulation {
    if (clientShare.length !== CLIENT_SHARE_LENGTH) {
      throw new InvalidShareError(`X25519MLKEM768 client share must be ${CLIENT_SHARE_LENGTH} bytes, got ${clientShare.length}`);
    }
    const encapsulationKey = clientShare.subarray(0, MLKEM768_ENCAPSULATION_KEY_LENGTH);
    const peerX25519 = clientShare.subarray(MLKEM768_ENCAPSULATION_KEY_LENGTH);
    const message = drawRandom(random, MLKEM_MESSAGE_LENGTH);
    let kem: { cipherText: Uint8Array; sharedSecret: Uint8Array };
    try {
      // noble performs the encapsulation-key modulus check of FIPS 203 §7.2.
      kem = ml_kem768.encapsulate(encapsulationKey, message);
    } catch (cause) {
      throw new InvalidShareError('X25519MLKEM768 client share has an invalid ML-KEM-768 encapsulation key', { cause });
    }
    const ecdhPrivate = x25519Dh.newPrivateKey(random);
    const ecdhSecret = x25519Dh.sharedSecret(ecdhPrivate, peerX25519);
    return {
      share: concat(kem.cipherText, x25519Dh.publicShare(ecdhPrivate)),
      secret: concat(kem.sharedSecret, ecdhSecret),
    };
  },
};
