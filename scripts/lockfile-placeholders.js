#!/usr/bin/env node
'use strict';
/**
 * Adds lock entries for platform-specific optional dependencies (jest's resolver bindings for
 * other systems) that the registry mirror we build with does not serve. npm 11.16+ leaves them
 * out of the lock and then `npm ci` rejects its own lock as out of sync (npm/cli#9846). The
 * entries carry os/cpu, so `npm ci` skips them on every other platform without fetching.
 *
 *   npm run lockfile:fix     (after any `npm install` that rewrote package-lock.json)
 */
const fs = require('fs');
const file = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const platform = (name) => {
  const n = name.toLowerCase();
  const os = ['android', 'darwin', 'freebsd', 'linux', 'openharmony', 'win32', 'sunos', 'netbsd', 'openbsd', 'aix'].find((o) => n.includes(`-${o}-`) || n.endsWith(`-${o}`));
  const cpu = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 'riscv64', 's390x', 'loong64', 'wasm32', 'mips64el'].find((c) => n.includes(`-${c}`));
  const libc = n.includes('-musl') ? ['musl'] : n.includes('-gnu') ? ['glibc'] : undefined;
  return { os, cpu, libc };
};
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const base = path === '' ? 'node_modules/' : `${path}/node_modules/`;
    const candidates = [`${base}${dep}`, `node_modules/${dep}`];
    if (candidates.some((c) => lock.packages[c])) continue;
    const { os, cpu, libc } = platform(dep);
    if (!os && !cpu) { console.error(`skip ${dep}: no platform in its name`); continue; }
    lock.packages[`node_modules/${dep}`] = {
      version, ...(entry.dev ? { dev: true } : {}), optional: true,
      ...(cpu ? { cpu: [cpu] } : {}), ...(os ? { os: [os] } : {}), ...(libc ? { libc } : {}),
    };
    added += 1;
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} placeholder entries`);
