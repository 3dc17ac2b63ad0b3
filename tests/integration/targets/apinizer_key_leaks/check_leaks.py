# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a secret of the test run appears in an Ansible output file, or when the file is not the output of the
key scenarios it is meant to be (so that an empty or truncated log cannot pass). Names what leaked, never the value.

What the output must hold does not depend on how a given ansible-core formats -vvv (2.21 no longer prints the
modules' "invocation", and result layout differs between callbacks): it is the name of every apinizer_key and
apinizer_key_info task of the two scenarios, read from their task files; values that only the modules' results carry
(the public_key_sha256 apinizer_key computes for the test PKI's RSA key, the crypto_keys list of apinizer_key_info),
which the callback prints only when it prints results; the content placeholders of a key's diff (stored, replaced),
which exist only in diff mode; and the play recap."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import base64
import glob
import hashlib
import os
import sys

import yaml
from cryptography.hazmat.primitives import serialization

PEM_KEYS = ('rsa-key.pem', 'rsa-key-encrypted.pem')
SECRET_KEYS = ('aes256.bin', 'aes128.bin', 'aes256-rotated.bin')
KEY_MODULES = ('apinizer.apiops.apinizer_key', 'apinizer.apiops.apinizer_key_info')
SCENARIOS = ('apinizer_key', 'apinizer_key_info')
# In the output of every ansible-core: the recap ends the run; crypto_keys is the return key of apinizer_key_info (in
# the output only when results are); stored and replaced name a key's content in its diff (only in diff mode).
FIXED_MARKERS = (('the play recap', 'PLAY RECAP'), ('the apinizer_key_info result', 'crypto_keys'),
                 ('a key diff (stored)', "'stored'|\"stored\"|: stored"), ('a key diff (replaced)', "'replaced'|\"replaced\"|: replaced"))


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


def task_names(tasks):
    """Names of the tasks (inside blocks too) that run one of KEY_MODULES, without templated names."""
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        for section in ('block', 'rescue', 'always'):
            yield from task_names(task.get(section))
        name = task.get('name', '')
        if any(module in task for module in KEY_MODULES) and name and '{{' not in name:
            yield name


def public_key_sha256(pem_path):
    """What apinizer_key returns as public_key_sha256: SHA-256 of the DER SubjectPublicKeyInfo, upper-case hex."""
    key = serialization.load_pem_private_key(read(pem_path, 'rb'), password=None)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest().upper()


def markers(targets, pki):
    """(description, alternatives) that the output must hold, one of the alternatives (split on |) each."""
    found = list(FIXED_MARKERS)
    found.append(('the public_key_sha256 apinizer_key returned for rsa-key.pem', public_key_sha256(os.path.join(pki, 'rsa-key.pem'))))
    for scenario in SCENARIOS:
        names = []
        for path in sorted(glob.glob(os.path.join(targets, scenario, 'tasks', '*.yml'))):
            names += list(task_names(yaml.safe_load(read(path))))
        if not names:
            raise SystemExit('no %s task found in %s: cannot tell what the output must hold' % (' or '.join(KEY_MODULES), scenario))
        found += [('task %r of %s' % (name, scenario), name) for name in names]
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--config', required=True)
    parser.add_argument('--pki', required=True)
    parser.add_argument('--targets', default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        help='the integration targets directory (default: the one holding this script)')
    parser.add_argument('outputs', nargs='+')
    args = parser.parse_args()
    checked = secrets(args.config, args.pki)
    expected = markers(args.targets, args.pki)
    leaks = []
    for path in args.outputs:
        text = read(path, 'rb').decode('utf-8', 'replace')
        missing = [description for description, marker in expected if not any(m in text for m in marker.split('|'))]
        if missing:
            leaks.append('%s: not the verbose diff-mode run of the key scenarios (missing %s)' % (path, '; '.join(missing)))
        leaks += ['%s: %s' % (path, description) for description, value in checked if value and value in text]
    if leaks:
        print('Secrets found in the output:\n  ' + '\n  '.join(leaks))
        return 1
    print('%d secrets checked in %d output file(s), each holding all %d expected markers: none found.' % (
        len(checked), len(args.outputs), len(expected)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
