import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/project_root';

/**
 * The public test vectors kept outside the repository (never copied in): SHARED_VECTORS_DIR when set,
 * else `shared/vectors` beside the checkout, or one level further up for a git worktree kept in a
 * folder of worktrees. Undefined when none exists (a user's fresh clone).
 */
export function sharedVectorsDir(): string | undefined {
  const candidates = [
    ...(process.env.SHARED_VECTORS_DIR !== undefined ? [process.env.SHARED_VECTORS_DIR] : []),
    path.resolve(PROJECT_ROOT, '..', 'shared', 'vectors'),
    path.resolve(PROJECT_ROOT, '..', '..', 'shared', 'vectors'),
  ];
  return candidates.find((dir) => existsSync(dir));
}
