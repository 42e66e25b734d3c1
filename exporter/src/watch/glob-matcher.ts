/**
 * A small glob → RegExp compiler for the watcher's ignore and activity rules, so the sidecar does
 * not depend on a matcher it does not declare. Paths are relative to the watch root with `/`
 * separators. Supports `**` (any number of segments), `*`, `?`, `{a,b}` and `[...]`.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  let braceDepth = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const next = glob[i + 2];
        if (atStart && next === '/') {
          re += '(?:.*/)?';
          i += 3;
          continue;
        }
        if (atStart && next === undefined && i > 0) {
          // `dir/**` also matches `dir` itself: drop the slash already emitted.
          re = re.slice(0, -1) + '(?:/.*)?';
          i += 2;
          continue;
        }
        re += '.*';
        i += 2;
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '{') {
      braceDepth++;
      re += '(?:';
    } else if (c === '}' && braceDepth > 0) {
      braceDepth--;
      re += ')';
    } else if (c === ',' && braceDepth > 0) {
      re += '|';
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) {
        re += '\\[';
      } else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else {
      re += c.replace(/[.+^$()|\\]/g, '\\$&');
    }
    i++;
  }
  return new RegExp(`^${re}$`);
}

/** Matches a relative path against a list of globs; a path is also matched when one of its ancestors is. */
export class GlobSet {
  private readonly patterns: RegExp[];

  constructor(globs: readonly string[]) {
    this.patterns = globs.map(globToRegExp);
  }

  matches(relPath: string): boolean {
    return this.patterns.some((p) => p.test(relPath));
  }

  /** True when the path or any of its parent folders matches (an ignored folder hides its contents). */
  matchesPathOrAncestor(relPath: string): boolean {
    if (!this.patterns.length) return false;
    let idx = relPath.indexOf('/');
    while (idx !== -1) {
      if (this.matches(relPath.slice(0, idx))) return true;
      idx = relPath.indexOf('/', idx + 1);
    }
    return this.matches(relPath);
  }
}
