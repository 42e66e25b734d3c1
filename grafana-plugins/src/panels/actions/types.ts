export const BUILTIN_ACTIONS = [
  'kill',
  'kill_release',
  'retrain',
  'canary_promote',
  'rollback',
  'flush_guardrails',
] as const;

export interface ActionsOptions {
  /** Built-in actions to show, in order. */
  buttons: string[];
  /** Extra action names configured on the sidecar, comma separated. */
  customActions: string;
  /** How often the kill-switch state is refreshed, in seconds. */
  refreshSeconds: number;
}

export const DEFAULT_ACTIONS_OPTIONS: ActionsOptions = {
  buttons: ['kill', 'kill_release', 'retrain', 'canary_promote'],
  customActions: '',
  refreshSeconds: 5,
};

export function actionNames(o: ActionsOptions): string[] {
  const custom = o.customActions
    .split(',')
    .map((x) => x.trim())
    .filter((x) => /^[a-z0-9_.-]+$/i.test(x));
  return Array.from(new Set([...(o.buttons ?? []), ...custom]));
}
