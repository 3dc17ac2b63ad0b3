# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Replace what lies between <!-- NAME:start --> and <!-- NAME:end --> in a file by another file's text.

    python3 tests/scripts/replace_between.py DOC NAME SOURCE

Used by `make matrix-docs` (docs/development.md, matrix, build/matrix.md). Fails when the
markers are missing, so a moved section is noticed instead of silently left stale.
"""

from __future__ import annotations

import sys


def main(doc, name, source):
    start, end = '<!-- %s:start -->' % name, '<!-- %s:end -->' % name
    with open(doc, encoding='utf-8') as handle:
        text = handle.read()
    if text.count(start) != 1 or text.count(end) != 1 or text.index(start) > text.index(end):
        print('%s: expected one %s ... %s' % (doc, start, end), file=sys.stderr)
        return 1
    with open(source, encoding='utf-8') as handle:
        body = handle.read().strip('\n')
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    updated = '%s%s\n%s\n%s%s' % (before, start, body, end, after)
    if updated != text:
        with open(doc, 'w', encoding='utf-8') as handle:
            handle.write(updated)
        print('%s: %s table updated from %s' % (doc, name, source))
    else:
        print('%s: %s table already up to date' % (doc, name))
    return 0


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
