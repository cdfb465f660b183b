// TLS for tests: a throw-away company CA and a server certificate for 127.0.0.1 made by openssl,
// and a TLS terminator (node:tls) in front of a real server, as a reverse proxy would stand in
// front of edict-server in a real deployment. It passes bytes through, WebSocket upgrades too.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

export interface TestCa {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export function makeTestCa(dir: string, cn = 'Edict Test Company CA'): TestCa {
  const p = (f: string) => path.join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1');
  writeServerExt(p('server.ext'));
  ssl('x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.pem'), '-days', '2', '-extfile', p('server.ext'));
  return { caFile: p('ca.pem'), certFile: p('server.pem'), keyFile: p('server.key') };
}

function writeServerExt(file: string): void {
  writeFileSync(file, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
}

export interface TlsTerminator {
  url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (port 0) with TLS and forwards every connection to `target` in plain TCP. */
export function startTlsTerminator(ca: TestCa, target: { host: string; port: number }): Promise<TlsTerminator> {
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ key: readFileSync(ca.keyFile), cert: readFileSync(ca.certFile) }, (client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  // A client that refuses our certificate closes during the handshake: not an error of the test.
  server.on('tlsClientError', () => {});
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        url: `https://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
