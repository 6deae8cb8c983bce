/** Configuration, read and validated once. */
export { APP_CONFIG, type AppConfig, ConfigError, loadConfig } from './app-config.js';
export { AppConfigModule } from './config.module.js';
export { loggerParams, requestLogging } from './logging.js';
