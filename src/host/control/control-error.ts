// The control plane's one error type. The admin API answers with the code as it is and the status
// that goes with it (400, 404, 409, 422), so validation, lookups and ownership checks deep in the store
// need no knowledge of HTTP.

// deploy_failed: the module did not compile or its top level threw (422).
export type ControlErrorCode = 'invalid_request' | 'not_found' | 'conflict' | 'deploy_failed';

export class ControlError extends Error {
  override name = 'ControlError';
  readonly code: ControlErrorCode;

  constructor(code: ControlErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
