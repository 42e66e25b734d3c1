// The exporter's public surface for embedding (the demo launcher, tests); anything not listed is internal.
export { startSidecar, buildContext } from './main';
export type { Sidecar, StartOptions } from './main';
export { loadConfig, listConfigKeys, ConfigError } from './config/load-config';
export { PolicyLoadError } from './policy/policy-service';
export type { Config, ConfigInput } from './config/config-schema';
export { InProcessBus } from './bus/inprocess-bus';
export { BusNoRespondersError, BusTimeoutError } from './bus/bus';
export type { Bus, BusMessage, BusHandler, BusSubscription } from './bus/bus';
export { createLogger } from './log/logger';
export { VERSION } from './version';
