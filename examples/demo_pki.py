# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the throw-away certificates and keys of examples/demo.yml into a work directory.

    python examples/demo_pki.py create DIR [--environments production,staging,development]
    python examples/demo_pki.py rotate DIR

create writes, and overwrites, everything examples/demo.yml deploys, all RSA-2048:

    root-ca.pem                                  the demo root CA (not deployed)
    intermediate-ca.pem, intermediate-ca.key     the intermediate CA: the chain of both leaves
    demo-api.pem, demo-api.key                   leaf api.demo.apinizer.test, valid 365 days
    demo-portal.pem, demo-portal.key             leaf portal.demo.apinizer.test, expires in 20 days
    demo-token-key-ENVIRONMENT.bin               32 random bytes, one secret key per environment

rotate renews demo-portal: a new RSA key and a new leaf, valid 365 days, from the same
intermediate CA. Nothing is written outside DIR. The certificates come from the test PKI
of the collection's emulator (tests/emulator/apinizer_emulator/testcerts.py, shipped with the
collection), so the demo and the tests make certificates the same way.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR_DIR = os.path.join(HERE, '..', 'tests', 'emulator')
DEFAULT_ENVIRONMENTS = 'production,staging,development'
# What each leaf is: file stem -> (common name, days of validity from one day ago).
LEAVES = {
    'demo-api': ('api.demo.apinizer.test', 366),
    'demo-portal': ('portal.demo.apinizer.test', 21),
}
RENEWED_DAYS = 366


def load_pki():
    """apinizer_emulator.testcerts: installed, or from the collection's tests/emulator."""
    if EMULATOR_DIR not in sys.path:
        sys.path.insert(0, EMULATOR_DIR)
    from apinizer_emulator import testcerts  # pylint: disable=import-outside-toplevel,import-error
    return testcerts


def write(directory, filename, content, private=False):
    path = os.path.join(directory, filename)
    if os.path.exists(path):
        os.remove(path)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(descriptor, 'wb') as handle:
        handle.write(content.encode('ascii') if isinstance(content, str) else content)


def write_issued(directory, stem, issued):
    write(directory, stem + '.pem', issued.cert_text)
    write(directory, stem + '.key', issued.key_text(), private=True)


def read_issued(pki, directory, stem):
    with open(os.path.join(directory, stem + '.pem'), 'rb') as handle:
        certificate = x509.load_pem_x509_certificate(handle.read())
    with open(os.path.join(directory, stem + '.key'), 'rb') as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    return pki.Issued(certificate, key)


def create(directory, environments):
    pki = load_pki()
    os.makedirs(directory, exist_ok=True)
    root = pki.make_ca('apinizer.apiops demo root CA')
    intermediate = pki.make_ca('apinizer.apiops demo intermediate CA', issuer=root)
    write(directory, 'root-ca.pem', root.cert_text)
    write_issued(directory, 'intermediate-ca', intermediate)
    for stem, (common_name, days) in LEAVES.items():
        write_issued(directory, stem, pki.make_certificate(common_name, issuer=intermediate, days=days))
        print('%s: %s, RSA-2048, valid until %s' % (stem, common_name, _until(directory, stem)))
    for environment in environments:
        write(directory, 'demo-token-key-%s.bin' % environment, secrets.token_bytes(32), private=True)
    print('demo-token-key: a different 32-byte secret key for each of %s' % ', '.join(environments))


def rotate(directory):
    pki = load_pki()
    intermediate = read_issued(pki, directory, 'intermediate-ca')
    common_name = LEAVES['demo-portal'][0]
    write_issued(directory, 'demo-portal', pki.make_certificate(common_name, issuer=intermediate, days=RENEWED_DAYS))
    print('demo-portal renewed: new RSA-2048 key, %s valid until %s' % (common_name, _until(directory, 'demo-portal')))


def _until(directory, stem):
    with open(os.path.join(directory, stem + '.pem'), 'rb') as handle:
        certificate = x509.load_pem_x509_certificate(handle.read())
    return certificate.not_valid_after_utc.strftime('%Y-%m-%d')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('action', choices=('create', 'rotate'))
    parser.add_argument('directory')
    parser.add_argument('--environments', default=os.environ.get('APINIZER_ENVIRONMENTS') or DEFAULT_ENVIRONMENTS,
                        help='comma-separated; one secret key file each (default: APINIZER_ENVIRONMENTS or %s)'
                        % DEFAULT_ENVIRONMENTS)
    args = parser.parse_args(argv)
    directory = os.path.abspath(args.directory)
    if args.action == 'create':
        environments = [e.strip() for e in args.environments.split(',') if e.strip()]
        if not environments:
            parser.error('--environments names no environment')
        create(directory, environments)
    else:
        rotate(directory)
    return 0


if __name__ == '__main__':
    sys.exit(main())
