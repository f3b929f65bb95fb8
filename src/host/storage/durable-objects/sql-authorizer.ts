// What tenant SQL may do in an object's database. SQLite asks the authorizer while it compiles each
// statement, so a reserved table is refused however it is named (quoted, through a view, a trigger or
// a subquery), which no inspection of the query text could promise.
// @see https://developers.cloudflare.com/durable-objects/api/sqlite-storage-api/
import { constants } from 'node:sqlite';

/** Cloudflare keeps its own tables under this prefix; SQLite's own `sqlite_` tables are read-only anyway. */
export const RESERVED_PREFIX = '_cf_';

/** PRAGMAs a tenant may run: they read or check the schema, or tune foreign keys. */
const ALLOWED_PRAGMAS = new Set([
  'table_info', 'table_xinfo', 'table_list', 'index_list', 'index_info', 'index_xinfo', 'foreign_key_list',
  'foreign_keys', 'defer_foreign_keys', 'foreign_key_check', 'quick_check', 'integrity_check', 'optimize',
  'collation_list', 'function_list', 'pragma_list', 'legacy_alter_table', 'case_sensitive_like', 'recursive_triggers',
]);

const isReserved = (name: string | null): boolean => name !== null && name.toLowerCase().startsWith(RESERVED_PREFIX.toLowerCase());

/** The tables each action names, per SQLite's documented argument positions. */
function tablesOf(action: number, arg1: string | null, arg2: string | null): (string | null)[] {
  switch (action) {
    case constants.SQLITE_CREATE_INDEX: case constants.SQLITE_CREATE_TEMP_INDEX:
    case constants.SQLITE_DROP_INDEX: case constants.SQLITE_DROP_TEMP_INDEX:
    case constants.SQLITE_CREATE_TRIGGER: case constants.SQLITE_CREATE_TEMP_TRIGGER:
    case constants.SQLITE_DROP_TRIGGER: case constants.SQLITE_DROP_TEMP_TRIGGER:
      return [arg1, arg2];
    case constants.SQLITE_ALTER_TABLE:
      return [arg2];
    default:
      return [arg1];
  }
}

/** Why a tenant statement is refused, or null when it may run. */
export function refusal(action: number, arg1: string | null, arg2: string | null): string | null {
  switch (action) {
    case constants.SQLITE_TRANSACTION:
    case constants.SQLITE_SAVEPOINT:
      return 'To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements.';
    case constants.SQLITE_ATTACH:
    case constants.SQLITE_DETACH:
      return 'ATTACH and DETACH are not allowed';
    case constants.SQLITE_PRAGMA:
      return arg1 !== null && ALLOWED_PRAGMAS.has(arg1.toLowerCase()) ? null : `not authorized to use PRAGMA ${arg1 ?? ''}`.trim();
    default:
      break;
  }
  for (const table of tablesOf(action, arg1, arg2)) {
    if (isReserved(table)) return `access to ${table}${action === constants.SQLITE_READ && arg2 !== null ? `.${arg2}` : ''} is prohibited`;
  }
  return null;
}
