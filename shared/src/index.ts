// Public surface of the shared package: protocol, errors, constants, catalog, policy.
export * from './constants.js';
export * from './errors.js';
export * from './protocol/index.js';
export * from './catalog/schema.js';
export { BUILTIN_CATALOG } from './catalog/builtin.js';
export * from './policy/schema.js';
export * from './policy/evaluate.js';
export * from './policy/compliance.js';
export * from './policy/signing.js';
