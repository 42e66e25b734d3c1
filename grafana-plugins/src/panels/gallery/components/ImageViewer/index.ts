export { ImageViewer } from './ImageViewer';
