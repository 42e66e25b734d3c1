import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export interface ScannedFile {
  size: number;
  mtimeMs: number;
}

export interface ScanResult {
  /** Relative path → size and mtime of every candidate file found. */
  files: Map<string, ScannedFile>;
  /**
   * Folders that could not be read completely (permission, I/O). Files the store knows under
   * them are not treated as removed: an unreadable folder is not an empty one.
   */
  incompleteDirs: string[];
}

const STAT_CONCURRENCY = 64;

const codeOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/**
 * Walks the given top folders of `root` iteratively (no recursion depth limit, no stack growth)
 * with `fs.opendir`, which streams entries instead of holding a 50,000-name array. Symbolic links
 * are stat'ed but never descended, so a link loop cannot make the walk run forever; a link to a
 * file counts as that file. Stats run in bounded parallel chunks.
 */
export async function scanTree(
  root: string,
  topFolders: readonly string[],
  isIgnored: (relPath: string) => boolean,
  shouldStop: () => boolean = () => false
): Promise<ScanResult> {
  const files = new Map<string, ScannedFile>();
  const incompleteDirs: string[] = [];
  const stack = topFolders.filter((f) => !isIgnored(f));
  while (stack.length) {
    if (shouldStop()) break;
    const rel = stack.pop()!;
    let dir: fs.Dir;
    try {
      dir = await fsp.opendir(path.join(root, rel), { bufferSize: 256 });
    } catch (err) {
      // A folder that is not there has no files: the store's entries under it were removed.
      if (codeOf(err) !== 'ENOENT' && codeOf(err) !== 'ENOTDIR') incompleteDirs.push(rel);
      continue;
    }
    const toStat: string[] = [];
    try {
      for await (const d of dir) {
        const childRel = `${rel}/${d.name}`;
        if (isIgnored(childRel)) continue;
        if (d.isDirectory()) stack.push(childRel);
        else toStat.push(childRel);
      }
    } catch {
      incompleteDirs.push(rel);
    }
    for (let i = 0; i < toStat.length; i += STAT_CONCURRENCY) {
      const chunk = toStat.slice(i, i + STAT_CONCURRENCY);
      const stats = await Promise.all(chunk.map((r) => statForScan(path.join(root, r))));
      chunk.forEach((r, j) => {
        const st = stats[j];
        if (st) files.set(r, st);
      });
    }
  }
  return { files, incompleteDirs };
}

/**
 * Size and mtime as the ingest path will see them: through a symlink to its target; a link to a
 * folder is skipped; a broken or looping link keeps its own (lstat) values so it is reported once.
 */
async function statForScan(abs: string): Promise<ScannedFile | null> {
  try {
    const st = await fsp.stat(abs);
    if (st.isDirectory()) return null;
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return null;
    try {
      const lst = await fsp.lstat(abs);
      return { size: lst.size, mtimeMs: lst.mtimeMs };
    } catch {
      return null;
    }
  }
}
