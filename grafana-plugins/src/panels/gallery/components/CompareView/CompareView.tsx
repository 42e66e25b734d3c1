import React, { useId, useMemo } from 'react';
import { Combobox, InlineField, LoadingPlaceholder, Modal, useStyles2 } from '@grafana/ui';
import { lookoutApi, type CalibrationImage } from '../../../../api';
import { pairByName } from '../../data/compare';
import { useAsync } from '../../../../hooks/useAsync';
import { TEST_IDS } from '../../../../testIds';
import { getStyles } from './CompareView.styles';

export interface CompareViewProps {
  generations: string[];
  a: string;
  b: string;
  onChange: (a: string, b: string) => void;
  onClose: () => void;
}

/** Two generations side by side, images paired by kind and name. */
export function CompareView({ generations, a, b, onChange, onClose }: CompareViewProps): React.JSX.Element {
  const s = useStyles2(getStyles);
  const idBase = useId();
  const left = useAsync(
    () =>
      a ? lookoutApi.calibration({ generation: a, limit: 200 }) : Promise.resolve({ items: [] as CalibrationImage[] }),
    [a]
  );
  const right = useAsync(
    () =>
      b ? lookoutApi.calibration({ generation: b, limit: 200 }) : Promise.resolve({ items: [] as CalibrationImage[] }),
    [b]
  );
  const pairs = useMemo(() => pairByName(left.value?.items ?? [], right.value?.items ?? []), [left.value, right.value]);
  const opts = generations.map((g) => ({ label: g, value: g }));
  return (
    <Modal title="Compare generations" isOpen onDismiss={onClose}>
      <div data-testid={TEST_IDS.gallery.compare}>
        <div className={s.pickers}>
          <InlineField label="A" htmlFor={`${idBase}-a`}>
            <Combobox
              id={`${idBase}-a`}
              options={opts}
              value={a}
              onChange={(v) => onChange(v.value, b)}
              width="auto"
              minWidth={20}
            />
          </InlineField>
          <InlineField label="B" htmlFor={`${idBase}-b`}>
            <Combobox
              id={`${idBase}-b`}
              options={opts}
              value={b}
              onChange={(v) => onChange(a, v.value)}
              width="auto"
              minWidth={20}
            />
          </InlineField>
        </div>
        {(left.loading || right.loading) && pairs.length === 0 && <LoadingPlaceholder text="Loading…" />}
        {pairs.map((p) => (
          <div key={p.key} className={s.row} aria-label={`Compare ${p.key}`}>
            <span className={s.label}>{p.key}</span>
            {p.a ? (
              <img className={s.img} src={lookoutApi.imageUrl(p.a)} alt={`${a} ${p.key}`} />
            ) : (
              <span className={s.missing}>none in {a}</span>
            )}
            {p.b ? (
              <img className={s.img} src={lookoutApi.imageUrl(p.b)} alt={`${b} ${p.key}`} />
            ) : (
              <span className={s.missing}>none in {b}</span>
            )}
          </div>
        ))}
      </div>
    </Modal>
  );
}
