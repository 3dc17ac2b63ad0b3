# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opens the files of a keystore as the API answers it (JSON on stdin: {"keystore": <one resultList element>,
"password": ...}) with cryptography and prints, per environment, what the test asserts: the SHA-256 of the key
entry's certificate, whether the private key matches it, the chain's SHA-256s in order, the friendly name; and
whether every environment holds the same file. --der PATH (repeated) adds the SHA-256 of each DER certificate file
to compare with (der_sha256, by file name). --save PATH writes the (first) file there, so that the leak scan
can look for it. Prints no secret."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12


def _spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _sha256(certificate):
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()


def _sha1(certificate):
    return hashlib.sha1(certificate.public_bytes(serialization.Encoding.DER)).hexdigest().upper()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--save')
    parser.add_argument('--der', action='append', default=[])
    args = parser.parse_args()
    given = json.load(sys.stdin)
    entries = given['keystore']['keyStoreEnvironmentList']
    files = [base64.b64decode(entry['file']) for entry in entries]
    if args.save:
        with open(args.save, 'wb') as handle:
            handle.write(files[0])
    opened = []
    for entry, data in zip(entries, files):
        loaded = pkcs12.load_pkcs12(data, given['password'].encode('utf-8'))
        leaf = loaded.cert.certificate
        opened.append(dict(environment=entry['environmentName'], leaf_sha256=_sha256(leaf),
                           key_matches=_spki(loaded.key.public_key()) == _spki(leaf.public_key()),
                           chain_sha256=[_sha256(c.certificate) for c in loaded.additional_certs],
                           chain_sha1=[_sha1(c.certificate) for c in loaded.additional_certs],
                           friendly_name=(loaded.cert.friendly_name or b'').decode('utf-8')))
    expected = {}
    for path in args.der:
        with open(path, 'rb') as handle:
            expected[os.path.basename(path)] = hashlib.sha256(handle.read()).hexdigest().upper()
    print(json.dumps(dict(environments=opened, same_file=len(set(files)) == 1, der_sha256=expected)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
