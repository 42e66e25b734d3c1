import { act } from '@testing-library/react';
import type { LookoutEvent } from '../api';

/** A stand-in for the browser's EventSource (jsdom has none), driven by the test. */
export class FakeEventSource {
  static instances: FakeEventSource[] = [];
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readyState = FakeEventSource.CONNECTING;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  private listeners = new Map<string, Array<(m: MessageEvent<string>) => void>>();

  constructor(readonly url: string) {
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: (m: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close(): void {
    this.readyState = FakeEventSource.CLOSED;
  }
  open(): void {
    act(() => {
      this.readyState = FakeEventSource.OPEN;
      this.onopen?.();
    });
  }
  /** Sends one `event: lookout` frame, as the sidecar's stream does. */
  emit(e: LookoutEvent): void {
    act(() => {
      for (const fn of this.listeners.get('lookout') ?? []) {
        fn({ data: JSON.stringify(e), lastEventId: e.id } as MessageEvent<string>);
      }
    });
  }
  fail(closed = true): void {
    act(() => {
      if (closed) {
        this.readyState = FakeEventSource.CLOSED;
      }
      this.onerror?.();
    });
  }
  static latest(): FakeEventSource {
    const es = FakeEventSource.instances[FakeEventSource.instances.length - 1];
    if (!es) {
      throw new Error('no EventSource was opened');
    }
    return es;
  }
  static install(): void {
    FakeEventSource.instances = [];
    (globalThis as unknown as { EventSource: unknown }).EventSource = FakeEventSource;
  }
}
