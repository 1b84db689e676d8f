#!/usr/bin/env bash
# test_readme.sh SNFORGE SOURCE_DIR SHARED_DIR: the figures README.md and the --help texts state, checked
# against the programs, so that they cannot drift:
# - the closure table of the SN 1987A-like default and the kappa 0.2 / 4500 K sentence, against
#   `snforge simulate` (summary line on stderr, v_ph at day 50 from the CSV);
# - the Popov exponents, against the figures tests/test_model prints;
# - the deterministic columns of the model benchmark table (CVODE steps/model, failures), against bench_model;
# - the shipped campaigns' sizes and ranges, against grids/*.ini;
# - every option the command table names, against each subcommand's --help, and every `--opt value` the
#   README names, against the program (accepted) and --help (listed);
# - every document or script the README or a --help cites, against the repository (../shared/ paths
#   against the shared folder when it is there).
# Tolerance: half a unit of the README's last printed digit, plus a margin stated beside each check
# (the program's own printed precision). A stale figure fails with both values.
set -u
[ -x /usr/bin/python3 ] || { echo "SKIP: no /usr/bin/python3"; exit 77; }
exec /usr/bin/python3 - "$@" <<'PY'
import os, re, subprocess, sys

snf, src, shared = sys.argv[1], sys.argv[2], sys.argv[3]
bindir = os.path.dirname(os.path.abspath(snf))
readme = open(os.path.join(src, "README.md"), encoding="utf-8").read()
flat = re.sub(r"\s+", " ", readme)
fails, passes = [], 0


def check(ok, what):
    global passes
    if ok:
        passes += 1
        print("PASS", what)
    else:
        fails.append(what)
        print("FAIL", what)


def half_unit(text):
    """Half a unit of the last printed digit of a README figure ('79.6' -> 0.05, '1.006e42' -> 5e38)."""
    m = re.fullmatch(r"-?(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?", text.replace(",", ""))
    if not m:
        raise ValueError(text)
    dec = len(m.group(2) or "")
    exp = int(m.group(3) or 0)
    return 0.5 * 10.0 ** (exp - dec)


def near(readme_text, value, margin, what):
    want = float(readme_text.replace(",", ""))
    tol = half_unit(readme_text) + margin
    check(abs(value - want) <= tol, f"{what}: README {readme_text}, program {value:.6g} (tolerance {tol:.3g})")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def simulate(*opts):
    r = run([snf, "simulate", *opts])
    if r.returncode != 0:
        return None
    m = re.search(r"peak day ([-\d.naif]+), log L_peak ([-\d.naif]+), plateau end day ([-\d.naif]+)", r.stderr)
    rows = [l.split(",") for l in r.stdout.splitlines()[1:]]
    v50 = next((float(x[2]) for x in rows if float(x[0]) == 50.0 and x[2] != ""), float("nan"))
    return float(m.group(1)), 10 ** float(m.group(2)), float(m.group(3)), v50


# ---- the closure table ----
# The summary line prints the peak day to 0.01 d and log L_peak to 1e-4 dex (0.023%): margins 0.01 d, 3e-4
# relative, v_ph from the CSV (8 digits): 0.01 km/s.
rows = re.findall(r"^\| (flux|temperature|none)[^|]*\| ([\d.]+) \| ([\d.e+]+) \| ([^|]+) \| (\d+) \|$", readme, re.M)
check(len(rows) == 3, f"README closure table has the three closures ({[r[0] for r in rows]})")
for name, day, lpk, end, v50 in rows:
    got = simulate("--model", name)
    check(got is not None, f"simulate --model {name} runs")
    if got is None:
        continue
    near(day, got[0], 0.01, f"{name}: peak day")
    near(lpk, got[1], 3e-4 * got[1], f"{name}: L_peak")
    # every closure's end of the dome is the program's number (the `none` closure's too: 298.9, its steepest fall
    # at the run's end, stated with what it means, never "-")
    g = re.match(r"\s*([\d.]+)", end)
    check(g is not None, f"{name}: the README gives the program's end of the dome as a number ('{end.strip()}')")
    if g:
        near(g.group(1), got[2], 0.0, f"{name}: end of dome")
    near(v50, got[3], 0.01, f"{name}: v_ph at day 50")

m = re.search(r"With Arnett's kappa 0\.2 and T_ion 4500 K instead: flux ([\d.]+) d / ([\d.e+]+), "
              r"temperature ([\d.]+) d / ([\d.e+]+)", flat)
check(m is not None, "README states the kappa 0.2 / 4500 K peaks")
if m:
    for name, day, lpk in (("flux", m.group(1), m.group(2)), ("temperature", m.group(3), m.group(4))):
        got = simulate("--model", name, "--kappa", "0.2", "--t-ion", "4500")
        check(got is not None, f"simulate --model {name} --kappa 0.2 --t-ion 4500 runs")
        if got:
            near(day, got[0], 0.01, f"{name} at kappa 0.2 / 4500 K: peak day")
            near(lpk, got[1], 3e-4 * got[1], f"{name} at kappa 0.2 / 4500 K: L_peak")

# ---- Popov exponents (tests/test_model prints them to 3 decimals: margin 5e-4) ----
tm = os.path.join(bindir, "tests", "test_model")
if os.access(tm, os.X_OK):
    out = run([tm]).stdout
    pop = {}
    for l in out.splitlines():
        g = re.match(r"popov (\w+) kappa ([\d.]+) T_ion (\d+): t (\S+) (\S+) (\S+) L (\S+) (\S+) (\S+)", l)
        if g:
            pop[(g.group(1), g.group(2))] = [float(x) for x in g.groups()[3:]]
    stated = [
        (r"measured (\S+) / (\S+) / (\S+) against -1/6, 1/2, 1/6", ("flux", "0.2"), 0),
        (r"at the defaults kappa 0\.34, T_ion 4000 K: (\S+) / (\S+) / (\S+)\)", ("flux", "0.34"), 0),
        (r"luminosity departs \(measured (\S+) / (\S+) / (\S+) against", ("flux", "0.2"), 3),
        (r"2/3; at the defaults (\S+) / (\S+) / (\S+)\)", ("flux", "0.34"), 3),
        (r"departs further \(duration exponents (\S+) / (\S+) / (\S+) at kappa 0\.2 / 4500 K\)", ("temperature", "0.2"), 0),
    ]
    for pat, key, off in stated:
        g = re.search(pat, flat)
        check(g is not None and key in pop, f"README Popov figures '{pat[:40]}' found, test_model printed {key}")
        if g and key in pop:
            for j, name in enumerate(("E", "M", "R0")):
                near(g.group(j + 1), pop[key][off + j], 5e-4, f"Popov {key[0]} kappa {key[1]} {'t' if off == 0 else 'L'} exponent in {name}")
else:
    check(False, f"{tm} exists (the Popov figures come from it)")

# ---- the model benchmark's deterministic columns (steps/model, failures) ----
bm = os.path.join(bindir, "bench_model")
brow = re.findall(r"^\| (temperature|flux|none)[^|]*\| [\d,]+ \| [\d,]+ \| (\d+) \| (\d+) \|$", readme, re.M)
check(len(brow) == 3, "README model benchmark table has three rows")
if os.access(bm, os.X_OK):
    out = run(["nice", "-n", "5", bm]).stdout
    for name, steps, failed in brow:
        g = re.search(rf"closure {name} .*failed ([\d.]+)% .*steps/model (\d+)", out)
        check(g is not None, f"bench_model prints the {name} row")
        if g:
            check(int(g.group(2)) == int(steps), f"{name}: CVODE steps/model README {steps}, bench_model {g.group(2)}")
            check(float(g.group(1)) == float(failed), f"{name}: failed README {failed}, bench_model {g.group(1)}%")
    g = re.search(r"bench_model: (\d+) models, 301 outputs every 1 d", out)
    check(g is not None and "10,000 models over the 87A-like ranges, daily outputs to day 300" in flat,
          "benchmark: 10,000 models, daily outputs to day 300")
else:
    check(False, f"{bm} exists")

# ---- shipped campaigns ----
def ini_value(path, section, key):
    sec = None
    for l in open(os.path.join(src, path)):
        l = l.split(";")[0].strip()
        if l.startswith("["):
            sec = l.strip("[]")
        elif "=" in l and sec == section and l.split("=")[0].strip() == key:
            return l.split("=", 1)[1].strip()
    return None

g = re.search(r"`grids/87a_default\.ini` \(([\d,]+) Sobol models over E ([\d.]+)-([\d.]+) foe log, M ([\d.]+)-([\d.]+) "
              r"Msun, R0 (\S+)-(\S+) cm log, M_Ni ([\d.]+)-([\d.]+) Msun, daily days (\d+)-(\d+)\) and "
              r"`grids/87a_small\.ini` \(([\d,]+) models", flat)
check(g is not None, "README states the shipped campaigns")
if g:
    d = "grids/87a_default.ini"
    check(int(g.group(1).replace(",", "")) == int(ini_value(d, "campaign", "n_models")), f"{d}: n_models {g.group(1)}")
    check(ini_value(d, "campaign", "sampler") == "sobol", f"{d}: Sobol")
    for k, (sec, lo, hi) in enumerate((("param.energy", 2, 3), ("param.mass", 4, 5), ("param.radius", 6, 7),
                                       ("param.nickel", 8, 9))):
        check(float(ini_value(d, sec, "min")) == float(g.group(lo)) and float(ini_value(d, sec, "max")) == float(g.group(hi)),
              f"{d}: [{sec}] {g.group(lo)}-{g.group(hi)}")
    check(ini_value(d, "param.energy", "scale") == "log" and ini_value(d, "param.radius", "scale") == "log",
          f"{d}: energy and radius log")
    check(float(ini_value(d, "time", "start")) == float(g.group(10)) and float(ini_value(d, "time", "end")) == float(g.group(11))
          and float(ini_value(d, "time", "step")) == 1.0, f"{d}: daily days {g.group(10)}-{g.group(11)}")
    check(int(g.group(12).replace(",", "")) == int(ini_value("grids/87a_small.ini", "campaign", "n_models")),
          f"grids/87a_small.ini: n_models {g.group(12)}")

# ---- option lists: the command table against --help ----
for line in readme.splitlines():
    g = re.match(r"^\| `snforge (\w+)([^`]*)` \| (.*) \|$", line)
    if not g:
        continue
    cmd = g.group(1)
    h = run([snf, cmd, "--help"])
    check(h.returncode == 0, f"snforge {cmd} --help exits 0")
    helpopts = set(re.findall(r"--[a-z][a-z0-9-]+", h.stdout + h.stderr))
    named = set(re.findall(r"--[a-z][a-z0-9-]+", g.group(2) + " " + g.group(3)))
    missing = sorted(named - helpopts)
    check(not missing, f"snforge {cmd}: every option the README names is in --help (missing: {missing})")
    # NAME choices written a|b|c in the table: each listed in --help
    for opt, choices in re.findall(r"(--[a-z-]+) ([a-z]+(?:\\?\|[a-z]+)+)", g.group(2)):
        for c in re.split(r"\\?\|", choices):
            check(re.search(rf"{opt}\b[^\n]*\b{c}\b", h.stdout) is not None, f"snforge {cmd} --help lists {opt} {c}")

# `--opt value` named in the README's prose for simulate: accepted by the program and listed in --help
shelp = run([snf, "simulate", "--help"]).stdout
for opt, val in sorted(set(re.findall(r"`(--heating|--gamma|--model) ([a-z]+)`", readme))):
    r = run([snf, "simulate", opt, val, "--t-max", "5"])
    check(r.returncode in (0,) or "no luminosity maximum" in r.stderr, f"simulate {opt} {val} accepted (exit {r.returncode})")
    check(re.search(rf"{opt} NAME[^\n]*\b{val}\b", shelp) is not None, f"simulate --help lists {opt} {val}")

# ---- examples run verbatim: scripts the README runs by path are executable and name their interpreter ----
for p in sorted(set(re.findall(r"`((?:\./)?[a-z_]+/[\w/]+\.(?:py|sh)) [^`]*`", readme))):
    f = os.path.join(src, p)
    if not os.path.exists(f):
        continue  # reported by the citation check below
    first = open(f, encoding="utf-8").readline()
    check(os.access(f, os.X_OK) and first.startswith("#!"),
          f"{p}: run by path in the README, so executable with a #! line ({first.strip()[:40]})")

# ---- the SN 1987A table: each figure reproduced by a test or marked as an example of one run with its command ----
net = re.search(r"^\| network of `snforge run`([^|]*)\|", readme, re.M)
check(net is not None and "an example of one run" in net.group(1),
      "SN 1987A table: the network row is marked as an example of one run")
check("The network row is an example of one run, not a result: `./build/snforge run`" in flat,
      "SN 1987A table: the network row's command is given")

# the literature row and the prose quote the one table `snforge run` judges by (cli/cmd_run.c snf_run_published)
crun = open(os.path.join(src, "cli", "cmd_run.c"), encoding="utf-8").read()
pub = re.search(r"snf_run_published\[SNF_DATA_NP\]\[2\] = \{(.*?)\};", crun, re.S)
nums = re.findall(r"\{([^{}]*)\}", pub.group(1)) if pub else []
if len(nums) == 4:
    (e0, e1), (m0, m1), (r0, r1), (n0, n1) = [[x.strip() for x in n.split(",")] for n in nums]
    rs = [re.match(r"(\d+) \* SNF_RUN_RSUN_CM", x) for x in (r0, r1)]
    g = lambda x: "%g" % float(x)
    want = "| %s-%s | %s-%s | %.3g-%.3g (%s-%s Rsun) | %s-%s" % (
        "%.1f" % float(e0), "%.1f" % float(e1), g(m0), g(m1), float(rs[0].group(1)) * 6.957e10,
        float(rs[1].group(1)) * 6.957e10, rs[0].group(1), rs[1].group(1), g(n0), g(n1))
    lit = re.search(r"^\| literature \(hydro[^|]*(\|.*)\| *\|$", readme, re.M)
    check(lit is not None and lit.group(1).strip() == want.strip(),
          f"SN 1987A literature row quotes cmd_run.c's table: want '{want}', README '{lit.group(1) if lit else None}'")
    prose = "E %s-%s foe, M %s-%s Msun, M_Ni %s-%s Msun" % ("%.1f" % float(e0), "%.1f" % float(e1), g(m0), g(m1),
                                                           g(n0), g(n1))
    check(prose in flat, f"SN 1987A prose quotes cmd_run.c's table: '{prose}'")
else:
    check(False, "cli/cmd_run.c: snf_run_published's four ranges not found")

# ---- the default outputs of the README's commands are ignored by git ----
gi = os.path.join(src, ".gitignore")
patterns = [l.strip() for l in open(gi)] if os.path.exists(gi) else []
for out in ("snforge-run/", "snec.h5", "cmp/", "parity.png", "metrics.csv", "explain.png"):
    check("/" + out in patterns or out in patterns, f".gitignore keeps the default output {out} out of git")

# ---- documents and scripts cited ----
cited = set()
texts = {"README.md": readme}
for cmd in ("run", "simulate", "grid", "import", "compare", "train", "evaluate", "predict"):
    texts[f"snforge {cmd} --help"] = run([snf, cmd, "--help"]).stdout
for where, text in texts.items():
    for p in re.findall(r"(?<![\w./-])((?:\.\./shared/|[a-z_]+/)[\w./-]*\.(?:md|py|sh|ini|csv|txt|c|h))\b", text):
        cited.add((where, p))
    for p in re.findall(r"(?<![\w/.-])(interfaces\.md|conventions\.md)", text):
        cited.add((where, p))
for where, p in sorted(cited):
    if p.startswith("../shared/"):
        if os.path.isdir(shared):
            check(os.path.exists(os.path.join(shared, p[len("../shared/"):])), f"{where} cites {p}: in the shared folder")
        continue
    check(os.path.exists(os.path.join(src, p)), f"{where} cites {p}: in the repository")

print(f"{passes} passed, {len(fails)} failed")
for f in fails:
    print("FAILED:", f)
sys.exit(1 if fails else 0)
PY
