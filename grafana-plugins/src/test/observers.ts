import { act } from '@testing-library/react';

interface FakeObserver {
  callback: IntersectionObserverCallback;
  targets: Set<Element>;
}

/** Makes every observed element (or only those matching `filter`) intersect the viewport, as scrolling would. */
export function intersectAll(filter: (el: Element) => boolean = () => true): void {
  const instances = (globalThis.IntersectionObserver as unknown as { instances: Set<FakeObserver> }).instances;
  act(() => {
    for (const o of Array.from(instances)) {
      const entries = Array.from(o.targets)
        .filter(filter)
        .map(
          (target) => ({ target, isIntersecting: true, intersectionRatio: 1 }) as unknown as IntersectionObserverEntry
        );
      if (entries.length) {
        o.callback(entries, o as unknown as IntersectionObserver);
      }
    }
  });
}
