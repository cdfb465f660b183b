// Connection caps against a real server process with small caps: idle connections from one address
// fill its share (more are refused at once), slow-header connections from another fill the rest;
// meanwhile a real agent connects and the API answers (the oldest connection of the heaviest
// address makes room), and the idle and slow ones are closed after the timeout. Every hit is
// counted in /health's detail and logged.
import { afterAll, expect, test } from '@jest/globals';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { agentJson, enrollAgent, runAgent, stopChild, type AgentProcess } from '../helpers/agent.js';
import { api, freePort, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const CAPS = { EDICT_SERVER_MAX_PENDING_CONNECTIONS: '30', EDICT_SERVER_MAX_PENDING_PER_SOURCE: '20', EDICT_SERVER_PENDING_TIMEOUT_MS: '3000' };
let server: ServerProcess | undefined;
let agent: AgentProcess | undefined;
const sockets: net.Socket[] = [];
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await agent?.stop();
  if (server) await stopChild(server.child);
  cleanupTempDirs();
});

interface Held {
  socket: net.Socket;
  closedAt: number | null;
}

function hold(port: number, localAddress: string, slowHeaders: boolean): Promise<Held> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    sockets.push(socket);
    const h: Held = { socket, closedAt: null };
    socket.on('error', () => undefined); // a reset is one of the outcomes under test
    socket.on('close', () => (h.closedAt = Date.now()));
    socket.once('connect', () => {
      if (slowHeaders) {
        socket.write('GET /api/v1/health HTTP/1.1\r\nHost: x\r\n');
        const t = setInterval(() => (socket.destroyed ? clearInterval(t) : socket.write('X-Slow: 1\r\n')), 500);
      }
      resolve(h);
    });
  });
}

test('idle and slow-header floods do not lock out agents or the API; they time out', async () => {
  const dataDir = tempDir('edict-server-');
  const port = await freePort();
  server = await spawnServerProcess(dataDir, port, CAPS);
  const admin = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();

  // One address opens 25 idle connections: its share is 20, the other 5 are closed at once.
  const idle = await Promise.all(Array.from({ length: 25 }, () => hold(port, '127.0.0.5', false)));
  await waitFor(() => idle.filter((h) => h.closedAt !== null).length >= 5, 'connections over the per-address cap to be closed');
  // Another address sends headers a line at a time: the overall allowance (30) is now in use.
  const slow = await Promise.all(Array.from({ length: 10 }, () => hold(port, '127.0.0.6', true)));
  const openedAt = Date.now();

  // An admin and an agent from elsewhere still get through.
  expect((await api(`http://127.0.0.1:${port}`, admin, 'GET', '/health')).status).toBe(200);
  const setup = await enrollAgent(`http://127.0.0.1:${port}`, admin);
  agent = runAgent(setup);
  await waitFor(async () => (await agentJson(setup, 'status')).connection.state === 'connected', 'the agent to connect during the flood');

  // The idle and slow connections are closed after the timeout (3 s), not held forever.
  await waitFor(() => [...idle, ...slow].every((h) => h.closedAt !== null), 'every idle and slow connection to be closed', 30_000);
  expect(Math.max(...slow.map((h) => h.closedAt!)) - openedAt).toBeGreaterThanOrEqual(2500);

  const detail = (await api(`http://127.0.0.1:${port}`, admin, 'GET', '/health')).body.detail;
  expect(detail.caps.pendingPerSourceRefused).toBeGreaterThanOrEqual(5);
  expect(detail.caps.pendingEvicted).toBeGreaterThanOrEqual(1);
  expect(detail.caps.pendingTimedOut).toBeGreaterThanOrEqual(20);
  expect(detail.connections.agents).toBe(1);
  expect(server.output()).toMatch(/connection cap: more than 20 pending connections from one address/);
  expect(server.output()).toMatch(/connection cap: no complete request within 3000 ms/);
  // The agent stayed connected throughout.
  expect((await agentJson(setup, 'status')).connection.state).toBe('connected');
}, 90_000);
