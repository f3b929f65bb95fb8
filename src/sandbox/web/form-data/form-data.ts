// @see https://xhr.spec.whatwg.org/#interface-formdata
import {
  ArrayPrototypePush, ArrayPrototypeSplice, ObjectDefineProperty, ReflectApply, SymbolIterator, SymbolToStringTag,
  TypeErrorCtor,
} from '../../bootstrap/primordials.js';
import { Blob } from '../blob/blob.js';
import { File } from '../blob/file.js';
import { requireArguments, toUSVString } from '../dom/webidl.js';

export type FormDataEntryValue = string | File;
export type FormDataEntry = [name: string, value: FormDataEntryValue];

let entriesOf: (formData: FormData) => FormDataEntry[];
let withEntries: (entries: FormDataEntry[]) => FormData;
/** The entry list behind a FormData, for serializing it as a body. */
export function formDataEntries(formData: FormData): FormDataEntry[] { return entriesOf(formData); }
/** A FormData holding entries a body parser has made. */
export function formDataOf(entries: FormDataEntry[]): FormData { return withEntries(entries); }

/** @see https://xhr.spec.whatwg.org/#create-an-entry */
function createEntry(name: unknown, value: unknown, filename: unknown, withFilename: boolean, method: string): FormDataEntry {
  const entryName = toUSVString(name);
  if (!(value instanceof Blob)) {
    if (withFilename) throw new TypeErrorCtor(`Failed to execute '${method}' on 'FormData': parameter 2 is not of type 'Blob'.`);
    return [entryName, toUSVString(value)];
  }
  if (value instanceof File && !withFilename) return [entryName, value];
  const fileName = withFilename ? toUSVString(filename) : value instanceof File ? value.name : 'blob';
  const options = value instanceof File ? { type: value.type, lastModified: value.lastModified } : { type: value.type };
  return [entryName, new File([value], fileName, options)];
}

export class FormData {
  static {
    entriesOf = (formData) => formData.#entries;
    withEntries = (entries) => {
      // `this`, not FormData: a class that names itself in its body gets renamed when bundled.
      const formData = new this();
      formData.#entries = entries;
      return formData;
    };
  }
  #entries: FormDataEntry[] = [];

  constructor(form: unknown = undefined, submitter: unknown = undefined) {
    // There are no HTML forms to read entries from; an explicit undefined is the same as none.
    if (form !== undefined) throw new TypeErrorCtor("Failed to construct 'FormData': parameter 1 is not of type 'HTMLFormElement'.");
    void submitter;
  }

  append(name: unknown, value: unknown, filename: unknown = undefined): void {
    requireArguments(arguments.length, 2, "Failed to execute 'append' on 'FormData'");
    ArrayPrototypePush(this.#entries, createEntry(name, value, filename, arguments.length > 2, 'append'));
  }
  delete(name: unknown): void {
    requireArguments(arguments.length, 1, "Failed to execute 'delete' on 'FormData'");
    const key = toUSVString(name);
    const entries = this.#entries;
    for (let i = entries.length - 1; i >= 0; i--) if (entries[i]![0] === key) ArrayPrototypeSplice(entries, i, 1);
  }
  get(name: unknown): FormDataEntryValue | null {
    requireArguments(arguments.length, 1, "Failed to execute 'get' on 'FormData'");
    const key = toUSVString(name);
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) if (entries[i]![0] === key) return entries[i]![1];
    return null;
  }
  getAll(name: unknown): FormDataEntryValue[] {
    requireArguments(arguments.length, 1, "Failed to execute 'getAll' on 'FormData'");
    const key = toUSVString(name);
    const values: FormDataEntryValue[] = [];
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) if (entries[i]![0] === key) ArrayPrototypePush(values, entries[i]![1]);
    return values;
  }
  has(name: unknown): boolean {
    requireArguments(arguments.length, 1, "Failed to execute 'has' on 'FormData'");
    const key = toUSVString(name);
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) if (entries[i]![0] === key) return true;
    return false;
  }
  /** Replaces the first entry of that name and removes the others, or appends. */
  set(name: unknown, value: unknown, filename: unknown = undefined): void {
    requireArguments(arguments.length, 2, "Failed to execute 'set' on 'FormData'");
    const entry = createEntry(name, value, filename, arguments.length > 2, 'set');
    const entries = this.#entries;
    let found = false;
    for (let i = 0; i < entries.length; i++) {
      if (entries[i]![0] !== entry[0]) continue;
      if (!found) { entries[i] = entry; found = true; } else ArrayPrototypeSplice(entries, i--, 1);
    }
    if (!found) ArrayPrototypePush(entries, entry);
  }

  forEach(callback: unknown, thisArg: unknown = undefined): void {
    requireArguments(arguments.length, 1, "Failed to execute 'forEach' on 'FormData'");
    if (typeof callback !== 'function') throw new TypeErrorCtor("Failed to execute 'forEach' on 'FormData': The callback provided as parameter 1 is not a function.");
    // The list is live: entries added or removed by the callback are seen, as the iterator sees them.
    for (let i = 0; i < this.#entries.length; i++) {
      const entry = this.#entries[i]!;
      ReflectApply(callback, thisArg, [entry[1], entry[0], this]);
    }
  }
  *entries(): IterableIterator<[string, FormDataEntryValue]> {
    for (let i = 0; i < this.#entries.length; i++) {
      const entry = this.#entries[i]!;
      yield [entry[0], entry[1]];
    }
  }
  *keys(): IterableIterator<string> {
    for (let i = 0; i < this.#entries.length; i++) yield this.#entries[i]![0];
  }
  *values(): IterableIterator<FormDataEntryValue> {
    for (let i = 0; i < this.#entries.length; i++) yield this.#entries[i]![1];
  }
}
ObjectDefineProperty(FormData.prototype, SymbolIterator, {
  value: FormData.prototype.entries, writable: true, enumerable: false, configurable: true,
});
ObjectDefineProperty(FormData.prototype, SymbolToStringTag, { value: 'FormData', configurable: true });
