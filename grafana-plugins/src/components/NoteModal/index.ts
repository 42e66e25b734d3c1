export { NoteModal } from './NoteModal';
