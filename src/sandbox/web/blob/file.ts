// @see https://w3c.github.io/FileAPI/#file-section
import { DateNow, ObjectDefineProperty, SymbolToStringTag } from '../../bootstrap/primordials.js';
import { requireArguments, toDictionary, toLongLong, toUSVString } from '../dom/webidl.js';
import { Blob } from './blob.js';

export class File extends Blob {
  readonly #name: string;
  readonly #lastModified: number;

  constructor(fileBits: unknown, fileName: unknown, options: unknown = undefined) {
    requireArguments(arguments.length, 2, "Failed to construct 'File'");
    const init = toDictionary(options, "Failed to construct 'File'", 'FilePropertyBag');
    // Blob reads endings and type; lastModified comes after them, in dictionary order.
    super(fileBits, init);
    this.#name = toUSVString(fileName);
    const lastModified = init.lastModified;
    this.#lastModified = lastModified === undefined ? DateNow() : toLongLong(lastModified);
  }

  get name(): string { return this.#name; }
  get lastModified(): number { return this.#lastModified; }
  get webkitRelativePath(): string { return ''; }
}
ObjectDefineProperty(File.prototype, SymbolToStringTag, { value: 'File', configurable: true });
