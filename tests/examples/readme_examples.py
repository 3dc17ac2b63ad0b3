# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The examples of a README, written out as files, so that a test runs them as a user would copy them.

Every fenced ``yaml`` block must follow a marker line ``<!-- example: relative/path.yml -->`` that names the file
it becomes; an unmarked block is refused, so that no example in the README goes untested."""

from __future__ import annotations

import os
import re

MARKER_RE = re.compile(r'^<!-- example: (\S+) -->\n```yaml\n(.*?)^```$', re.M | re.S)
FENCE_RE = re.compile(r'^```yaml$', re.M)


def write_examples(readme_path, destination):
    """Write each marked example under destination; return {relative path: text}. ValueError for an unmarked or
    duplicate example, or a README without any."""
    with open(readme_path, encoding='utf-8') as handle:
        text = handle.read()
    examples = {}
    for match in MARKER_RE.finditer(text):
        path, body = match.group(1), match.group(2)
        if path in examples:
            raise ValueError('%s: two examples are named %s' % (readme_path, path))
        if os.path.isabs(path) or '..' in path.split('/'):
            raise ValueError('%s: example %s must be a relative path inside the example directory' % (readme_path, path))
        examples[path] = body
    fences = len(FENCE_RE.findall(text))
    if not examples or fences != len(examples):
        raise ValueError('%s: %d yaml block(s), %d marked with <!-- example: PATH -->; mark every example'
                         % (readme_path, fences, len(examples)))
    for path, body in examples.items():
        target = os.path.join(destination, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, 'w', encoding='utf-8') as handle:
            handle.write(body)
    return examples
