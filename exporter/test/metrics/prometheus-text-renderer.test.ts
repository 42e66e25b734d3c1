import { MetricsRegistry } from '../../src/metrics/metrics-registry';

/** `name{sorted labels}` → value, from a Prometheus text body; HELP/TYPE lines kept as their own keys. */
function parseExposition(body: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of body.split('\n')) {
    if (!line) continue;
    if (line.startsWith('#')) {
      out.set(line, '');
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map((x) => `${x[1]}=${x[2]}`)
      .sort();
    const key = `${m[1]}{${labels.join(',')}}`;
    if (out.has(key)) throw new Error(`duplicate series ${key}`);
    // The client writes NaN as "Nan"; Prometheus parses either.
    out.set(key, String(Number(m[3] === 'Nan' ? 'NaN' : m[3])));
  }
  return out;
}

function populate(reg: MetricsRegistry): void {
  const c = reg.counter({
    name: 'lookout_t_requests_total',
    help: 'Requests\nwith a "newline" \\ in help',
    labelNames: ['route', 'status'] as const,
  });
  c.inc({ route: '/a', status: '200' }, 3);
  c.inc({ route: 'quote"back\\slash\nnewline', status: '500' });
  const g = reg.gauge({ name: 'lookout_t_series', help: 'Many series', labelNames: ['series'] as const });
  for (let i = 0; i < 500; i++) g.set({ series: `s${i}` }, i / 8);
  g.set({ series: 'inf' }, Infinity);
  g.set({ series: 'ninf' }, -Infinity);
  const plain = reg.gauge({ name: 'lookout_t_plain', help: 'No labels' });
  plain.set(1.5e-7);
  const overriding = reg.gauge({
    name: 'lookout_t_node_override',
    help: 'Sets the default label itself',
    labelNames: ['node'] as const,
  });
  overriding.set({ node: 'other' }, 2);
  const h = reg.histogram({
    name: 'lookout_t_seconds',
    help: 'Latency',
    labelNames: ['method'] as const,
    buckets: [0.1, 1, 10],
  });
  h.observe({ method: 'GET' }, 0.05);
  h.observe({ method: 'GET' }, 5);
  h.observe({ method: 'POST' }, 50);
  const bare = reg.histogram({ name: 'lookout_t_bare_seconds', help: 'No labels', buckets: [1] });
  bare.observe(0.5);
  reg.gauge({
    name: 'lookout_t_collected',
    help: 'Set in collect()',
    collect() {
      this.set(Date.now() % 1000);
    },
  });
}

describe('Prometheus text renderer', () => {
  it('renders the same series and values as the client registry, byte for byte', async () => {
    const reg = new MetricsRegistry('node-1');
    populate(reg);
    const ours = (await reg.render(undefined)).body;
    const theirs = await reg.prometheus.metrics();
    // collect()-driven values (process metrics, the collected gauge) move between the two renders.
    const stable = (s: string): string =>
      s
        .split('\n')
        .filter((l) => !/^(process_|nodejs_|lookout_t_collected)/.test(l))
        .join('\n');
    expect(stable(ours)).toBe(stable(theirs));
    const a = parseExposition(ours);
    const b = parseExposition(theirs);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [k, v] of b)
      if (!/^(process_|nodejs_|lookout_t_collected)/.test(k)) expect(`${k} ${a.get(k)}`).toBe(`${k} ${v}`);
    expect(a.get('lookout_t_series{node=node-1,series=s7}')).toBe('0.875');
    expect(a.get('lookout_t_node_override{node=other}')).toBe('2');
    expect(a.get('lookout_t_seconds_bucket{le=+Inf,method=GET,node=node-1}')).toBe('2');
    expect(ours).toContain('route="quote\\"back\\\\slash\\nnewline"');
  });

  it('reads current values on every scrape', async () => {
    const reg = new MetricsRegistry('n');
    const g = reg.gauge({ name: 'lookout_t_moving', help: 'Moves', labelNames: ['k'] as const });
    g.set({ k: 'a' }, 1);
    expect((await reg.render(undefined)).body).toContain('lookout_t_moving{k="a",node="n"} 1\n');
    g.set({ k: 'a' }, 2);
    g.set({ k: 'b' }, 3);
    const body = (await reg.render(undefined)).body;
    expect(body).toContain('lookout_t_moving{k="a",node="n"} 2\n');
    expect(body).toContain('lookout_t_moving{k="b",node="n"} 3\n');
    g.reset();
    expect((await reg.render(undefined)).body).not.toContain('lookout_t_moving{');
  });

  it('re-formats a label object that changed after its series was created, as the client does', async () => {
    const reg = new MetricsRegistry('n');
    const g = reg.gauge({ name: 'lookout_t_mutable', help: 'Mutable labels', labelNames: ['k'] as const });
    const labels = { k: 'before' };
    g.set(labels, 1);
    expect((await reg.render(undefined)).body).toContain('lookout_t_mutable{k="before",node="n"} 1');
    labels.k = 'after';
    const ours = (await reg.render(undefined)).body;
    expect(ours).toContain('lookout_t_mutable{k="after",node="n"} 1');
    expect(await reg.prometheus.metrics()).toContain('lookout_t_mutable{k="after",node="n"} 1');
  });

  it('keeps counter names ending in _total after an OpenMetrics scrape', async () => {
    const reg = new MetricsRegistry('n');
    reg.counter({ name: 'lookout_t_done_total', help: 'Done' }).inc();
    const om = await reg.render('application/openmetrics-text; version=1.0.0');
    expect(om.contentType).toMatch(/openmetrics/);
    expect(om.body).toContain('lookout_t_done_total{node="n"} 1');
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    const text = await reg.render('text/plain');
    expect(text.contentType).toMatch(/^text\/plain; version=0.0.4/);
    expect(text.body).toContain('# TYPE lookout_t_done_total counter\nlookout_t_done_total{node="n"} 1');
  });
});
