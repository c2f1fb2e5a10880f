export { diffConfig, type ConfigChange } from './config-diff';
export { configurationAt, type ConfigScope, type ConfigurationDocument } from './configuration-at';
