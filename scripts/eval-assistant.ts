// Accuracy of the assistant's understanding: the own corpus (every sentence at several injected
// instants and zones) and the held-out set (test/fixtures/heldout.ts, written by someone who never
// saw the code), both scored on the reply metadata, plus dialogs and the median time to understand.
//   npm run eval:assistant [-- --misses]
import { performance } from 'node:perf_hooks';
import { understand } from '../lib/engines/meeting/understand.ts';
import { HELD_OUT, HELD_OUT_DIALOGS } from '../test/fixtures/heldout.ts';
import { runDialog, scoreAll, SLOTS, type Report } from '../test/fixtures/score.ts';
import { ownCorpus, OWN_DIALOGS } from '../test/fixtures/own-corpus.ts';

const showMisses = process.argv.includes('--misses');
const pct = ([right, total]: [number, number]) => (total ? `${((100 * right) / total).toFixed(1)} % (${right}/${total})` : 'n/a');

function print(name: string, r: Report): void {
  console.log(`\n${name}: ${r.cases} utterances`);
  console.log(`  exact utterances  ${pct([r.exact, r.cases])}`);
  console.log(`  intent            ${pct(r.intent)}`);
  for (const slot of SLOTS) if (slot !== 'intent' && r.slots[slot]) console.log(`  ${slot.padEnd(17)} ${pct(r.slots[slot]!)}`);
  if (showMisses) for (const miss of r.misses) console.log(`  miss: ${miss}`);
}

async function dialogs(name: string, list: typeof HELD_OUT_DIALOGS): Promise<void> {
  let passed = 0;
  const failures: string[] = [];
  for (const d of list) {
    const wrong = await runDialog(d);
    if (wrong.length) failures.push(...wrong.map((w) => `${d.name}: ${w}`));
    else passed++;
  }
  console.log(`  dialogs passed    ${pct([passed, list.length])}`);
  if (showMisses) for (const f of failures) console.log(`  dialog miss: ${f}`);
  void name;
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
await dialogs('own', OWN_DIALOGS);
print('Held-out set (test/fixtures/heldout.ts)', await scoreAll(HELD_OUT));
await dialogs('held-out', HELD_OUT_DIALOGS);
console.log(`\nUnderstanding one message: median ${medianMicros().toFixed(0)} µs`);
