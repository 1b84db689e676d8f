#!/usr/bin/python3
"""fuzz_h5.py: HDF5 mutation fuzzing of snforge's file readers (no library needed beyond Python's own).

    fuzz_h5.py --target NAME --seed-file FILE --runs N | --seconds S  -- COMMAND... {}

Each run copies the seed file with 1 to 4 bytes changed (a random bit flip, a random byte or a 0x00/0xff,
at a uniform offset, or within the first 4 KiB where the superblock and root metadata live), substitutes
its path for {} in COMMAND and runs it with a 60 s timeout (snforge gives up on a file after 20 s). Exit 0, 1 or 2 is a handled outcome; a
timeout is a hang; a signal or any other exit status (a sanitizer's report) is a crash. Crashing and
hanging inputs are kept in --keep DIR. Prints one line "TARGET: runs R, crashes C, hangs H, exit0 A,
exit1 B, exit2 D" and exits 1 if anything crashed or hung.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time


def mutate(data, rng):
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.5:
            off = rng.randrange(min(len(b), 4096))
        else:
            off = rng.randrange(len(b))
        r = rng.random()
        if r < 0.6:
            b[off] ^= 1 << rng.randrange(8)
        elif r < 0.8:
            b[off] = rng.randrange(256)
        else:
            b[off] = rng.choice((0, 255))
    return bytes(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", required=True)
    ap.add_argument("--seed-file", required=True)
    ap.add_argument("--runs", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", default="")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command and a.command[0] == "--" else a.command
    if "{}" not in cmd:
        print("fuzz_h5.py: COMMAND needs {} for the mutated file", file=sys.stderr)
        return 2
    seed = open(a.seed_file, "rb").read()
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="snf_fuzzh5.")
    counts = {"runs": 0, "crash": 0, "hang": 0, 0: 0, 1: 0, 2: 0}
    t_end = time.time() + a.seconds if a.seconds > 0 else None
    env = dict(os.environ, OMP_NUM_THREADS="1")
    try:
        while True:
            if a.runs and counts["runs"] >= a.runs:
                break
            if t_end is not None and time.time() >= t_end:
                break
            if not a.runs and t_end is None:
                break
            path = os.path.join(work, "mut_" + os.path.basename(a.seed_file))
            data = mutate(seed, rng)
            with open(path, "wb") as f:
                f.write(data)
            argv = [path if x == "{}" else x for x in cmd]
            counts["runs"] += 1
            try:
                p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=a.timeout,
                                   env=env, cwd=work)
                rc = p.returncode
                kind = rc if rc in (0, 1, 2) else "crash"
            except subprocess.TimeoutExpired:
                kind, rc = "hang", None
            counts[kind] += 1
            if kind in ("crash", "hang"):
                tail = "" if kind == "hang" else p.stderr.decode(errors="replace")[-300:]
                print(f"{a.target}: run {counts['runs']}: {kind} (exit {rc}) {tail}", file=sys.stderr)
                if a.keep:
                    os.makedirs(a.keep, exist_ok=True)
                    shutil.copy(path, os.path.join(a.keep, f"{a.target}_{kind}_{counts['runs']}.h5"))
            # a run that left outputs: start the next one clean
            for name in os.listdir(work):
                if not name.startswith("mut_"):
                    q = os.path.join(work, name)
                    shutil.rmtree(q) if os.path.isdir(q) else os.remove(q)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{a.target}: runs {counts['runs']}, crashes {counts['crash']}, hangs {counts['hang']}, "
          f"exit0 {counts[0]}, exit1 {counts[1]}, exit2 {counts[2]}")
    return 1 if counts["crash"] or counts["hang"] else 0


if __name__ == "__main__":
    sys.exit(main())
