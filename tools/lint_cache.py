#!/usr/bin/env python3
"""Content-addressed record of the files clang-tidy found clean (tools/lint.sh).

clang-tidy's verdict on a file depends only on what it reads: the file and
every header it includes (system headers too), the compile flags, the
.clang-tidy configuration, the clang-tidy version and the set of checks. This
tool hashes exactly those into a key per file; tools/lint.cache holds the key
of each file's last clean run. A file whose key is in the cache would get the
same verdict again, so lint.sh skips it; anything that changes one of its
inputs (an edited header, a NOLINT comment, a new flag, a Debian upgrade of
Boost or clang-tidy) changes the key and the file is checked again.

The header list comes from clang's own preprocessor (`clang++ -M` with the
file's flags from compile_commands.json), so it is the set clang-tidy parses,
including headers chosen by `#if __clang__`. Paths under the checkout are
written relative to it, so a key made in one clone holds in another.

Two modes: `fast` (every check but clang-analyzer-*, what `make test` runs)
and `full` (`make lint`). A clean full run is also a clean fast run.

  lint_cache.py keys  --db DIR --mode MODE --out KEYS FILE...
      compute the keys of both modes; print the files whose MODE key is not in
      the cache
  lint_cache.py record --keys KEYS --clean CLEAN --mode MODE
      add the keys of the files listed in CLEAN (one path per line) to the
      cache for MODE (and for fast when MODE is full), replacing older keys
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import shlex
import subprocess
import sys

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
CACHE = os.path.join(ROOT, "tools", "lint.cache")
FORMAT = "mxauth-lint-cache 1"


MODES = ("fast", "full")


def read_cache():
    """{(mode, path): key}"""
    entries = {}
    try:
        with open(CACHE, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                mode, key, path = line.split(" ", 2)
                entries[(mode, path)] = key
    except FileNotFoundError:
        pass
    return entries


def write_cache(entries):
    lines = [
        "# clang-tidy verdicts (tools/lint_cache.py): the key of each file's last clean run.\n",
        "# Written by tools/lint.sh; commit it with the change so that CI re-checks only what changed.\n",
    ]
    for mode, path in sorted(entries, key=lambda k: (k[1], k[0])):
        lines.append(f"{mode} {entries[(mode, path)]} {path}\n")
    tmp = CACHE + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.writelines(lines)
    os.replace(tmp, CACHE)


def normalise(text):
    return text.replace(ROOT + "/", "@/").replace(ROOT, "@")


class FileHashes:
    def __init__(self):
        self.known = {}

    def get(self, path):
        if path not in self.known:
            with open(path, "rb") as f:
                self.known[path] = hashlib.sha256(f.read()).hexdigest()
        return self.known[path]


def compile_args(entry):
    if "arguments" in entry:
        args = list(entry["arguments"])
    else:
        args = shlex.split(entry["command"])
    out = []
    skip = False
    for arg in args[1:]:
        if skip:
            skip = False
            continue
        if arg in ("-o", "-c"):
            skip = arg == "-o"
            continue
        out.append(arg)
    # The source itself is the last argument; keep the flags only.
    return [a for a in out if os.path.realpath(os.path.join(entry["directory"], a)) !=
            os.path.realpath(entry["file"])]


def dependencies(entry, flags):
    cmd = ["clang++", *flags, "-Wno-unknown-warning-option", "-Wno-error", "-M", "-MF", "-",
           entry["file"]]
    result = subprocess.run(cmd, cwd=entry["directory"], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    text = result.stdout.replace("\\\n", " ")
    _, _, deps = text.partition(":")
    files = []
    for dep in deps.split():
        files.append(os.path.realpath(os.path.join(entry["directory"], dep)))
    return sorted(set(files))


def tool_identity():
    version = subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True).stdout
    with open(os.path.join(ROOT, ".clang-tidy"), "rb") as f:
        config = hashlib.sha256(f.read()).hexdigest()
    return version.strip() + "\n" + config


def command_keys(args):
    with open(os.path.join(args.db, "compile_commands.json"), encoding="utf-8") as f:
        database = {os.path.realpath(e["file"]): e for e in json.load(f)}
    identity = tool_identity()
    hashes = FileHashes()
    cache = read_cache()

    def keys_of(path):
        entry = database.get(os.path.realpath(os.path.join(ROOT, path)))
        if entry is None:
            return path, None
        flags = compile_args(entry)
        deps = dependencies(entry, flags)
        if deps is None:
            return path, None
        inputs = hashlib.sha256()
        inputs.update(f"{FORMAT}\n{identity}\n".encode())
        inputs.update(normalise(" ".join(flags)).encode() + b"\n")
        # Sorted by the written form, so that the order does not depend on
        # where the checkout lies relative to /usr.
        for name, dep in sorted((normalise(dep), dep) for dep in deps):
            inputs.update(f"{name} {hashes.get(dep)}\n".encode())
        keys = {}
        for mode in MODES:
            h = inputs.copy()
            h.update(mode.encode())
            keys[mode] = h.hexdigest()
        return path, keys

    workers = os.cpu_count() or 2
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(keys_of, args.files))
    with open(args.out, "w", encoding="utf-8") as out:
        for path, keys in results:
            if keys is None:
                print(path)
                continue
            for mode, key in keys.items():
                out.write(f"{mode} {key} {path}\n")
            if cache.get((args.mode, path)) != keys[args.mode]:
                print(path)


def command_record(args):
    keys = {}
    with open(args.keys, encoding="utf-8") as f:
        for line in f:
            mode, key, path = line.rstrip("\n").split(" ", 2)
            keys[(mode, path)] = key
    with open(args.clean, encoding="utf-8") as f:
        clean = {line.strip() for line in f if line.strip()}
    modes = MODES if args.mode == "full" else (args.mode,)
    entries = read_cache()
    changed = False
    for path in clean:
        for mode in modes:
            key = keys.get((mode, path))
            if key is not None and entries.get((mode, path)) != key:
                entries[(mode, path)] = key
                changed = True
    # Files that no longer exist drop out.
    for mode, path in list(entries):
        if not os.path.exists(os.path.join(ROOT, path)):
            del entries[(mode, path)]
            changed = True
    if changed:
        write_cache(entries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    keys = sub.add_parser("keys")
    keys.add_argument("--db", required=True)
    keys.add_argument("--mode", required=True, choices=MODES)
    keys.add_argument("--out", required=True)
    keys.add_argument("files", nargs="*")
    record = sub.add_parser("record")
    record.add_argument("--keys", required=True)
    record.add_argument("--clean", required=True)
    record.add_argument("--mode", required=True, choices=MODES)
    args = parser.parse_args()
    if args.command == "keys":
        command_keys(args)
    else:
        command_record(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
