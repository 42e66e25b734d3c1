// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// jsdom has no layout: Grafana's Drawer/TruncatedText observe sizes, which never change here.
class NoopResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}
global.ResizeObserver = global.ResizeObserver ?? NoopResizeObserver;

// jsdom has no canvas; Grafana's Combobox sizes its menu with a 2D context's measureText.
HTMLCanvasElement.prototype.getContext = function getContext() {
  return { font: '', measureText: (text) => ({ width: String(text).length * 7 }) };
};

// A controllable IntersectionObserver: nothing intersects until a test says so (see src/test/observers.ts).
class FakeIntersectionObserver {
  constructor(callback) {
    this.callback = callback;
    this.targets = new Set();
    FakeIntersectionObserver.instances.add(this);
  }
  observe(el) {
    this.targets.add(el);
  }
  unobserve(el) {
    this.targets.delete(el);
  }
  disconnect() {
    this.targets.clear();
    FakeIntersectionObserver.instances.delete(this);
  }
  takeRecords() {
    return [];
  }
}
FakeIntersectionObserver.instances = new Set();
global.IntersectionObserver = FakeIntersectionObserver;

// This suite runs on small shared CI machines: give async queries room before calling a slow render a failure.
import { configure } from '@testing-library/react';
configure({ asyncUtilTimeout: 10000 });

// A fake-backend answer the sidecar could not send (src/test/contract.ts) fails the test that used it.
import { takeViolations } from './src/test/contract';
afterEach(() => {
  const violations = takeViolations();
  if (violations.length > 0) {
    throw new Error(`test data does not match docs/openapi.json:\n${[...new Set(violations)].join('\n')}`);
  }
});
