// @see https://webidl.spec.whatwg.org/#idl-DOMException
const LEGACY_CODES: Record<string, number> = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
  NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
  SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
  QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};

export class DOMException extends Error {
  readonly #name: string;
  constructor(message = '', name = 'Error') {
    super(String(message));
    this.#name = String(name);
  }
  override get name(): string { return this.#name; }
  get code(): number { return LEGACY_CODES[this.#name] ?? 0; }
}
Object.defineProperty(DOMException.prototype, Symbol.toStringTag, { value: 'DOMException', configurable: true });

// The legacy code constants (INDEX_SIZE_ERR = 1, ...), on the interface object and its prototype.
const CONSTANT_NAMES: Record<string, string> = {
  IndexSizeError: 'INDEX_SIZE_ERR', HierarchyRequestError: 'HIERARCHY_REQUEST_ERR', WrongDocumentError: 'WRONG_DOCUMENT_ERR',
  InvalidCharacterError: 'INVALID_CHARACTER_ERR', NoModificationAllowedError: 'NO_MODIFICATION_ALLOWED_ERR', NotFoundError: 'NOT_FOUND_ERR',
  NotSupportedError: 'NOT_SUPPORTED_ERR', InvalidStateError: 'INVALID_STATE_ERR', SyntaxError: 'SYNTAX_ERR',
  InvalidModificationError: 'INVALID_MODIFICATION_ERR', NamespaceError: 'NAMESPACE_ERR', InvalidAccessError: 'INVALID_ACCESS_ERR',
  TypeMismatchError: 'TYPE_MISMATCH_ERR', SecurityError: 'SECURITY_ERR', NetworkError: 'NETWORK_ERR', AbortError: 'ABORT_ERR',
  URLMismatchError: 'URL_MISMATCH_ERR', QuotaExceededError: 'QUOTA_EXCEEDED_ERR', TimeoutError: 'TIMEOUT_ERR',
  InvalidNodeTypeError: 'INVALID_NODE_TYPE_ERR', DataCloneError: 'DATA_CLONE_ERR',
};
for (const name of Object.keys(CONSTANT_NAMES)) {
  const descriptor = { value: LEGACY_CODES[name], writable: false, enumerable: true, configurable: false };
  Object.defineProperty(DOMException, CONSTANT_NAMES[name]!, descriptor);
  Object.defineProperty(DOMException.prototype, CONSTANT_NAMES[name]!, descriptor);
}
// DOMSTRING_SIZE_ERR (2), INUSE_ATTRIBUTE_ERR (10) and VALIDATION_ERR (16) have no names any more.
for (const [constant, value] of [['DOMSTRING_SIZE_ERR', 2], ['INUSE_ATTRIBUTE_ERR', 10], ['VALIDATION_ERR', 16]] as const) {
  const descriptor = { value, writable: false, enumerable: true, configurable: false };
  Object.defineProperty(DOMException, constant, descriptor);
  Object.defineProperty(DOMException.prototype, constant, descriptor);
}
