export { AgentsTasks as default } from './AgentsTasks';
