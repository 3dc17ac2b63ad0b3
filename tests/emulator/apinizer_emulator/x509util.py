# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Certificate parsing and the fields the API shows: DER, SHA-1 thumbprint, subject DN, validity."""

from __future__ import annotations

import datetime
import hashlib
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

PEM_CERTIFICATE_RE = re.compile(br'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----', re.DOTALL)

# Apinizer is a Java server; its subject DNs use Java's X500Principal keywords where they differ from RFC 4514's.
JAVA_ATTRIBUTE_NAMES = {
    NameOID.EMAIL_ADDRESS: 'EMAILADDRESS',
    NameOID.SERIAL_NUMBER: 'SERIALNUMBER',
    NameOID.SURNAME: 'SURNAME',
    NameOID.GIVEN_NAME: 'GIVENNAME',
    NameOID.INITIALS: 'INITIALS',
    NameOID.GENERATION_QUALIFIER: 'GENERATION',
    NameOID.DN_QUALIFIER: 'DNQUALIFIER',
    NameOID.TITLE: 'T',
}


class CertificateParseError(ValueError):
    pass


class ParsedCertificate:
    """The parts of one X.509 certificate that the API stores and shows."""

    def __init__(self, certificate):
        self.der = certificate.public_bytes(Encoding.DER)
        self.sha1_thumbprint = hashlib.sha1(self.der).hexdigest().upper()
        self.subject_dn = java_style_dn(certificate.subject)
        self.not_before = _utc(certificate, 'not_valid_before')
        self.not_after = _utc(certificate, 'not_valid_after')
        self.public_key = certificate.public_key()


def _utc(certificate, attribute):
    # cryptography >= 42 has timezone-aware *_utc properties; older versions only the naive ones.
    value = getattr(certificate, attribute + '_utc', None)
    if value is None:
        value = getattr(certificate, attribute).replace(tzinfo=datetime.timezone.utc)
    return value


def java_style_dn(name):
    """``CN=example.com, O=Example Inc, C=US``: most specific RDN first, joined by ", " as Java prints it."""
    return ', '.join(rdn.rfc4514_string(JAVA_ATTRIBUTE_NAMES) for rdn in reversed(name.rdns))


def api_date(value):
    """``2024-01-01T00:00:00.000Z``."""
    value = value.astimezone(datetime.timezone.utc)
    return value.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (value.microsecond // 1000)


def parse_certificate_pem(data):
    """Parse the first certificate of a PEM file (bytes). Later certificates are ignored, as documented."""
    match = PEM_CERTIFICATE_RE.search(data)
    if match is None:
        raise CertificateParseError('no PEM certificate (-----BEGIN CERTIFICATE-----) found')
    try:
        certificate = x509.load_pem_x509_certificate(match.group(0))
        return ParsedCertificate(certificate)
    except ValueError as exc:
        raise CertificateParseError(str(exc) or exc.__class__.__name__) from exc


def load_private_key_pem(data, password=None):
    """A PEM private key, without OpenSSL's consistency check of an RSA key (60 ms for RSA-2048, 400 ms for
    RSA-4096) where cryptography allows it: the emulator only reads what a key is, it never signs with it.
    Raises as serialization.load_pem_private_key does."""
    try:
        return serialization.load_pem_private_key(data, password=password, unsafe_skip_rsa_key_validation=True)
    except TypeError as exc:
        if 'unsafe_skip_rsa_key_validation' not in str(exc):
            raise
        return serialization.load_pem_private_key(data, password=password)
