# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Throw-away keys and X.509 certificates for tests: CAs, chains, server, client and leaf certificates.

The one test PKI of the collection (its unit, integration, molecule and reliability tests, the demo)
and of anyone who installs the emulator for their own tests::

    from apinizer_emulator import testcerts

    chain = testcerts.make_chain('api.example.com')     # root -> intermediate -> leaf, RSA-2048
    chain.leaf.cert_text, chain.leaf.key_text(), chain.bundle()   # leaf, then intermediate, then root

Keys are RSA-2048 unless ``key_kind`` says 'ec' (P-256) or 'ed25519'. Every certificate gets a fresh
key unless ``key`` is given; ``cached_key(kind, slot)`` hands out the same key for the same slot
during a run, for tests that make many certificates and need no distinct keys (RSA is slow to make).
Unless given, a certificate is valid from one day ago for ``days`` days (365), so code that checks the
real clock sees it as valid; pass ``not_before``/``not_after`` for fixed dates.

Bytes: ``cert_pem``, ``cert_der``, ``key_pem`` (PKCS#8), ``pkcs12()``; text (str): ``cert_text``, ``key_text()``,
``public_key_text()``. ``pkcs12_file()`` makes a PKCS#12 file of any parts, for files that lack one. Keystore files
(bytes): ``pkcs12_keystore()`` (named entries) and ``jks_keystore()`` (trusted certificates, and key entries).
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os
import struct
from collections import namedtuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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


def _now():
    return datetime.datetime.now(UTC).replace(microsecond=0)


# --- keys -------------------------------------------------------------------------------------------------------------

def new_key(kind='rsa', bits=2048, curve=None):
    """A fresh private key: kind is 'rsa' (``bits``, 2048), 'ec' (P-256 unless curve is given) or 'ed25519'."""
    if kind == 'rsa':
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if kind == 'ec':
        return ec.generate_private_key(curve or ec.SECP256R1())
    if kind == 'ed25519':
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError('unknown key kind %r' % kind)


def cached_key(kind='rsa', slot=0):
    """The same key for the same (kind, slot) during a run; other slots give other keys."""
    if (kind, slot) not in _KEY_CACHE:
        _KEY_CACHE[(kind, slot)] = new_key(kind)
    return _KEY_CACHE[(kind, slot)]


def _encryption(passphrase):
    if passphrase is None:
        return serialization.NoEncryption()
    return serialization.BestAvailableEncryption(passphrase.encode('utf-8') if isinstance(passphrase, str) else passphrase)


def private_key_text(key, fmt='pkcs8', passphrase=None):
    """PEM text of a private key.

    fmt 'pkcs8' gives PRIVATE KEY (ENCRYPTED PRIVATE KEY with a passphrase); 'traditional' gives
    RSA PRIVATE KEY (PKCS#1) or EC PRIVATE KEY (SEC1), with a passphrase the legacy
    'Proc-Type: 4,ENCRYPTED' form.
    """
    private_format = {'pkcs8': serialization.PrivateFormat.PKCS8,
                      'traditional': serialization.PrivateFormat.TraditionalOpenSSL}[fmt]
    return key.private_bytes(serialization.Encoding.PEM, private_format, _encryption(passphrase)).decode('ascii')


def public_key_text(key, fmt='spki'):
    """PEM text of the public half of a key (private or public): 'spki' (PUBLIC KEY) or 'pkcs1' (RSA PUBLIC KEY)."""
    public = key.public_key() if hasattr(key, 'private_bytes') else key
    public_format = {'spki': serialization.PublicFormat.SubjectPublicKeyInfo,
                     'pkcs1': serialization.PublicFormat.PKCS1}[fmt]
    return public.public_bytes(serialization.Encoding.PEM, public_format).decode('ascii')


def pkcs12_file(key=None, certificate=None, extra=(), passphrase=None, friendly_name=b'apinizer test'):
    """PKCS#12 bytes of a private key, its certificate and extra certificates (Issued objects, certificates or
    pkcs12.PKCS12Certificate with a friendly name, in the order given); any part may be left out. Protected by
    passphrase (str or bytes) when given."""
    certificates = [item.certificate if isinstance(item, Issued) else item for item in extra]
    return pkcs12.serialize_key_and_certificates(friendly_name, key, certificate, certificates or None,
                                                 _encryption(passphrase))


# --- certificates -----------------------------------------------------------------------------------------------------

class Issued:
    """A certificate (``certificate``, an x509.Certificate) and its private key (``key``)."""

    def __init__(self, certificate, key):
        self.certificate = certificate
        self.key = key

    @property
    def cert_pem(self):
        """The certificate as PEM bytes."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_der(self):
        """The certificate as DER bytes."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def cert_text(self):
        """The certificate as PEM text."""
        return self.cert_pem.decode('ascii')

    @property
    def key_pem(self):
        """The private key as unencrypted PKCS#8 PEM bytes."""
        return private_key_text(self.key).encode('ascii')

    def key_text(self, fmt='pkcs8', passphrase=None):
        """The private key as PEM text; fmt and passphrase as in private_key_text()."""
        return private_key_text(self.key, fmt, passphrase)

    def public_key_text(self, fmt='spki'):
        """The public key as PEM text; fmt as in public_key_text()."""
        return public_key_text(self.key, fmt)

    def pkcs12(self, chain=(), passphrase=None):
        """A PKCS#12 file (bytes) of the certificate, its key and the chain (Issued objects, in the order given)."""
        return pkcs12_file(self.key, self.certificate, chain, passphrase)

    @property
    def sha1(self):
        """SHA-1 over the DER, 40 upper-case hex digits (Apinizer's sha1Thumbprint)."""
        return hashlib.sha1(self.cert_der).hexdigest().upper()

    @property
    def sha256(self):
        """SHA-256 over the DER, upper-case hex digits."""
        return hashlib.sha256(self.cert_der).hexdigest().upper()

    def write(self, directory, stem):
        """Write ``stem.crt`` and ``stem.key`` into ``directory`` (a pathlib.Path); returns both paths as strings."""
        cert_path = directory / (stem + '.crt')
        key_path = directory / (stem + '.key')
        cert_path.write_bytes(self.cert_pem)
        key_path.write_bytes(self.key_pem)
        return str(cert_path), str(key_path)


def make_name(common_name, common_name_last=False, **attributes):
    """An x509.Name: the common name, then the attributes in the order given (organization,
    organizational_unit, country, state, locality); with common_name_last the common name comes last."""
    parts = [x509.NameAttribute(_NAME_ATTRIBUTES[attribute], value) for attribute, value in attributes.items() if value]
    common = x509.NameAttribute(NameOID.COMMON_NAME, common_name)
    return x509.Name(parts + [common] if common_name_last else [common] + parts)


def _sign(builder, key, hash_algorithm, pss):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return builder.sign(key, None)
    hash_algorithm = hash_algorithm or hashes.SHA256()
    if pss:
        return builder.sign(key, hash_algorithm, rsa_padding=padding.PSS(
            mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size))
    return builder.sign(key, hash_algorithm)


def make_certificate(common_name='test.example.com', organization=None, country=None, issuer=None, is_ca=False,
                     not_before=None, days=365, key_kind='rsa', dns_names=None, ip_addresses=None, client=False,
                     key=None, subject=None, not_after=None, serial_number=None, hash_algorithm=None, pss=False):
    """A certificate signed by ``issuer`` (an Issued), or self-signed when issuer is None.

    The subject is C=country, O=organization, CN=common_name (``subject``, an x509.Name, overrides all three).
    ``key`` defaults to a fresh key of ``key_kind``. A leaf gets the subject alternative names ``dns_names``
    (default: [common_name]; [] for none) and ``ip_addresses``, and the extended key usage clientAuth when
    ``client``, else serverAuth when it has alternative names. A CA gets keyCertSign and cRLSign.
    ``pss=True`` signs with RSA-PSS; ``hash_algorithm`` defaults to SHA-256.
    """
    key = key or new_key(key_kind)
    subject = subject or make_name(common_name, common_name_last=True, country=country, organization=organization)
    not_before = not_before or _now() - DAY
    not_after = not_after or not_before + days * DAY
    signer = issuer or Issued(None, key)
    # Key identifiers: Python 3.13's default strict X.509 verification refuses certificates without them.
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
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
        names = [x509.DNSName(name) for name in (dns_names if dns_names is not None else [common_name])]
        names += [x509.IPAddress(ipaddress.ip_address(address)) for address in ip_addresses or []]
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        if client:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        elif names:
            builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return Issued(_sign(builder, signer.key, hash_algorithm, pss), key)


def make_ca(common_name='Apinizer Test Root CA', issuer=None, **kwargs):
    """A CA certificate valid 3650 days (unless ``days`` says otherwise): self-signed (a root) unless issuer is
    given (an intermediate). Other keyword arguments as for make_certificate()."""
    kwargs.setdefault('days', 3650)
    return make_certificate(common_name, issuer=issuer, is_ca=True, **kwargs)


def make_server_certificate(ca, host='127.0.0.1', **kwargs):
    """A TLS server certificate for ``localhost`` and the IP address ``host``, signed by ``ca``, valid 30 days."""
    kwargs.setdefault('days', 30)
    return make_certificate('localhost', issuer=ca, dns_names=['localhost'], ip_addresses=[host], **kwargs)


def make_client_certificate(ca, common_name='emulator-client', **kwargs):
    """A TLS client certificate (clientAuth) signed by ``ca``, valid 30 days."""
    kwargs.setdefault('days', 30)
    return make_certificate(common_name, issuer=ca, client=True, **kwargs)


def expired_certificate(common_name='expired.example.com', **kwargs):
    """A certificate that expired ten days ago (valid for 365 days before that); self-signed unless issuer is given."""
    now = _now()
    return make_certificate(common_name, not_before=now - 375 * DAY, not_after=now - 10 * DAY, **kwargs)


def not_yet_valid_certificate(common_name='future.example.com', **kwargs):
    """A certificate whose validity starts in ten days (for 365 days); self-signed unless issuer is given."""
    now = _now()
    return make_certificate(common_name, not_before=now + 10 * DAY, not_after=now + 375 * DAY, **kwargs)


class Chain(namedtuple('Chain', ['root', 'intermediate', 'leaf'])):
    """root -> intermediate -> leaf, each an Issued."""

    def bundle(self, with_root=True):
        """PEM text in server order: leaf, intermediate, then (optionally) root."""
        return pem_bundle(*[self.leaf, self.intermediate] + ([self.root] if with_root else []))


def make_chain(common_name='leaf.example.com', key_kind='rsa', **leaf_kwargs):
    """A three-level chain, every key fresh and of key_kind; other keyword arguments go to the leaf's
    make_certificate()."""
    root = make_ca('Apinizer Test Root CA', key_kind=key_kind)
    intermediate = make_ca('Apinizer Test Intermediate CA', issuer=root, key_kind=key_kind)
    leaf = make_certificate(common_name, issuer=intermediate, key_kind=key_kind, **leaf_kwargs)
    return Chain(root, intermediate, leaf)


def pem_bundle(*items):
    """Concatenated PEM text of Issued objects, certificates, PEM bytes or PEM text, in the order given."""
    parts = []
    for item in items:
        if isinstance(item, Issued):
            item = item.cert_pem
        elif isinstance(item, x509.Certificate):
            item = item.public_bytes(serialization.Encoding.PEM)
        parts.append(item.decode('ascii') if isinstance(item, bytes) else item)
    return ''.join(parts)


# --- keystore files ---------------------------------------------------------------------------------------------------

def pkcs12_keystore(password, key_entry=None, alias='my-alias', trusted=None):
    """A PKCS#12 keystore (bytes) protected by ``password`` (str; None for none): the key entry ``key_entry`` (an
    Issued: its key and certificate, friendly name ``alias``) and the certificate entries ``trusted`` ({friendly name:
    Issued})."""
    entries = [pkcs12.PKCS12Certificate(issued.certificate, name.encode('utf-8')) for name, issued in (trusted or {}).items()]
    if key_entry is None:
        return pkcs12_file(extra=entries, passphrase=password, friendly_name=None)
    return pkcs12_file(key_entry.key, key_entry.certificate, entries, password, friendly_name=alias.encode('utf-8'))


JKS_MAGIC = 0xFEEDFEED
JKS_TRUSTED_CERTIFICATE_TAG = 2


def _java_utf(text):
    data = text.encode('utf-8')
    return struct.pack('>H', len(data)) + data


# Sun's JKS key protector (what keytool writes for a JKS private key entry), OID 1.3.6.1.4.1.42.2.17.1.1.
JKS_KEY_PROTECTOR_OID_DER = bytes.fromhex('060a2b060104012a021101010500')  # with NULL parameters
JKS_PRIVATE_KEY_TAG = 1


def _der(tag, content):
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8, 'big')
    return bytes([tag, 0x80 | len(size)]) + size + content


def _jks_protected_key(key, password):
    """The key's PKCS#8 DER protected as keytool does for JKS: XOR with a SHA-1 stream seeded by a random salt, then
    a SHA-1 check, wrapped in an EncryptedPrivateKeyInfo."""
    plain = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    secret = password.encode('utf-16-be')
    salt = os.urandom(20)
    stream, digest = b'', salt
    while len(stream) < len(plain):
        digest = hashlib.sha1(secret + digest).digest()
        stream += digest
    encrypted = bytes(a ^ b for a, b in zip(plain, stream))
    protected = salt + encrypted + hashlib.sha1(secret + plain).digest()
    return _der(0x30, _der(0x30, JKS_KEY_PROTECTOR_OID_DER) + _der(0x04, protected))


def jks_keystore(password, trusted, key_entries=None):
    """A Java KeyStore file (JKS, version 2, bytes) of trusted certificate entries ``trusted`` ({alias: Issued}) and
    private key entries ``key_entries`` ({alias: Issued}: its key, protected with ``password``, and its certificate as
    the chain), with the integrity digest that ``password`` gives (SHA-1 over the UTF-16BE password, "Mighty
    Aphrodite" and the body)."""
    key_entries = key_entries or {}
    body = struct.pack('>III', JKS_MAGIC, 2, len(trusted) + len(key_entries))
    for alias, issued in key_entries.items():
        protected = _jks_protected_key(issued.key, password)
        der = issued.cert_der
        body += (struct.pack('>I', JKS_PRIVATE_KEY_TAG) + _java_utf(alias) + struct.pack('>Q', 0)
                 + struct.pack('>I', len(protected)) + protected + struct.pack('>I', 1)
                 + _java_utf('X.509') + struct.pack('>I', len(der)) + der)
    for alias, issued in trusted.items():
        der = issued.cert_der
        body += (struct.pack('>I', JKS_TRUSTED_CERTIFICATE_TAG) + _java_utf(alias) + struct.pack('>Q', 0)
                 + _java_utf('X.509') + struct.pack('>I', len(der)) + der)
    digest = hashlib.sha1(password.encode('utf-16-be') + b'Mighty Aphrodite' + body).digest()
    return body + digest
