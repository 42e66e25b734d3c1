/** Only the lease holder decides. One node: always the holder; a fleet: a NATS KV lease behind the same interface. */
export interface LeaderLease {
  readonly kind: string;
  isLeader(): boolean;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export class LocalLease implements LeaderLease {
  readonly kind = 'local';
  isLeader(): boolean {
    return true;
  }
  start(): void {}
  stop(): void {}
}
