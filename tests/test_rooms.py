#!/usr/bin/env python3
"""test_rooms.py SOURCE_DIR LIBSNFORGE.so 'OBJ;OBJ;...': the rooms of the library and their doors.

Every room is a folder (core, solvers, models, rhd, grids, nn, train, infer, validation) with one door,
include/snforge/ROOM.h, which includes the room's sub-headers (include/snforge/ROOM/*.h) and nothing else of
snforge's, and opens with what the room owns ("Owns:"), what it never does ("Never:") and the name prefixes
it owns ("Prefixes:"). Checked here:
  - include/snforge/ holds only the doors, export.h, version.h.in and one folder per room, and every sub-header
    is behind its room's door;
  - the prefixes of two rooms never overlap, every exported function (nm -D) is defined by an object of the
    room folder whose door lists its prefix and is declared in that room's headers, and every listed prefix
    is used (so the list stays true);
  - dependencies run one way: a file of a room (its .c files, internal headers and sub-headers) includes only
    the doors of the rooms below it, its own sub-headers, and no other room's folder by relative path; code
    outside include/snforge never names a sub-header (callers go through the door).
"""
import os
import re
import subprocess
import sys

BELOW = {
    'core': set(),
    'solvers': {'core'},
    'models': {'core', 'solvers'},
    'rhd': {'core', 'solvers', 'models'},
    'grids': {'core', 'solvers', 'models', 'rhd'},
    'nn': {'core'},
    'train': {'core', 'models', 'grids', 'nn'},
    'infer': {'core', 'solvers', 'models', 'rhd', 'grids', 'nn', 'train'},
    'validation': {'core', 'solvers', 'models', 'rhd', 'grids'},
}
ROOMS = list(BELOW)
TOP_FILES = {'export.h', 'version.h.in'}
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
failures = []


def fail(msg):
    failures.append(msg)


def prefix(sym):
    return re.match(r'snf_[a-z0-9]+', sym).group(0) + '_'


def main():
    src, lib, objs = sys.argv[1], sys.argv[2], [o for o in sys.argv[3].split(';') if o]
    inc = os.path.join(src, 'include', 'snforge')

    # ---- layout and doors ----
    for name in sorted(os.listdir(inc)):
        p = os.path.join(inc, name)
        if os.path.isdir(p):
            if name not in BELOW:
                fail('include/snforge/%s/: a folder that is no room (rooms: %s)' % (name, ' '.join(ROOMS)))
        elif name not in TOP_FILES and name[:-2] not in BELOW:
            fail('include/snforge/%s: only the doors (ROOM.h), export.h and version.h.in stand at the top' % name)
    owned = {}
    for room in ROOMS:
        door = os.path.join(inc, room + '.h')
        if not os.path.isfile(door):
            fail('room %s has no door include/snforge/%s.h' % (room, room))
            continue
        text = open(door).read()
        head = text.split('*/', 1)[0]
        for key in ('Owns:', 'Never:', 'Prefixes:'):
            if key not in head:
                fail('%s.h: its opening comment lacks "%s"' % (room, key))
        m = re.search(r'Stands on (.*?)\.(\s|$)', re.sub(r'\s*\n\s*\*\s*', ' ', head), re.S)
        if m and 'every room' not in m.group(1):
            said = set(re.findall(r'\b(' + '|'.join(ROOMS) + r')\b', re.sub(r'\([^)]*\)', '', m.group(1))))
            if said != BELOW[room]:
                fail('%s.h says it stands on %s; its includes may reach %s' % (
                    room, ' '.join(sorted(said)) or 'nothing', ' '.join(sorted(BELOW[room])) or 'nothing'))
        elif not m and BELOW[room]:
            fail('%s.h does not say which rooms it stands on ("Stands on ...")' % room)
        m = re.search(r'Prefixes:(.*)', head, re.S)
        owned[room] = set(re.findall(r'snf_[a-z0-9]+_', m.group(1))) if m else set()
        subs = sorted(f for f in os.listdir(os.path.join(inc, room)) if f.endswith('.h')) \
            if os.path.isdir(os.path.join(inc, room)) else []
        for f in subs:
            sub = open(os.path.join(inc, room, f)).read()
            if not sub.startswith('/* %s/%s: ' % (room, f)):
                fail('%s/%s: its opening comment does not name it ("/* %s/%s: ...")' % (room, f, room, f))
            guard = 'SNFORGE_%s_%s_H' % (room.upper(), f[:-2].upper())
            if '#ifndef %s\n#define %s\n' % (guard, guard) not in sub:
                fail('%s/%s: its include guard is not %s' % (room, f, guard))
            if 'extern "C"' not in sub:
                fail('%s/%s: no extern "C" block for C++ callers' % (room, f))
        included = INC.findall(text)
        for f in subs:
            if 'snforge/%s/%s' % (room, f) not in included:
                fail('%s.h does not include its sub-header %s/%s' % (room, room, f))
        for i in included:
            if i != 'snforge/export.h' and not i.startswith('snforge/%s/' % room):
                fail('%s.h includes %s: a door opens only onto its own room' % (room, i))
    for a in ROOMS:
        for b in ROOMS:
            if a < b and owned.get(a, set()) & owned.get(b, set()):
                fail('prefixes owned by both %s and %s: %s' % (a, b, ' '.join(sorted(owned[a] & owned[b]))))

    # ---- exported functions: room of definition, prefix, declaration ----
    exported = set()
    for line in subprocess.run(['nm', '-D', '--defined-only', lib], capture_output=True, text=True,
                               check=True).stdout.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in 'TDBRVW':
            exported.add(f[2])
    if len(exported) < 100:
        fail('nm -D %s listed only %d symbols' % (lib, len(exported)))
    room_of = {}
    for o in objs:
        rel = o.replace('\\', '/')
        m = re.search(r'\.dir/([a-z]+)/', rel)
        if not m:
            fail('object %s: cannot tell its folder' % o)
            continue
        out = subprocess.run(['nm', '--defined-only', o], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in 'TDBR' and f[2] in exported:
                room_of[f[2]] = m.group(1)
    decl = {}
    for room in ROOMS:
        d = os.path.join(inc, room)
        for f in (sorted(os.listdir(d)) if os.path.isdir(d) else []):
            for line in open(os.path.join(d, f)):
                if line.startswith('SNF_API '):
                    name = re.sub(r'\(.*', '', line).split()[-1].lstrip('*')
                    decl.setdefault(name, room)
    used = {r: set() for r in ROOMS}
    for s in sorted(exported):
        r = room_of.get(s)
        if r is None:
            fail('%s is exported but defined in no object of the library' % s)
            continue
        if r not in BELOW:
            fail('%s is defined in %s/, which is no room' % (s, r))
            continue
        p = prefix(s)
        if p not in owned.get(r, set()):
            who = [x for x in ROOMS if p in owned.get(x, set())]
            fail('%s (defined in %s/) has prefix %s, %s' % (
                s, r, p, 'owned by %s' % who[0] if who else 'which no door lists'))
        used[r].add(p)
        if decl.get(s) != r:
            fail('%s (defined in %s/) is declared in %s' % (
                s, r, 'include/snforge/%s/' % decl[s] if s in decl else 'no public header'))
    for r in ROOMS:
        for p in sorted(owned.get(r, set()) - used[r]):
            fail('%s.h lists the prefix %s, which none of its exported functions has' % (r, p))

    # ---- includes: one way, through doors ----
    def check_file(path, room):
        text = open(path).read()
        rel = os.path.relpath(path, src)
        sub_ok = 'snforge/%s/' % room if room else None
        for i in INC.findall(text):
            if i.startswith('snforge/'):
                rest = i[len('snforge/'):]
                if '/' in rest:
                    if not (sub_ok and i.startswith(sub_ok)):
                        fail('%s includes %s: outside its room a sub-header is reached through the door %s.h'
                             % (rel, i, rest.split('/')[0]))
                    continue
                target = rest[:-2]
                if target in BELOW and room in BELOW and target != room and target not in BELOW[room]:
                    fail('%s includes snforge/%s.h: %s stands below %s (dependencies run one way)'
                         % (rel, target, room, target))
            else:
                other = os.path.normpath(os.path.join(os.path.dirname(rel), i)).split(os.sep)[0] \
                    if i.startswith('../') else i.split('/')[0] if '/' in i else None
                if other in BELOW and other != room and not rel.startswith('tests' + os.sep):
                    fail('%s includes %s: another room\'s internal header (use its door)' % (rel, i))
    for room in ROOMS:
        for d, _, files in os.walk(os.path.join(src, room)):
            for f in files:
                if f.endswith(('.c', '.h')):
                    check_file(os.path.join(d, f), room)
        sd = os.path.join(inc, room)
        for f in (sorted(os.listdir(sd)) if os.path.isdir(sd) else []):
            check_file(os.path.join(sd, f), room)
    for extra in ('cli', 'tests', 'python'):
        for d, _, files in os.walk(os.path.join(src, extra)):
            for f in files:
                if f.endswith(('.c', '.h')):
                    check_file(os.path.join(d, f), None)

    if failures:
        for f in failures:
            print('FAIL:', f)
        sys.exit(1)
    print('ok: %d rooms, each behind one door; %d exported functions in the rooms their prefixes name; '
          'includes run one way' % (len(ROOMS), len(exported)))


if __name__ == '__main__':
    main()
