// What `halyard elect` and `halyard lock` touch outside themselves, in one interface, so tests run the
// real commander program in-process and read back what it printed.

export interface ElectionCliIo {
  /** One event line (`leading …`, `new leader: …`, `stopped leading`); the newline is added. */
  line(text: string): void;
  /** Other standard output (help). */
  stdout(text: string): void;
  stderr(text: string): void;
  /** Aborts on Ctrl-C (SIGINT) or SIGTERM. */
  interrupted(): AbortSignal;
  setExitCode(code: number): void;
  /** Ends the run now (commander's own usage errors); in tests it throws instead. */
  exitNow(code: number): never;
  /** Where CMD's output goes: the terminal, or nowhere (tests read files CMD writes instead). */
  readonly childStdio: 'inherit' | 'ignore';
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** The process's own streams and signals. */
export const processIo: ElectionCliIo = {
  line: (text) => void process.stdout.write(`${text}\n`),
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  interrupted: () => {
    const controller = new AbortController();
    const onSignal = (): void => controller.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return controller.signal;
  },
  setExitCode: (code) => {
    process.exitCode = code;
  },
  exitNow: (code) => process.exit(code),
  childStdio: 'inherit',
};
