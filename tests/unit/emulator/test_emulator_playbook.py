# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""apinizer_emulator.playbook: the PLAY RECAP numbers the collection's tests, demo and bench read."""

from __future__ import annotations

import pytest

from apinizer_emulator.playbook import recap

OUTPUT = """PLAY [Deploy] ******************************************************************

TASK [apinizer.apiops.apinizer_deploy : Apply the bundles] *********************
changed: [localhost]

PLAY RECAP *********************************************************************
localhost                  : ok=3    changed=1    unreachable=0    failed=0    skipped=1    rescued=0    ignored=2
other.example.com          : ok=1    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0
"""


def test_recap_gives_every_number_of_the_host():
    assert recap(OUTPUT) == dict(ok=3, changed=1, unreachable=0, failed=0, skipped=1, rescued=0, ignored=2)


def test_recap_reads_the_line_of_the_host_asked_for():
    assert recap(OUTPUT, host='other.example.com')['unreachable'] == 1


def test_recap_of_output_that_holds_two_runs_is_the_last_one():
    second = OUTPUT.replace('changed=1 ', 'changed=0 ')
    assert recap(OUTPUT + second)['changed'] == 0


def test_recap_of_a_run_that_stopped_early_names_the_host_and_quotes_the_end():
    with pytest.raises(ValueError) as raised:
        recap('ERROR! the playbook: deploy.yml could not be found\n')
    assert str(raised.value) == ('the output has no PLAY RECAP line of localhost; it ends with:\n'
                                 'ERROR! the playbook: deploy.yml could not be found\n')


def test_a_task_line_naming_the_host_is_not_a_recap():
    assert recap('ok: [localhost]\nlocalhost : ok=2 changed=0\n') == dict(ok=2, changed=0)
    with pytest.raises(ValueError):
        recap('localhost | SUCCESS => {"changed": false}\n')
