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
if "$bin" read --help 2>/dev/null | grep -q -- '--keylog' && [ -s "$keys" ]; then
    add keylog "$bin read --keylog $keys $wl"
fi
command -v ssldump >/dev/null && add ssldump "ssldump -n -r $wl"
command -v tshark >/dev/null && add tshark "tshark -r $wl -Y tls.handshake -T fields -e tls.handshake.type"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for entry in "${cmds[@]}"; do
    name=${entry%%|*}
    cmd=${entry#*|}
    n=$runs
    [ "$name" = tshark ] && n=1
    echo "== $name: $cmd ($n run(s))" >&2
    # Peak memory (and a time) from one run under /usr/bin/time -v.
    /usr/bin/time -v -o "$out/$name.time" bash -c "$cmd >/dev/null 2>/dev/null" || true
    if command -v hyperfine >/dev/null && [ "$n" -gt 1 ]; then
        hyperfine --style none --warmup 1 --runs "$n" --export-json "$out/$name.json" \
            "$cmd >/dev/null 2>/dev/null" >/dev/null 2>&1
    else
        : >"$out/$name.runs"
        [ "$n" -gt 1 ] && bash -c "$cmd >/dev/null 2>/dev/null" || true # warm-up
        for _ in $(seq "$n"); do
            /usr/bin/time -f '%e' -a -o "$out/$name.runs" bash -c "$cmd >/dev/null 2>/dev/null" || true
        done
    fi
done

python3 - "$out" "$wl" "$size" "${cmds[@]}" <<'PY'
import json, os, re, statistics, sys
out, wl, size, entries = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
mb = os.path.getsize(wl) / 1e6
rows = {}
for e in entries:
    name = e.split('|', 1)[0]
    tv = open(f'{out}/{name}.time').read()
    rss = int(re.search(r'Maximum resident set size \(kbytes\): (\d+)', tv).group(1)) / 1024
    wall = re.search(r'Elapsed \(wall clock\) time.*: (\S+)', tv).group(1)
    parts = [float(p) for p in wall.split(':')]
    single = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    if os.path.exists(f'{out}/{name}.json'):
        r = json.load(open(f'{out}/{name}.json'))['results'][0]
        med, lo, hi, n = r['median'], r['min'], r['max'], len(r['times'])
    elif os.path.exists(f'{out}/{name}.runs'):
        ts = [float(x) for x in open(f'{out}/{name}.runs').read().split()]
        med, lo, hi, n = statistics.median(ts), min(ts), max(ts), len(ts)
    else:
        med = lo = hi = single; n = 1
    rows[name] = (med, lo, hi, n, rss)
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
PY

if [ "${FLOOD:-0}" = 1 ]; then
    echo "== 1M-SYN flood memory check (release)" >&2
    (cd "$root" && cargo test --release --quiet --test adversarial -- --ignored --nocapture 2>&1 | grep -E 'packets,|test result|over the')
fi
