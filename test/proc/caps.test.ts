import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CAP_NAMES, allCapsMask, capLastCap, capNumber, decodeCaps, hasCap, readStatus } from '../../src/proc/index.js';
import { CAPS } from '../../src/sys/constants.js';
import { asRoot, withSandbox } from './helpers.js';

const test = suite('proc/caps');
const HEADER = '/usr/include/linux/capability.h';

test('CAP_NAMES follows linux/capability.h', () => {
  assert.is(CAP_NAMES.length, 41);
  if (!existsSync(HEADER)) {
    console.log(`  (no ${HEADER}: install linux-libc-dev to compare against the kernel header)`);
    return;
  }
  const fromHeader: string[] = [];
  for (const [, name, num] of readFileSync(HEADER, 'utf8').matchAll(/^#define\s+(CAP_[A-Z_]+)\s+(\d+)\s*$/gm)) {
    fromHeader[Number(num)] = name!;
  }
  assert.equal(CAP_NAMES, fromHeader.slice(0, 41));
});

test("sys/'s capability numbers (capset, PR_CAPBSET_DROP) name the same bits as proc/'s decoder", () => {
  assert.equal(CAPS.map(([name, bit]) => [name, bit]), CAP_NAMES.map((name, bit) => [name, bit]));
});

test('fixture: a 41-bit mask and bits above cap_last_cap', () => {
  const full = 0x000001ffffffffffn;
  assert.equal(decodeCaps(full, 40), [...CAP_NAMES]);
  const upTo38 = decodeCaps(full, 38);
  assert.is(upTo38.length, 39);
  assert.ok(!upTo38.includes('CAP_BPF') && upTo38.at(-1) === 'CAP_PERFMON', 'bits above the last cap are ignored');
  assert.is(decodeCaps(0xffffffffffffffffn, 40).length, 41);
  assert.equal(decodeCaps((1n << 45n) | 1n, 45), ['CAP_CHOWN', 'cap_45'], 'a bit newer than the table is cap_N');
  assert.equal(decodeCaps(0n, 40), []);
  assert.is(allCapsMask(40), full);
});

test('capNumber and hasCap accept the usual spellings and reject typos', () => {
  assert.is(capNumber('CAP_NET_RAW'), 13);
  assert.is(capNumber('net_raw'), 13);
  assert.is(capNumber('cap_sys_admin'), 21);
  assert.is(capNumber('cap_41'), 41);
  assert.throws(() => capNumber('CAP_NET_RAWW'), /unknown capability/);
  assert.ok(hasCap(1n << 21n, 'CAP_SYS_ADMIN'));
  assert.not.ok(hasCap(0x1fffffffffen, 'CAP_CHOWN'));
});

test('capLastCap reads this kernel', () => {
  assert.is(capLastCap(), Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')));
  assert.throws(() => capLastCap('/nonexistent'), /\/nonexistent\/sys\/kernel\/cap_last_cap: ENOENT/);
});

test('self: decoding agrees with capsh --decode', () => {
  const s = readStatus();
  if (asRoot) assert.ok(s.capEff !== 0n);
  else assert.is(s.capEff, 0n, 'an ordinary user holds no capabilities');
  const hex = s.capBnd.toString(16).padStart(16, '0');
  const capsh = spawnSync('capsh', [`--decode=${hex}`], { encoding: 'utf8' });
  if (capsh.error) {
    console.log('  (capsh not installed: skipped the cross-check)');
    return;
  }
  const names = capsh.stdout.trim().split('=')[1]!.split(',').filter(Boolean);
  assert.equal(decodeCaps(s.capBnd).map((n) => n.toLowerCase()), names);
});

test('sandbox: root of a new user namespace starts with every capability, bounding set refilled', async () => {
  // Measured here: even when our own bounding set lacks a bit (this CI root lacks
  // CAP_SYS_RESOURCE), the kernel gives a new user namespace the full set (set_cred_user_ns).
  const everything = (1n << BigInt(Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')) + 1)) - 1n;
  await withSandbox(['-U', '-m'], ({ pid }) => {
    const s = readStatus(pid);
    assert.is(s.capEff, everything);
    assert.is(s.capBnd, everything);
    assert.is(allCapsMask(), everything);
    assert.ok(hasCap(s.capEff, 'CAP_SYS_ADMIN'));
  });
});

test.run();
