// Watches the files a worker was built from and reports a change once per burst of writes (editors
// often write a file several times in a row).
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

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
        const watcher = existsSync(file)
          ? watch(file, () => this.#changed(file))
          // Not there (yet): its folder is watched for it, so creating it counts as a change (.dev.vars
          // written after islet dev started, a deleted import put back).
          : watch(dirname(file), (_event, name) => { if (name === basename(file)) this.#changed(file); });
        watcher.on('error', () => {});
        this.#watchers.push(watcher);
      } catch {
        // Its folder is gone too: the next reload picks up the new set.
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
