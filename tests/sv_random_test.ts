/**
 * Differential test: seeded random sv command lines against a live supervisor, run by
 * {our sv, our runsv}, {our sv, Debian's runsv} and {Debian's sv, Debian's runsv} on the
 * same service; every command's exit code and output (pids and ages normalised) and the
 * status after it must be the same. Waits are bounded (`-w 2`), and each command starts
 * once the one before has settled (runit's 1 s between starts included), so the outcome
 * does not depend on timing. `check` is left out: it differs by design (DEVIATIONS.md 1).
 */

import { assertEquals } from "./_assert.ts";
import {
  allSettledOrThrow,
  haveDebianRunit,
  seededRandom,
  sleep,
  tempDir,
  writeTree,
} from "./_helpers.ts";
import {
  eventsLine,
  normalizeSv,
  readStat,
  startRunsv,
  sv,
  SV_WORDS,
  waitRunning,
  waitStat,
} from "./supervise_fixture.ts";

const DEBIAN = haveDebianRunit();

// The words that end the supervisor come last (LAST); `reload` is left out (UNCHECKED).
const WORDS = [
  ...SV_WORDS.filter((word) => !["exit", "shutdown", "force-shutdown", "reload"].includes(word)),
  // First letters, as sv matches them.
  "s",
  "u",
  "d",
  "t",
  "k",
];
// Options before the word: none, verbose, verbose with a wait. 2 s, not 1: in a
// clean-clone CI run, with the whole suite beside it, `k` once took over a second to
// reach run again through ./finish (a timeout where the other contender had none).
const WAIT = "2";
const OPTIONS = [[], ["-v"], ["-v", "-w", WAIT], ["-w", WAIT]];
// For these sv reports the status it reads right after writing the byte (their condition
// always holds): whether runsv has acted on it yet is a race, so they go without -v or -w,
// and `reload` (`h`, always reported) is left out.
const UNCHECKED = new Set(["hup", "alarm", "interrupt", "quit", "1", "2"]);
const STEPS = 12;
// How long the records must stay the same before a command (see settled).
const SETTLE_MS = 1200;
// The last command ends the supervisor.
const LAST = [["-w", WAIT, "exit"], ["-w", WAIT, "shutdown"], ["-w", WAIT, "force-shutdown"]];

const FINISH = '#!/bin/sh\necho "finish $1 $2" >>../events\n';
const SERVICES: Record<string, Record<string, string>> = {
  plain: { "s/run!": "#!/bin/sh\nexec sleep 1000\n", "s/finish!": FINISH },
  // TERM is ignored (sleep inherits it): waits time out, force-* kill.
  stubborn: { "s/run!": "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n", "s/finish!": FINISH },
  logged: {
    "s/run!": "#!/bin/sh\nexec sleep 1000\n",
    "s/finish!": FINISH,
    "s/log/run!": "#!/bin/sh\nexec cat >/dev/null\n",
  },
  "normally down": { "s/run!": "#!/bin/sh\nexec sleep 1000\n", "s/finish!": FINISH, "s/down": "" },
};

function commands(seed: number): string[][] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const out: string[][] = [];
  for (let i = 0; i < STEPS; i++) {
    const options = pick(OPTIONS);
    const word = pick(WORDS);
    out.push([...(UNCHECKED.has(word) ? [] : options), word, "./s"]);
  }
  out.push([...pick(LAST), "./s"]);
  return out;
}

async function transcript(
  parent: string,
  tree: Record<string, string>,
  seed: number,
  debianSv: boolean,
  debianRunsv: boolean,
): Promise<string[]> {
  writeTree(parent, tree);
  await using r = await startRunsv(parent, "s", { debian: debianRunsv });
  const dir = r.dir;
  if ("s/down" in tree) await waitStat(dir, "down");
  else await waitRunning(dir);
  if ("s/log/run!" in tree) await waitRunning(dir, "log/supervise");
  const subs = "s/log/run!" in tree ? ["supervise", "log/supervise"] : ["supervise"];
  const lines: string[] = [];
  await settled(dir, subs);
  for (const args of commands(seed)) {
    const result = await sv(args, { cwd: parent, debian: debianSv });
    await settled(dir, subs);
    const events = eventsLine(parent);
    // The want in sv's line is a race when the condition already held before runsv read
    // the byte (`start` on a service running with want down: sv's first check comes right
    // after its write); the settled stat shows it.
    const output = normalizeSv(result.stdout + result.stderr).replace(/, want (up|down)/g, "");
    lines.push(`sv ${args.join(" ")} => ${result.code}: ${output}  [${readStat(dir)}] ${events}`);
  }
  return lines;
}

/**
 * Waits until the status records have not changed for SETTLE_MS: past runit's 1 s between
 * starts, and sv's next start in a later second than the record's stamp (sv compares
 * whole seconds: a record stamped in sv's own second counts as restarted).
 */
async function settled(dir: string, subs: readonly string[]): Promise<void> {
  const read = () =>
    subs.map((sub) => {
      try {
        return Deno.readFileSync(`${dir}/${sub}/status`).join(".");
      } catch {
        return "";
      }
    }).join();
  let last = read();
  let since = Date.now();
  const deadline = since + 10_000;
  while (Date.now() - since < SETTLE_MS && Date.now() < deadline) {
    await sleep(100);
    const now = read();
    if (now !== last) [last, since] = [now, Date.now()];
  }
}

const SEEDS = (Deno.env.get("DENIT_SV_SEEDS") ?? "1,2").split(",").map(Number);

Deno.test({
  name: `sv random commands against live supervisors: ours and Debian's agree (seeds ${SEEDS})`,
  ignore: !DEBIAN,
  async fn() {
    await using tmp = tempDir();
    const combos = [[false, false], [false, true], [true, true]] as const;
    const cases = Object.entries(SERVICES).flatMap(([kind, tree]) =>
      SEEDS.map((seed) => ({ kind, tree, seed }))
    );
    const transcripts = await allSettledOrThrow(
      cases.map(({ tree, seed }, i) =>
        allSettledOrThrow(combos.map(([debianSv, debianRunsv]) => {
          const parent = `${tmp.path}/${i}-${debianSv ? "c" : "d"}sv-${
            debianRunsv ? "c" : "d"
          }runsv`;
          Deno.mkdirSync(parent);
          return transcript(parent, tree, seed, debianSv, debianRunsv);
        }))
      ),
    );
    for (const [i, { kind, seed }] of cases.entries()) {
      const [ours, oursOnDebian, theirs] = transcripts[i]!;
      assertEquals(ours, theirs, `${kind}, seed ${seed}: our sv and runsv vs Debian's`);
      assertEquals(oursOnDebian, theirs, `${kind}, seed ${seed}: our sv on Debian's runsv`);
    }
  },
});
