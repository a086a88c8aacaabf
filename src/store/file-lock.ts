/**
 * Safe replacement of manifest files (design rule 7): a lock per file around check-and-replace, and
 * writes only through a temporary file in the same folder, fsync and rename, keeping the file's mode
 * and owner. A reader (kubectl, git, another istiops) sees either the old or the new content, never
 * a truncated file, even when the writing process is killed with SIGKILL.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConflictError, ManifestError } from '../errors.js';

/** Temporary files being written by this process (absolute paths). */
const pending = new Set<string>();
let exitHookInstalled = false;

/**
 * Removes the temporary files of writes still in flight in this process. The CLI calls it on SIGINT
 * and SIGTERM before exiting; it is also registered on `process.on('exit')` while a write is in flight.
 * Never throws.
 */
export function removePendingTempFiles(): void {
  for (const temp of pending) {
    try {
      fs.rmSync(temp, { force: true });
    } catch {
      // best effort: the folder may have become unwritable
    }
    pending.delete(temp);
  }
}

function track(temp: string): void {
  pending.add(temp);
  if (!exitHookInstalled) {
    process.on('exit', removePendingTempFiles);
    exitHookInstalled = true;
  }
}

function untrack(temp: string): void {
  pending.delete(temp);
  if (pending.size === 0 && exitHookInstalled) {
    process.removeListener('exit', removePendingTempFiles);
    exitHookInstalled = false;
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const TEMP_INFIX = '.istiops-';
const TEMP_SUFFIX = '.tmp';

/** The temporary file name used for `target`: `.<name>.istiops-<pid>-<random>.tmp` in the same folder. */
export function tempPathFor(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}${TEMP_INFIX}${process.pid}-${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`,
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/** Removes temporary files of `target` left by processes that no longer run (killed with SIGKILL). */
function removeOrphanedTempFiles(target: string): void {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}${TEMP_INFIX}`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    fs.rmSync(path.join(dir, name), { force: true });
  }
}

/**
 * Replaces `target` (a real path, no symlink) by `text` atomically: writes a temporary file in the same
 * folder, gives it the mode and the owner (uid, gid) of `target`, fsyncs it, renames it over `target`
 * and fsyncs the folder. Synchronous on purpose: no signal handler can run while the temporary file
 * exists, and a SIGKILL leaves `target` whole (old or new content).
 * @param shown the path as the user gave it, for messages.
 * @throws ManifestError when the temporary file cannot be created in the folder (read-only folder,
 *   permission denied, disk full), the owner cannot be kept, or the rename fails; nothing is written then.
 */
export function writeFileAtomically(target: string, text: string, shown: string = target): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch (error) {
    throw new ManifestError(`cannot write ${shown}: ${errorText(error)}`, { cause: error });
  }
  const mode = stat.mode & 0o7777;
  const temp = tempPathFor(target);
  let fd: number;
  try {
    fd = fs.openSync(temp, 'wx', 0o600);
  } catch (error) {
    throw new ManifestError(
      `cannot write ${shown}: cannot create a temporary file in ${path.dirname(shown) || '.'} (${errorCode(error) ?? errorText(error)}); nothing was written`,
      { cause: error },
    );
  }
  track(temp);
  try {
    try {
      fs.writeFileSync(fd, text, 'utf8');
      const own = fs.fstatSync(fd);
      if (own.uid !== stat.uid || own.gid !== stat.gid) {
        try {
          fs.fchownSync(fd, stat.uid, stat.gid);
        } catch (error) {
          throw new ManifestError(
            `cannot write ${shown}: cannot keep its owner ${stat.uid}:${stat.gid} (${errorCode(error) ?? errorText(error)}); nothing was written`,
            { cause: error },
          );
        }
      }
      fs.fchmodSync(fd, mode);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, target);
    untrack(temp);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    untrack(temp);
    if (error instanceof ManifestError) throw error;
    throw new ManifestError(`cannot write ${shown}: ${errorCode(error) ?? errorText(error)}; nothing was written`, { cause: error });
  }
  try {
    const dirFd = fs.openSync(path.dirname(target), 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename itself is atomic.
  }
}

/** How long to wait for another process's lock: up to ~30 s, polling every 10-300 ms. */
const LOCK_RETRIES = { retries: 150, factor: 1.2, minTimeout: 10, maxTimeout: 300, randomize: true } as const;
/** A lock not refreshed for this long belongs to a dead process and is taken over (milliseconds). */
const LOCK_STALE_MS = 10_000;

/**
 * Takes the lock of `target` (a real path; `proper-lockfile`, a `<file>.lock` folder beside it,
 * refreshed while held, taken over when not refreshed for 10 s: a killed holder does not block for
 * long), waiting up to ~30 s for another process to release it. Released on process exit too.
 * @returns the function that releases the lock (never rejects).
 * @throws ConflictError when a live process keeps the lock for ~30 s; ManifestError when the lock
 *   cannot be created (read-only folder, permission denied).
 */
export async function lockFile(target: string, shown: string = target): Promise<() => Promise<void>> {
  try {
    // Loaded on the first lock: proper-lockfile patches fs (graceful-fs) when it loads, a cost that
    // reads and dry runs, which take no lock, need not pay (issue 10).
    const { default: lockfile } = await import('proper-lockfile');
    const release = await lockfile.lock(target, {
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: LOCK_RETRIES,
      // A lost lock (its folder removed by hand, refresh failing) is detected by the text check under it.
      onCompromised: () => undefined,
    });
    return () => release().catch(() => undefined);
  } catch (error) {
    if (errorCode(error) === 'ELOCKED') {
      throw new ConflictError(`${shown} stayed locked by another process; not written`, { cause: error });
    }
    throw new ManifestError(
      `cannot write ${shown}: cannot lock it in ${path.dirname(shown) || '.'} (${errorCode(error) ?? errorText(error)}); nothing was written`,
      { cause: error },
    );
  }
}

/**
 * Checks and replaces `target` (a real path) while its lock is held: `replace` gets the file's
 * current text, checks it (throwing ConflictError when it is not what it expects) and returns the new
 * text, or `undefined` to leave the file alone. The new text is written with
 * {@link writeFileAtomically}. Temporary files left by killed processes are removed first.
 * @param alreadyLocked the caller holds the lock already (taken with {@link lockFile}).
 * @throws ConflictError when the lock stays taken by a live process for ~30 s, or when `replace`
 *   throws it; ManifestError when the lock cannot be created (read-only folder) or the write fails.
 */
export async function replaceFileLocked(
  target: string,
  replace: (current: string) => string | undefined,
  shown: string = target,
  alreadyLocked = false,
): Promise<void> {
  const release = alreadyLocked ? undefined : await lockFile(target, shown);
  try {
    removeOrphanedTempFiles(target);
    let current: string;
    try {
      current = fs.readFileSync(target, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw new ConflictError(`${shown} was removed since it was read; not written`, { cause: error });
      throw new ManifestError(`cannot read ${shown}: ${errorText(error)}`, { cause: error });
    }
    const next = replace(current);
    if (next !== undefined && next !== current) writeFileAtomically(target, next, shown);
  } finally {
    await release?.();
  }
}
