import { DEFAULT_NODE } from '../nodeOption';
export const BUILTIN_ACTIONS = [
  'kill',
  'kill_release',
  'retrain',
  'canary_promote',
  'rollback',
  'flush_guardrails',
] as const;

export interface ActionsOptions {
  /** Which node the panel shows (data/nodeChoice.ts): a node name, `${node:csv}`, or empty for the sidecar itself. */
  node: string;
  /** Built-in actions to show, in order. */
  buttons: string[];
  /** Extra action names configured on the sidecar, comma separated. */
  customActions: string;
  /** How often the kill-switch state is refreshed, in seconds. */
  refreshSeconds: number;
  /** Show fleet kill and release when the sidecar the app talks to is a fleet hub. */
  showFleet: boolean;
}

export const DEFAULT_ACTIONS_OPTIONS: ActionsOptions = {
  node: DEFAULT_NODE,
  buttons: ['kill', 'kill_release', 'retrain', 'canary_promote'],
  customActions: '',
  refreshSeconds: 5,
  showFleet: true,
};

export function actionNames(o: ActionsOptions): string[] {
  const custom = o.customActions
    .split(',')
    .map((x) => x.trim())
    .filter((x) => /^[a-z0-9_.-]+$/i.test(x));
  return Array.from(new Set([...(o.buttons ?? []), ...custom]));
}
