/** Short human form of an ISO time relative to `now` ("12s ago", "3h ago"), with the ISO time as fallback. */
export function timeAgo(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) {
    return '—';
  }
  const t = Date.parse(iso);
  if (Number.isNaN(t)) {
    return iso;
  }
  const s = Math.round((now - t) / 1000);
  if (s < 0) {
    return 'just now';
  }
  if (s < 60) {
    return `${s}s ago`;
  }
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ago`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h ago`;
  }
  return `${Math.floor(s / 86400)}d ago`;
}

export function formatValue(v: unknown): string {
  if (v === null || v === undefined) {
    return '—';
  }
  if (typeof v === 'number') {
    return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 3 : 2);
  }
  if (typeof v === 'string') {
    return v;
  }
  return JSON.stringify(v);
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) {
    return `${d}d ${h}h`;
  }
  if (h > 0) {
    return `${h}h ${m}m`;
  }
  return `${m}m ${Math.floor(seconds % 60)}s`;
}

/** A time still to come, relative to `now` ("in 12s", "in 3m"); a time already past is "now". */
export function timeUntil(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) {
    return '—';
  }
  const t = Date.parse(iso);
  if (Number.isNaN(t)) {
    return iso;
  }
  const s = Math.round((t - now) / 1000);
  if (s <= 0) {
    return 'now';
  }
  if (s < 60) {
    return `in ${s}s`;
  }
  if (s < 3600) {
    return `in ${Math.floor(s / 60)}m`;
  }
  return `in ${Math.floor(s / 3600)}h`;
}
