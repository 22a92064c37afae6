import { createInterface } from 'node:readline/promises';

/** Asks one question on the terminal; refuses when there is no terminal to ask on. */
export async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error(`${question.trim()} needed but stdin is not a terminal (pass --code)`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
