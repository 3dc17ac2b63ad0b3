# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a secret of the test run appears in an output file of the key and keystore scenarios, or when a file is
not the output of those scenarios (so that an empty or truncated log cannot pass). Names what leaked, never the
value.

The scan is apinizer_emulator.leaks, the collection's one leak scanner (from apinizer_emulator_dir of
integration_config.yml). The secrets: the tokens of integration_config.yml and the test PKI's key material (every
private key, passphrase, secret key and PKCS#12 file -- its base64 and its key -- in --pki, the keystore password
and every form of each keystore file; the bundle keystore's password, bundle-keystore.passphrase, and the
PKCS#12 files apinizer_bundle built for it, which its keystore scenario saves beside the PKI). What each output
must hold does not depend on how a given ansible-core formats -vvv: the name of every key and keystore module task
of those four scenarios and of every apinizer_bundle task of the PKCS#12 and keystore ones (apinizer_bundle's
pkcs12.yml and keystore.yml), read from their task files; values that only the modules'
results carry (the public_key_sha256 apinizer_key computes for the test PKI's RSA key, the sha256_fingerprint
apinizer_keystore returns for the certificate inside keystore.p12, the crypto_keys list of apinizer_key_info),
printed only when results are; the content placeholders of a key's diff (stored, replaced), which exist only in
diff mode; the -vvv connection line; the recap."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import base64
import glob
import os
import sys

import yaml

KEY_MODULES = ('apinizer.apiops.apinizer_key', 'apinizer.apiops.apinizer_key_info', 'apinizer.apiops.apinizer_keystore',
               'apinizer.apiops.apinizer_keystore_info')
# (target, its task files, the modules whose task names the output must hold)
SCENARIOS = (('apinizer_key', '*.yml', KEY_MODULES), ('apinizer_key_info', '*.yml', KEY_MODULES),
             ('apinizer_keystore', '*.yml', KEY_MODULES), ('apinizer_keystore_info', '*.yml', KEY_MODULES),
             ('apinizer_bundle', 'pkcs12.yml', ('apinizer.apiops.apinizer_bundle',)),
             ('apinizer_bundle', 'keystore.yml', ('apinizer.apiops.apinizer_bundle',)))
# The PKCS#12 files apinizer_bundle built for a bundle's keystore, as its keystore scenario read them back from the
# server (beside the PKI; opened with bundle-keystore.passphrase, as every *.p12 there is).
BUILT_KEYSTORES = ('bundle-keystore-built.p12', 'bundle-keystore-rotated.p12')
KEYSTORE_FILES = ('keystore.p12', 'keystore-rotated.p12', 'keystore.jks')
# A piece of a keystore file's base64 this long is found wherever part of the file shows, cut off or not.
KEYSTORE_PIECE = 64


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--config', required=True)
    parser.add_argument('--pki', required=True)
    parser.add_argument('--targets', default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        help='the integration targets directory (default: the one holding this script)')
    parser.add_argument('outputs', nargs='+')
    args = parser.parse_args()
    with open(args.config) as handle:
        config = yaml.safe_load(handle)
    sys.path.insert(0, config['apinizer_emulator_dir'])
    from apinizer_emulator import leaks  # pylint: disable=import-outside-toplevel,import-error

    secrets = leaks.Secrets().add('token', config['apinizer_token']).add('read-only token', config['apinizer_read_only_token'])
    secrets.add_directory(args.pki)  # the keystore password too (*.password)
    for name in KEYSTORE_FILES:
        with open(os.path.join(args.pki, name), 'rb') as handle:
            data = handle.read()
        secrets.add_secret_key('keystore file %s' % name, data)  # raw, base64, hex
        secrets.add('keystore file %s (a piece of its base64)' % name, base64.b64encode(data)[KEYSTORE_PIECE:2 * KEYSTORE_PIECE])
    for name in BUILT_KEYSTORES:
        # add_directory found them (every *.p12 of the PKI); a scenario that stopped before writing one fails here.
        if not os.path.isfile(os.path.join(args.pki, name)):
            raise SystemExit('%s is missing from %s: the bundle keystore scenario did not read back what it built'
                             % (name, args.pki))
        with open(os.path.join(args.pki, name), 'rb') as handle:
            data = handle.read()
        secrets.add('built keystore file %s (a piece of its base64)' % name,
                    base64.b64encode(data)[KEYSTORE_PIECE:2 * KEYSTORE_PIECE])
    with open(os.path.join(args.pki, 'keystore.p12.cert-sha256')) as handle:
        keystore_certificate = handle.read().strip()
    with open(os.path.join(args.pki, 'rsa-key.pem')) as handle:
        fingerprint = leaks.public_key_sha256(handle.read())
    markers = [leaks.VERBOSE, leaks.RECAP, leaks.KEY_INFO_RESULT] + list(leaks.KEY_DIFF) + [
        leaks.result_marker('the public_key_sha256 apinizer_key returned for rsa-key.pem', fingerprint),
        leaks.result_marker('the sha256_fingerprint apinizer_keystore returned for keystore.p12', keystore_certificate)]
    for scenario, files, modules in SCENARIOS:
        names = leaks.task_names(sorted(glob.glob(os.path.join(args.targets, scenario, 'tasks', files))), modules)
        if not names:
            raise SystemExit('no %s task found in %s: cannot tell what the output must hold' % (' or '.join(modules), scenario))
        markers += names
    report = leaks.scan(args.outputs, secrets, markers=markers, each_file=True)
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == '__main__':
    sys.exit(main())
