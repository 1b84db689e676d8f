#!/usr/bin/env python3
"""fnlen.py [--max N] DIR|FILE...: lists the C functions longer than N lines (default 100).

A function's length runs from the first line of its signature to its closing brace, both counted. A
definition is a brace that opens at file level (depth 0) after a signature (a line ending in ')' or a line
holding '(...) {'); structs, enums, unions and initialisers ('= {') at file level are not functions. Braces
inside comments, strings and character literals are ignored. Prints "FILE:LINE NAME LENGTH" per offender,
longest first, and exits 1 if there is any, 0 if none, 2 on bad arguments (issue 19 item 7: cli/ stays
options, one library call, printing)."""
import os
import re
import sys

NAME_RE = re.compile(r'([A-Za-z_][A-Za-z_0-9]*)\s*\(')


def strip_code(text):
    """Returns text with comments, strings and char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == '/' and i + 1 < n and text[i + 1] == '*':
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(''.join(ch if ch == '\n' else ' ' for ch in text[i:j]))
            i = j
        elif c == '/' and i + 1 < n and text[i + 1] == '/':
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(c + ''.join(ch if ch == '\n' else ' ' for ch in text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def functions(path):
    """Yields (start_line, name, length) for each function defined in the C file at path."""
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = strip_code(f.read()).split('\n')
    depth = 0
    stmt_start = None  # first line (0-based) of the current file-level declaration
    open_line = None
    is_fn = False
    name = '?'
    for ln, line in enumerate(lines):
        for col, ch in enumerate(line):
            if depth == 0 and stmt_start is None and not ch.isspace() and not line.lstrip().startswith('#'):
                stmt_start = ln
            if ch == '{':
                if depth == 0:
                    head = ' '.join(lines[stmt_start if stmt_start is not None else ln:ln]) + ' ' + line[:col]
                    head_s = head.strip()
                    is_fn = (head_s.endswith(')') and '=' not in head_s.split('(')[0]
                             and not re.match(r'^(typedef\s+)?(struct|enum|union)\b', head_s))
                    m = None
                    for m in NAME_RE.finditer(head_s.split('(')[0] + '('):
                        pass
                    name = m.group(1) if m else '?'
                    open_line = stmt_start if stmt_start is not None else ln
                depth += 1
            elif ch == '}':
                depth -= 1
                if depth == 0:
                    if is_fn:
                        yield open_line + 1, name, ln - open_line + 1
                    is_fn = False
                    stmt_start = None
            elif ch == ';' and depth == 0:
                stmt_start = None
        if depth == 0 and line.lstrip().startswith('#'):
            stmt_start = None


def main(argv):
    limit = 100
    paths = []
    i = 1
    while i < len(argv):
        if argv[i] == '--max' and i + 1 < len(argv):
            try:
                limit = int(argv[i + 1])
            except ValueError:
                sys.stderr.write("fnlen.py: --max: '%s' is not an integer\n" % argv[i + 1])
                return 2
            i += 2
        elif argv[i].startswith('-'):
            sys.stderr.write("fnlen.py: unknown option '%s'\nusage: fnlen.py [--max N] DIR|FILE...\n" % argv[i])
            return 2
        else:
            paths.append(argv[i])
            i += 1
    if not paths:
        sys.stderr.write("usage: fnlen.py [--max N] DIR|FILE...\n")
        return 2
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith('.c'))
        elif os.path.isfile(p):
            files.append(p)
        else:
            sys.stderr.write("fnlen.py: '%s': no such file or folder\n" % p)
            return 2
    if not files:
        sys.stderr.write("fnlen.py: no .c file in %s\n" % ' '.join(paths))
        return 2
    long_ones = []
    count = 0
    for f in files:
        for start, name, length in functions(f):
            count += 1
            if length > limit:
                long_ones.append((length, f, start, name))
    for length, f, start, name in sorted(long_ones, reverse=True):
        print('%s:%d %s %d' % (f, start, name, length))
    print('%d function(s) in %d file(s); %d longer than %d lines' % (count, len(files), len(long_ones), limit))
    return 1 if long_ones else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
