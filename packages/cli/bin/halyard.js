#!/usr/bin/env node
// The `halyard` command: a committed shim so the bin exists before the first build; the code is in dist/.
import "../dist/cli/main.js";
