# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a secret of the test run appears in an Ansible output file. Names what leaked, never the value."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import base64
import os
import sys

import yaml

PEM_KEYS = ('rsa-key.pem', 'rsa-key-encrypted.pem')
SECRET_KEYS = ('aes256.bin', 'aes128.bin', 'aes256-rotated.bin')
# Markers that prove the output is the verbose, diff-mode run of the key modules, not an empty file.
EXPECTED_MARKERS = ('apinizer.apiops.apinizer_key', '"invocation"', 'PLAY RECAP', '"diff"')


def read(path, mode='r'):
    with open(path, mode) as handle:
        return handle.read()


def secrets(config_path, pki):
    """(description, value) of every secret the run handled."""
    config = yaml.safe_load(read(config_path))
    found = [('token', config['apinizer_token']), ('read-only token', config['apinizer_read_only_token']),
             ('passphrase', read(os.path.join(pki, 'rsa-key.passphrase')).strip())]
    for name in PEM_KEYS:
        pem = read(os.path.join(pki, name))
        found += [('line %d of %s' % (number, name), line) for number, line in enumerate(pem.splitlines(), 1)
                  if len(line) >= 16 and not line.startswith('-----') and ':' not in line]
        sent = base64.b64encode(pem.encode('ascii')).decode('ascii')
        found += [('base64 of %s, at %d' % (name, start), sent[start:start + 40]) for start in range(0, len(sent) - 40, 400)]
    for name in SECRET_KEYS:
        raw = read(os.path.join(pki, name), 'rb')
        found += [(name, raw.decode('ascii')), ('base64 of %s' % name, base64.b64encode(raw).decode('ascii'))]
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--config', required=True)
    parser.add_argument('--pki', required=True)
    parser.add_argument('outputs', nargs='+')
    args = parser.parse_args()
    checked = secrets(args.config, args.pki)
    leaks = []
    for path in args.outputs:
        text = read(path, 'rb').decode('utf-8', 'replace')
        missing = [marker for marker in EXPECTED_MARKERS if marker not in text]
        if missing:
            leaks.append('%s: not a verbose diff-mode run of the key modules (missing %s)' % (path, ', '.join(missing)))
        leaks += ['%s: %s' % (path, description) for description, value in checked if value and value in text]
    if leaks:
        print('Secrets found in the output:\n  ' + '\n  '.join(leaks))
        return 1
    print('%d secrets checked in %d output file(s): none found.' % (len(checked), len(args.outputs)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
