# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the certificates and keys the integration targets use into the directory given as argument.

    python make_test_pki.py [--emulator-dir DIR] DIRECTORY

They are made by apinizer_emulator.testcerts, the collection's one test PKI: from DIR when given (the
collection's tests/emulator; integration_config.yml hands it to the targets as apinizer_emulator_dir), else
installed, else from the tests/emulator of a collection this script lies in.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import datetime
import hashlib
import os
import secrets
import sys

ORGANIZATION = 'apinizer.apiops tests'
# label -> (not before, not after), in days from now.
LEAVES = (('a', (-1, 365)), ('b', (-1, 730)), ('c', (-1, 500)), ('expiring', (-1, 10)), ('expired', (-30, -2)))


def load_testcerts(emulator_dir=None):
    """apinizer_emulator.testcerts from emulator_dir, installed, or from the enclosing collection's tests/emulator."""
    candidates = [emulator_dir] if emulator_dir else []
    if not emulator_dir:
        try:
            from apinizer_emulator import testcerts  # pylint: disable=import-outside-toplevel,import-error
            return testcerts
        except ImportError:
            pass
        here = os.path.dirname(os.path.realpath(__file__))
        while os.path.dirname(here) != here:
            here = os.path.dirname(here)
            candidates.append(os.path.join(here, 'tests', 'emulator'))
    for candidate in candidates:
        if os.path.isfile(os.path.join(candidate, 'apinizer_emulator', 'testcerts.py')):
            sys.path.insert(0, os.path.abspath(candidate))
            from apinizer_emulator import testcerts  # pylint: disable=import-outside-toplevel,import-error
            return testcerts
    sys.exit('make_test_pki.py: apinizer_emulator not found (%s); pass --emulator-dir' % (emulator_dir or 'not installed'))


def make_files(testcerts):
    """{filename: content}: text for PEM, bytes for DER, PKCS#12 and secret keys."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    def dated(common_name, days, **kwargs):
        return testcerts.make_certificate(
            subject=testcerts.make_name(common_name, organization=ORGANIZATION),
            not_before=now + datetime.timedelta(days=days[0]), not_after=now + datetime.timedelta(days=days[1]),
            dns_names=[], **kwargs)

    ca = dated('apinizer test CA', (-1, 3650), is_ca=True)
    files = {'ca.pem': ca.cert_text}
    leaves = {}
    for label, days in LEAVES:
        leaf = leaves[label] = dated('%s.apinizer.test' % label, days, issuer=ca)
        files.update({label + '.pem': leaf.cert_text, label + '.der': leaf.cert_der, label + '-key.pem': leaf.key_text()})
    files['chain.pem'] = files['a.pem'] + files['ca.pem']
    # The same leaf, key and chain as one PKCS#12 file, protected by a passphrase of its own.
    files['a-p12.passphrase'] = 'p12-' + secrets.token_hex(16)
    files['a.p12'] = leaves['a'].pkcs12([ca], passphrase=files['a-p12.passphrase'])
    # Key material for the key targets: an RSA key pair, the private half also encrypted, and its passphrase.
    rsa_key = testcerts.new_key('rsa')
    passphrase = 'pass-' + secrets.token_hex(16)
    files['rsa-key.pem'] = testcerts.private_key_text(rsa_key)
    files['rsa-key-encrypted.pem'] = testcerts.private_key_text(rsa_key, 'traditional', passphrase)
    files['rsa-key.passphrase'] = passphrase
    files['rsa-pub.pem'] = testcerts.public_key_text(rsa_key)
    # Secret keys of 32 and 16 bytes; raw bytes for content_path, printable so tests can hash them in Jinja.
    for label, length in (('aes256', 32), ('aes128', 16), ('aes256-rotated', 32)):
        files['%s.bin' % label] = secrets.token_hex(length // 2).encode('ascii')
    # Keystores for the keystore targets: RSA-2048 key entries in PKCS#12 and JKS, and their password.
    keystore_password = 'keystore-' + secrets.token_hex(16)
    files['keystore.password'] = keystore_password
    # Beside each file: <file>.sha256 (its bytes, as the emulator's state shows them) and <file>.cert-sha256 (the
    # fingerprint of the certificate of its key entry, as the module returns it).
    for label, kind in (('keystore', 'p12'), ('keystore-rotated', 'p12'), ('keystore', 'jks')):
        leaf = dated('%s-%s.apinizer.test' % (label, kind), (-1, 365), issuer=ca)
        if kind == 'p12':
            data = testcerts.pkcs12_keystore(keystore_password, key_entry=leaf, alias=label)
        else:
            data = testcerts.jks_keystore(keystore_password, {}, key_entries={label: leaf})
        name = '%s.%s' % (label, kind)
        files.update({name: data, name + '.sha256': hashlib.sha256(data).hexdigest(), name + '.cert-sha256': leaf.sha256})
    # The password of the PKCS#12 keystore apinizer_bundle builds for a bundle (bundles[].keystore.password).
    files['bundle-keystore.passphrase'] = 'bundle-keystore-' + secrets.token_hex(16)
    files['15-bytes.bin'] = b'0123456789abcde'  # written last: tests/reliability/hygiene.py waits for it
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--emulator-dir', help="the collection's tests/emulator")
    parser.add_argument('directory')
    args = parser.parse_args(argv)
    os.makedirs(args.directory, exist_ok=True)
    for filename, content in make_files(load_testcerts(args.emulator_dir)).items():
        with open(os.path.join(args.directory, filename), 'wb' if isinstance(content, bytes) else 'w') as handle:
            handle.write(content)


if __name__ == '__main__':
    main()
