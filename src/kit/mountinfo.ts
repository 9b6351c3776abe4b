// A mount as an exercise check meets it: a line of the checked process's /proc/PID/mountinfo,
// parsed by nslab into ProcessView.mounts (paths as the kernel prints them for that process's
// root). What exercises ask again and again is "is something (a proc, a tmpfs) mounted there?".
import type { ExerciseScene, ProcessView, TaskCheck, ViewMount } from '../lessons/types.js';

/** The mount a lookup of `path` meets in the process's view: the last one there (later mounts
 * stack on top), or undefined. */
export function viewMount(p: ProcessView, path: string): ViewMount | undefined {
  return p.mounts.filter((m) => m.mountPoint === path).pop();
}

/** Exercise check: the process sees a mount at `at` (a path, or one made from the scene, like a
 * directory of the lab's rootfs), of filesystem type `fsType` when one is given. The hint is
 * computed by `hint` from what is mounted there, if anything. */
export function mountedAt(
  id: string,
  expected: string,
  at: string | ((scene: ExerciseScene) => string),
  fsType: string | undefined,
  hint: (m: ViewMount | undefined, p: ProcessView, path: string) => string,
): TaskCheck {
  return {
    id,
    expected,
    check(p, scene) {
      const path = typeof at === 'string' ? at : at(scene);
      const m = viewMount(p, path);
      const pass = !!m && (!fsType || m.fsType === fsType);
      const evidence = m ? [m.raw] : [`/proc/${p.pid}/mountinfo: no entry for ${path} (${p.mounts.length} mounts visible from its root)`];
      return { pass, observed: m ? `${m.fsType} at ${path}` : `nothing mounted at ${path}`, evidence, ...(pass ? {} : { hint: hint(m, p, path) }) };
    },
  };
}
