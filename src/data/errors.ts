/**
 * Errors shared by src/data and the CLI. The CLI maps DataError to exit code 1 (ConfigError, in config.ts, to 2).
 */

/** A problem with the data (bad rows over the limit, unreadable input): exit code 1. */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }
}

/**
 * A whole input file cannot be loaded (missing column, unreadable, wrong encoding). The message names the file,
 * the column and the config key to fix; nothing is written.
 */
export class SourceFileError extends DataError {
  constructor(
    readonly file: string,
    readonly configKey: string,
    message: string,
  ) {
    super(`${file}: ${message} (fix: ${configKey})`);
    this.name = "SourceFileError";
  }
}
