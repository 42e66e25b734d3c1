export interface GalleryOptions {
  /** Generation to show first; empty = all. Dashboard variables are interpolated. */
  generation: string;
  /** Image kind to show first; empty = all. */
  kind: string;
  /** Images fetched per page as the grid scrolls. */
  pageSize: number;
  /** Minimum tile width in px. */
  tileWidth: number;
  /** While the live stream is down, how often to check for new images. */
  pollSeconds: number;
}

export const DEFAULT_GALLERY_OPTIONS: GalleryOptions = {
  generation: '',
  kind: '',
  pageSize: 40,
  tileWidth: 180,
  pollSeconds: 15,
};
