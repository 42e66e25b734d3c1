import React from 'react';
import { Alert, Badge, Drawer, LoadingPlaceholder, useStyles2, type BadgeColor } from '@grafana/ui';
import { type Generation } from '../../api';
import { useLookoutApi } from '../../hooks/useNodeScope';
import { formatValue } from '../../data/format';
import { useAsync } from '../../hooks/useAsync';
import { TEST_IDS } from '../../testIds';
import { getStyles } from './GenerationDetails.styles';

export interface GenerationDetailsProps {
  generation: Generation;
  onClose: () => void;
  /** Extra controls (the lineage explorer puts its rollback button here). */
  actions?: React.ReactNode;
}

const BADGE: Record<string, BadgeColor> = {
  active: 'green',
  canary: 'orange',
  candidate: 'blue',
  failed: 'red',
  retired: 'darkgrey',
};

/** Drawer with one generation's KPIs, notes and calibration images. */
export function GenerationDetails({ generation: g, onClose, actions }: GenerationDetailsProps): React.JSX.Element {
  const lookoutApi = useLookoutApi();
  const s = useStyles2(getStyles);
  const images = useAsync(() => lookoutApi.calibration({ generation: g.id, limit: 48 }), [g.id]);
  return (
    <Drawer
      title={`Generation ${g.id}`}
      subtitle={<Badge text={g.status} color={BADGE[g.status] ?? 'darkgrey'} />}
      onClose={onClose}
      size="md"
    >
      <div data-testid={TEST_IDS.lineage.details}>
        <dl className={s.kpis}>
          <dt>Parent</dt>
          <dd>{g.parent ?? '—'}</dd>
          <dt>Created</dt>
          <dd>{g.created_at}</dd>
          {Object.entries(g.kpis ?? {}).map(([k, v]) => (
            <React.Fragment key={k}>
              <dt>{k}</dt>
              <dd>{formatValue(v)}</dd>
            </React.Fragment>
          ))}
        </dl>
        {g.notes && <p>{g.notes}</p>}
        {actions}
        <div className={s.heading}>Calibration images</div>
        {images.loading && !images.value && <LoadingPlaceholder text="Loading images…" />}
        {images.error && (
          <Alert severity="error" title="Could not load calibration images">
            {images.error.message}
          </Alert>
        )}
        {images.value && images.value.items.length === 0 && <p>No calibration images for this generation.</p>}
        {images.value && images.value.items.length > 0 && (
          <div className={s.images}>
            {images.value.items.map((img) => (
              <figure key={img.id} className={s.figure}>
                <img src={lookoutApi.imageUrl(img)} alt={img.title ?? img.name} loading="lazy" />
                <figcaption>
                  {img.title ?? img.name}
                  {img.metric !== undefined && img.metric !== null ? ` · ${formatValue(img.metric)}` : ''}
                </figcaption>
              </figure>
            ))}
          </div>
        )}
      </div>
    </Drawer>
  );
}
