export { AppConfig } from './AppConfig';
export type { AppConfigProps, LookoutJsonData } from './AppConfig';
