export { GalleryPanel } from './GalleryPanel';
