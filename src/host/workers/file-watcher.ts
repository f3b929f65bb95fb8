// Watches the files a worker was built from and reports a change once per burst of writes (editors
// often write a file several times in a row).
import { watch, type FSWatcher } from 'node:fs';

export class FileWatcher {
  readonly #onChange: (file: string) => void;
  readonly #debounceMs: number;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(onChange: (file: string) => void, debounceMs = 100) {
    this.#onChange = onChange;
    this.#debounceMs = debounceMs;
  }

  /** Replaces the watched set (the bundle's inputs change when imports change). */
  watch(files: Iterable<string>): void {
    this.close();
    for (const file of new Set(files)) {
      try {
        const watcher = watch(file, () => this.#changed(file));
        watcher.on('error', () => {});
        this.#watchers.push(watcher);
      } catch {
        // A file that vanished between bundling and watching: the next reload picks up the new set.
      }
    }
  }

  #changed(file: string): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#onChange(file);
    }, this.#debounceMs);
  }

  close(): void {
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
