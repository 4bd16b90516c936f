/**
 * The two kinds of failure the program reports without a stack trace.
 * @module
 */

/** The user asked for something the program cannot do as asked: a bad flag value or combination. Exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes: 0 success, 1 the command itself failed (e.g. a round aborted), 2 usage error. */
export const ExitCode = { OK: 0, FAILURE: 1, USAGE: 2 } as const;
