#!/usr/bin/env node
'use strict';
// The CLI is compiled to dist/ by `npm run build` (run automatically by `npm start` and `npm test`).
require('../dist/src/api/cli/main.js').main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => { process.stderr.write(`gatehouse: ${error && error.message ? error.message : error}\n`); process.exitCode = 1; },
);
