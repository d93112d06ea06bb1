/** The package's main entry: the service for embedding, and the client side. */
export { loadConfig, type SignetConfig } from './config/loader.js';
export { SignetError, type SignetErrorCode } from './domain/errors.js';
export type * from './domain/types.js';
export { KeyRotationService } from './service/key-rotation-service.js';
export type { SignetApi } from './service/api.js';
export * from './client/index.js';
