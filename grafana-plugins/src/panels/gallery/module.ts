import { PanelPlugin } from '@grafana/data';
import { GalleryPanel } from './components/GalleryPanel';
import { migrateGalleryOptions } from './migrations';
import { DEFAULT_GALLERY_OPTIONS, type GalleryOptions } from './types';

export const plugin = new PanelPlugin<GalleryOptions>(GalleryPanel)
  .setMigrationHandler(migrateGalleryOptions)
  .setPanelOptions((builder) =>
    builder
      .addTextInput({
        path: 'generation',
        name: 'Generation',
        description: 'Initial generation filter (empty for all; dashboard variables allowed)',
        defaultValue: DEFAULT_GALLERY_OPTIONS.generation,
      })
      .addTextInput({
        path: 'kind',
        name: 'Kind',
        description: 'Initial kind filter (empty for all)',
        defaultValue: DEFAULT_GALLERY_OPTIONS.kind,
      })
      .addNumberInput({
        path: 'pageSize',
        name: 'Page size',
        defaultValue: DEFAULT_GALLERY_OPTIONS.pageSize,
        settings: { min: 4, max: 200, integer: true },
      })
      .addNumberInput({
        path: 'pollSeconds',
        name: 'Polling interval (s)',
        description: 'New images arrive live on the stream; this interval is used only while the stream is down',
        defaultValue: DEFAULT_GALLERY_OPTIONS.pollSeconds,
        settings: { min: 2, integer: true },
      })
      .addSliderInput({
        path: 'tileWidth',
        name: 'Tile width',
        defaultValue: DEFAULT_GALLERY_OPTIONS.tileWidth,
        settings: { min: 80, max: 400, step: 10 },
      })
  );
