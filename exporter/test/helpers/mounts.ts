import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

/**
 * Real filesystems for fault tests: a small tmpfs that fills up, an ext4 image on a loop device that
 * turns read-only the way a failing disk does (`errors=remount-ro`). Mounting needs root (CI runs
 * as root); without it the fault tests are skipped and say why.
 */

const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

let support: { ok: boolean; why: string } | null = null;

/** Whether this process may mount filesystems (root, and the kernel lets it); probed once. */
export function mountSupport(kind: 'tmpfs' | 'ext4'): { ok: boolean; why: string } {
  if (process.getuid?.() !== 0) return { ok: false, why: 'the fault tests mount filesystems and need root' };
  support ??= probe();
  if (!support.ok) return support;
  if (kind === 'ext4') {
    for (const bin of ['mkfs.ext4', 'e2fsck', 'losetup']) {
      if (!['/usr/sbin', '/sbin', '/usr/bin'].some((d) => fs.existsSync(path.join(d, bin))))
        return { ok: false, why: `${bin} is missing (apt-get install -y e2fsprogs mount)` };
    }
    if (!fs.existsSync('/dev/loop-control')) return { ok: false, why: 'no loop devices (/dev/loop-control)' };
  }
  return support;
}

function probe(): { ok: boolean; why: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-mount-probe-'));
  try {
    run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    run('umount', [dir]);
    return { ok: true, why: '' };
  } catch (err) {
    return { ok: false, why: `cannot mount a tmpfs: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface Mount {
  dir: string;
  /** Unmounts (retrying while a process lets go of it) and removes what the mount needed. */
  dispose(): Promise<void>;
}

async function unmount(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      run('umount', [dir]);
      return;
    } catch (err) {
      if (!/busy/i.test(String((err as { stderr?: unknown }).stderr ?? err)) || i >= 50) {
        if (/not mounted/i.test(String((err as { stderr?: unknown }).stderr ?? ''))) return;
        throw err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A tmpfs of `sizeBytes` at a fresh temp folder. */
export function mountTmpfs(sizeBytes: number): Mount {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-tmpfs-'));
  run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir]);
  return {
    dir,
    async dispose() {
      await unmount(dir);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fills a filesystem: writes `file` until the disk says ENOSPC. Returns the bytes written. */
export function fillDisk(file: string): number {
  const fd = fs.openSync(file, 'w');
  let total = 0;
  try {
    for (const chunk of [1 << 20, 64 << 10, 4 << 10, 512]) {
      const buf = Buffer.alloc(chunk, 0x5a);
      for (;;) {
        try {
          total += fs.writeSync(fd, buf);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

export interface Ext4Mount extends Mount {
  image: string;
  /** Makes the filesystem fail the way a disk error does under errors=remount-ro: read-only at once. */
  turnReadOnly(): void;
  /** Unmounts, repairs (e2fsck, as an operator would after such an error) and mounts it again read-write. */
  repairAndRemount(): Promise<void>;
}

/** An ext4 image of `sizeBytes` on a loop device, mounted with errors=remount-ro. */
export function mountExt4(sizeBytes: number): Ext4Mount {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-ext4-'));
  const image = path.join(base, 'fs.img');
  const dir = path.join(base, 'mnt');
  fs.mkdirSync(dir);
  fs.writeFileSync(image, '');
  fs.truncateSync(image, sizeBytes);
  run('mkfs.ext4', ['-q', '-F', image]);
  const mount = (): void => void run('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  mount();
  const device = (): string => run('findmnt', ['-n', '-o', 'SOURCE', dir]).trim();
  return {
    dir,
    image,
    turnReadOnly() {
      fs.writeFileSync(`/sys/fs/ext4/${path.basename(device())}/trigger_fs_error`, 'lookout fault test');
    },
    async repairAndRemount() {
      await unmount(dir);
      try {
        run('e2fsck', ['-f', '-y', image]);
      } catch (err) {
        // Exit 1: errors corrected, which is what an aborted journal leaves.
        if ((err as { status?: number }).status !== 1) throw err;
      }
      mount();
    },
    async dispose() {
      await unmount(dir);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
