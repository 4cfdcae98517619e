"""The tables bench/digests.py prints: the store, (a) every digest built once, (b) the scaling comparison,
(c) posting, and a profile of the slowest digest."""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
from collections import Counter

from bench.digest_runs import NOW, REPEATS, DigestMeter, Posting, Sample, cadence_of, kind_of
from bench.measure import percentile, spread
from bench.world import World
from bot.digests.models import Digest

SLOW_MS = 50.0
SIZES = ((0, 0, "0"), (1, 9, "1-9"), (10, 49, "10-49"), (50, 199, "50-199"), (200, 999, "200-999"),
         (1000, 10**9, "1000+"))  # fmt: skip  (launches in a digest)


def store(label: str, w: World, digests: list[Digest]) -> None:
    c = w.counts
    print(f"store: {label}")
    print(f"  rows: launch {c['launch']:,}, launch_change {c['launch_change']:,} ({w.month_changes:,} in the last "
          f"30 days, {w.month_digest_changes:,} of them digest fields), checklist_item {c['checklist_item']:,}, "
          f"release {c['release']:,}")  # fmt: skip
    print(f"        component {c['component']:,} ({w.gaps} gaps), contact {c['contact']:,}, team {c['team']}, "
          f"team_member {c['team_member']:,}; {w.launched_in_month} launches went live this month; "
          f"seeded in {w.seconds:.1f} s")  # fmt: skip
    if digests:
        kinds = Counter(kind_of(d) for d in digests)
        cadences = Counter(cadence_of(d) for d in digests)
        zones = Counter(d.timezone for d in digests)
        print(f"  digests: {len(digests):,}; filters {dict(kinds.most_common())}")
        print(f"           schedules {dict(cadences.most_common())}; {len(zones)} zones "
              f"{dict(zones.most_common())}; always {sum(d.always for d in digests)}")  # fmt: skip


def build(samples: list[Sample], wall: float, worker_walls: list[float]) -> None:
    ms = [s.seconds * 1000 for s in samples]
    total = sum(s.seconds for s in samples)
    statements = [s.statements for s in samples]
    print(f"(a) build: render() for {len(samples):,} digests, period = last fire at or before "
          f"{NOW:%a %Y-%m-%d %H:%M} UTC, Herald's clock stopped there; one fresh Session each")  # fmt: skip
    print(f"  total build time {total:.2f} s (sum of the {len(samples):,} renders, i.e. one process doing them all); "
          f"wall {wall:.2f} s with {len(worker_walls)} worker process(es) "
          f"(build loops {', '.join(f'{w:.1f}' for w in worker_walls)} s, content() timed again on its own)")
    print(f"  per digest: p50 {percentile(ms, 50):.2f} ms, p99 {percentile(ms, 99):.2f} ms, max {max(ms):.2f} ms; "
          f"over {SLOW_MS:.0f} ms: {sum(m > SLOW_MS for m in ms)}")  # fmt: skip
    print(f"  SQL statements per digest: min {min(statements)}, max {max(statements)}, "
          f"mean {statistics.fmean(statements):.2f}; total {sum(statements):,}; content() alone "
          f"{'the same' if all(s.content_statements == s.statements for s in samples) else 'DIFFERENT'}")
    print(f"  messages: {sum(s.posted for s in samples)} rendered, {sum(not s.posted for s in samples)} empty "
          f"(not posted), {sum(s.truncated for s in samples)} with a section cut at Slack's 3,000 characters")
    sql, content = sum(s.sql for s in samples), sum(s.content_seconds for s in samples)
    print(f"  where the time goes: SQL execution {sql:.2f} s ({sql / total:.0%}), rest of content() "
          f"(rows -> ORM objects, gaps filtering) {content - sql:.2f} s ({(content - sql) / total:.0%}), render() "
          f"minus content() (template + Block Kit fit, schedule) {total - content:.2f} s "
          f"({(total - content) / total:.0%})")  # fmt: skip
    print()

    kinds = sorted({s.kind for s in samples}, key=lambda k: -sum(s.kind == k for s in samples))
    print("  by filter")
    print(f"  {'filter':<15} {'n':>4} {'stmts':>6} {'launches p50/max':>17} {'changes p50/max':>16} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'SQL ms p50':>10} {'empty':>5}")  # fmt: skip
    for kind in kinds:
        group = [s for s in samples if s.kind == kind]
        g_ms = [s.seconds * 1000 for s in group]
        lp = f"{percentile([s.launches for s in group], 50):.0f}/{max(s.launches for s in group)}"
        cp = f"{percentile([s.changes for s in group], 50):.0f}/{max(s.changes for s in group)}"
        print(f"  {kind:<15} {len(group):>4} {spread(s.statements for s in group):>6} {lp:>17} {cp:>16} "
              f"{percentile(g_ms, 50):>7.2f} {percentile(g_ms, 99):>7.2f} {max(g_ms):>7.2f} "
              f"{percentile([s.sql * 1000 for s in group], 50):>10.2f} {sum(not s.posted for s in group):>5}")
    print()

    print("  SQL statements per digest vs the size of the digest (launches in it: changed, at risk or coming up),")
    print("  per filter kind: statements (digests)")
    cell = max(11, *(len(k) for k in kinds))
    print(f"  {'launches':<9} {'n':>4} {'changes':>10} {'p50 ms':>7}  " + " ".join(f"{k:>{cell}}" for k in kinds))
    for low, high, name in SIZES:
        group = [s for s in samples if low <= s.launches <= high]
        if not group:
            continue
        cells = []
        for kind in kinds:
            mine = [s.statements for s in group if s.kind == kind]
            text = "-" if not mine else f"{'/'.join(map(str, sorted(set(mine))))} ({len(mine)})"
            cells.append(f"{text:>{cell}}")
        changes = f"{min(s.changes for s in group)}-{max(s.changes for s in group)}"
        print(f"  {name:<9} {len(group):>4} {changes:>10} {percentile([s.seconds * 1000 for s in group], 50):>7.2f}  "
              + " ".join(cells))
    steady = all(len({s.statements for s in samples if s.kind == k}) == 1 for k in kinds)
    print(f"  one statement count per filter kind, whatever the digest's size: {'yes' if steady else 'NO'}")
    print()

    print("  slowest digests")
    print(f"  {'id':>5} {'filter':<15} {'cadence':<8} {'ms':>7} {'SQL ms':>7} {'content ms':>10} {'stmts':>5}  "
          f"sections (changed/at risk/upcoming/shipped/gaps), changes")  # fmt: skip
    for s in sorted(samples, key=lambda s: -s.seconds)[:5]:
        sec = s.sections
        print(f"  {s.digest_id:>5} {s.kind:<15} {s.cadence:<8} {s.seconds * 1000:>7.2f} {s.sql * 1000:>7.2f} "
              f"{s.content_seconds * 1000:>10.2f} {s.statements:>5}  "
              f"{sec['changed']}/{sec['at_risk']}/{sec['upcoming']}/{sec['shipped']}/{sec['gaps']}, {s.changes}")
    print()


def gaps(ms: float, rows: int, found: int) -> None:
    print(f"  directory gaps() alone (asked by every digest without personal or stage:): {ms:.2f} ms median of "
          f"{REPEATS}, over all {rows:,} components (+ contacts) to find {found} gaps")  # fmt: skip
    print()


def comparison(big: World, big_samples: list[Sample], small: World, small_samples: list[Sample]) -> None:
    b, s = big.counts, small.counts
    print(f"(b) the same digests against {s['launch']:,} and {b['launch']:,} launches "
          f"(launch_change {s['launch_change']:,} vs {b['launch_change']:,}; same directory), "
          f"median of {REPEATS} renders")  # fmt: skip
    pairs = list(zip(small_samples, big_samples, strict=True))
    width = max(len(x.label) for x in big_samples)
    print(f"  {'digest':<{width}}  {'launches':>13} {'changes':>13} {'statements':>12} {'ms':>15}")
    print(f"  {'':<{width}}  {'small / big':>13} {'small / big':>13} {'small / big':>12} {'small / big':>15}")
    for x, y in pairs:
        print(f"  {x.label:<{width}}  {x.launches:>6} /{y.launches:>5} {x.changes:>6} /{y.changes:>5} "
              f"{x.statements:>5} /{y.statements:>4} {x.seconds * 1000:>7.2f} /{y.seconds * 1000:>6.2f}")
    print("  ORM objects one render loads, big store (small store)")
    for x, y in pairs:
        names = sorted(set(x.loads) | set(y.loads), key=lambda n: -y.loads[n])
        print(f"  {y.label:<{width}}  " + ", ".join(f"{n} {y.loads[n]:,} ({x.loads[n]:,})" for n in names))
    same = all(x.statements == y.statements for x, y in pairs)
    print(f"  statements the same for every digest: {'yes' if same else 'NO'}")
    print()


def posting(result: Posting) -> None:
    outcomes = Counter(o for o, _s, _n in result.runs)
    again = Counter(o for o, _s, _n in result.again)
    print(f"(c) posting: DigestRunner.run for the first {len(result.runs)} digests, each at its period + 30 s, "
          f"to FakeSlack over HTTP")  # fmt: skip
    print(f"  outcomes {dict(outcomes.most_common())}; wall {result.wall:.2f} s; messages stored by the fake "
          f"{result.stored}")  # fmt: skip
    print(f"  {'outcome':<8} {'n':>4} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'statements':>10}")
    for outcome, _n in outcomes.most_common():
        runs = [(sec * 1000, n) for o, sec, n in result.runs if o == outcome]
        ms = [m for m, _n in runs]
        print(f"  {outcome:<8} {len(runs):>4} {percentile(ms, 50):>7.2f} {percentile(ms, 99):>7.2f} {max(ms):>7.2f} "
              f"{spread(n for _m, n in runs):>10}")  # fmt: skip
    ms = [sec * 1000 for _o, sec, _n in result.again]
    print(f"  run again: outcomes {dict(again.most_common())}; p50 {percentile(ms, 50):.2f} ms; messages stored "
          f"{result.stored_after_again} (new: {result.stored_after_again - result.stored})")  # fmt: skip
    print()


def profile(meter: DigestMeter, digest: Digest) -> None:
    """cProfile of one render() of the digest, top 15 functions by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    meter.render(digest)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print(f"cProfile of digest {digest.id} (top 15 by own time)")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])
    print()
