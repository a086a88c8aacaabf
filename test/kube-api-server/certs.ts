/**
 * Throw-away TLS material for the Kubernetes API test server: a self-signed
 * CA and a server certificate signed by it, valid for `127.0.0.1` and
 * `localhost`.
 *
 * @module
 */
import forge from 'node-forge';

/** PEM-encoded certificate authority and server key pair. */
export interface TlsMaterial {
  /** CA certificate (PEM). Put it in a kubeconfig as `certificate-authority-data`. */
  readonly caPem: string;
  /** Server certificate signed by the CA (PEM). */
  readonly certPem: string;
  /** Private key of the server certificate (PEM). */
  readonly keyPem: string;
}

const KEY_BITS = 2048;
const HOUR_MS = 60 * 60 * 1000;

let cached: Promise<TlsMaterial> | undefined;

/**
 * Returns the TLS material of this process, generating it on first use.
 *
 * Key generation is delegated by node-forge to the native `crypto` module, so
 * it is fast, but the result is still cached so every server started by one
 * test file shares the same CA.
 */
export function getTlsMaterial(): Promise<TlsMaterial> {
  cached ??= generateTlsMaterial();
  return cached;
}

function generateKeyPair(): Promise<forge.pki.rsa.KeyPair> {
  return new Promise((resolve, reject) => {
    forge.pki.rsa.generateKeyPair({ bits: KEY_BITS, e: 0x10001 }, (err, keys) => {
      if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(keys);
    });
  });
}

/** A positive serial number, as hex, that never has its high bit set. */
function randomSerial(): string {
  return '01' + forge.util.bytesToHex(forge.random.getBytesSync(15));
}

function newCertificate(publicKey: forge.pki.PublicKey, commonName: string): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  const now = Date.now();
  cert.validity.notBefore = new Date(now - HOUR_MS);
  cert.validity.notAfter = new Date(now + 365 * 24 * HOUR_MS);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  return cert;
}

async function generateTlsMaterial(): Promise<TlsMaterial> {
  const [caKeys, serverKeys] = await Promise.all([generateKeyPair(), generateKeyPair()]);

  const ca = newCertificate(caKeys.publicKey, 'kube-api-test-ca');
  ca.setIssuer(ca.subject.attributes);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const server = newCertificate(serverKeys.publicKey, 'kube-apiserver');
  server.setIssuer(ca.subject.attributes);
  server.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  server.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    caPem: forge.pki.certificateToPem(ca),
    certPem: forge.pki.certificateToPem(server),
    keyPem: forge.pki.privateKeyToPem(serverKeys.privateKey),
  };
}
