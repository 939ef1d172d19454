/**
 * Parsing every fixture certificate, checked field by field against what
 * `openssl x509 -text` reports for the committed files (facts hard-coded
 * here; regenerate them if test/fixtures/pki/make.sh is re-run).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { colonHex, OID, parseCertificate, parseCertificates, parsePem } from '../../src/x509/index.js';
import { SignatureScheme } from '../../src/registry.js';
import { PKI_DIR, cert, fixture } from './helpers.js';

type Row = [
  name: string,
  serial: string,
  subject: string,
  issuer: string,
  notBefore: string,
  notAfter: string,
  signature: string,
  key: string,
  ski: string,
  aki: string | undefined,
];

// prettier-ignore
const FACTS: Row[] = [
  ['int-clientonly', '1007', 'CN=Client-only CA', 'CN=Test Root CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'C5:20:13:D2:5D:F5:1E:A4:BC:62:35:EA:48:A5:AE:03:4D:12:75:3C', '9B:E3:1A:1C:C1:87:17:AE:A2:3B:8A:E1:D1:AD:55:6A:44:1B:32:29'],
  ['int-ec-old', '1009', 'CN=Test Intermediate CA, O=tls13 test', 'CN=Test Root CA, O=tls13 test', '2020-01-01T00:00:00Z', '2021-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C', '9B:E3:1A:1C:C1:87:17:AE:A2:3B:8A:E1:D1:AD:55:6A:44:1B:32:29'],
  ['int-ec', '1002', 'CN=Test Intermediate CA, O=tls13 test', 'CN=Test Root CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C', '9B:E3:1A:1C:C1:87:17:AE:A2:3B:8A:E1:D1:AD:55:6A:44:1B:32:29'],
  ['int-nc', '1008', 'CN=Constrained CA', 'CN=Test Root CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'D5:E7:AD:EA:1F:FF:B4:B8:F5:81:27:9D:1F:0F:29:DF:37:B8:69:E7', '9B:E3:1A:1C:C1:87:17:AE:A2:3B:8A:E1:D1:AD:55:6A:44:1B:32:29'],
  ['int-nokeycertsign', '1004', 'CN=No keyCertSign CA', 'CN=Test Root CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '54:09:47:0C:DB:93:EA:71:A3:F8:0A:23:53:3A:80:FA:0B:45:C9:B6', '9B:E3:1A:1C:C1:87:17:AE:A2:3B:8A:E1:D1:AD:55:6A:44:1B:32:29'],
  ['int-notca', '1003', 'CN=Not A CA', 'CN=Test Root CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'F8:62:7E:63:37:09:25:7F:C9:6E:B1:71:32:47:1B:44:E0:A4:DF:E3', '9B:E3:1A:1C:C1:87:17:AE:A2:3B:8A:E1:D1:AD:55:6A:44:1B:32:29'],
  ['int-pathlen0', '1005', 'CN=Pathlen0 CA', 'CN=Test Root CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'B9:80:BC:CD:92:B0:E3:84:8B:0B:61:D1:EC:0B:3A:C8:FD:26:7A:97', '9B:E3:1A:1C:C1:87:17:AE:A2:3B:8A:E1:D1:AD:55:6A:44:1B:32:29'],
  ['int-sub', '1006', 'CN=Sub CA', 'CN=Pathlen0 CA', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'CF:69:82:03:B5:8C:B1:AF:B7:C9:0E:E4:DD:91:6A:17:B5:90:AA:9A', 'B9:80:BC:CD:92:B0:E3:84:8B:0B:61:D1:EC:0B:3A:C8:FD:26:7A:97'],
  ['leaf-client', '2008', 'CN=client.test', 'CN=Test Intermediate CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '6A:74:81:8D:47:1B:22:4D:00:01:68:8A:B1:3E:4E:35:13:B4:0F:2B', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-critical', '2103', 'CN=critical.test', 'CN=Test Intermediate CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'D7:BA:80:77:99:BC:47:0B:C4:AA:5C:AF:A9:8B:36:1E:0D:5E:98:04', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-ed25519', '2003', 'CN=ed25519.test', 'CN=Test Intermediate CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'Ed25519', '84:9C:18:1E:8A:B1:80:BF:B2:B0:72:4D:52:98:D5:5D:71:12:3E:33', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-expired', '2101', 'CN=expired.test', 'CN=Test Intermediate CA, O=tls13 test', '2020-01-01T00:00:00Z', '2021-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '03:ED:42:2E:44:09:3D:4B:18:93:84:BF:36:3F:59:9A:F1:ED:26:88', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-ip', '2007', 'CN=127.0.0.1', 'CN=Test Intermediate CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '1F:9F:8C:E1:08:00:57:20:18:05:3A:A1:78:94:01:6D:FF:41:C9:01', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-loop', '2701', 'CN=loop.test', 'CN=Loop CA A', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '66:43:48:E2:2D:BD:F1:29:6D:A0:C9:46:7B:DF:54:AB:0C:EE:2A:43', '33:58:0B:BB:DF:D6:B6:AE:68:68:9B:2E:C9:73:24:34:5B:16:48:7C'],
  ['leaf-nc-excluded', '2303', 'CN=x.bad.allowed.test', 'CN=Constrained CA', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'B4:FB:85:88:AB:C9:33:21:00:A6:B7:21:C0:CC:0A:AB:B3:C1:2A:D0', 'D5:E7:AD:EA:1F:FF:B4:B8:F5:81:27:9D:1F:0F:29:DF:37:B8:69:E7'],
  ['leaf-nc-ip', '2304', 'CN=ip outside', 'CN=Constrained CA', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '96:6C:E9:D1:62:4B:EA:0C:FC:F9:77:A8:B3:EB:03:2B:6D:39:B8:79', 'D5:E7:AD:EA:1F:FF:B4:B8:F5:81:27:9D:1F:0F:29:DF:37:B8:69:E7'],
  ['leaf-nc-ok', '2301', 'CN=www.allowed.test', 'CN=Constrained CA', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '46:FF:9C:D0:50:6A:2C:DB:E7:C1:F5:39:3B:19:3F:7A:83:1E:97:BC', 'D5:E7:AD:EA:1F:FF:B4:B8:F5:81:27:9D:1F:0F:29:DF:37:B8:69:E7'],
  ['leaf-nc-outside', '2302', 'CN=www.other.test', 'CN=Constrained CA', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'D3:9C:DF:3D:6B:90:81:E9:9D:9F:98:52:91:EC:BC:95:AE:B0:19:24', 'D5:E7:AD:EA:1F:FF:B4:B8:F5:81:27:9D:1F:0F:29:DF:37:B8:69:E7'],
  ['leaf-noeku', '2009', 'CN=noeku.test', 'CN=Test Intermediate CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'B5:EB:3A:4E:01:46:32:F5:B1:1E:67:D4:15:50:99:7F:10:0C:22:E3', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-nosan', '2010', 'CN=nosan.test', 'CN=Test Intermediate CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'EB:4E:94:C2:6D:CA:E3:40:8B:43:0F:E1:87:CE:57:3D:50:7F:5D:AF', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-notyet', '2102', 'CN=notyet.test', 'CN=Test Intermediate CA, O=tls13 test', '2100-01-01T00:00:00Z', '2110-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '50:40:0B:94:70:41:6A:75:EC:5E:8C:F4:06:07:C9:BB:B6:C3:10:68', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-p256-sha384', '2005', 'CN=sha384.test', 'CN=Test Intermediate CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA384', 'ECDSA P-256', '09:0C:85:C7:88:15:7C:80:C7:B1:C2:3E:55:A0:53:E0:C7:0B:BC:CB', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-p256', '2001', 'CN=p256.test, O=tls13 test', 'CN=Test Intermediate CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '47:74:27:9D:F7:07:6B:89:97:26:01:6C:ED:4C:F2:EB:08:27:79:3A', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-p384', '2002', 'CN=p384.test', 'CN=Test Intermediate CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-384', '7A:D6:DB:3E:D7:2E:8A:6A:A3:E9:1E:79:6E:1D:CE:13:90:B4:26:08', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-p384root-sha256', '2402', 'CN=p384sha256.test', 'CN=Test Root CA P-384, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '23:E5:FB:EB:B9:CC:CF:B4:5B:B4:97:3E:DD:FE:4D:41:58:7C:A6:56', 'A8:87:A8:18:68:3A:0D:FD:92:8D:4F:CF:2B:BB:D5:E7:36:A9:F7:6A'],
  ['leaf-p384root', '2401', 'CN=p384root.test', 'CN=Test Root CA P-384, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA384', 'ECDSA P-384', '7C:CA:62:29:4A:77:11:45:9F:11:7B:75:81:33:BF:6E:3B:D2:A6:7A', 'A8:87:A8:18:68:3A:0D:FD:92:8D:4F:CF:2B:BB:D5:E7:36:A9:F7:6A'],
  ['leaf-pss', '2501', 'CN=pss.test', 'CN=Test Root CA RSA-PSS, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'rsassaPss/sha256', 'ECDSA P-256', '97:AA:14:6B:F4:A0:DC:48:AA:E9:CF:81:14:09:46:A5:24:53:79:85', '5E:78:E1:7D:89:C0:CC:40:C5:5C:75:76:37:09:5C:8D:F1:F6:41:9D'],
  ['leaf-pss384', '2502', 'CN=pss384.test', 'CN=Test Root CA RSA-PSS, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'rsassaPss/sha384', 'ECDSA P-256', '91:40:C1:3A:9B:50:4B:BF:60:99:24:7B:24:30:7E:75:5A:AF:60:63', '5E:78:E1:7D:89:C0:CC:40:C5:5C:75:76:37:09:5C:8D:F1:F6:41:9D'],
  ['leaf-rsa-sha384', '2601', 'CN=rsa384.test', 'CN=Test Root CA RSA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'sha384WithRSAEncryption', 'RSA 2048 bits', '27:C3:1B:A0:88:FD:DB:DE:B8:FE:AA:C7:8E:44:91:41:97:B8:1A:C4', '2C:3E:F1:C0:2A:38:6C:2B:2E:FE:DF:7A:0B:9B:78:A6:E5:70:75:68'],
  ['leaf-rsa-sha512', '2602', 'CN=rsa512.test', 'CN=Test Root CA RSA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'sha512WithRSAEncryption', 'ECDSA P-256', '3C:5D:1D:7E:F8:CF:92:94:89:DB:A7:6A:C0:20:20:69:98:EA:D4:F3', '2C:3E:F1:C0:2A:38:6C:2B:2E:FE:DF:7A:0B:9B:78:A6:E5:70:75:68'],
  ['leaf-rsa', '2004', 'CN=rsa.test', 'CN=Test Intermediate CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'RSA 2048 bits', 'E4:4B:7E:BD:AC:6C:80:97:D7:2B:33:A4:1C:02:A6:0D:33:E1:C1:C2', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['leaf-under-clientonly', '2205', 'CN=clientca.test', 'CN=Client-only CA', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'FE:91:9C:5F:48:9D:31:84:72:7B:F9:41:0C:87:C3:37:43:EB:EF:A1', 'C5:20:13:D2:5D:F5:1E:A4:BC:62:35:EA:48:A5:AE:03:4D:12:75:3C'],
  ['leaf-under-nokcs', '2202', 'CN=nokcs.test', 'CN=No keyCertSign CA', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '30:92:84:3D:43:FF:FC:8B:53:B7:38:F7:2B:4E:EC:60:B8:EC:32:86', '54:09:47:0C:DB:93:EA:71:A3:F8:0A:23:53:3A:80:FA:0B:45:C9:B6'],
  ['leaf-under-notca', '2201', 'CN=notca.test', 'CN=Not A CA', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'A8:2F:C1:FC:DF:1F:22:9F:9D:F2:02:50:87:43:D3:2D:96:76:9C:20', 'F8:62:7E:63:37:09:25:7F:C9:6E:B1:71:32:47:1B:44:E0:A4:DF:E3'],
  ['leaf-under-pathlen0', '2204', 'CN=pathlen0.test', 'CN=Pathlen0 CA', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '8C:B6:3F:DC:85:8E:88:2B:E2:90:E1:F1:BC:11:E6:1D:EF:DE:36:2A', 'B9:80:BC:CD:92:B0:E3:84:8B:0B:61:D1:EC:0B:3A:C8:FD:26:7A:97'],
  ['leaf-under-sub', '2203', 'CN=sub.test', 'CN=Sub CA', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'B6:1C:A3:B3:47:7C:AD:D8:E5:7F:DB:F1:7F:09:6C:8B:54:C5:81:08', 'CF:69:82:03:B5:8C:B1:AF:B7:C9:0E:E4:DD:91:6A:17:B5:90:AA:9A'],
  ['leaf-wildcard', '2006', 'CN=*.wild.test', 'CN=Test Intermediate CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '7D:2C:0D:FA:3B:46:D3:01:B6:D3:1E:D3:F0:2D:4C:07:2D:5D:AC:E3', '07:3A:F7:5D:5D:89:F2:33:72:F1:65:71:B5:FC:37:57:22:33:D5:5C'],
  ['loop-a', '1403', 'CN=Loop CA A', 'CN=Loop CA B', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '33:58:0B:BB:DF:D6:B6:AE:68:68:9B:2E:C9:73:24:34:5B:16:48:7C', '48:88:DA:8C:E1:E5:D0:6C:7B:EB:C5:48:4E:92:74:C3:28:A5:AB:4E'],
  ['loop-b', '1402', 'CN=Loop CA B', 'CN=Loop CA A', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '48:88:DA:8C:E1:E5:D0:6C:7B:EB:C5:48:4E:92:74:C3:28:A5:AB:4E', '33:58:0B:BB:DF:D6:B6:AE:68:68:9B:2E:C9:73:24:34:5B:16:48:7C'],
  ['root-ec', '1001', 'CN=Test Root CA, O=tls13 test', 'CN=Test Root CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', '9B:E3:1A:1C:C1:87:17:AE:A2:3B:8A:E1:D1:AD:55:6A:44:1B:32:29', undefined],
  ['root-impostor', '1301', 'CN=Test Root CA, O=tls13 test', 'CN=Test Root CA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA256', 'ECDSA P-256', 'A8:AC:2C:FE:7F:ED:75:4F:70:5A:1A:00:59:43:7D:BB:50:2E:AF:56', undefined],
  ['root-p384', '1101', 'CN=Test Root CA P-384, O=tls13 test', 'CN=Test Root CA P-384, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'ecdsa-with-SHA384', 'ECDSA P-384', 'A8:87:A8:18:68:3A:0D:FD:92:8D:4F:CF:2B:BB:D5:E7:36:A9:F7:6A', undefined],
  ['root-rsa-pss', '1201', 'CN=Test Root CA RSA-PSS, O=tls13 test', 'CN=Test Root CA RSA-PSS, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'rsassaPss/sha256', 'RSA 2048 bits', '5E:78:E1:7D:89:C0:CC:40:C5:5C:75:76:37:09:5C:8D:F1:F6:41:9D', undefined],
  ['root-rsa', '1202', 'CN=Test Root CA RSA, O=tls13 test', 'CN=Test Root CA RSA, O=tls13 test', '2025-01-01T00:00:00Z', '2125-01-01T00:00:00Z', 'sha256WithRSAEncryption', 'RSA 2048 bits', '2C:3E:F1:C0:2A:38:6C:2B:2E:FE:DF:7A:0B:9B:78:A6:E5:70:75:68', undefined],
];

/** openssl's name for the signature algorithm → what we parse it to. */
const SIGNATURES: Record<string, { kind: string; hash?: string; scheme: number }> = {
  'ecdsa-with-SHA256': { kind: 'ecdsa', hash: 'SHA-256', scheme: SignatureScheme.ecdsa_secp256r1_sha256 },
  'ecdsa-with-SHA384': { kind: 'ecdsa', hash: 'SHA-384', scheme: SignatureScheme.ecdsa_secp384r1_sha384 },
  'sha256WithRSAEncryption': { kind: 'rsa-pkcs1', hash: 'SHA-256', scheme: SignatureScheme.rsa_pkcs1_sha256 },
  'sha384WithRSAEncryption': { kind: 'rsa-pkcs1', hash: 'SHA-384', scheme: SignatureScheme.rsa_pkcs1_sha384 },
  'sha512WithRSAEncryption': { kind: 'rsa-pkcs1', hash: 'SHA-512', scheme: SignatureScheme.rsa_pkcs1_sha512 },
  'rsassaPss/sha256': { kind: 'rsa-pss', hash: 'SHA-256', scheme: SignatureScheme.rsa_pss_rsae_sha256 },
  'rsassaPss/sha384': { kind: 'rsa-pss', hash: 'SHA-384', scheme: SignatureScheme.rsa_pss_rsae_sha384 },
};

describe('fixture certificates', () => {
  it('the table covers every PEM file in the fixture directory', () => {
    const files = readdirSync(PKI_DIR).filter((f) => f.endsWith('.pem')).map((f) => f.slice(0, -4)).sort();
    expect(FACTS.map((r) => r[0]).sort()).toEqual(files);
  });

  it.each(FACTS)('%s', (name, serial, subject, issuer, notBefore, notAfter, signature, key, ski, aki) => {
    const c = cert(name);
    expect(c.version).toBe(3);
    expect(c.serialHex).toBe(serial);
    expect(c.serialNumber).toBe(BigInt(`0x${serial}`));
    expect(c.subject.text).toBe(subject);
    expect(c.issuer.text).toBe(issuer);
    expect(c.notBefore.toISOString().replace('.000Z', 'Z')).toBe(notBefore);
    expect(c.notAfter.toISOString().replace('.000Z', 'Z')).toBe(notAfter);
    expect(c.notBeforeMs).toBe(Date.parse(notBefore));
    expect(c.notAfterMs).toBe(Date.parse(notAfter));
    const sig = SIGNATURES[signature]!;
    expect(c.signatureAlgorithm.kind).toBe(sig.kind);
    expect('hash' in c.signatureAlgorithm ? c.signatureAlgorithm.hash : undefined).toBe(sig.hash);
    expect('scheme' in c.signatureAlgorithm ? c.signatureAlgorithm.scheme : undefined).toBe(sig.scheme);
    expect(c.subjectPublicKeyInfo.description).toBe(key);
    expect(colonHex(c.subjectKeyIdentifier!)).toBe(ski);
    expect(c.authorityKeyIdentifier && colonHex(c.authorityKeyIdentifier)).toBe(aki);
    expect(c.selfIssued).toBe(subject === issuer);
    // The raw pieces are consistent: the certificate is the file's DER, and tbs sits inside it.
    expect(c.raw).toEqual(parsePem(fixture(`${name}.pem`))[0]!.bytes);
    expect(toHex(c.raw)).toContain(toHex(c.tbs));
    expect(c.subject.raw[0]).toBe(0x30);
  });
});

describe('fixture details', () => {
  it('leaf-p256: names, key, extensions', () => {
    const c = cert('leaf-p256');
    expect(c.subject.rdns.map((rdn) => rdn.map((a) => [a.shortName, a.type, a.value]))).toEqual([
      [['O', '2.5.4.10', 'tls13 test']],
      [['CN', '2.5.4.3', 'p256.test']],
    ]);
    expect(c.publicKey).toEqual({
      kind: 'ec',
      curve: 'P-256',
      point: fromHex(
        '044a05bccaf67a02168abf0eb5d1aa9fe948c1062d3f5c7baae3b96c2b6388c2fb1892459c0d0f4b3cfa7e33c324f18d3db6efd08b08613ce8567f8b6882b4d9b1',
      ),
    });
    expect(c.subjectPublicKeyInfo.algorithm).toBe(OID.ecPublicKey);
    expect(c.basicConstraints).toEqual({ ca: false, pathLength: undefined });
    expect(c.keyUsage?.digitalSignature).toBe(true);
    expect(c.keyUsage?.keyCertSign).toBe(false);
    expect(c.extKeyUsage).toEqual([OID.serverAuth, OID.clientAuth]);
    expect(c.subjectAltName?.dnsNames).toEqual(['p256.test', 'localhost']);
    expect(c.subjectAltName?.ipAddresses).toEqual([]);
    expect(c.nameConstraints).toBeUndefined();
    expect(c.unhandledCriticalExtensions).toEqual([]);
    // basicConstraints and keyUsage are critical, the rest not (as make.sh asks).
    expect(c.extensions.map((e) => [e.oid, e.critical])).toEqual([
      [OID.basicConstraints, true],
      [OID.keyUsage, true],
      [OID.subjectKeyIdentifier, false],
      [OID.authorityKeyIdentifier, false],
      [OID.extKeyUsage, false],
      [OID.subjectAltName, false],
    ]);
    // ecdsa-with-SHA256 signatures are DER SEQUENCEs of two INTEGERs.
    expect(c.signature[0]).toBe(0x30);
  });

  it('leaf-p384: the P-384 point', () => {
    expect(cert('leaf-p384').publicKey).toEqual({
      kind: 'ec',
      curve: 'P-384',
      point: fromHex(
        '04dcb87701e135349063d4d43b29544d9235cd8fe0e40eed291944fefff2669c942c44f2c85da2b7f769804fed1f4fcf835ae8a50c9d51865ea3dd88c198de7445af5c2dcdc954de109173eeff8fde3ae55766872cd6057b32d38e84080c1da879',
      ),
    });
  });

  it('leaf-ed25519: the 32-byte key', () => {
    expect(cert('leaf-ed25519').publicKey).toEqual({
      kind: 'ed25519',
      key: fromHex('42ef56ee6c000ba29620ac8810a1559978cec3567f1e76742f12723abf7fe6b1'),
    });
  });

  it('leaf-rsa: modulus and exponent', () => {
    const k = cert('leaf-rsa').publicKey;
    expect(k?.kind).toBe('rsa');
    if (k?.kind !== 'rsa') return;
    expect(k.e).toBe(65537n);
    expect(k.n.toString(16)).toBe(
      '909c8cbfae65ab2c5288197a7505f50c6bf3c38adf9dfe9ad97a04914f2c0e4b07940b38fb0fd4b796b96b3e413892698bf908f0015ad5f84ba0e979dfd63b859329e34eaaacaa3d72f892320cdaf3ef354b96b9eac3071ada156531a92005d0211e5e24d3cadfde3118f8736bd2451e80aa6eca79be9de488d4ca242f0885ea944ce191bd51bc494285d67a3c30c548ae14f72f9a277c4dea02f435fa45ad20b9f6cd93fd88d4c26cd0533d010ba8ec67c98e2cda22827c3c6f49be30ed817657b839dc0d2bf136223a7a3955f9f9d98706b0b5766799d514f97d8cd93eb1a414ccd6d8501456b11b874d07ed65cf76cd757d02140b6fcbfc394e232e53c7a1',
    );
    expect(cert('leaf-rsa').extKeyUsage).toEqual([OID.serverAuth]);
  });

  it('root-rsa-pss: RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32', () => {
    const alg = cert('root-rsa-pss').signatureAlgorithm;
    expect(alg).toEqual({
      kind: 'rsa-pss',
      hash: 'SHA-256',
      saltLength: 32,
      scheme: SignatureScheme.rsa_pss_rsae_sha256,
      name: 'RSASSA-PSS (SHA-256, MGF1 SHA-256, salt 32)',
    });
    expect(cert('leaf-pss384').signatureAlgorithm).toMatchObject({ kind: 'rsa-pss', hash: 'SHA-384', saltLength: 48 });
  });

  it('root-ec: a CA with keyCertSign and cRLSign, no AKI', () => {
    const c = cert('root-ec');
    expect(c.basicConstraints).toEqual({ ca: true, pathLength: undefined });
    expect(c.keyUsage).toMatchObject({ keyCertSign: true, cRLSign: true, digitalSignature: false });
    expect(c.authorityKeyIdentifier).toBeUndefined();
    expect(c.subjectAltName).toBeUndefined();
    expect(c.extKeyUsage).toBeUndefined();
  });

  it('int-pathlen0: pathLenConstraint 0', () => {
    expect(cert('int-pathlen0').basicConstraints).toEqual({ ca: true, pathLength: 0 });
  });

  it('int-notca: cA false, with keyCertSign set anyway', () => {
    expect(cert('int-notca').basicConstraints).toEqual({ ca: false, pathLength: undefined });
    expect(cert('int-notca').keyUsage).toMatchObject({ keyCertSign: true, digitalSignature: true });
  });

  it('int-nokeycertsign: keyUsage digitalSignature + cRLSign only', () => {
    expect(cert('int-nokeycertsign').keyUsage).toMatchObject({
      digitalSignature: true,
      keyCertSign: false,
      cRLSign: true,
    });
  });

  it('int-clientonly: a CA restricted to clientAuth', () => {
    expect(cert('int-clientonly').extKeyUsage).toEqual([OID.clientAuth]);
  });

  it('int-nc: name constraints', () => {
    const nc = cert('int-nc').nameConstraints!;
    expect(cert('int-nc').extensions.find((e) => e.oid === OID.nameConstraints)?.critical).toBe(true);
    expect(nc.permitted).toEqual([
      { type: 'dns', value: 'allowed.test' },
      { type: 'ip', address: fromHex('0a000000'), mask: fromHex('ff000000'), text: '10.0.0.0/8' },
    ]);
    expect(nc.excluded).toEqual([{ type: 'dns', value: 'bad.allowed.test' }]);
  });

  it('leaf-ip: IPv4 and IPv6 iPAddress entries', () => {
    const san = cert('leaf-ip').subjectAltName!;
    expect(san.dnsNames).toEqual([]);
    expect(san.ipAddresses).toEqual([fromHex('7f000001'), fromHex('00000000000000000000000000000001')]);
    expect(san.names).toEqual([
      { type: 'ip', bytes: fromHex('7f000001'), text: '127.0.0.1' },
      { type: 'ip', bytes: fromHex('00000000000000000000000000000001'), text: '::1' },
    ]);
  });

  it('leaf-wildcard, leaf-nc-ok: SAN lists', () => {
    expect(cert('leaf-wildcard').subjectAltName?.dnsNames).toEqual(['*.wild.test', 'wild.test']);
    expect(cert('leaf-nc-ok').subjectAltName?.names.map((n) => (n.type === 'ip' ? n.text : n.type === 'dns' ? n.value : n.type))).toEqual([
      'www.allowed.test',
      'allowed.test',
      '10.1.2.3',
    ]);
  });

  it('leaf-noeku, leaf-nosan: absent extensions are undefined', () => {
    expect(cert('leaf-noeku').extKeyUsage).toBeUndefined();
    expect(cert('leaf-nosan').subjectAltName).toBeUndefined();
  });

  it('leaf-critical: the unknown critical extension is recorded, not fatal to parsing', () => {
    const c = cert('leaf-critical');
    expect(c.unhandledCriticalExtensions).toEqual(['1.3.6.1.4.1.55555.1']);
    const ext = c.extensions.find((e) => e.oid === '1.3.6.1.4.1.55555.1')!;
    expect(ext.critical).toBe(true);
    // ASN1:UTF8String:must understand
    expect(ext.value).toEqual(Uint8Array.from([0x0c, 15, ...new TextEncoder().encode('must understand')]));
  });

  it('parseCertificates reads every block of a bundle, skipping other labels', () => {
    const bundle = `junk before\n${fixture('leaf-p256.pem')}${fixture('leaf-p256.key')}${fixture('int-ec.pem')}`;
    expect(parseCertificates(bundle).map((c) => c.subject.text)).toEqual([
      'CN=p256.test, O=tls13 test',
      'CN=Test Intermediate CA, O=tls13 test',
    ]);
    expect(parseCertificates(cert('root-ec').raw)[0]!.subject.text).toBe('CN=Test Root CA, O=tls13 test');
    expect(parseCertificates(new TextEncoder().encode(bundle))).toHaveLength(2);
    expect(() => parseCertificates(fixture('leaf-p256.key'))).toThrow(/no CERTIFICATE block/);
  });

  it('the parsed structure is frozen', () => {
    const c = parseCertificate(cert('leaf-p256').raw);
    expect(Object.isFrozen(c)).toBe(true);
  });
});
