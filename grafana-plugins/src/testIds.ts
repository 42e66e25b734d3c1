/** One set of test ids for jest (getByTestId) and Playwright (getByTestId) selectors. */
export const TEST_IDS = {
  appConfig: {
    sidecarUrl: 'data-testid lookout-config-sidecar-url',
    token: 'data-testid lookout-config-token',
    save: 'data-testid lookout-config-save',
    test: 'data-testid lookout-config-test',
    testResult: 'data-testid lookout-config-test-result',
  },
  killSwitch: { banner: 'data-testid lookout-kill-switch' },
  actionFlow: {
    modal: 'data-testid lookout-action-modal',
    changes: 'data-testid lookout-action-changes',
    interlocks: 'data-testid lookout-action-interlocks',
    reason: 'data-testid lookout-action-reason',
    apply: 'data-testid lookout-action-apply',
    status: 'data-testid lookout-action-status',
  },
  actionsPanel: {
    root: 'data-testid lookout-actions-panel',
    button: (name: string) => `data-testid lookout-action-button-${name}`,
    disabledReason: (name: string) => `data-testid lookout-action-reason-${name}`,
  },
  lineage: {
    root: 'data-testid lookout-lineage-panel',
    svg: 'data-testid lookout-lineage-svg',
    node: (id: string) => `data-testid lookout-lineage-node-${id}`,
    fit: 'data-testid lookout-lineage-fit',
    tooltip: 'data-testid lookout-lineage-tooltip',
    details: 'data-testid lookout-lineage-details',
  },
  gallery: {
    root: 'data-testid lookout-gallery-panel',
    tile: (id: string) => `data-testid lookout-gallery-tile-${id}`,
    viewer: 'data-testid lookout-gallery-viewer',
    compare: 'data-testid lookout-gallery-compare',
  },
  feed: {
    root: 'data-testid lookout-feed-panel',
    list: 'data-testid lookout-feed-list',
    row: (id: string) => `data-testid lookout-feed-row-${id}`,
    newMarker: 'data-testid lookout-feed-new',
    mode: 'data-testid lookout-feed-mode',
    decision: 'data-testid lookout-feed-decision',
  },
  pages: {
    overview: 'data-testid lookout-page-overview',
    incidents: 'data-testid lookout-page-incidents',
    agents: 'data-testid lookout-page-agents',
    lineage: 'data-testid lookout-page-lineage',
    audit: 'data-testid lookout-page-audit',
  },
} as const;
