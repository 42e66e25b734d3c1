import net from 'node:net';

/**
 * A TCP port that was free a moment ago on 127.0.0.1, for external processes (Prometheus,
 * Alertmanager) that cannot be told to listen on port 0 and report back.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not read the port of a listening socket'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}
