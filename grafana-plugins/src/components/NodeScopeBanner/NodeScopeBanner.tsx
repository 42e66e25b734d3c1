import React from 'react';
import { Alert } from '@grafana/ui';
import { PLUGIN_BASE_URL, ROUTES } from '../../constants';
import { useNodeScope } from '../../hooks/useNodeScope';
import { TEST_IDS } from '../../testIds';
import { AppLink } from '../AppLink';

/** Says which node the page shows when it is one node of the fleet, read through the hub. */
export function NodeScopeBanner(): React.JSX.Element | null {
  const node = useNodeScope();
  if (!node) {
    return null;
  }
  return (
    <div data-testid={TEST_IDS.fleet.scope}>
      <Alert severity="info" title={`Node ${node}`}>
        This page shows node {node} of the fleet, through the hub; your role applies on that node as well.{' '}
        <AppLink to={`${PLUGIN_BASE_URL}/${ROUTES.Fleet}`}>Back to the fleet</AppLink>
      </Alert>
    </div>
  );
}
