// nslab's root filesystem: where it lives, whether it is usable, building it on first need.
// Building imports execa lazily, so asking for the status (doctor) stays cheap.
export { rootfsDir, scriptsDir, MARKER } from './paths.js';
export { rootfsStatus, type RootfsManifest, type RootfsKind, type RootfsState, type RootfsStatus } from './status.js';
export { RootfsError } from './errors.js';
export { buildRootfs, chooseMethod, type BuildMethod, type BuildOptions } from './build.js';
export { ensureRootfs, cleanRootfs, outdated, ROOTFS_GENERATION, type EnsureOptions } from './ensure.js';
export { findStaticBusybox, isStaticElf } from './busybox.js';
export { rootfsCommand, ROOTFS_USAGE, type CommandIO } from './command.js';
