// Rootless podman keeps its user namespace (and the mount namespace its storage is mounted in)
// alive between commands with a "pause process": the first podman command of a user forks one,
// named `podman pause`, re-parented to init and deaf to every polite signal, and it stays after
// nslab is gone. nslab may leave only what it found: when nslab ends (its container janitor
// when it is killed), the pause process of the podman it ran is SIGKILLed if it was not there
// before nslab's first podman command, and only while nothing else lives in its namespace (a
// container started meanwhile keeps it). Podman starts a new one on its next command.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { listPids, readStat } from '../proc/index.js';

const PAUSE_COMM = 'podman pause';

/** The PIDs of every `podman pause` process now, whoever's. */
export function pauseProcesses(): number[] {
  return listPids().filter((pid) => {
    try {
      const { comm, state } = readStat(pid);
      // A zombie keeps its name: a pause process just killed is not one to keep.
      return comm === PAUSE_COMM && state !== 'Z';
    } catch {
      return false; // exited meanwhile
    }
  });
}

/** sh: `stop_pause PIDFILE [PID...]` SIGKILLs the pause process PIDFILE names, unless it is
 * one of the PIDs, not this user's, or shares its user namespace with a live process. `-O`
 * is "owned by me" and `-ef` compares the namespaces' inodes; both are the shell's builtin test,
 * so /proc/self is the shell. */
export const STOP_PAUSE = `stop_pause() {
  p=
  read -r p 2>/dev/null <"$1" # podman writes no newline, so read says EOF even when it read it
  [ -n "$p" ] || return 0
  shift
  d=/proc/$p
  [ -O "$d" ] && read -r c 2>/dev/null <"$d/comm" && [ "$c" = "${PAUSE_COMM}" ] || return 0
  case " $* " in *" $p "*) return 0 ;; esac
  [ "$d/ns/user" -ef /proc/self/ns/user ] && return 0
  for e in /proc/[0-9]*; do
    [ "$e" != "$d" ] && [ "$e/ns/user" -ef "$d/ns/user" ] || continue
    # A zombie (a podman child its parent has yet to reap) keeps its namespace link, not the namespace.
    s=
    read -r s 2>/dev/null <"$e/stat"
    s=\${s##*) }
    [ "\${s%% *}" = Z ] || return 0
  done
  kill -KILL "$p" 2>/dev/null
}`;

let kept: number[] | undefined;
let pidFile = '';

/** Call before every podman command: the first call notes the pause processes already there,
 * and stops this nslab's at its exit. */
export function beforePodman(): void {
  if (kept) return;
  kept = pauseProcesses();
  // Root's podman has no pause process; only a user's rootless one does.
  if (process.getuid?.() !== 0) process.once('exit', () => stopPause(pause()));
}

/** Learn where this podman keeps its pause.pid from its `info`: beside the API socket's
 * directory, in the runtime directory of the user (XDG_RUNTIME_DIR, else /run/user/UID or
 * /tmp/podman-run-UID), as libpod/tmp/pause.pid. */
export function notePodmanInfo(info: { host?: { remoteSocket?: { path?: string } } }): void {
  const socket = info.host?.remoteSocket?.path?.replace(/^unix:\/\//, '');
  if (socket) pidFile = join(dirname(dirname(socket)), 'libpod', 'tmp', 'pause.pid');
}

/** What stop_pause needs: the pause.pid to read ('' when podman never answered) and the PIDs
 * to leave alone (all there are now, when this nslab has run no podman). */
export const pause = (): { pidFile: string; keep: number[] } => ({ pidFile, keep: kept ?? pauseProcesses() });

export function stopPause(p: { pidFile: string; keep: number[] }): void {
  if (!p.pidFile) return;
  spawnSync('/bin/sh', ['-c', `${STOP_PAUSE}\nstop_pause "$@"`, 'sh', p.pidFile, ...p.keep.map(String)], { stdio: 'ignore', timeout: 10_000 });
}
