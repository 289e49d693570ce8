#!/usr/bin/env python3
"""Runs two tlstrace binaries over the fixtures and the shared corpus and reports what changed.

JSON: every key and value of the old build's events must be in the new build's (events matched
by kind, connection and index; new keys and new events are allowed). Text: the ladders must be
identical. Usage: scripts/compare-builds.py OLD_BINARY NEW_BINARY [--corpus DIR] [--show N]
Exit 1 when anything changed, listing each capture and the first differences.
"""
import argparse
import csv
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def captures(corpus):
    out = []
    fixtures = os.path.join(REPO, "fixtures", "captures")
    for name in sorted(os.listdir(fixtures)):
        if name.endswith((".pcap", ".pcapng", ".gz")):
            base = os.path.join(fixtures, name.rsplit(".", 1)[0])
            keylog = next((base + ext for ext in (".keylog", ".keys") if os.path.exists(base + ext)), None)
            out.append((os.path.join(fixtures, name), keylog))
    manifest = os.path.join(corpus, "MANIFEST.tsv")
    if os.path.exists(manifest):
        with open(manifest, newline="") as f:
            for row in csv.DictReader(f, delimiter="\t"):
                path = os.path.join(corpus, row["path"])
                keylog = os.path.join(corpus, row["key_log"]) if row.get("key_log") else None
                out.append((path, keylog))
    return out


def run(binary, args):
    p = subprocess.run([binary, "read", *args], capture_output=True, timeout=600)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def key_of(ev):
    kind = ev.get("event")
    return (kind, ev.get("conn"), ev.get("index"), ev.get("handshake"))


def missing(old, new, path=""):
    """Keys or values of `old` not in `new`, as readable paths."""
    if isinstance(old, dict):
        if not isinstance(new, dict):
            return [f"{path}: {old!r} -> {new!r}"]
        out = []
        for k, v in old.items():
            if k not in new:
                out.append(f"{path}.{k}: lost")
            else:
                out.extend(missing(v, new[k], f"{path}.{k}"))
        return out
    if isinstance(old, list):
        if not isinstance(new, list) or len(old) != len(new):
            return [f"{path}: {old!r} -> {new!r}"]
        out = []
        for i, (a, b) in enumerate(zip(old, new)):
            out.extend(missing(a, b, f"{path}[{i}]"))
        return out
    return [] if old == new else [f"{path}: {old!r} -> {new!r}"]


def compare_json(old_out, new_out):
    old = [json.loads(line) for line in old_out.splitlines() if line]
    new = [json.loads(line) for line in new_out.splitlines() if line]
    index = {}
    for ev in new:
        index.setdefault(key_of(ev), []).append(ev)
    problems = []
    for ev in old:
        candidates = index.get(key_of(ev))
        if not candidates:
            problems.append(f"event lost: {json.dumps(ev)[:200]}")
            continue
        problems.extend(f"{ev.get('event')} conn {ev.get('conn')}{m}" for m in missing(ev, candidates.pop(0)))
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--corpus", default=os.path.join(REPO, "..", "shared", "corpus"))
    ap.add_argument("--show", type=int, default=5)
    a = ap.parse_args()
    changed = 0
    runs = 0
    for path, keylog in captures(a.corpus):
        variants = [([], "")]
        if keylog:
            variants.append((["--keylog", keylog], " (keyed)"))
        for extra, label in variants:
            runs += 1
            problems = []
            (oc, oj, _), (nc, nj, _) = run(a.old, ["--json", *extra, path]), run(a.new, ["--json", *extra, path])
            if oc != nc:
                problems.append(f"exit code {oc} -> {nc}")
            problems.extend(compare_json(oj, nj))
            (_, ot, _), (_, nt, _) = run(a.old, ["--color", "never", *extra, path]), run(a.new, ["--color", "never", *extra, path])
            if ot != nt:
                diff = [f"text: - {o}\n      + {n}" for o, n in zip(ot.splitlines(), nt.splitlines()) if o != n]
                problems.extend(diff or [f"text: {len(ot.splitlines())} -> {len(nt.splitlines())} lines"])
            if problems:
                changed += 1
                print(f"{os.path.relpath(path, REPO)}{label}: {len(problems)} differences")
                for p in problems[: a.show]:
                    print(f"    {p}")
    print(f"{runs} runs, {changed} with differences")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
