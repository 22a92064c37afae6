export type { Store, Unsubscribe } from './store.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { createStore, type StoreDeps } from './create-store.js';
