export type { Store, Unsubscribe } from './store.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
