import type { Classification } from '../../gate/action.js';

/**
 * V8 hashes only strings up to 16,383 characters; longer ones all hash by
 * length, so many equal-length keys would share one bucket and every lookup
 * would compare them in full. Longer texts are classified, never cached.
 */
export const MAX_CACHED_TEXT_LENGTH = 16_383;

/**
 * LRU keyed by the exact statement text (a Map keeps insertion order; a hit
 * re-inserts). Never keyed by fingerprint or normalized text: those map
 * `WHERE 'a'='a'` and `WHERE 'a'='b'` to the same key.
 */
export class ClassificationCache {
  #entries = new Map<string, Classification>();
  #hits = 0;
  #misses = 0;

  constructor(readonly capacity: number) {}

  get(text: string): Classification | undefined {
    const found = this.#entries.get(text);
    if (found === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#entries.delete(text);
    this.#entries.set(text, found);
    return found;
  }

  set(text: string, value: Classification): void {
    if (this.capacity === 0 || text.length > MAX_CACHED_TEXT_LENGTH) return;
    this.#entries.set(text, value);
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  get stats(): { hits: number; misses: number; size: number } {
    return { hits: this.#hits, misses: this.#misses, size: this.#entries.size };
  }
}
