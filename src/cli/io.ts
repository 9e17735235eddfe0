/** What a command needs from the outside world, so tests can run the CLI in-process. */
export interface CliIo {
  /** `once('drain')`, when there, is awaited after a write that returns false (a full pipe). */
  readonly stdout: { write(text: string | Uint8Array): unknown; isTTY?: boolean; once?(event: 'drain', listener: () => void): unknown };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readStdin(): Promise<string>;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  /** `check` found a budget or expectation broken. */
  failed: 1,
  /** The model file or the command line is invalid. */
  invalid: 2,
  /** A bug in cnnscope (EX_SOFTWARE). */
  internal: 70,
} as const;

/** An error in how cnnscope was called or in what it was given; printed as one line, exit 2. */
export class UsageError extends Error {}

/**
 * The command ran and printed its verdict, and the verdict is a failure: an expectation broken
 * (`check`), a `--fail-on` condition met (`diff`), non-finite outputs (`run`). Exit 1.
 */
export class Failed extends Error {}

/**
 * Reads a stream (stdin) as UTF-8 text, chunk by chunk, and refuses it as soon as it passes
 * `maxBytes`: a huge pipe costs one chunk past the limit, not the whole of it in memory.
 */
export async function readStreamText(stream: AsyncIterable<Uint8Array | string>, maxBytes: number, name = '<stdin>'): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    bytes += buf.length;
    // Leaving the loop early closes the stream (the iterator's return()), so nothing more is read.
    if (bytes > maxBytes) throw new UsageError(`${name}: the model is larger than ${maxBytes / 1024 / 1024} MiB; refusing it`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Writes text, or its UTF-8 (chunks never split a character), chunk by chunk, waiting for a full
 * pipe to drain before making the next chunk: the output of a model of millions of layers never
 * piles up in memory, and is never one string (which JavaScript caps at about 512 MiB).
 */
export async function writeChunks(out: CliIo['stdout'], chunks: Iterable<string | Uint8Array>): Promise<void> {
  for (const chunk of chunks) {
    if (out.write(chunk) === false && out.once) await new Promise<void>((resolve) => out.once!('drain', resolve));
  }
}

/** Lines as chunks of a few thousand lines, each line ended by a newline. */
export function* lineChunks(lines: readonly string[]): Generator<string, void, undefined> {
  for (let i = 0; i < lines.length; i += 4096) yield `${lines.slice(i, i + 4096).join('\n')}\n`;
}
