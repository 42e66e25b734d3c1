import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';

/**
 * A worker thread holding many SSE clients of the stream fan-out bench. Each client opens
 * `GET /api/v1/stream?<query>` and, for every event, records the time from the event's `ts` (set when
 * the sidecar stored it, on the shared wall clock) to the moment its frame was read here. Only the
 * `ts` is pulled out of a frame (no full JSON parse), so the clients cost little next to the sidecar.
 *
 * Messages: posts `{ connected }` once every client's stream is open; on `'stop'` closes them and
 * posts `{ latencies, received }` (latencies in ms since `'measure'` was received; received per client).
 */
const jobSchema = z.object({
  url: z.string(),
  token: z.string(),
  queries: z.array(z.string()),
});
export type StreamClientJob = z.infer<typeof jobSchema>;

export interface StreamClientResult {
  latencies: number[];
  /** Events each client received while measuring, by query, in the order of `queries`. */
  received: number[];
  /** Clients whose stream ended or failed before the stop. */
  dropped: number;
}

const parsed = jobSchema.safeParse(workerData);
if (!parsed.success) throw new Error(`stream-client-worker: invalid job: ${parsed.error.message}`);
const job = parsed.data;
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const latencies: number[] = [];
const received = job.queries.map(() => 0);
const requests: http.ClientRequest[] = [];
let measuring = false;
let open = 0;
let dropped = 0;
let stopping = false;

function onFrame(i: number, frame: string): void {
  if (!measuring) return;
  const at = frame.indexOf('"ts":"');
  if (at < 0) return;
  const ts = Date.parse(frame.slice(at + 6, frame.indexOf('"', at + 6)));
  latencies.push(Date.now() - ts);
  received[i]!++;
}

job.queries.forEach((query, i) => {
  const req = http.get(
    `${job.url}/api/v1/stream?${query}`,
    { agent, headers: { authorization: `Bearer ${job.token}`, accept: 'text/event-stream' } },
    (res) => {
      if (res.statusCode !== 200) {
        dropped++;
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      let buf = '';
      let counted = false;
      res.on('data', (chunk: string) => {
        if (!counted) {
          counted = true;
          if (++open === job.queries.length) parentPort?.postMessage({ connected: open });
        }
        buf += chunk;
        let idx;
        while ((idx = buf.indexOf('\n\n')) >= 0) {
          const frame = buf.slice(0, idx);
          buf = buf.slice(idx + 2);
          if (frame.startsWith('id:')) onFrame(i, frame);
        }
      });
      res.on('end', () => {
        if (!stopping) dropped++;
      });
      res.on('error', () => undefined);
    }
  );
  req.on('error', () => {
    if (!stopping) dropped++;
  });
  requests.push(req);
});

parentPort?.on('message', (m: string) => {
  if (m === 'measure') measuring = true;
  if (m === 'stop') {
    measuring = false;
    stopping = true;
    for (const r of requests) r.destroy();
    agent.destroy();
    parentPort?.postMessage({ latencies, received, dropped } satisfies StreamClientResult);
  }
});
