import React from 'react';
import { useHref, useNavigate } from 'react-router';

interface Props {
  /** An app path, e.g. `/a/lookout-ops-app/diagnostics/D-1`. */
  to: string;
  className?: string;
  children: React.ReactNode;
}

/**
 * An in-app link built only on `react-router`, the router Grafana shares with plugins (react-router-dom is never
 * bundled, so the plugin follows whatever router version Grafana provides). A plain click navigates in place;
 * a modified click (new tab, window) keeps the browser's behaviour.
 */
export function AppLink({ to, className, children }: Props): React.JSX.Element {
  const href = useHref(to);
  const navigate = useNavigate();
  const onClick = (e: React.MouseEvent<HTMLAnchorElement>): void => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.altKey || e.ctrlKey || e.shiftKey) {
      return;
    }
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={href} className={className} onClick={onClick}>
      {children}
    </a>
  );
}
