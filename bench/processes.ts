/**
 * The orchestrator's side of the worker protocol: starts a worker process, waits for its "ready"
 * line, and exchanges one line per request. Runs under Deno.
 */

/** A running worker. */
export class LineWorker {
  readonly #child: Deno.ChildProcess;
  readonly #lines: AsyncIterator<string>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #name: string;
  /** The worker's first line: its ops and facts. */
  ready: Record<string, unknown> = {};

  private constructor(name: string, child: Deno.ChildProcess) {
    this.#name = name;
    this.#child = child;
    this.#lines = lines(child.stdout)[Symbol.asyncIterator]();
    this.#writer = child.stdin.getWriter();
  }

  /** Starts `command args…` and waits for its ready line. */
  static async start(name: string, command: string, args: string[], cwd?: string): Promise<LineWorker> {
    const child = new Deno.Command(command, { args, cwd, stdin: "piped", stdout: "piped", stderr: "inherit" }).spawn();
    const worker = new LineWorker(name, child);
    worker.ready = await worker.#read();
    return worker;
  }

  async #read(): Promise<Record<string, unknown>> {
    const next = await this.#lines.next();
    if (next.done) {
      const status = await this.#child.status;
      throw new Error(`${this.#name} worker exited (code ${status.code}) without answering`);
    }
    const reply = JSON.parse(next.value) as Record<string, unknown>;
    if (typeof reply.error === "string") throw new Error(`${this.#name} worker: ${reply.error}`);
    return reply;
  }

  /** Sends one line and returns the answer; a worker error becomes a thrown Error. */
  async request(line: string): Promise<Record<string, unknown>> {
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
    return await this.#read();
  }

  /** Closes stdin and waits for the process to end. */
  async close(): Promise<void> {
    await this.#writer.close();
    await this.#child.status;
  }
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncIterable<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let end;
    while ((end = buffered.indexOf("\n")) !== -1) {
      yield buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
    }
  }
  if (buffered !== "") yield buffered;
}

/** Runs a command to completion and returns its stdout; throws with its stderr if it fails. */
export async function output(command: string, args: string[], cwd?: string): Promise<string> {
  let result;
  try {
    result = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    throw new Error(`${command}: ${(error as Error).message}`);
  }
  const text = new TextDecoder();
  if (!result.success) {
    throw new Error(`${command} ${args.join(" ")} failed (code ${result.code}): ${text.decode(result.stderr).trim()}`);
  }
  return text.decode(result.stdout);
}
