# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a test reads from the output of an ``ansible-playbook`` run::

    from apinizer_emulator.playbook import recap

    assert recap(completed.stdout)['changed'] == 0    # {'ok': 7, 'changed': 0, 'unreachable': 0, 'failed': 0, ...}

No Flask, no server: importing this module needs the standard library only."""

from __future__ import annotations

import re

_COUNT_RE = re.compile(r'(\w+)=(\d+)')


def recap(output, host='localhost'):
    """The numbers of host's PLAY RECAP line in output (the last one, when the output holds several plays' runs),
    as {name: int}. ValueError, quoting the end of output, when it has no such line (the play did not get that far).
    """
    lines = re.findall(r'^%s\s*:\s*(ok=.*)$' % re.escape(host), output, re.M)
    if not lines:
        raise ValueError('the output has no PLAY RECAP line of %s; it ends with:\n%s' % (host, output[-3000:]))
    return {name: int(value) for name, value in _COUNT_RE.findall(lines[-1])}
