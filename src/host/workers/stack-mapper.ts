// Maps positions in a bundled worker back to the files the tenant wrote, with Node's built-in source
// map support, so errors and stack traces name src/index.ts:12 rather than a line of the bundle.
import { SourceMap } from 'node:module';
import { isAbsolute, relative, resolve } from 'node:path';

export class StackMapper {
  readonly #filename: string;
  readonly #map: SourceMap;
  readonly #pattern: RegExp;
  readonly #rootDir: string;

  /** `filename` is the name the bundle was compiled under; `sourceMapJson` esbuild's map of it. */
  constructor(filename: string, sourceMapJson: string, rootDir: string) {
    this.#filename = filename;
    this.#map = new SourceMap(JSON.parse(sourceMapJson) as ConstructorParameters<typeof SourceMap>[0]);
    this.#rootDir = rootDir;
    this.#pattern = new RegExp(`${filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`, 'g');
  }

  map(text: string): string {
    if (!text.includes(this.#filename)) return text;
    return text.replace(this.#pattern, (whole, line: string, column: string) => {
      const entry = this.#map.findEntry(Number(line) - 1, Number(column) - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
      if (entry.originalSource === undefined || entry.originalLine === undefined) return whole;
      const source = entry.originalSource.startsWith('file://') ? new URL(entry.originalSource).pathname : entry.originalSource;
      const absolute = isAbsolute(source) ? source : resolve(this.#rootDir, source);
      return `${relative(process.cwd(), absolute) || absolute}:${entry.originalLine + 1}:${(entry.originalColumn ?? 0) + 1}`;
    });
  }
}
