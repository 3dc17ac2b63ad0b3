# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The examples of a README or guide, written out as files, so that a test runs them as a user would copy them.

In Markdown (``*.md``), every fenced ``yaml`` block must follow a marker line ``<!-- example: relative/path.yml -->``
that names the file it becomes. In reStructuredText (``*.rst``), every ``.. code-block:: yaml`` must follow a comment
line ``.. example: relative/path.yml``; its body is the indented block after the directive (and its blank line),
unindented. An unmarked block is refused, so that no example in the document goes untested."""

from __future__ import annotations

import os
import re
import textwrap

MARKER_RE = re.compile(r'^<!-- example: (\S+) -->\n```yaml\n(.*?)^```$', re.M | re.S)
FENCE_RE = re.compile(r'^```yaml$', re.M)
# An RST example: the comment, the directive right below it, a blank line, then the indented body up to the first
# line that is neither blank nor indented.
RST_MARKER_RE = re.compile(r'^\.\. example: (\S+)\n\.\. code-block:: yaml\n\n((?:(?:[ \t]+\S.*|[ \t]*)\n)+)', re.M)
RST_FENCE_RE = re.compile(r'^\.\. (?:code-block|code|sourcecode):: yaml\s*$', re.M)
# Every marker line: one that names no block right below it is refused too.
ANY_MARKER_RE = re.compile(r'^(?:<!-- example: |\.\. example: )', re.M)


def _rst_body(block):
    return textwrap.dedent(block).strip('\n') + '\n'


def find_examples(path, text):
    """[(relative path, text)] of the marked examples of a document, and the number of its yaml blocks."""
    if path.endswith('.rst'):
        found = [(match.group(1), _rst_body(match.group(2))) for match in RST_MARKER_RE.finditer(text)]
        return found, len(RST_FENCE_RE.findall(text)), '.. example: PATH'
    found = [(match.group(1), match.group(2)) for match in MARKER_RE.finditer(text)]
    return found, len(FENCE_RE.findall(text)), '<!-- example: PATH -->'


def write_examples(readme_path, destination):
    """Write each marked example under destination; return {relative path: text}. ValueError for an unmarked or
    duplicate example, or a document without any."""
    with open(readme_path, encoding='utf-8') as handle:
        text = handle.read()
    found, fences, marker = find_examples(readme_path, text)
    examples = {}
    for path, body in found:
        if path in examples:
            raise ValueError('%s: two examples are named %s' % (readme_path, path))
        if os.path.isabs(path) or '..' in path.split('/'):
            raise ValueError('%s: example %s must be a relative path inside the example directory' % (readme_path, path))
        examples[path] = body
    if not examples or fences != len(examples):
        raise ValueError('%s: %d yaml block(s), %d marked with %s; mark every example'
                         % (readme_path, fences, len(examples), marker))
    markers = len(ANY_MARKER_RE.findall(text))
    if markers != len(examples):
        raise ValueError('%s: %d example marker(s), %d right above a yaml block; put each marker on the line before its'
                         ' block' % (readme_path, markers, len(examples)))
    for path, body in examples.items():
        target = os.path.join(destination, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, 'w', encoding='utf-8') as handle:
            handle.write(body)
    return examples
