import { lines, procPath, readText, type Pid } from './read.js';

/** One line of uid_map/gid_map: ids inside..inside+count-1 are outside..outside+count-1 in the
 * user namespace of whoever reads the file. */
export interface IdMapLine {
  inside: number;
  outside: number;
  count: number;
  raw: string;
}

export function parseIdMap(text: string): IdMapLine[] {
  const result: IdMapLine[] = [];
  for (const raw of lines(text)) {
    const [inside, outside, count] = raw.trim().split(/\s+/).map(Number);
    if ([inside, outside, count].every(Number.isInteger)) result.push({ inside: inside!, outside: outside!, count: count!, raw });
  }
  return result;
}

export function readUidMap(pid: Pid = 'self', procRoot = '/proc'): IdMapLine[] {
  return parseIdMap(readText(procPath(procRoot, pid, 'uid_map')));
}

export function readGidMap(pid: Pid = 'self', procRoot = '/proc'): IdMapLine[] {
  return parseIdMap(readText(procPath(procRoot, pid, 'gid_map')));
}

/** 'deny' once someone gave up setgroups(2) for the namespace: required before an unprivileged
 * process may write gid_map. */
export function readSetgroups(pid: Pid = 'self', procRoot = '/proc'): 'allow' | 'deny' {
  return readText(procPath(procRoot, pid, 'setgroups')).trim() === 'deny' ? 'deny' : 'allow';
}

/** The outside id for insideId, or null when it is unmapped (the kernel then shows 65534). */
export function mapId(map: IdMapLine[], insideId: number): number | null {
  const line = map.find((l) => insideId >= l.inside && insideId - l.inside < l.count);
  return line ? line.outside + (insideId - line.inside) : null;
}
