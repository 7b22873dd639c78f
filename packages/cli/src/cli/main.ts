#!/usr/bin/env node
// `halyard`: the command line (the command tree is in program.ts).
import { runProgram } from './program.ts';

// `pnpm fuzz -- --seeds N` (the root script is `… fuzz sim`): pnpm hands the `--` on, where npm drops it;
// drop it here too, so the flags after it are parsed as flags.
const args = process.argv.slice(2);
const code = await runProgram(args[0] === 'fuzz' && args[1] === 'sim' && args[2] === '--' ? [...args.slice(0, 2), ...args.slice(3)] : args);
if (code !== undefined) process.exitCode = code;
