import path from 'node:path';

/** The repository root, whether this file runs from `src/config` (tests) or `dist/config` (built). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
