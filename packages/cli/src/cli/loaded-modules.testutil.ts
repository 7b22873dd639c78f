// Preloaded with `node --import` by lazy-load.test.ts: at exit, writes the CommonJS modules the process
// loaded (require.cache) to $HALYARD_LOADED_MODULES_FILE. The heavy dependencies are CommonJS (LevelDB's
// classic-level, prom-client, cli-progress, ws), so this shows which parts of Halyard a command loaded.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const file = process.env['HALYARD_LOADED_MODULES_FILE'];
if (file !== undefined) process.on('exit', () => writeFileSync(file, JSON.stringify(Object.keys(require.cache))));
