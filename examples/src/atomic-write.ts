import * as fs from 'node:fs';
import * as path from 'node:path';

let tempCounter = 0;

/**
 * Writes `content` to `file` so that a concurrent reader sees either the old or the new file, never a
 * half-written one: the bytes go to a temp file in the same directory (same filesystem, so rename is
 * atomic) which then replaces the target.
 *
 * The temp name starts with a dot and ends in `.tmp` so watchers that ignore dotfiles or temp files
 * never pick it up. Writes are synchronous on purpose: a tick and a command can never interleave, so
 * the files always describe one consistent state and a command's effect is on disk when it returns.
 */
export function writeFileAtomic(file: string, content: string | Buffer): void {
  const dir = path.dirname(file);
  // Recreated on every write so the simulator heals when someone deletes the workspace under it.
  fs.mkdirSync(dir, { recursive: true });
  tempCounter += 1;
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${tempCounter}.tmp`);
  try {
    fs.writeFileSync(temp, content);
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}

/** JSON with a trailing newline, written atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
