// `nslab new NN-slug`: the files of a lesson that already passes `nslab verify` and `nslab
// selftest`, for an author to change into their own. One experiment in a new mount namespace
// (it runs as root and unprivileged alike), its words in lesson.md, a check from the kit and one
// written by hand, a sabotage for each, a host-side look and a diagram: every part that
// docs/authoring.md describes.

export function scaffoldFiles(id: string, kitImport: string): { 'lesson.md': string; 'lesson.ts': string } {
  const title = id.replace(/^\d+-/, '').replace(/-/g, ' ');
  return {
    'lesson.md': `---
id: ${id}
title: "${title[0]!.toUpperCase()}${title.slice(1)}"
summary: A mount made in a new mount namespace is seen there, and not by the host.
minutes: 5
requires: [userns]
---

# A mount of your own

Every process sees the mounts of its **mount namespace**. A mount made in a new
one stays there, as long as propagation does not carry it out: so the sandbox
first makes every mount private, then mounts a tmpfs on /tmp.

<!-- page -->

## Try it

<!-- experiment: private-tmp -->

\`\`\`experiment
commands:
  - sudo unshare --mount sh -c 'mount --make-rprivate / && mount -t tmpfs none /tmp && grep " /tmp " /proc/self/mountinfo'
  - grep " /tmp " /proc/self/mountinfo   # in another terminal: not there
predict:
  question: The sandbox mounts a tmpfs on /tmp. What does the host's /tmp show?
  choices: ["the sandbox's empty tmpfs", "the host's own /tmp, unchanged"]
  answer: 1
  why: >-
    The mount belongs to the sandbox's mount namespace, and / was made private first, so no
    peer of the host's mounts receives a copy of it.
\`\`\`

The host's mount table never changed.
`,
    'lesson.ts': `// ${id}: a tmpfs only the sandbox sees. Change it into your own experiment: run() makes the
// syscalls inside the sandbox and returns plain data; each check judges that data on the host.
import { readFileSync } from 'node:fs';
import { mountIs, must, privateRoot } from '${kitImport}';
import type { LessonModule } from '${kitImport}';

interface Obs {
  /** The sandbox's mountinfo, read inside. */
  mountinfo: string;
  /** Lines about /tmp in the host's own mountinfo, read by the host at the checkpoint. */
  hostTmp: string[];
}

export default {
  experiments: [
    {
      id: 'private-tmp',
      title: 'A tmpfs on /tmp that the host never sees',
      sandbox: { namespaces: ['mnt'] },
      run: async (ctx, args: { shared?: boolean; noMount?: boolean } = {}) => {
        const { sys, proc } = ctx;
        privateRoot(ctx);
        if (!args.noMount) must(sys.mount('tmpfs', '/tmp', 'tmpfs', sys.MS_NODEV, 'size=1m'), 'mount a tmpfs on /tmp');
        // A peer group of its own: this propagates inside the sandbox only, never to the host.
        if (args.shared) must(sys.mount(null, '/tmp', null, sys.MS_SHARED, null), 'make /tmp shared');
        const { hook } = await ctx.outside('mounted');
        return { mountinfo: proc.readMountinfo('self').map((m) => m.raw).join('\\n'), hostTmp: hook as string[] } satisfies Obs;
      },
      // Runs on the host at ctx.outside(): what the host's own mount table says about /tmp.
      outside: () => {
        return readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').filter((l) => l.split(' ')[4] === '/tmp');
      },
      checks: [
        mountIs<Obs>('sandbox-has-private-tmpfs', 'in the sandbox, /tmp is a private tmpfs', (o) => ({
          mountinfo: o.mountinfo,
          who: 'the sandbox',
          mountPoint: '/tmp',
          want: { fsType: 'tmpfs', propagation: 'private' },
        })),
        {
          id: 'host-never-sees-it',
          expected: "the sandbox's tmpfs is in its own mountinfo and not in the host's",
          check: (o: Obs) => {
            const mine = o.mountinfo.split('\\n').filter((l) => l.split(' ')[4] === '/tmp' && l.includes(' - tmpfs '));
            const leaked = o.hostTmp.filter((l) => mine.some((m) => m.split(' ')[2] === l.split(' ')[2]));
            return {
              pass: mine.length > 0 && leaked.length === 0,
              observed: \`\${mine.length} tmpfs on /tmp inside, \${leaked.length} of them on the host\`,
              evidence: [...mine, ...(o.hostTmp.length ? o.hostTmp.map((l) => \`host: \${l}\`) : ['host: no mount on /tmp'])],
              hint: mine.length === 0 ? 'the sandbox has no tmpfs on /tmp: the mount was never made' : \`the host sees the same filesystem: \${leaked[0]}\`,
            };
          },
        },
      ],
      diagrams: [{ kind: 'mount-peers', title: 'The sandbox after its mount', from: (o: Obs) => [{ label: 'sandbox', mountinfo: o.mountinfo, filter: '/tmp' }] }],
      sabotage: [
        { what: 'make the new tmpfs shared', args: { shared: true }, fails: ['sandbox-has-private-tmpfs'] },
        { what: 'never mount the tmpfs', args: { noMount: true }, fails: ['sandbox-has-private-tmpfs', 'host-never-sees-it'] },
      ],
    },
  ],
} satisfies LessonModule;
`,
  };
}
