/** Where a session's output goes: it says when to stop writing (false) and when to go on ('drain'). */
export interface TerminalOutput {
  write(data: string | Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * The client side of one exec or shell request, whatever carries it: an SSH
 * session channel (ssh2's ServerChannel satisfies this as it is) or a
 * WebSocket terminal. Exactly what ExecRequest and InteractiveShell use.
 */
export interface TerminalChannel extends TerminalOutput {
  /** Standard error of an exec request (hold notices, refusals). */
  readonly stderr: TerminalOutput;
  /** True once the client is gone: nothing more can be written. */
  readonly destroyed: boolean;
  /** What the client types or pipes in. */
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  /** `end`: the client closed its input (EOF); `close`: the client is gone. */
  on(event: 'end' | 'close', listener: () => void): unknown;
  /** Stops delivering input (it waits in the channel) until resume(). */
  pause(): unknown;
  resume(): unknown;
  /** The program's exit status, or the signal that ended it. */
  exit(status: number): void;
  exit(signalName: string, coreDumped: boolean, message: string): void;
  /** No more output; the request is over. */
  end(): unknown;
}
