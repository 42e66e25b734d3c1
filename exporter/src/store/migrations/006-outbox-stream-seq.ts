import type { Migration } from './index';

export const migration006OutboxStreamSeq: Migration = {
  version: 6,
  name: 'outbox: the stream sequence of the last acknowledged event',
  sql: `
-- Where the outbox stands in the JetStream stream: every message of this node for an event after
-- last_seq is at a stream sequence above last_stream_seq. After a crash or a lost acknowledgement the
-- outbox reads its own messages above it before it publishes again, so a resend after the stream's
-- duplicate window cannot store an event twice. NULL (a cursor from an older build, or a new one):
-- the first connect records the stream's last sequence; for that one restart only the duplicate
-- window guards a resend, as before.
ALTER TABLE bus_outbox ADD COLUMN last_stream_seq INTEGER;
`,
};
