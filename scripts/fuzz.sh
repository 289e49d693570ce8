#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/, two at a time, and prints executions, coverage and
# crashes per target.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # default: 600 s each, every target
#
# Environment:
#   FUZZ_WORK   working directory for the growing corpora, logs and crashes (default /tmp/tlstrace-fuzz)
#   FUZZ_JOBS   targets run at once (default 2)
#   FIXTURES    capture directory the seeds are made from (default fixtures/captures, else
#               /work/wt-fixtures/fixtures/captures)
#   SANITIZER   cargo-fuzz sanitizer (default none: the code under test is safe Rust; use
#               "address" on nightly to also check the C and assembly of dependencies)
#
# Committed seeds (fuzz/corpus/<target>, small) are read but never written: libFuzzer adds
# what it finds to $FUZZ_WORK/corpus/<target>. Crash reproducers land in
# $FUZZ_WORK/artifacts/<target>/; replay one with
#   cargo +nightly fuzz run --sanitizer none -a TARGET ARTIFACT
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
shift || true
work=${FUZZ_WORK:-/tmp/tlstrace-fuzz}
jobs=${FUZZ_JOBS:-2}
sanitizer=${SANITIZER:-none}
fixtures=${FIXTURES:-$root/fixtures/captures}
[ -d "$fixtures" ] || fixtures=/work/wt-fixtures/fixtures/captures

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz missing: cargo install cargo-fuzz" >&2; exit 2; }
toolchain=+nightly
rustup toolchain list | grep -q nightly || toolchain=

cd "$root/fuzz"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)

mkdir -p "$work"/{corpus,seeds,logs,artifacts}
# Seeds from the fixtures, in every target's input format (regenerated each run, not committed).
if [ -d "$fixtures" ]; then
    cargo build --quiet --release -p tlstrace-fuzz-seedgen
    rm -rf "$work/seeds" && mkdir -p "$work/seeds"
    ./target/release/tlstrace-fuzz-seedgen "$fixtures" "$work/seeds" >/dev/null
fi
# -a: debug assertions and overflow checks, so unchecked arithmetic on input shows up.
cargo $toolchain fuzz build --sanitizer "$sanitizer" -a

run_one() {
    local t=$1
    mkdir -p "$work/corpus/$t" "$work/artifacts/$t" "$work/seeds/$t"
    local dirs=("$work/corpus/$t" "$work/seeds/$t")
    [ -d "corpus/$t" ] && dirs+=("corpus/$t")
    cargo $toolchain fuzz run --sanitizer "$sanitizer" -a "$t" "${dirs[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/$t/" >"$work/logs/$t.log" 2>&1 || true
}
export -f run_one
export work seconds sanitizer toolchain
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'

printf '%-16s %12s %9s %8s %8s %8s %s\n' target executions exec/s cov ft corpus crashes
for t in "${targets[@]}"; do
    log=$work/logs/$t.log
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
    corp=$(grep -o 'corp: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo '?')
    crashes=$(find "$work/artifacts/$t" -type f | wc -l)
    printf '%-16s %12s %9s %8s %8s %8s %s\n' "$t" "$execs" "$rate" "$cov" "$ft" "$corp" "$crashes"
done
