/**
 * A small least-recently-used map: `get` refreshes an entry, `set` evicts the oldest past `capacity`.
 * For per-request lookups whose inputs repeat (a polling client's token, a Grafana user's context).
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    // Re-insert: Map order is the LRU order.
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, value);
  }

  delete(key: K): void {
    this.map.delete(key);
  }
}
