import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Prometheus that misbehaves on cue, for what a real one cannot be made to do in a test: answer
 * `query_range` with a flat series for a number of requests, then stop answering (hold every request
 * open until the test releases it or stops the server).
 */
export interface StubPrometheus {
  url: string;
  /** query_range requests received (form-decoded). */
  readonly requests: URLSearchParams[];
  /** From now on, answer this many more requests and hold the rest. */
  answer(n: number): void;
  stop(): Promise<void>;
}

export async function startStubPrometheus(opts: {
  answer: number;
  value: number;
  labels?: Record<string, string>;
}): Promise<StubPrometheus> {
  const requests: URLSearchParams[] = [];
  const held = new Set<http.ServerResponse>();
  let budget = opts.answer;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const q = new URLSearchParams(body);
      requests.push(q);
      if (budget <= 0) {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      budget--;
      const start = Number(q.get('start'));
      const end = Number(q.get('end'));
      const step = parseFloat(q.get('step') ?? '1');
      const values: [number, string][] = [];
      for (let t = start; t <= end + 1e-9; t += step) values.push([Math.round(t * 1000) / 1000, String(opts.value)]);
      const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(q.get('query') ?? '')?.[1] ?? 'x';
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          status: 'success',
          data: {
            resultType: 'matrix',
            result: [
              {
                metric: { __name__: name, node: 'test-node', job: 'lookout', instance: 'sidecar', ...opts.labels },
                values,
              },
            ],
          },
        })
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer(n) {
      budget = n;
    },
    async stop() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
