#!/usr/bin/env node
// The `halyard` command: a committed shim so the bin exists before the first build. CommonJS (bin/package.json),
// so that Node does not start its ES module loader for it. It runs the bundle (dist/bundle/main.cjs, built by
// scripts/bundle.ts after tsc) through its loader (dist/bundle/run.cjs, src/cli/code-cache.ts), which compiles
// it with a V8 code cache: one file, mostly not compiled again, instead of resolving and compiling the
// compiled sources one by one — most of a short command's start-up. Commands the bundle does not hold are
// handed over to the compiled sources (dist/cli/main.js) inside the bundle (see src/cli/handoff.ts).
'use strict';

require('../dist/bundle/run.cjs');
