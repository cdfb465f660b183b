// A connection flood for the server benchmark: opens many idle TCP connections (or ones that send
// request headers one slow line at a time) from one loopback source address and holds them, then
// reports how many the server accepted, refused or closed. One such process per source address,
// so the flood itself stays under the per-process open-files limit.
import net from 'node:net';

const [host, port, localAddress, count, mode] = process.argv.slice(2);
let open = 0;
let closed = 0;
let errors = 0;
const sockets: net.Socket[] = [];

for (let i = 0; i < Number(count); i++) {
  const s = net.connect({ host, port: Number(port), localAddress });
  sockets.push(s);
  s.on('connect', () => {
    open++;
    if (mode === 'slow') {
      s.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n');
      const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write('X-Slow: 1\r\n')), 1000);
    }
  });
  s.on('error', () => errors++);
  s.on('close', () => closed++);
}

process.on('message', (m: string) => {
  // holding: connected and not closed by the server; connecting: still waiting for the TCP handshake
  // (the kernel's accept queue was full: the server has not seen them yet).
  if (m === 'report') {
    process.send!({
      open,
      closed,
      errors,
      holding: sockets.filter((s) => !s.destroyed && !s.connecting).length,
      connecting: sockets.filter((s) => !s.destroyed && s.connecting).length,
    });
  }
  if (m === 'stop') {
    for (const s of sockets) s.destroy();
    process.exit(0);
  }
});
