# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the server holds of a bundle's keystore and JWK, against the PEM files the bundle was made of.

  python bundle_copies.py STATE_DIR PKI_DIR BUNDLE JWK CERTIFICATE KEY [CHAIN...]

Reads the keystore BUNDLE and the JWK JWK through the API (token and url from STATE_DIR/emulator.json), opens each
environment's keystore file with PKI_DIR/keystore.password, and prints one JSON line of facts a test can compare,
with no key material, file or password in it: per environment the keystore type, the friendly name, the SHA-1 of
the leaf and of the other certificates inside, and whether the key inside is CERTIFICATE's key and KEY; and of the
JWK whether its n and e are CERTIFICATE's."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json
import os
import sys

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12


def base64url_uint(value):
    data = value.to_bytes((value.bit_length() + 7) // 8, 'big')
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def read(path, mode='r'):
    with open(path, mode) as handle:
        return handle.read()


def main(state_dir, pki, bundle, jwk, certificate, key, *chain):
    emulator = json.loads(read(os.path.join(state_dir, 'emulator.json')))
    password = read(os.path.join(pki, 'keystore.password')).strip().encode()
    leaf = x509.load_pem_x509_certificate(read(certificate, 'rb'))
    private_key = serialization.load_pem_private_key(read(key, 'rb'), None)
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo

    def get(kind, name):
        answer = requests.get('%s/apiops/projects/demo/%s/%s/' % (emulator['url'], kind, name), timeout=30,
                              headers={'Authorization': 'Bearer %s' % emulator['token']})
        answer.raise_for_status()
        return answer.json()['resultList'][0]

    keystore = {}
    for entry in get('keystores', bundle)['keyStoreEnvironmentList']:
        opened = pkcs12.load_pkcs12(base64.b64decode(entry['file']), password)
        keystore[entry['environmentName']] = dict(
            type=entry.get('keyStoreType') or entry.get('type'),
            friendly_name=opened.cert.friendly_name.decode() if opened.cert.friendly_name else None,
            leaf_is_certificate=opened.cert.certificate == leaf,
            chain=[c.certificate.fingerprint(hashes.SHA1()).hex().upper() for c in opened.additional_certs],
            key_is_key=opened.key.public_key().public_bytes(*spki) == private_key.public_key().public_bytes(*spki))
    numbers = leaf.public_key().public_numbers()
    rsa = get('jwks', jwk).get('rsa') or {}
    print(json.dumps(dict(
        keystore=keystore,
        expected_chain=[x509.load_pem_x509_certificate(read(p, 'rb')).fingerprint(hashes.SHA1()).hex().upper()
                        for p in chain],
        jwk_is_certificate=rsa.get('n') == base64url_uint(numbers.n) and rsa.get('e') == base64url_uint(numbers.e))))


if __name__ == '__main__':
    main(*sys.argv[1:])
