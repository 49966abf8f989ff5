import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from 'node:net';

/**
 * Keeps a server started by a test helper (Prosody, redis-server) from
 * outliving the test process, and removes its temp dir afterwards.
 *
 * Two layers:
 * - a process 'exit' hook SIGKILLs every guarded child still running, for a
 *   normal exit of the test process;
 * - a watchdog `sh` per child holds a pipe from this process on its stdin and
 *   SIGKILLs the child when that pipe closes, which happens however this
 *   process ends (vitest's forks pool ends workers with SIGTERM, which runs no
 *   'exit' hook).
 *
 * The watchdog is itself killed when the child exits, so it never signals a
 * recycled pid.
 */
const guarded = new Set<ChildProcess>();
let janitorList: string | undefined;
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of guarded) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
}

/**
 * Removes `dir` once this process has ended, however it ends, unless
 * XGW_KEEP_TMP=1 is set to keep servers' data and logs for a post-mortem.
 *
 * One janitor `sh` per process waits for its stdin pipe from this process to
 * close, then removes every dir listed in its list file.
 */
export function removeOnExit(dir: string): void {
  if (process.env.XGW_KEEP_TMP === '1') return;
  if (janitorList === undefined) {
    const list = join(tmpdir(), `xgw-janitor-${process.pid}.list`);
    appendFileSync(list, '');
    const janitor = spawn(
      'sh',
      ['-c', 'cat >/dev/null; sleep 1; while IFS= read -r d; do rm -rf -- "$d"; done < "$0"; rm -f -- "$0"', list],
      { stdio: ['pipe', 'ignore', 'ignore'] },
    );
    janitor.on('error', () => undefined);
    janitor.stdin?.on('error', () => undefined);
    janitor.unref();
    if (janitor.stdin instanceof Socket) janitor.stdin.unref();
    janitorList = list;
  }
  appendFileSync(janitorList, `${dir}\n`);
}

/** Registers `child` so it is SIGKILLed when this process ends. */
export function guardChild(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  installExitHook();
  guarded.add(child);

  const watchdog = spawn('sh', ['-c', 'cat >/dev/null; kill -KILL "$0" 2>/dev/null', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  watchdog.unref();
  // The pipe must not keep this process's event loop alive on its own.
  if (watchdog.stdin instanceof Socket) watchdog.stdin.unref();

  child.once('exit', () => {
    guarded.delete(child);
    watchdog.kill('SIGKILL');
  });
}

/** True while `child` has neither exited nor been reported killed. */
export function isRunning(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/**
 * Sends `signal` to `child` and resolves when it has exited. Sends SIGKILL
 * after `timeoutMs` if it is still running then.
 */
export async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals, timeoutMs = 10_000): Promise<void> {
  if (child === undefined || !isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
