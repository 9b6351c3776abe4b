// The lesson kit (`nslab/lesson`): the small, stable runtime library a lesson may import, for
// what many lessons need and none should write again. Context helpers run inside the sandbox
// and take the context they are handed; check builders run on the host over observations. The
// engine never names a lesson, and the kit never names one either. docs/authoring.md lists it.
export { needRootfs, must, privateRoot, freshProc, scratch, readOr, statusLines, waitFor, startAndWait, eachProcess, tracedWrite, scaled, timeScale, type Traced } from './context.js';
export { errnoIs, statusIs, mountIs, nsLinks, parseTraceResult, type ErrnoFacts, type StatusFacts, type MountFacts, type NsFacts } from './checks.js';
export { exitWithin, exitText, exitLine, diedOf, type Exit } from './exit.js';
export { threads, mainTid, threadNs, threadLines, startThreadpool, readOnPool, onNewThread, type Thread } from './threads.js';
export { lsOr } from './context.js';
export { usernsProbe, type UsernsProbe } from './tools.js';
export { ownNamespace, rootedInRootfs } from './exercise.js';
export { nsenter, nsenterArgs } from './nsenter.js';
export { openNs, askNs, type NsAnswer } from './nsfile.js';
export { watchExec, type Watched, type WatchOptions } from './exec.js';
export { ident, sameIdent, showIdent, rootIs, chrootInto, type Ident, type RootFacts } from './root.js';
export { mountedAt, viewMount } from './mountinfo.js';
// mountinfo text parsed on the host, for checks over the text an experiment sent back.
export { parseMountinfo, type MountEntry } from '../proc/mountinfo.js';
export { experiment } from './experiment.js';
export { profile, variant, readContainer, confinementChecks, containerTaskChecks, type Profile, type PointId, type ConfinementFacts } from './confinement.js';
export { bins, runs, childRunning, startAsPid1, exitOf, linesFrom, signalSettled, cpuTicks } from './processes.js';
export { echoTo, keyedLines, readlinkOr, mkfifos, release, needCgroup, workDir, memoryCounters } from './control.js';
export type { CgroupFeature, SandboxCgroup } from '../sandbox/types.js';
// Real container runtimes (podman, docker), driven from an experiment's outside hook on the host.
export { findRuntime, runtimeInfo, containerSession, withContainers, hostNsenter, hostRun, hostNsLinks, type ContainerRuntime, type ContainerSession, type StartedContainer } from './runtime.js';
export { capSnapshot, hasCap, capLine, rawIcmpSocket, capsetWithout, vfsCapV2, readVfsCap, capIn, hostGetcap, CAP_SET_KEYS, type CapSnapshot, type CapSetKey } from './caps.js';
// The contract's types, so a lesson in its own folder needs only this one import.
export type { LessonModule, ExperimentSpec, Check, CheckOutcome, Prediction, Diagram } from '../lessons/types.js';
export type { SandboxContext, OutsideView, SpawnResult, BackgroundProcess } from '../sandbox/types.js';
