/**
 * An error meant for the user: its message is one line that names the file and the problem. The CLI
 * prints it without a stack trace and exits non-zero.
 */
export class CspError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CspError";
  }
}

/** Prefixes a file name: `file.json: problem`. */
export function fileError(file: string, problem: string): CspError {
  return new CspError(`${file}: ${problem}`);
}
