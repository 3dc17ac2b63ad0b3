# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Throw-away certificates and keys for tests: a CA, leaf certificates signed by it, PEM helpers."""

from __future__ import annotations

import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class Issued:
    """A certificate and its private key, with PEM and DER forms at hand."""

    def __init__(self, certificate, key):
        self.certificate = certificate
        self.key = key

    @property
    def cert_pem(self):
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_der(self):
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self):
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    def write(self, directory, stem):
        """Write ``stem.crt`` and ``stem.key`` into ``directory`` (a pathlib.Path); returns both paths as strings."""
        cert_path = directory / (stem + '.crt')
        key_path = directory / (stem + '.key')
        cert_path.write_bytes(self.cert_pem)
        key_path.write_bytes(self.key_pem)
        return str(cert_path), str(key_path)


def _name(common_name, organization=None, country=None):
    attributes = []
    if country:
        attributes.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _key(kind):
    if kind == 'rsa':
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def make_certificate(common_name='example.com', organization=None, country=None, issuer=None, is_ca=False,
                     not_before=None, days=365, key_kind='ec', dns_names=None, ip_addresses=None, client=False):
    """A certificate signed by ``issuer`` (an Issued) or self-signed. EC keys by default: they are fast to make."""
    key = _key(key_kind)
    subject = _name(common_name, organization, country)
    not_before = not_before or (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)).replace(microsecond=0)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.certificate.subject if issuer else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_before + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    # Key identifiers: Python 3.13's default strict X.509 verification refuses certificates without them.
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    alternative_names = [x509.DNSName(name) for name in dns_names or []]
    alternative_names += [x509.IPAddress(ipaddress.ip_address(address)) for address in ip_addresses or []]
    if alternative_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
    if is_ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False, key_agreement=False,
            key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
    elif client:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    elif alternative_names:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    signing_key = issuer.key if issuer else key
    return Issued(builder.sign(signing_key, hashes.SHA256()), key)


def make_ca(common_name='Emulator Test CA'):
    return make_certificate(common_name, organization='Apinizer Emulator Tests', is_ca=True, days=30)


def make_server_certificate(ca, host='127.0.0.1'):
    return make_certificate('localhost', issuer=ca, days=30, dns_names=['localhost'], ip_addresses=[host])


def make_client_certificate(ca, common_name='emulator-client'):
    return make_certificate(common_name, issuer=ca, days=30, client=True)
