#!/usr/bin/env node
// The `halyard` command: a committed shim so the bin exists before the first build. It runs the bundle
// (dist/bundle/, built by scripts/bundle.ts after tsc): one parse of a few files instead of resolving the
// compiled sources one by one, which is most of a short command's start-up. Commands the bundle does not
// hold are handed over to the compiled sources (dist/cli/main.js) inside the bundle (see src/cli/handoff.ts).
import "../dist/bundle/main.js";
