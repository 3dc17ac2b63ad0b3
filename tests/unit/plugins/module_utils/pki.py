# -*- coding: utf-8 -*-
# Copyright (c) 2026, apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A small test PKI made with cryptography: keys, CAs, leaf certificates, chains.

Import it from any unit test::

    from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.pki import make_chain

    chain = make_chain()
    chain.leaf.pem, chain.leaf.key_pem(), chain.bundle()    # leaf, then intermediate, then root

Unless given, a certificate is valid from one day ago for 365 days, so code that checks
the real clock sees it as valid; pass not_before/not_after for fixed dates.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import hashlib
from collections import namedtuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

UTC = datetime.timezone.utc
DAY = datetime.timedelta(days=1)

_NAME_ATTRIBUTES = {
    'common_name': NameOID.COMMON_NAME,
    'organization': NameOID.ORGANIZATION_NAME,
    'organizational_unit': NameOID.ORGANIZATIONAL_UNIT_NAME,
    'country': NameOID.COUNTRY_NAME,
    'state': NameOID.STATE_OR_PROVINCE_NAME,
    'locality': NameOID.LOCALITY_NAME,
}

_KEY_CACHE = {}


def utc(year, month, day, hour=0, minute=0, second=0):
    """A timezone-aware UTC datetime."""
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def new_key(kind='rsa', bits=2048, curve=None):
    """A fresh private key: kind is 'rsa', 'ec' (P-256 unless curve is given) or 'ed25519'."""
    if kind == 'rsa':
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if kind == 'ec':
        return ec.generate_private_key(curve or ec.SECP256R1())
    if kind == 'ed25519':
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError('unknown key kind %r' % kind)


def cached_key(kind='rsa', slot=0):
    """The same key for the same (kind, slot) during a test run: RSA generation is slow."""
    if (kind, slot) not in _KEY_CACHE:
        _KEY_CACHE[(kind, slot)] = new_key(kind)
    return _KEY_CACHE[(kind, slot)]


def make_name(common_name, **attributes):
    """An x509.Name; attributes: organization, organizational_unit, country, state, locality."""
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    for attribute, value in attributes.items():
        parts.append(x509.NameAttribute(_NAME_ATTRIBUTES[attribute], value))
    return x509.Name(parts)


def private_key_pem(key, fmt='pkcs8', passphrase=None):
    """PEM text of a private key.

    fmt 'pkcs8' gives PRIVATE KEY (ENCRYPTED PRIVATE KEY with a passphrase); 'traditional'
    gives RSA PRIVATE KEY (PKCS#1) or EC PRIVATE KEY (SEC1), with a passphrase the legacy
    'Proc-Type: 4,ENCRYPTED' form.
    """
    private_format = {'pkcs8': serialization.PrivateFormat.PKCS8, 'traditional': serialization.PrivateFormat.TraditionalOpenSSL}[fmt]
    if passphrase is None:
        encryption = serialization.NoEncryption()
    else:
        encryption = serialization.BestAvailableEncryption(passphrase.encode('utf-8') if isinstance(passphrase, str) else passphrase)
    return key.private_bytes(serialization.Encoding.PEM, private_format, encryption).decode('ascii')


def public_key_pem(key, fmt='spki'):
    """PEM text of the public half of a key (private or public): 'spki' (PUBLIC KEY) or 'pkcs1' (RSA PUBLIC KEY)."""
    public_key = key.public_key() if hasattr(key, 'private_bytes') else key
    public_format = {'spki': serialization.PublicFormat.SubjectPublicKeyInfo, 'pkcs1': serialization.PublicFormat.PKCS1}[fmt]
    return public_key.public_bytes(serialization.Encoding.PEM, public_format).decode('ascii')


class Issued:
    """A certificate with its private key."""

    def __init__(self, cert, key):
        self.cert = cert
        self.key = key

    @property
    def pem(self):
        return self.cert.public_bytes(serialization.Encoding.PEM).decode('ascii')

    @property
    def der(self):
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def sha1(self):
        """SHA-1 over the DER, 40 upper-case hex digits (Apinizer's sha1Thumbprint)."""
        return hashlib.sha1(self.der).hexdigest().upper()

    @property
    def sha256(self):
        return hashlib.sha256(self.der).hexdigest().upper()

    def key_pem(self, fmt='pkcs8', passphrase=None):
        return private_key_pem(self.key, fmt, passphrase)

    def public_key_pem(self, fmt='spki'):
        return public_key_pem(self.key, fmt)


def _sign(builder, key, hash_algorithm, pss):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return builder.sign(key, None)
    hash_algorithm = hash_algorithm or hashes.SHA256()
    if pss:
        return builder.sign(key, hash_algorithm, rsa_padding=padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size))
    return builder.sign(key, hash_algorithm)


def make_certificate(common_name='test.example.com', issuer=None, key=None, key_kind='rsa', subject=None,
                     not_before=None, not_after=None, days=365, is_ca=False, serial_number=None, dns_names=None,
                     hash_algorithm=None, pss=False):
    """A certificate signed by issuer (an Issued), or self-signed when issuer is None.

    key defaults to a fresh key of key_kind; subject (an x509.Name) overrides common_name;
    dns_names defaults to [common_name] for leaf certificates; pss=True signs with RSA-PSS.
    """
    key = key or new_key(key_kind)
    subject = subject or make_name(common_name)
    not_before = not_before or datetime.datetime.now(UTC).replace(microsecond=0) - DAY
    not_after = not_after or not_before + days * DAY
    signer = issuer or Issued(None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(serial_number or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.key.public_key()), critical=False)
    )
    if is_ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    else:
        names = dns_names if dns_names is not None else [common_name]
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return Issued(_sign(builder, signer.key, hash_algorithm, pss), key)


def make_ca(common_name='Apinizer Test Root CA', issuer=None, **kwargs):
    """A CA certificate: self-signed (a root) unless issuer is given (an intermediate)."""
    kwargs.setdefault('days', 3650)
    return make_certificate(common_name, issuer=issuer, is_ca=True, **kwargs)


def expired_certificate(common_name='expired.example.com', **kwargs):
    """A self-signed certificate that expired ten days ago (unless issuer is given)."""
    now = datetime.datetime.now(UTC).replace(microsecond=0)
    return make_certificate(common_name, not_before=now - 375 * DAY, not_after=now - 10 * DAY, **kwargs)


def not_yet_valid_certificate(common_name='future.example.com', **kwargs):
    """A self-signed certificate whose validity starts in ten days (unless issuer is given)."""
    now = datetime.datetime.now(UTC).replace(microsecond=0)
    return make_certificate(common_name, not_before=now + 10 * DAY, not_after=now + 375 * DAY, **kwargs)


class Chain(namedtuple('Chain', ['root', 'intermediate', 'leaf'])):
    """root -> intermediate -> leaf, each an Issued."""

    def bundle(self, with_root=True):
        """PEM text in server order: leaf, intermediate, then (optionally) root."""
        parts = [self.leaf, self.intermediate] + ([self.root] if with_root else [])
        return pem_bundle(*parts)


def make_chain(common_name='leaf.example.com', key_kind='rsa', **leaf_kwargs):
    """A three-level chain; every key is of key_kind ('rsa', 'ec' or 'ed25519')."""
    root = make_ca('Apinizer Test Root CA', key_kind=key_kind)
    intermediate = make_ca('Apinizer Test Intermediate CA', issuer=root, key_kind=key_kind)
    leaf = make_certificate(common_name, issuer=intermediate, key_kind=key_kind, **leaf_kwargs)
    return Chain(root, intermediate, leaf)


def pem_bundle(*items):
    """Concatenated PEM text of Issued objects, certificates or PEM strings, in the order given."""
    parts = []
    for item in items:
        if isinstance(item, Issued):
            parts.append(item.pem)
        elif isinstance(item, x509.Certificate):
            parts.append(item.public_bytes(serialization.Encoding.PEM).decode('ascii'))
        else:
            parts.append(item)
    return ''.join(parts)
