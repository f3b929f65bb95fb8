// Progress of a bulk KV write or delete on stderr, worded as wrangler's ("Uploaded 40% (4,000 out of
// 10,000)"): on a terminal one line rewritten in place, otherwise (a log, CI) one line per step, since
// carriage returns would pile up there as one unreadable line.

export const formatCount = new Intl.NumberFormat('en-US').format;

export interface BulkProgress {
  /** `done` items of the total are now written. */
  update(done: number): void;
  /** Ends the in-place line, so what is printed next starts on a line of its own. */
  end(): void;
}

export function bulkProgress(verb: 'Uploaded' | 'Deleted', total: number, out: NodeJS.WriteStream = process.stderr): BulkProgress {
  const line = (done: number): string =>
    `${verb} ${total === 0 ? 100 : Math.floor((100 * done) / total)}% (${formatCount(done)} out of ${formatCount(total)})`;
  if (out.isTTY !== true) {
    return { update: (done) => { out.write(`${line(done)}\n`); }, end: () => {} };
  }
  let open = false;
  return {
    update: (done) => {
      // \r back to the start, then erase the line (ESC [ 2 K), so a shorter line leaves no tail.
      out.write(`\r\x1b[2K${line(done)}`);
      open = true;
    },
    end: () => {
      if (open) out.write('\n');
      open = false;
    },
  };
}
