// Part of the VM test's guest side (test/vm/guest.sh): turns the files of one user's
// `nslab doctor --json` and `nslab verify --json` into one JSON line for the host, with each
// lesson's verify status and doctor's verdict. Plain JS: it runs before and whatever the build
// did, with the node that is there. It judges nothing; run.ts does.
//   node guest-summary.mjs SCENARIO USER DOCTOR.json DOCTOR_RC VERIFY.json VERIFY_RC SECONDS
//   node guest-summary.mjs --doctor-line PATTERN SCENARIO USER DOCTOR.json
import { readFileSync } from 'node:fs';

const clip = (s, n = 400) => {
  const t = String(s ?? '');
  return t.length > n ? `${t.slice(0, n)}...` : t;
};

/** The JSON document in a file, or the reason there is none. */
function load(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { error: `cannot read ${file}: ${e.message}` };
  }
  try {
    return { json: JSON.parse(text) };
  } catch {
    // Something printed before the document: try from the first line that opens one.
    const start = text.search(/^\{/m);
    if (start > 0) {
      try {
        return { json: JSON.parse(text.slice(start)) };
      } catch {
        /* reported below */
      }
    }
    return { error: `no JSON in ${file}: ${clip(text.trim() || '(empty)', 300)}` };
  }
}

/** The stderr next to a --json file, for the host's report when the JSON is missing. */
function stderrOf(file) {
  try {
    return clip(readFileSync(file.replace(/\.json$/, '.err'), 'utf8').trim(), 600);
  } catch {
    return '';
  }
}

const args = process.argv.slice(2);
if (args[0] === '--doctor-line') {
  const [, pattern, scenario, user, file] = args;
  const d = load(file);
  const lines = (d.json?.checks ?? []).filter((c) => `${c.id} ${c.label}`.includes(pattern));
  console.log(JSON.stringify({ t: 'doctorline', scenario, user, pattern, error: d.error, lines }));
} else {
  const [scenario, user, doctorFile, doctorRc, verifyFile, verifyRc, seconds] = args;
  const d = load(doctorFile);
  const v = load(verifyFile);
  const runnable = new Map((d.json?.lessons ?? []).map((l) => [l.id, l]));
  const lessons = (v.json?.lessons ?? []).map((l) => ({
    id: l.id,
    status: l.status,
    reason: clip(l.reason),
    runnable: runnable.get(l.id)?.runnable ?? null,
    doctorReason: clip(runnable.get(l.id)?.reason ?? ''),
  }));
  // A lesson the doctor lists but verify does not is reported too (as missing from verify).
  for (const [id, l] of runnable) {
    if (!lessons.some((x) => x.id === id)) lessons.push({ id, status: 'missing', reason: 'not in verify --json', runnable: l.runnable, doctorReason: clip(l.reason ?? '') });
  }
  console.log(
    JSON.stringify({
      t: 'lessons',
      scenario,
      user,
      doctorRc: Number(doctorRc),
      verifyRc: Number(verifyRc),
      verifySeconds: Number(seconds),
      doctorError: d.error ? `${d.error} ${stderrOf(doctorFile)}`.trim() : undefined,
      verifyError: v.error ? `${v.error} ${stderrOf(verifyFile)}`.trim() : undefined,
      doctor: (d.json?.checks ?? []).map((c) => ({ id: c.id, status: c.status, detail: c.status === 'ok' ? undefined : clip(c.detail, 200), fix: c.status === 'ok' ? undefined : clip(c.fix, 200) })),
      lessons,
    }),
  );
}
