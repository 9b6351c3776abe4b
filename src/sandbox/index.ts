// The sandbox engine's public face for the runner and tests.
export { runExperiment } from './run.js';
export { startSandbox, type SandboxHandle, type StartOptions } from './handle.js';
export { helperPath, probeUserns, effectiveNamespaces, isRoot, HelperMissingError, UidRangeError, uidRangeSupport, packageRoot } from './helper.js';
export { outsideView, hostPidsOf, descendants } from './outside.js';
export * from './types.js';
export { planCgroup, enterDelegatedLeaf, createOwnedCgroup, adopt, members, removeOwnedCgroup, removeOwnedCgroupSync, cleanStaleCgroups, findOwnedCgroups, featurePaths, pidAlive, ownedName, parseOwnedName, CgroupUnavailableError, type OwnedCgroup, type StaleSweep } from './cgroups.js';
