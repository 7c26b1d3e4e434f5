/**
 * The product version, read from package.json (the single source): found by walking up from
 * this module, which sits at src/cli/ under tsx and at dist/src/cli/ when compiled.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LEVELS = 6;

export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < MAX_LEVELS; i++) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (pkg !== null && typeof pkg === 'object' && 'version' in pkg && typeof pkg.version === 'string' && 'name' in pkg && pkg.name === 'l2tp') {
        return pkg.version;
      }
    } catch {
      // not here; go up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return '0.0.0';
}
