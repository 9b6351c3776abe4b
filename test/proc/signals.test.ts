import { constants } from 'node:os';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeSignals, parseStatus, readStatus, signalNumber } from '../../src/proc/index.js';
import { fixture, withChild } from './helpers.js';

const test = suite('proc/signals');
const bit = (signo: number) => 1n << BigInt(signo - 1);

test('standard signals agree with node\'s os.constants.signals', () => {
  const os = Object.entries(constants.signals) as [string, number][];
  for (const [name, num] of os) assert.is(signalNumber(name), num, name);
  for (let signo = 1; signo < 32; signo++) {
    const [name] = decodeSignals(bit(signo));
    assert.ok(os.some(([n, v]) => n === name && v === signo), `signal ${signo} decodes to ${name}`);
  }
});

test('realtime signals use the kernel numbering: 32 is SIGRTMIN', () => {
  assert.equal(decodeSignals(bit(32)), ['SIGRTMIN']);
  assert.equal(decodeSignals(bit(35)), ['SIGRTMIN+3']);
  assert.equal(decodeSignals(bit(64)), ['SIGRTMIN+32']);
  assert.is(signalNumber('SIGRTMIN+3'), 35);
  assert.is(signalNumber('SIGRTMAX'), 64);
  assert.is(signalNumber('term'), 15);
  assert.throws(() => signalNumber('SIGRTMIN+40'), /unknown signal/);
  assert.throws(() => signalNumber('SIGFOO'), /unknown signal/);
});

test('fixture masks decode to the expected sets', () => {
  const s = parseStatus(fixture('status-sandboxed.txt'));
  assert.equal(decodeSignals(s.sigCgt), ['SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGTERM', 'SIGRTMIN', 'SIGRTMIN+2', 'SIGRTMIN+32']);
  assert.equal(decodeSignals(s.sigPnd), ['SIGKILL']);
  const old = parseStatus(fixture('status-old-kernel.txt'));
  assert.equal(decodeSignals(old.sigIgn), ['SIGQUIT', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU'], 'what an interactive bash ignores');
});

test('self: a node signal listener shows up in SigCgt', () => {
  const handler = () => {};
  assert.not.ok(decodeSignals(readStatus().sigCgt).includes('SIGUSR2'));
  process.on('SIGUSR2', handler);
  try {
    assert.ok(decodeSignals(readStatus().sigCgt).includes('SIGUSR2'));
  } finally {
    process.off('SIGUSR2', handler);
  }
});

test('child: dispositions set to ignore survive exec', async () => {
  await withChild((pid) => {
    const ignored = decodeSignals(readStatus(pid).sigIgn);
    assert.ok(ignored.includes('SIGUSR1') && ignored.includes('SIGHUP'), ignored.join(','));
    assert.not.ok(ignored.includes('SIGTERM'));
  }, ['sh', '-c', 'trap "" USR1 HUP; exec sleep 30']);
});

test.run();
