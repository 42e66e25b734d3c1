import React, { useEffect } from 'react';
import { render, type RenderResult } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { PLUGIN_BASE_URL } from '../constants';

function LocationSpy({ onLocation }: { onLocation: (path: string) => void }): null {
  const loc = useLocation();
  useEffect(() => {
    onLocation(loc.pathname + loc.search);
  }, [loc, onLocation]);
  return null;
}

/**
 * Renders `ui` at `url` inside a router, mounted on `route` (relative to the app root, e.g. `diagnostics/*`) as the
 * app's own routes mount it. `location()` is where the user has navigated to since.
 */
export function renderInApp(
  ui: React.ReactElement,
  { url, route }: { url: string; route: string }
): RenderResult & { location: () => string } {
  let seen = url;
  const result = render(
    <MemoryRouter initialEntries={[url]}>
      <Routes>
        <Route path={`${PLUGIN_BASE_URL}/${route}`} element={ui} />
      </Routes>
      <LocationSpy
        onLocation={(p) => {
          seen = p;
        }}
      />
    </MemoryRouter>
  );
  return { ...result, location: () => seen };
}
