// A simulator process: hosts a slice of the fleet (many SimAgents sharing one loopback source
// address) and runs what the controller (fleet.ts) asks over the IPC channel. Several such
// processes make one fleet, so no process comes near the 20,000 open-files limit.
import { SimAgent, type SimEnrollment, type SimEventSpec } from './sim-agent.js';

interface Init {
  op: 'init';
  url: string;
  hostnamePrefix: string;
  count: number;
  localAddress?: string;
  enrollToken?: string;
  enrollments?: SimEnrollment[];
  concurrency: number;
}

type Command =
  | Init
  | { op: 'connect'; id: number }
  | { op: 'enroll'; id: number }
  | { op: 'ingest'; id: number; seconds: number; spec: SimEventSpec; agents?: number }
  | { op: 'report-all'; id: number; spec: SimEventSpec }
  | { op: 'await-policy'; id: number; version: number; timeoutMs: number }
  | { op: 'report'; id: number; agent: number; spec: SimEventSpec; batchId?: string }
  | { op: 'raw'; id: number; agent: number; texts: string[] }
  | { op: 'state'; id: number; agent: number }
  | { op: 'enrollments'; id: number }
  | { op: 'close'; id: number };

let agents: SimAgent[] = [];
let init: Init | undefined;

const reply = (id: number, body: Record<string, unknown>) => process.send!({ id, ...body });

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

/** Enrolls every agent not enrolled yet and, with `connect`, connects it; counts and a few errors. */
async function bringUp(connect: boolean): Promise<{ ok: number; failed: number; errors: string[]; ms: number }> {
  const t0 = performance.now();
  let ok = 0;
  const errors: string[] = [];
  await pool(agents, init!.concurrency, async (a) => {
    // Like a real agent, one failed attempt is tried again after a pause; the first error of an
    // agent that needed it is still reported on stderr (a flaky connect is worth a look).
    for (let attempt = 1; ; attempt++) {
      try {
        if (!a.deviceId) await a.enroll(init!.enrollToken!);
        if (connect) await a.connect();
        ok++;
        return;
      } catch (err) {
        if (attempt >= 2) {
          if (errors.length < 5) errors.push((err as Error).message);
          return;
        }
        process.stderr.write(`sim: ${a.hostname}: ${(err as Error).message}; trying again\n`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  });
  return { ok, failed: agents.length - ok, errors, ms: performance.now() - t0 };
}

async function ingest(seconds: number, spec: SimEventSpec, n = agents.length): Promise<Record<string, unknown>> {
  const deadline = Date.now() + seconds * 1000;
  const perSecond = new Map<number, number>();
  const latencies: number[] = [];
  let events = 0;
  let reports = 0;
  const errors: string[] = [];
  await Promise.all(agents.slice(0, n).map(async (a, i) => {
    let k = 0;
    while (Date.now() < deadline) {
      try {
        const r = await a.report({ ...spec, pathPrefix: `${a.deviceId}-${k++}` });
        events += r.accepted;
        reports++;
        latencies.push(r.ms);
        const s = Math.floor(Date.now() / 1000);
        perSecond.set(s, (perSecond.get(s) ?? 0) + r.accepted);
      } catch (err) {
        if (errors.length < 5) errors.push(`${i}: ${(err as Error).message}`);
        return;
      }
    }
  }));
  return { events, reports, latencies, perSecond: [...perSecond.entries()], errors };
}

async function awaitPolicy(version: number, timeoutMs: number): Promise<Record<string, unknown>> {
  const live = agents.filter((a) => a.welcomed && !a.closed);
  const deadline = Date.now() + timeoutMs;
  await Promise.race([
    Promise.all(live.map((a) => a.until(() => (a.policyVersion ?? 0) >= version || a.closed !== null))),
    new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()))),
  ]);
  const have = live.filter((a) => (a.policyVersion ?? 0) >= version);
  return {
    live: live.length,
    verified: have.length,
    lastVerifiedAt: Math.max(0, ...have.map((a) => a.policyVerifiedAt)),
    refusals: agents.reduce((s, a) => s + a.policyRefusals, 0),
    policyFrames: agents.reduce((s, a) => s + a.policyFrames.catalog + a.policyFrames.policies + a.policyFrames.device, 0),
  };
}

process.on('message', (cmd: Command) => {
  void (async () => {
    try {
      switch (cmd.op) {
        case 'init':
          init = cmd;
          agents = Array.from({ length: cmd.count }, (_, i) => new SimAgent(cmd.url, `${cmd.hostnamePrefix}-${i}`, cmd.localAddress));
          cmd.enrollments?.forEach((e, i) => agents[i]?.use(e));
          return process.send!({ op: 'ready' });
        case 'connect': {
          const { ok, ...r } = await bringUp(true);
          return reply(cmd.id, { connected: ok, ...r });
        }
        case 'enroll': {
          const { ok, ...r } = await bringUp(false);
          return reply(cmd.id, { enrolled: ok, ...r });
        }
        case 'ingest':
          return reply(cmd.id, await ingest(cmd.seconds, cmd.spec, cmd.agents));
        case 'report-all': {
          const rs = await Promise.allSettled(agents.map((a) => a.report({ ...cmd.spec, pathPrefix: a.deviceId })));
          const ok = rs.filter((r): r is PromiseFulfilledResult<{ accepted: number; duplicates: number; ms: number }> => r.status === 'fulfilled');
          return reply(cmd.id, { acked: ok.length, accepted: ok.reduce((n, r) => n + r.value.accepted, 0), failed: rs.length - ok.length, latencies: ok.map((r) => r.value.ms) });
        }
        case 'await-policy':
          return reply(cmd.id, await awaitPolicy(cmd.version, cmd.timeoutMs));
        case 'report': {
          const r = await agents[cmd.agent].report(cmd.spec, cmd.batchId);
          return reply(cmd.id, { ...r });
        }
        case 'raw': {
          const a = agents[cmd.agent];
          for (const t of cmd.texts) a.sendRaw(t);
          return reply(cmd.id, { sent: cmd.texts.length });
        }
        case 'state': {
          const a = agents[cmd.agent];
          return reply(cmd.id, { deviceId: a.deviceId, closed: a.closed, errors: a.errors, policyVersion: a.policyVersion, held: a.held, policyFrames: a.policyFrames, welcomed: a.welcomed });
        }
        case 'enrollments':
          return reply(cmd.id, { deviceIds: agents.map((a) => a.deviceId) });
        case 'close':
          for (const a of agents) a.close();
          reply(cmd.id, {});
          return process.exit(0);
      }
    } catch (err) {
      reply((cmd as { id?: number }).id ?? -1, { error: (err as Error).message });
    }
  })();
});
