// Asking before a destructive command runs on a terminal: anything but y or yes cancels it.
import { createInterface } from 'node:readline/promises';
import { InputCancelled } from './read-secret.js';

export async function confirm(question: string): Promise<void> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(question);
    if (!/^y(es)?$/i.test(answer.trim())) throw new InputCancelled('Cancelled; nothing was deleted.');
  } finally {
    prompt.close();
  }
}
