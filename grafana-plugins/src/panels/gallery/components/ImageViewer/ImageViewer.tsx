import React, { useEffect } from 'react';
import { IconButton, Modal, useStyles2 } from '@grafana/ui';
import { type CalibrationImage } from '../../../../api';
import { useLookoutApi } from '../../../../hooks/useNodeScope';
import { formatValue } from '../../../../data/format';
import { TEST_IDS } from '../../../../testIds';
import { getStyles } from './ImageViewer.styles';

export interface ImageViewerProps {
  items: CalibrationImage[];
  index: number;
  onIndexChange: (i: number) => void;
  onClose: () => void;
}

/** Full-size view; ← and → step through the filtered images, Esc closes. */
export function ImageViewer({ items, index, onIndexChange, onClose }: ImageViewerProps): React.JSX.Element | null {
  const lookoutApi = useLookoutApi();
  const s = useStyles2(getStyles);
  const item = items[index];
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'ArrowRight' && index < items.length - 1) {
        onIndexChange(index + 1);
      } else if (e.key === 'ArrowLeft' && index > 0) {
        onIndexChange(index - 1);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [index, items.length, onIndexChange]);
  if (!item) {
    return null;
  }
  return (
    <Modal title={item.title ?? item.name} isOpen onDismiss={onClose} closeOnEscape>
      <div className={s.body} data-testid={TEST_IDS.gallery.viewer}>
        <img className={s.img} src={lookoutApi.imageUrl(item)} alt={item.title ?? item.name} />
        <div className={s.nav}>
          <IconButton
            name="arrow-left"
            tooltip="Previous (←)"
            disabled={index === 0}
            onClick={() => onIndexChange(index - 1)}
          />
          <span>
            {index + 1} / {items.length} · generation {item.generation} · {item.kind}
            {item.metric !== null && item.metric !== undefined ? ` · ${formatValue(item.metric)}` : ''}
          </span>
          <IconButton
            name="arrow-right"
            tooltip="Next (→)"
            disabled={index >= items.length - 1}
            onClick={() => onIndexChange(index + 1)}
          />
        </div>
      </div>
    </Modal>
  );
}
