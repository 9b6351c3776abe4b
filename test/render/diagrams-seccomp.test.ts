// The seccomp-filter diagram of lesson 11, drawn from a real run: the program that was loaded,
// run here over each call's number and arch, the path each call took through it, and the
// kernel's answer beside the filter's verdict.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { action, decodeProgram, run } from '../../src/render/diagrams-seccomp.js';
import { block, diagramOf, draw, runFor, start } from './diagram-support.js';

const T = suite('seccomp-filter diagram');

/** The column of marks for call `key` in the instruction matrix: instruction number -> mark. */
function column(out: string, key: string): Record<number, string> {
  const lines = out.split('\n');
  const at = lines[1]!.lastIndexOf(` ${key}`) + 1;
  return Object.fromEntries(lines.slice(2).filter((l) => /^  \d+ /.test(l)).map((l) => [Number(l.trim().split(' ')[0]), l[at] ?? ' ']));
}

T('unshare: ERRNO(EPERM) on every thread and in a child; getpid: ALLOW', async () => {
  const r = await runFor('11-seccomp-apparmor', 'block-unshare');
  if (!r) return;
  const f = r.obs.filter;
  const prog = decodeProgram(f.program);
  assert.is(prog.length, r.obs.listing.length, 'one instruction per line of the listing');
  const deny = run(prog, f.unshare, f.arch);
  const allow = run(prog, f.getpid, f.arch);
  assert.equal(action(deny.ret!), { name: 'ERRNO(EPERM)', errno: 'EPERM' });
  assert.is(action(allow.ret!).name, 'ALLOW');
  const out = draw(diagramOf(r, 'seccomp-filter'), r.obs);
  // Each call's column marks exactly the instructions the program runs through for it.
  for (const [key, path] of [['b', deny.path], ['c', deny.path], ['d', deny.path], ['e', allow.path]] as const) {
    const col = column(out, key);
    assert.equal(Object.keys(col).filter((n) => col[Number(n)] !== ' ').map(Number), path, `${key}:\n${out}`);
    assert.is(col[path.at(-1)!], '<', 'the deciding return');
  }
  assert.equal(Object.values(column(out, 'a')).join('').trim(), '', 'nothing filtered the call made before the filter');
  // The verdicts beside what the kernel answered, as the trace lines say.
  const said = (key: string) => out.split('\n').slice(out.split('\n').findIndex((l) => l.startsWith(`  ${key}  `))).slice(0, 3).join('\n');
  assert.match(said('a'), /filter: no filter yet[\s\S]*kernel: unshare\(CLONE_NEWUTS\) = 0/);
  assert.match(said('b'), /filter: ERRNO\(EPERM\)  ok[\s\S]*kernel: .*= -1 EPERM/);
  assert.ok(r.obs.afterPool.includes('[threadpool]') && said('c').includes('EPERM [threadpool]'), said('c'));
  assert.match(said('d'), /filter: ERRNO\(EPERM\)  ok[\s\S]*Operation not permitted/);
  assert.match(said('e'), new RegExp(`filter: ALLOW  ok[\\s\\S]*kernel: ${f.allowed.replace(/[()]/g, '\\$&')}`));
  assert.match(out, new RegExp(`arch 0x${f.arch.toString(16)}`));
});

T('the filter matching setns (the sabotage): unshare takes the ALLOW return, and the kernel lets it through', async () => {
  const r = await runFor('11-seccomp-apparmor', 'block-unshare', { wrongSyscall: true });
  if (!r) return;
  const out = draw(diagramOf(r, 'seccomp-filter'), r.obs);
  const last = decodeProgram(r.obs.filter.program).length - 1;
  assert.is(column(out, 'b')[last], '<', out);
  assert.match(out, /b  unshare\(CLONE_NEWUTS\) on the main thread[^\n]*\n     filter: ALLOW  ok\n     kernel: unshare\(CLONE_NEWUTS\) = 0/);
});

T('nslab start 11 draws it', () => {
  const b = block(start('11'), 'The seccomp filter, call by call');
  assert.match(b, /return ERRNO\(EPERM\) +< +< +</);
  assert.match(b, /unshare -u true in a child shell/);
});

T.run();
