# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The property-based tests of every parser of user input (tests/unit/plugins/module_utils/test_fuzz_input.py), run
against the collection under test, so that the report counts the fuzzed inputs of this very run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from support import ROOT

FUZZ_TESTS = os.path.join(ROOT, 'tests', 'unit', 'plugins', 'module_utils', 'test_fuzz_input.py')
EMULATOR_DIR = os.path.join(ROOT, 'tests', 'emulator')


@pytest.mark.reliability(
    group='fuzzed-input',
    description='the property-based tests of the PEM, certificate, key, bundle and input-file parsers (hypothesis, '
                'derandomized): random bytes and text, PEM cut at random points or with damaged DER, garbage between '
                'blocks, wrong block types, 2 MB inputs, unicode with lone surrogates, encrypted keys with a wrong '
                'passphrase or none, certificates with another key, bundle specs of random shapes, input files',
    expectation='every input gives a parsed value or the collection\'s own error with a message that names what is '
                'wrong and holds no key material, never another exception; the counts of inputs per parser')
def test_fuzzed_input(collections_path, tmp_path, case_detail, case_counts):
    counts_file = tmp_path / 'counts.json'
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([collections_path, EMULATOR_DIR]),
               APINIZER_FUZZ_COUNTS=str(counts_file), HYPOTHESIS_STORAGE_DIRECTORY=str(tmp_path / 'hypothesis'),
               PYTHONDONTWRITEBYTECODE='1')
    started = time.monotonic()
    process = subprocess.run([sys.executable, '-m', 'pytest', FUZZ_TESTS, '-q', '-p', 'no:cacheprovider',
                              '--rootdir', str(tmp_path), '-W', 'ignore::DeprecationWarning'],
                             cwd=str(tmp_path), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, timeout=900, check=False)
    seconds = time.monotonic() - started
    assert process.returncode == 0, process.stdout[-4000:]
    with open(str(counts_file)) as handle:
        counts = json.load(handle)
    total = sum(counts.values())
    assert total > 0, counts
    case_counts['inputs'] = total
    case_detail.append('%d fuzzed inputs in %.0f s: %s' % (total, seconds, ', '.join(
        '%s %d' % (name, count) for name, count in sorted(counts.items()))))
