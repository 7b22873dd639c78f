#!/usr/bin/env node
// `halyard`: the command line (the command tree is in program.ts).
import { runProgram } from './program.ts';

// `pnpm fuzz -- --seeds N` (the root script is `… fuzz sim`): pnpm hands the `--` on, where npm drops it;
// drop it here too, so the flags after it are parsed as flags.
const args = process.argv.slice(2);
// Not a top-level await: in the bundled bin a command that the bundle hands over to the unbundled program
// (handoff.ts) leaves this promise pending for good, which Node reports as an unsettled top-level await.
void runProgram(args[0] === 'fuzz' && args[1] === 'sim' && args[2] === '--' ? [...args.slice(0, 2), ...args.slice(3)] : args).then((code) => {
  if (code !== undefined) process.exitCode = code;
});
