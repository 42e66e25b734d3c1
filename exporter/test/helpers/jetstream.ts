import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';

export interface StreamMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  data: Record<string, unknown>;
}

/**
 * Reads a stream from the start with an ordered consumer (a real JetStream consumer, as a user
 * would) until `expected` messages were seen or nothing new arrives for `quietMs`.
 */
export async function readStream(
  url: string,
  stream: string,
  expected: number,
  quietMs = 3000
): Promise<StreamMessage[]> {
  const nc = await connect({ servers: url });
  try {
    const js = jetstream(nc);
    const consumer = await js.consumers.get(stream);
    const out: StreamMessage[] = [];
    while (out.length < expected) {
      const batch = await consumer.fetch({ max_messages: Math.min(1000, expected - out.length), expires: quietMs });
      let n = 0;
      for await (const m of batch) {
        n++;
        out.push({
          seq: m.seq,
          subject: m.subject,
          msgId: m.headers?.get('Nats-Msg-Id'),
          data: m.json<Record<string, unknown>>(),
        });
      }
      if (n === 0) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}

/** Deletes every stream on the server, so each test starts with an empty JetStream. */
export async function deleteAllStreams(url: string): Promise<void> {
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}
