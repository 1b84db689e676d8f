"""plot_check.py NAME SCRIPT ARGS...: runs a plot script (as `python3 SCRIPT ARGS...`) and, at each savefig, checks
that a scientist can read the figure:
- every plotted column of panels has an x label and every row a y label, each with its unit in parentheses
  ("time since explosion (days)", "observed coverage (%)");
- legends are in words: no code names with underscores, no bare "ig"/"occ" abbreviations;
- the figure names what it shows: NAME (the object, dataset or model file's name) is in a title or the suptitle;
- numbers in titles are rounded: none with more than 4 significant digits (no "1.09012 foe").
Exit 0 when every saved figure passes, 1 otherwise, 77 without matplotlib (ctest: Skipped)."""
import re
import runpy
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
except ImportError:
    print("SKIP: no matplotlib for %s" % sys.executable)
    sys.exit(77)

name, script = sys.argv[1], sys.argv[2]
problems, saved = [], []
UNIT = re.compile(r"\(.+\)")
NUMBER = re.compile(r"(?<![\w./-])\d+\.\d+(?:e[+-]?\d+)?(?![\w/])")  # decimals (integers such as row counts are exact)


def categorical(axis):
    """An axis whose ticks are named in words (phases, table rows): it needs no unit."""
    return any(re.search(r"[A-Za-z]{3,}", t.get_text()) and not t.get_text().startswith("$")
               for t in axis.get_ticklabels())


def check_figure(fig, path):
    fig.canvas.draw()  # tick labels exist once drawn
    axes = [a for a in fig.axes if a.axison and (a.lines or a.collections or a.patches or a.images)
            and getattr(a, "_colorbar", None) is None]  # a colorbar carries its own label
    texts = [fig._suptitle.get_text() if fig._suptitle else ""] + [a.get_title() for a in fig.axes]
    cols, rows = {}, {}
    for a in axes:
        box = a.get_position()
        cols.setdefault(round(box.x0, 2), []).append(a.get_xlabel() or ("categories" if categorical(a.xaxis) else ""))
        rows.setdefault(round(box.y0, 2), []).append(a.get_ylabel() or ("categories" if categorical(a.yaxis) else ""))
        leg = a.get_legend()
        for t in leg.get_texts() if leg else []:
            s = t.get_text()
            if "_" in s or re.match(r"^(ig|occ)\b", s):
                problems.append("%s: legend entry in code words: %r" % (path, s))
    for what, groups in (("x", cols), ("y", rows)):
        for pos, labels in groups.items():
            lab = [l for l in labels if l]
            if not lab:
                problems.append("%s: a column/row of panels (%s = %s) has no %s label" % (path, what, pos, what))
            for l in lab:
                if l != "categories" and not UNIT.search(l) and not any(categorical(a.xaxis if what == "x" else a.yaxis)
                                                                        for a in axes):
                    problems.append("%s: %s label without a unit in parentheses: %r" % (path, what, l))
    if not any(name in t for t in texts):
        problems.append("%s: no title names %r (titles: %r)" % (path, name, [t for t in texts if t]))
    for t in texts:
        for n in NUMBER.findall(t):
            digits = len(re.sub(r"[^0-9]", "", n.split("e")[0]).lstrip("0"))
            if digits > 4:
                problems.append("%s: a title number with %d significant digits: %r in %r" % (path, digits, n, t))


real_savefig = Figure.savefig


def savefig(self, fname, *args, **kwargs):
    check_figure(self, str(fname))
    saved.append(str(fname))
    return real_savefig(self, fname, *args, **kwargs)


Figure.savefig = savefig
sys.argv = [script] + sys.argv[3:]
try:
    runpy.run_path(script, run_name="__main__")
except SystemExit as e:
    if e.code not in (None, 0):
        problems.append("%s exited %s" % (script, e.code))
for p in problems:
    print("FAIL", p)
print("%s: %d figure(s) checked (%s), %d problem(s)" % (script, len(saved), ", ".join(saved), len(problems)))
sys.exit(1 if problems or not saved else 0)
