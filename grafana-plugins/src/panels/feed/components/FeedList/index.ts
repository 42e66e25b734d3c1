export { FeedList } from './FeedList';
