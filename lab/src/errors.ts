/** A lab failure the user can act on: one line (and an optional log tail), and an exit code. */
export class LabError extends Error {
  constructor(
    message: string,
    /** 2 bad input or usage, 3 the machine lacks something, 4 a component failed */
    readonly exitCode: 2 | 3 | 4,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'LabError';
  }
}
