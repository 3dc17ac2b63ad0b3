# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a secret of the JWK scenarios appears in their output, or when the output is not theirs (so that an
empty or truncated log cannot pass). Names what leaked, never the value.

The scan is apinizer_emulator.leaks. The secrets: the tokens, the test PKI's key material and keystore password, the
private members of the JWK pasted from rsa-key.pem, and the private members of every JWK the emulator holds after the
run (read here through the API, outside the playbook): among them, on the newer JWK request names, those of the JWKs
made from a private key (key-jwk) and from a PKCS#12 keystore's key entry (keystore-jwk). --private-jwk PEM prints
that pasted JWK (the playbook reads it no_log)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import base64
import glob
import json
import os
import re
import sys
import urllib.request

import yaml

JWK_MODULES = ('apinizer.apiops.apinizer_jwk', 'apinizer.apiops.apinizer_jwk_info')
SCENARIOS = ('apinizer_jwk', 'apinizer_jwk_info')
# The JWKs with private members that the apinizer_jwk scenario leaves on newer servers: from a key, from a keystore.
PRIVATE_SOURCE_JWKS = ('key-jwk', 'keystore-jwk')
# How a scenario's main.yml includes a task file for one side of the JWK request variant only.
VARIANT_WHEN_RE = re.compile(r"^__emulator_config\.json\.jwk_request == '(\w+)'$")
PUBLIC = frozenset(['kty', 'kid', 'n', 'e', 'crv', 'x', 'y', 'use', 'alg'])


def b64url(value):
    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, 'big')).rstrip(b'=').decode('ascii')


def private_jwk(pem_path):
    from cryptography.hazmat.primitives.serialization import load_pem_private_key  # pylint: disable=import-outside-toplevel
    with open(pem_path, 'rb') as handle:
        numbers = load_pem_private_key(handle.read(), None).private_numbers()
    return dict(kty='RSA', kid='pasted-private', n=b64url(numbers.public_numbers.n), e=b64url(numbers.public_numbers.e),
                d=b64url(numbers.d), p=b64url(numbers.p), q=b64url(numbers.q), dp=b64url(numbers.dmp1),
                dq=b64url(numbers.dmq1), qi=b64url(numbers.iqmp))


def task_files_skipped(tasks_dir, jwk_request):
    """The task files that tasks_dir/main.yml includes only for the other side of the JWK request variant (their
    tasks print nothing, not even their names). A when: of another form cannot be told: the check stops."""
    with open(os.path.join(tasks_dir, 'main.yml')) as handle:
        tasks = yaml.safe_load(handle)
    skipped = set()
    for task in [t for entry in tasks for t in entry.get('block', [entry])]:
        included, when = task.get('ansible.builtin.include_tasks'), task.get('when')
        if not (included and when):
            continue
        side = VARIANT_WHEN_RE.match(when)
        if not side:
            raise SystemExit('%s/main.yml includes %s when: %s; cannot tell whether it runs' % (tasks_dir, included, when))
        if side.group(1) != jwk_request:
            skipped.add(included)
    return skipped


def emulator_config(config):
    with urllib.request.urlopen(config['apinizer_url'] + '/_emulator/config', timeout=10) as answer:
        return json.load(answer)


def server_private_members(config):
    """{JWK name: {member: value}} of the private members of every JWK the emulator holds."""
    base = '%s/apiops/projects/%s/jwks/' % (config['apinizer_url'], config['apinizer_project'])

    def get(url):
        request = urllib.request.Request(url, headers={'Authorization': 'Bearer ' + config['apinizer_token']})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)

    found = {}
    for entry in get(base)['resultList']:
        jwk = get(base + entry['name'] + '/')['resultList'][0]
        for members in (jwk.get(k) for k in ('rsa', 'ec', 'oct', 'okp')):
            if isinstance(members, dict):
                found[entry['name']] = dict((k, v) for k, v in members.items() if k not in PUBLIC)
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--private-jwk', help='print the private JWK of this PEM RSA key and stop')
    parser.add_argument('--config')
    parser.add_argument('--pki')
    parser.add_argument('--targets', default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument('outputs', nargs='*')
    args = parser.parse_args()
    if args.private_jwk:
        print(json.dumps(private_jwk(args.private_jwk)))
        return 0
    with open(args.config) as handle:
        config = yaml.safe_load(handle)
    sys.path.insert(0, config['apinizer_emulator_dir'])
    from apinizer_emulator import leaks  # pylint: disable=import-outside-toplevel,import-error

    secrets = leaks.Secrets().add('token', config['apinizer_token']).add('read-only token', config['apinizer_read_only_token'])
    secrets.add_directory(args.pki)  # the keystore password too (*.password)
    pasted = private_jwk(os.path.join(args.pki, 'rsa-key.pem'))
    for member in ('d', 'p', 'q', 'dp', 'dq', 'qi'):
        secrets.add('private member %s of the pasted JWK' % member, pasted[member])
    held = server_private_members(config)
    if not any(held.values()):
        raise SystemExit('the emulator holds no JWK with private members after the run: nothing generated to look for')
    jwk_request = emulator_config(config)['jwk_request']
    newer = jwk_request == 'newer'
    missing = [name for name in PRIVATE_SOURCE_JWKS if newer and not held.get(name)]
    if missing:
        raise SystemExit('the emulator holds no private members of %s after the run: nothing to look for' % ', '.join(missing))
    for name, members in sorted(held.items()):
        for member, value in sorted(members.items()):
            secrets.add('private member %s of JWK %s' % (member, name), value)
    markers = [leaks.VERBOSE, leaks.RECAP,
               leaks.result_marker('the public modulus of the pasted JWK in a result', pasted['n'])]
    for scenario in SCENARIOS:
        tasks_dir = os.path.join(args.targets, scenario, 'tasks')
        skipped = task_files_skipped(tasks_dir, jwk_request)
        paths = [p for p in sorted(glob.glob(os.path.join(tasks_dir, '*.yml'))) if os.path.basename(p) not in skipped]
        names = leaks.task_names(paths, JWK_MODULES)
        if not names:
            raise SystemExit('no %s task found in %s: cannot tell what the output must hold' % (' or '.join(JWK_MODULES), scenario))
        markers += names
    report = leaks.scan(args.outputs, secrets, markers=markers, each_file=True)
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
