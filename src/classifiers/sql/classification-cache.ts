import type { Classification } from '../../model/action.js';

/**
 * V8 hashes only strings up to 16,383 characters; longer ones all hash by
 * length, so many equal-length keys would share one bucket and every lookup
 * would compare them in full. Longer texts are classified, never cached.
 */
export const MAX_CACHED_TEXT_LENGTH = 16_383;

interface Entry {
  readonly text: string;
  value: Classification;
  newer: Entry | null;
  older: Entry | null;
}

/**
 * LRU keyed by the exact statement text. Never keyed by fingerprint or
 * normalized text: those map `WHERE 'a'='a'` and `WHERE 'a'='b'` to the same
 * key. Recency lives in a linked list, so a hit only moves pointers and never
 * writes to the Map: deleting and re-inserting a hot key on every hit leaves
 * dead entries in V8's bucket chain and made repeated hits cost ~27 µs.
 */
export class ClassificationCache {
  #entries = new Map<string, Entry>();
  #newest: Entry | null = null;
  #oldest: Entry | null = null;
  #hits = 0;
  #misses = 0;

  constructor(readonly capacity: number) {}

  get(text: string): Classification | undefined {
    const entry = this.#entries.get(text);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    if (entry !== this.#newest) {
      this.#unlink(entry);
      this.#pushNewest(entry);
    }
    return entry.value;
  }

  set(text: string, value: Classification): void {
    if (this.capacity === 0 || text.length > MAX_CACHED_TEXT_LENGTH) return;
    const existing = this.#entries.get(text);
    if (existing) {
      existing.value = value;
      return;
    }
    const entry: Entry = { text, value, newer: null, older: null };
    this.#entries.set(text, entry);
    this.#pushNewest(entry);
    if (this.#entries.size > this.capacity && this.#oldest) {
      const evicted = this.#oldest;
      this.#unlink(evicted);
      this.#entries.delete(evicted.text);
    }
  }

  get stats(): { hits: number; misses: number; size: number } {
    return { hits: this.#hits, misses: this.#misses, size: this.#entries.size };
  }

  #pushNewest(entry: Entry): void {
    entry.older = this.#newest;
    entry.newer = null;
    if (this.#newest) this.#newest.newer = entry;
    this.#newest = entry;
    if (!this.#oldest) this.#oldest = entry;
  }

  #unlink(entry: Entry): void {
    if (entry.newer) entry.newer.older = entry.older;
    else this.#newest = entry.older;
    if (entry.older) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    entry.newer = null;
    entry.older = null;
  }
}
