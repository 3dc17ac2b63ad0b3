# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the certificates and keys the integration targets use into the directory given as argument."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import os
import secrets
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)


def name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'apinizer.apiops tests')])


def issue(subject, key, issuer=None, issuer_key=None, days=(-1, 365), ca=False):
    builder = (x509.CertificateBuilder()
               .subject_name(name(subject))
               .issuer_name(name(issuer or subject))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW + datetime.timedelta(days=days[0]))
               .not_valid_after(NOW + datetime.timedelta(days=days[1]))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    return builder.sign(issuer_key or key, hashes.SHA256())


def pem(certificate):
    return certificate.public_bytes(serialization.Encoding.PEM).decode('ascii')


def main(directory):
    os.makedirs(directory, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = issue('apinizer test CA', ca_key, ca=True, days=(-1, 3650))
    files = {'ca.pem': pem(ca)}
    for label, days in (('a', (-1, 365)), ('b', (-1, 730)), ('c', (-1, 500)), ('expiring', (-1, 10)),
                        ('expired', (-30, -2))):
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = issue('%s.apinizer.test' % label, key, 'apinizer test CA', ca_key, days=days)
        files['%s.pem' % label] = pem(certificate)
        files['%s.der' % label] = certificate.public_bytes(serialization.Encoding.DER)
        files['%s-key.pem' % label] = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()).decode('ascii')
    files['chain.pem'] = files['a.pem'] + files['ca.pem']
    # Key material for the key targets: an RSA key pair, the private half also encrypted, and its passphrase.
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    passphrase = 'pass-' + secrets.token_hex(16)
    files['rsa-key.pem'] = rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()).decode('ascii')
    files['rsa-key-encrypted.pem'] = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(passphrase.encode('ascii'))).decode('ascii')
    files['rsa-key.passphrase'] = passphrase
    files['rsa-pub.pem'] = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode('ascii')
    # Secret keys of 32 and 16 bytes; raw bytes for content_path, printable so tests can hash them in Jinja.
    for label, length in (('aes256', 32), ('aes128', 16), ('aes256-rotated', 32)):
        files['%s.bin' % label] = secrets.token_hex(length // 2).encode('ascii')
    files['15-bytes.bin'] = b'0123456789abcde'
    for filename, content in files.items():
        mode = 'wb' if isinstance(content, bytes) else 'w'
        with open(os.path.join(directory, filename), mode) as handle:
            handle.write(content)


if __name__ == '__main__':
    main(sys.argv[1])
