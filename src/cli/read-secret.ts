// Reads a secret's value without it ever being an argument (arguments show in `ps` and shell history):
// piped on stdin, or typed at a prompt that does not echo it.
import type { ReadStream } from 'node:tty';

export class InputCancelled extends Error {
  readonly code = 'ERR_CANCELLED';
}

/** The whole of a piped stdin less one final newline (what `echo` adds), or what is typed at the prompt. */
export async function readSecretValue(prompt: string, input: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (input.isTTY) return promptHidden(prompt, input as NodeJS.ReadStream & ReadStream);
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function promptHidden(prompt: string, input: NodeJS.ReadStream & ReadStream): Promise<string> {
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  let value = '';
  return new Promise((resolve, reject) => {
    const finish = (error: Error | null): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error === null) resolve(value); else reject(error);
    };
    // Raw mode hands over keys as typed, or a pasted value in one chunk: Enter ends it, Ctrl-C or
    // Ctrl-D on an empty line cancels, Backspace removes a character.
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') { finish(null); return; }
        if (char === '\u0003' || (char === '\u0004' && value === '')) { finish(new InputCancelled('Cancelled; nothing was changed.')); return; }
        if (char === '\u0004') { finish(null); return; }
        if (char === '\u007f' || char === '\b') { value = [...value].slice(0, -1).join(''); continue; }
        value += char;
      }
    };
    input.on('data', onData);
  });
}
