// The bus module's public surface: values and types listed separately.
export { BusNoRespondersError, BusNotConnectedError, BusTimeoutError, subjectMatches } from './bus';
export type { Bus, BusHandler, BusMessage, BusSubscription, PublishOptions } from './bus';
export { InProcessBus } from './inprocess-bus';
export { NatsBus, NatsConfigError, decodeJson, encodeJson, natsConnectionOptions } from './nats-bus';
export type { NatsBusEvent, NatsConfig } from './nats-bus';
export {
  EVENT_SUBJECT_PREFIX,
  OutboxPublisher,
  StreamSetupError,
  SubjectMap,
  eventEnvelope,
  eventSubject,
} from './outbox-publisher';
export type { OutboxHooks, SubjectMapping } from './outbox-publisher';
export { BusRejections, describeIssues } from './bus-subscriptions';
export type { SubjectKind } from './bus-subscriptions';
export { BusPart, telemetrySubject } from './bus-part';
