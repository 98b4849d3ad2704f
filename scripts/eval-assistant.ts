// Accuracy of the assistant's understanding: the own corpus (every sentence at several injected
// instants and zones), the blind rounds (written blind, then tuned on: test/fixtures/rounds/) and seven
// held-out sets (test/fixtures/heldout*.ts, each written from the README alone by someone who never saw
// the code, and never tuned on), all scored on the reply metadata, plus dialogs and the median time to
// understand.
//   npm run eval:assistant [-- --misses]
import { performance } from 'node:perf_hooks';
import { understand } from '../lib/engines/meeting/understand.ts';
import { HELD_OUT, HELD_OUT_DIALOGS } from '../test/fixtures/heldout.ts';
import * as heldOutB from '../test/fixtures/heldout-b.ts';
import * as heldOutC from '../test/fixtures/heldout-c.ts';
import * as heldOutD from '../test/fixtures/heldout-d.ts';
import * as heldOutE from '../test/fixtures/heldout-e.ts';
import * as heldOutF from '../test/fixtures/heldout-f.ts';
import * as heldOutG from '../test/fixtures/heldout-g.ts';
import { ROUNDS } from '../test/fixtures/rounds/index.ts';
import { runDialog, scoreAll, SLOTS, type Report } from '../test/fixtures/score.ts';
import { ownCorpus, OWN_DIALOGS } from '../test/fixtures/own-corpus.ts';

const showMisses = process.argv.includes('--misses');
const pct = ([right, total]: [number, number]) =>
  total ? `${((100 * right) / total).toFixed(1)} % (${right}/${total})` : 'n/a';

function print(name: string, r: Report): void {
  console.log(`\n${name}: ${r.cases} utterances`);
  console.log(`  exact utterances  ${pct([r.exact, r.cases])}`);
  console.log(`  intent            ${pct(r.intent)}`);
  for (const slot of SLOTS)
    if (slot !== 'intent' && r.slots[slot]) console.log(`  ${slot.padEnd(17)} ${pct(r.slots[slot]!)}`);
  if (showMisses) for (const miss of r.misses) console.log(`  miss: ${miss}`);
}

async function dialogsPassed(list: typeof HELD_OUT_DIALOGS): Promise<{ passed: number; failures: string[] }> {
  let passed = 0;
  const failures: string[] = [];
  for (const d of list) {
    const wrong = await runDialog(d);
    if (wrong.length) failures.push(...wrong.map((w) => `${d.name}: ${w}`));
    else passed++;
  }
  return { passed, failures };
}

async function dialogs(list: typeof HELD_OUT_DIALOGS): Promise<void> {
  const { passed, failures } = await dialogsPassed(list);
  console.log(`  dialogs passed    ${pct([passed, list.length])}`);
  if (showMisses) for (const f of failures) console.log(`  dialog miss: ${f}`);
}

/** One line per blind round: they were tuned on, so they only guard against regressions. */
async function rounds(): Promise<void> {
  console.log('\nBlind rounds (test/fixtures/rounds/: written blind, scored once, then tuned on)');
  for (const round of ROUNDS) {
    const report = await scoreAll(round.cases);
    const { passed } = await dialogsPassed(round.dialogs);
    console.log(
      `  ${round.name} exact ${pct([report.exact, report.cases])}, dialogs ${pct([passed, round.dialogs.length])}: ${round.voice}`,
    );
  }
}

function medianMicros(): number {
  const texts = ownCorpus().slice(0, 400);
  const times: number[] = [];
  for (const c of texts) understand(c.text, { now: new Date(c.now), timeZone: c.zone });
  for (const c of texts) {
    const now = new Date(c.now);
    const t0 = performance.now();
    understand(c.text, { now, timeZone: c.zone });
    times.push((performance.now() - t0) * 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const own = ownCorpus();
print(`Own corpus (${new Set(own.map((c) => c.text)).size} distinct sentences)`, await scoreAll(own));
await dialogs(OWN_DIALOGS);
print('Held-out set A (test/fixtures/heldout.ts)', await scoreAll(HELD_OUT));
await dialogs(HELD_OUT_DIALOGS);
await rounds();
const heldOut = { B: heldOutB, C: heldOutC, D: heldOutD, E: heldOutE, F: heldOutF, G: heldOutG };
for (const [name, set] of Object.entries(heldOut)) {
  print(`Held-out set ${name} (test/fixtures/heldout-${name.toLowerCase()}.ts)`, await scoreAll(set.HELD_OUT));
  await dialogs(set.HELD_OUT_DIALOGS);
}
console.log(`\nUnderstanding one message: median ${medianMicros().toFixed(0)} µs`);
