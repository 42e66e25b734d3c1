import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { NatsBus } from '../src/bus';
import { type NatsServer, startNatsServer } from '../test/helpers/nats-server';
import { readWholeStream } from '../test/helpers/jetstream';
import { type BenchOptions, type BenchRow, ratioOf, selected } from './bench-row';
import { startBenchSidecar } from './bench-sidecar';
import { summarize } from './stats';
import { waitUntil } from './paced-writer';

export const benches = ['outbox', 'outbox-catchup', 'assignment', 'file-to-stream'] as const;

const wallMs = (): number => performance.timeOrigin + performance.now();

/**
 * Outbox → JetStream, against the same client publishing the same envelopes straight to a stream
 * with the same in-flight window (what the outbox does, minus SQLite and the cursor).
 */
async function outboxBench(n: number): Promise<BenchRow> {
  const nats = await startNatsServer();
  try {
    const inFlight = 256;
    const direct = await directPublishRate(nats, n, inFlight);

    // The outbox: N events committed while NATS is down, then drained once it is up.
    await nats.stop();
    const b = await startBenchSidecar({
      heartbeat_interval_ms: 600_000,
      nats: {
        url: nats.url,
        outbox_max_in_flight: inFlight,
        reconnect_wait_ms: 20,
        reconnect_max_wait_ms: 50,
        reconnect_jitter_ms: 0,
      },
    });
    try {
      const { ctx } = b.sidecar;
      for (let i = 0; i < n; i += 1000) {
        ctx.events.appendMany(
          Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
            source: 'api' as const,
            kind: 'bench.event',
            data: { i: i + k },
          }))
        );
      }
      const bus = ctx.bus as NatsBus;
      let connectedAt = 0;
      bus.onEvent((e) => {
        if (e.type === 'connected' && !connectedAt) connectedAt = performance.now();
      });
      await nats.start();
      const last = ctx.events.repo.lastSeq();
      await waitUntil(() => connectedAt > 0, 30_000, 'connect');
      const status = (): { cursor_seq: number } =>
        (ctx.status.snapshot()['bus'] as { outbox: { cursor_seq: number } }).outbox;
      await waitUntil(() => status().cursor_seq >= last, 120_000, 'outbox drained');
      const outbox = n / ((performance.now() - connectedAt) / 1000);
      const ratio = ratioOf(outbox, direct);
      return {
        name: `outbox → JetStream (${n} events; baseline: direct js.publish loop, same window)`,
        value: outbox,
        baseline: direct,
        ratio,
        target: 'ratio ≥ 0.5',
        pass: ratio !== null && ratio >= 0.5,
        unit: 'msg/s',
      };
    } finally {
      await b.close();
    }
  } finally {
    await nats.dispose();
  }
}

/**
 * The baseline of both outbox benches: the same client publishing the same envelopes straight to a
 * stream, pipelined with the outbox's in-flight window (what the outbox does, minus SQLite and the
 * cursor). Messages per second.
 */
async function directPublishRate(nats: NatsServer, n: number, inFlight: number): Promise<number> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'BENCH_DIRECT', subjects: ['bench.direct.>'] });
    const js = jetstream(nc);
    const payload = (i: number): Uint8Array =>
      new TextEncoder().encode(
        JSON.stringify({
          id: `direct-${i}`,
          ts: new Date().toISOString(),
          node: 'bench',
          source: 'api',
          kind: 'bench.event',
          severity: 'info',
          subject: '',
          data: { i },
          trace_id: 'x',
          actor: null,
        })
      );
    // Warm-up (JIT, stream files) so the timed loop measures steady state, as the outbox run does.
    for (let i = 0; i < 200; i++)
      await js.publish('bench.direct.api.bench.warmup', payload(-i - 1), { msgID: `warm-${i}` });
    const t0 = performance.now();
    const pending = new Set<Promise<unknown>>();
    for (let i = 0; i < n; i++) {
      while (pending.size >= inFlight) await Promise.race(pending);
      const p: Promise<unknown> = js
        .publish('bench.direct.api.bench.event', payload(i), { msgID: `direct-${i}` })
        .finally(() => pending.delete(p));
      pending.add(p);
    }
    await Promise.all(pending);
    const rate = n / ((performance.now() - t0) / 1000);
    await jsm.streams.delete('BENCH_DIRECT');
    return rate;
  } finally {
    await nc.close();
  }
}

/**
 * Outbox catch-up after an outage: events arrive at `rate`/s through the ingest path all along; NATS is
 * killed (SIGKILL) for `outageS` seconds, then restarted. Measured: from the reconnect until the outbox
 * has caught up with the live stream, the events published per second, against the direct-publish rate
 * of the same run. Then the whole stream is read back: every stored event must be on it exactly once.
 */
async function outboxCatchupBench(rate: number, outageS: number, directN: number): Promise<BenchRow[]> {
  const nats = await startNatsServer();
  try {
    const inFlight = 256;
    const direct = await directPublishRate(nats, directN, inFlight);
    const b = await startBenchSidecar({
      node: 'bench',
      heartbeat_interval_ms: 600_000,
      nats: {
        url: nats.url,
        stream: 'BENCH_CATCHUP',
        outbox_max_in_flight: inFlight,
        reconnect_wait_ms: 20,
        reconnect_max_wait_ms: 100,
        reconnect_jitter_ms: 0,
      },
    });
    try {
      const { ctx } = b.sidecar;
      const bus = ctx.bus as NatsBus;
      await waitUntil(() => bus.isConnected(), 10_000, 'connect');
      const pending = (): number => (ctx.status.snapshot()['bus'] as { outbox: { pending: number } }).outbox.pending;
      const cursor = (): number =>
        (ctx.status.snapshot()['bus'] as { outbox: { cursor_seq: number } }).outbox.cursor_seq;
      // The workload: `rate` events a second, paced by the clock (a late tick catches up).
      let produced = 0;
      const startedAt = performance.now();
      const ticker = setInterval(() => {
        const due = Math.floor(((performance.now() - startedAt) / 1000) * rate) - produced;
        if (due <= 0) return;
        ctx.events.appendMany(
          Array.from({ length: due }, (_, k) => ({
            source: 'api' as const,
            kind: 'bench.catchup',
            data: { n: produced + k },
          }))
        );
        produced += due;
      }, 10);
      let drainS: number;
      let drained: number;
      let backlog: number;
      try {
        await new Promise((r) => setTimeout(r, 3000));
        await nats.crash();
        await new Promise((r) => setTimeout(r, outageS * 1000));
        backlog = pending();
        let connectedAt = 0;
        const off = bus.onEvent((e) => {
          if ((e.type === 'reconnected' || e.type === 'connected') && !connectedAt) connectedAt = performance.now();
        });
        const cursorBefore = cursor();
        await nats.start();
        await waitUntil(() => connectedAt > 0, 30_000, 'reconnect');
        off();
        // Caught up: nothing older than a moment of live traffic is waiting.
        await waitUntil(() => pending() <= rate / 10, 600_000, 'outbox caught up');
        drainS = (performance.now() - connectedAt) / 1000;
        drained = cursor() - cursorBefore;
      } finally {
        clearInterval(ticker);
      }
      await waitUntil(() => pending() === 0, 120_000, 'outbox drained');
      const stored = ctx.events.repo.query({ after: 0, limit: 10_000_000 }).map((e) => e.id);
      const ids = (await readWholeStream(nats.url, 'BENCH_CATCHUP'))
        .filter((m) => m.data['node'] === 'bench')
        .map((m) => String(m.data['id']));
      const onStream = new Set(ids);
      const lost = stored.filter((id) => !onStream.has(id)).length;
      const duplicated = ids.length - onStream.size;
      const drainRate = drained / drainS;
      const ratio = ratioOf(drainRate, direct);
      return [
        {
          name: `outbox catch-up after a ${outageS} s outage at ${rate} events/s (backlog ${backlog}, caught up in ${drainS.toFixed(1)} s; baseline: direct js.publish)`,
          value: drainRate,
          baseline: direct,
          ratio,
          target: 'ratio ≥ 0.5',
          pass: ratio !== null && ratio >= 0.5,
          unit: 'msg/s',
        },
        {
          name: `outbox catch-up: events lost + duplicated on the stream (${stored.length} stored, ${lost} lost, ${duplicated} duplicated)`,
          value: lost + duplicated,
          baseline: null,
          ratio: null,
          target: '0',
          pass: lost === 0 && duplicated === 0,
          unit: '',
        },
      ];
    } finally {
      await b.close();
    }
  } finally {
    await nats.dispose();
  }
}

/** Assignment rounds with 1,000 agents until every task is placed. */
async function assignmentBench(agents: number, tasks: number): Promise<BenchRow> {
  const b = await startBenchSidecar({
    heartbeat_interval_ms: 600_000,
    agents: { auto_assign: false, round_size: tasks, max_tasks_per_agent: Math.ceil(tasks / agents) * 3 },
  });
  try {
    const svc = b.sidecar.agents;
    const caps = ['cpu', 'gpu', 'python', 'rust', 'sql'];
    for (let i = 0; i < agents; i++) {
      svc.register(
        { name: `a${i}`, capabilities: [caps[i % 5]!, caps[(i * 7) % 5]!], priority_score: i % 10 },
        'bench'
      );
    }
    for (let i = 0; i < tasks; i++) {
      svc.createTask(
        { title: `t${i}`, priority: i % 100, required_capabilities: i % 4 ? [caps[i % 5]!] : [] },
        'bench'
      );
    }
    const t0 = performance.now();
    let placed = 0;
    for (;;) {
      const n = svc.assignRound().length;
      if (!n) break;
      placed += n;
    }
    const rate = placed / ((performance.now() - t0) / 1000);
    return {
      name: `assignment (${agents} agents, ${placed}/${tasks} tasks placed)`,
      value: rate,
      baseline: null,
      ratio: null,
      target: '≥ 1,000 tasks/s',
      pass: rate >= 1000 && placed === tasks,
      unit: 'tasks/s',
    };
  } finally {
    await b.close();
  }
}

/** A file written under activity/ → its event on the JetStream subject (core subscriber on the stream's subject). */
async function fileToStreamBench(files: number): Promise<BenchRow[]> {
  const nats = await startNatsServer();
  try {
    const b = await startBenchSidecar({ heartbeat_interval_ms: 600_000, nats: { url: nats.url } });
    const nc = await connect({ servers: nats.url });
    try {
      await waitUntil(() => b.sidecar.ctx.bus.isConnected(), 10_000, 'connect');
      const latencies: number[] = [];
      nc.subscribe('lookout.evt.bench.watcher.>', {
        callback: (_e, m) => {
          const env = m.json<{ data: { sent_at?: number } }>();
          if (typeof env.data.sent_at === 'number') latencies.push(wallMs() - env.data.sent_at);
        },
      });
      await nc.flush();
      const dir = path.join(b.workspace, 'activity', 'bench');
      fs.mkdirSync(dir, { recursive: true });
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < files; i++) {
        const file = path.join(dir, `f${i}.json`);
        fs.writeFileSync(`${file}.tmp`, JSON.stringify({ seq: i, sent_at: wallMs() }));
        fs.renameSync(`${file}.tmp`, file);
        await new Promise((r) => setTimeout(r, 20));
      }
      await waitUntil(() => latencies.length >= files, 30_000, 'all files on the stream');
      const s = summarize(latencies);
      return [
        {
          name: `file change → message on the stream, p50 (${files} files)`,
          value: s.p50,
          baseline: null,
          ratio: null,
          target: 'p50 ≤ 250 ms',
          pass: s.p50 <= 250,
          unit: 'ms',
        },
        {
          name: `file change → message on the stream, p99 (${files} files)`,
          value: s.p99,
          baseline: null,
          ratio: null,
          target: 'p99 ≤ 1000 ms',
          pass: s.p99 <= 1000,
          unit: 'ms',
        },
      ];
    } finally {
      await nc.close();
      await b.close();
    }
  } finally {
    await nats.dispose();
  }
}

export async function run(opts?: BenchOptions): Promise<BenchRow[]> {
  const quick = opts?.quick ?? false;
  const rows: BenchRow[] = [];
  if (selected(opts, 'outbox')) rows.push(await outboxBench(quick ? 2_000 : 20_000));
  // The scenario: a 60 s outage at 1,000 events/s (quick: 5 s).
  if (selected(opts, 'outbox-catchup'))
    rows.push(...(await outboxCatchupBench(1_000, quick ? 5 : 60, quick ? 2_000 : 20_000)));
  if (selected(opts, 'assignment')) rows.push(await assignmentBench(1_000, quick ? 2_000 : 10_000));
  if (selected(opts, 'file-to-stream')) rows.push(...(await fileToStreamBench(quick ? 30 : 200)));
  return rows;
}
