import { connect } from '@nats-io/transport-node';
import { type JsMsg, jetstream } from '@nats-io/jetstream';

export interface StreamMessage {
  seq: number;
  subject: string;
  msgId: string | undefined;
  data: Record<string, unknown>;
}

function streamMessage(m: JsMsg): StreamMessage {
  return {
    seq: m.seq,
    subject: m.subject,
    msgId: m.headers?.get('Nats-Msg-Id'),
    data: m.json<Record<string, unknown>>(),
  };
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
        out.push(streamMessage(m));
      }
      if (n === 0) break;
    }
    return out;
  } finally {
    await nc.close();
  }
}

/**
 * Reads a stream from its first message to its last (the last sequence the server reports when the
 * read starts), so a duplicate at the end is seen too. Ordered consumer, as a user would read it.
 */
export async function readWholeStream(url: string, stream: string): Promise<StreamMessage[]> {
  const nc = await connect({ servers: url });
  try {
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const jsm = await jetstreamManager(nc);
    const last = (await jsm.streams.info(stream)).state.last_seq;
    const consumer = await jetstream(nc).consumers.get(stream);
    const out: StreamMessage[] = [];
    while (out.length === 0 || out[out.length - 1]!.seq < last) {
      if (last === 0) break;
      const batch = await consumer.fetch({ max_messages: 1000, expires: 5000 });
      let n = 0;
      for await (const m of batch) {
        n++;
        out.push(streamMessage(m));
        if (m.seq >= last) break;
      }
      if (n === 0)
        throw new Error(`stream ${stream}: no message after seq ${out[out.length - 1]?.seq ?? 0} of ${last}`);
    }
    return out;
  } finally {
    await nc.close();
  }
}

/**
 * Problems with one node's events on the stream against the events the store holds: any id twice,
 * any stored event missing, and whether the stream holds them in store order. Empty: exactly once.
 */
export function streamProblems(msgs: readonly StreamMessage[], storedIds: readonly string[], node: string): string[] {
  const ours = msgs.filter((m) => m.data['node'] === node).map((m) => String(m.data['id']));
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const id of ours) seen.set(id, (seen.get(id) ?? 0) + 1);
  for (const [id, n] of seen) if (n > 1) problems.push(`${id} on the stream ${n} times`);
  const stored = new Set(storedIds);
  for (const id of storedIds) if (!seen.has(id)) problems.push(`${id} stored but not on the stream`);
  for (const id of seen.keys()) if (!stored.has(id)) problems.push(`${id} on the stream but not in the store`);
  if (!problems.length && ours.join() !== storedIds.join()) problems.push('the stream holds the events out of order');
  return problems;
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
