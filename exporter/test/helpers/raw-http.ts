import http from 'node:http';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body, or null when it is not JSON (metrics text, images, an SSE stream). */
  json: unknown;
}

/**
 * One HTTP request whose path and headers go out exactly as given: no normalisation of `..`, `//`
 * or `%2e` (fetch would resolve them first) and no default Content-Type. A live stream
 * (text/event-stream) never ends on its own: it is answered with its status and closed.
 */
export function rawRequest(
  base: string,
  req: { method: string; path: string; headers?: Record<string, string>; body?: string; agent?: http.Agent }
): Promise<RawAnswer> {
  const url = new URL(base);
  const headers = { ...req.headers };
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: req.agent },
      (res) => {
        const status = res.statusCode ?? 0;
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          res.destroy();
          resolve({ status, headers: res.headers, json: null });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            // not JSON
          }
          resolve({ status, headers: res.headers, json });
        });
        res.on('error', reject);
      }
    );
    r.on('error', reject);
    r.end(req.body);
  });
}
