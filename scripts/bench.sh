#!/usr/bin/env bash
# End-to-end benchmark of `tlstrace read` against tcpdump, ssldump and tshark on a generated
# workload (see /work/shared/bench/README.md), with peak memory. Prints a table of medians,
# throughput, peak RSS and the ratios the project's targets are stated in.
#
#   scripts/bench.sh [SIZE]          # SIZE: 100M (default), 1G, ... as make-workload.py takes it
#
# Environment:
#   BENCH_DATA   where workloads are kept (default /tmp/tlstrace-bench; never inside the repo)
#   BENCH_TOOLS  directory of make-workload.py and templates/ (default /work/shared/bench)
#   RUNS         timed runs per command (default 5; tshark always runs once: it is slow and big)
#   SKIP         space-separated commands to leave out (tcpdump ssldump tshark json keylog text text1)
#   FLOOD=1      also run the 1M-SYN memory check (tests/adversarial.rs, release build)
#   BASELINE     another tlstrace binary (an earlier build) timed in the same rounds as
#                `text_base`/`json_base`, with per-round ratios against this build
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
size=${1:-100M}
data=${BENCH_DATA:-/tmp/tlstrace-bench}
tools=${BENCH_TOOLS:-/work/shared/bench}
runs=${RUNS:-5}
skip=" ${SKIP:-} "

for tool in python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool is missing (apt-get install time python3)" >&2; exit 2; }
done
mkdir -p "$data"
wl=$data/wl-$size.pcap
if [ ! -s "$wl" ]; then
    echo "== making the $size workload (seed 1) in $data" >&2
    python3 "$tools/make-workload.py" --templates "$tools/templates" --size "$size" --seed 1 -o "$wl" >&2
fi
keys=$wl.keys

echo "== building tlstrace (release)" >&2
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/tlstrace

# name|command; every command writes its output to /dev/null.
cmds=()
add() { case "$skip" in *" $1 "*) ;; *) cmds+=("$1|$2") ;; esac; }
command -v tcpdump >/dev/null && add tcpdump "tcpdump -r $wl -w /dev/null"
add text "$bin read $wl"
add text1 "$bin read --threads 1 $wl"
add json "$bin read --json $wl"
if [ -n "${BASELINE:-}" ]; then
    add text_base "$BASELINE read $wl"
    add json_base "$BASELINE read --json $wl"
fi
if "$bin" read --help 2>/dev/null | grep -q -- '--keylog' && [ -s "$keys" ]; then
    add keylog "$bin read --keylog $keys $wl"
fi
command -v ssldump >/dev/null && add ssldump "ssldump -n -r $wl"
command -v tshark >/dev/null && add tshark "tshark -r $wl -Y tls.handshake -T fields -e tls.handshake.type"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Peak memory (and a time) from one run of each under /usr/bin/time -v; it also warms the
# page cache and each program's files.
for entry in "${cmds[@]}"; do
    name=${entry%%|*}
    cmd=${entry#*|}
    echo "== $name: $cmd" >&2
    /usr/bin/time -v -o "$out/$name.time" bash -c "$cmd >/dev/null 2>/dev/null" || true
    : >"$out/$name.runs"
done
# Timed runs in rounds, every command once per round: the VM's speed drifts by tens of percent
# over minutes, and interleaving puts each ratio's two sides in the same conditions (timing
# all runs of one command, then all of the next, did not).
for round in $(seq "$runs"); do
    echo "== round $round of $runs" >&2
    for entry in "${cmds[@]}"; do
        name=${entry%%|*}
        cmd=${entry#*|}
        # tshark once (over a minute and 2.3 GB on 1 GB): its /usr/bin/time -v run above.
        [ "$name" = tshark ] && continue
        start=$(date +%s%N)
        bash -c "$cmd >/dev/null 2>/dev/null" || true
        end=$(date +%s%N)
        echo "$(( (end - start) / 1000 ))e-6" >>"$out/$name.runs"
    done
done

python3 - "$out" "$wl" "$size" "${cmds[@]}" <<'PY'
import os, re, statistics, sys
out, wl, size, entries = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
mb = os.path.getsize(wl) / 1e6
rows = {}
rounds = {}
for e in entries:
    name = e.split('|', 1)[0]
    tv = open(f'{out}/{name}.time').read()
    rss = int(re.search(r'Maximum resident set size \(kbytes\): (\d+)', tv).group(1)) / 1024
    wall = re.search(r'Elapsed \(wall clock\) time.*: (\S+)', tv).group(1)
    parts = [float(p) for p in wall.split(':')]
    single = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    ts = [float(x) for x in open(f'{out}/{name}.runs').read().split()]
    if ts:
        med, lo, hi, n = statistics.median(ts), min(ts), max(ts), len(ts)
    else:
        med = lo = hi = single; n = 1
    rows[name] = (med, lo, hi, n, rss)
    rounds[name] = ts
print(f'workload {os.path.basename(wl)}: {mb:.1f} MB')
print(f"| {'command':<8} | {'median s':>8} | {'min-max s':>13} | runs | {'MB/s':>6} | {'peak RSS MB':>11} | {'vs ssldump':>10} | {'vs tshark':>9} | {'vs tcpdump':>10} |")
print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
def ratio(base, t):
    if base not in rows:
        return '-'
    b = rows[base][0]
    return f'{b / t:.1f}x faster' if t <= b else f'{t / b:.1f}x slower'
for name, (med, lo, hi, n, rss) in rows.items():
    print(f'| {name:<8} | {med:8.3f} | {lo:6.3f}-{hi:6.3f} | {n:4} | {mb / med:6.0f} | {rss:11.1f} | '
          f'{ratio("ssldump", med):>10} | {ratio("tshark", med):>9} | {ratio("tcpdump", med):>10} |')
# The same ratios round by round (both sides timed minutes apart at most).
for base in ('ssldump', 'tcpdump'):
    for name in ('text', 'json', 'keylog'):
        if base in rounds and name in rounds and rounds[base] and len(rounds[base]) == len(rounds[name]):
            per = [b / t if base == 'ssldump' else t / b for b, t in zip(rounds[base], rounds[name])]
            how = 'faster than' if base == 'ssldump' else 'the time of'
            print(f'{name} per round, {how} {base}: ' + ', '.join(f'{r:.2f}x' for r in per))
for name in ('text', 'json'):
    base = name + '_base'
    if base in rounds and name in rounds and rounds[base] and len(rounds[base]) == len(rounds[name]):
        per = [t / b for b, t in zip(rounds[base], rounds[name])]
        print(f'{name} per round, the time of the baseline: ' + ', '.join(f'{r:.3f}x' for r in per)
              + f' (median {statistics.median(per):.3f}x)')
if 'text' in rounds and 'keylog' in rounds and len(rounds['text']) == len(rounds['keylog']):
    per = [k / t for t, k in zip(rounds['text'], rounds['keylog'])]
    print('keylog per round, the time of text: ' + ', '.join(f'{r:.2f}x' for r in per))
PY

if [ "${FLOOD:-0}" = 1 ]; then
    echo "== 1M-SYN flood memory check (release)" >&2
    (cd "$root" && cargo test --release --quiet --test adversarial -- --nocapture 2>&1 | grep -E 'packets,|test result|over the')
fi
