# -*- coding: utf-8 -*-
# Copyright (c) 2026, apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import datetime
import hashlib
import json
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ansible_collections.apinizer.apiops.plugins.module_utils import _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._pem import PemError
from apinizer_emulator import testcerts

HEX40 = re.compile(r'^[0-9A-F]{40}$')
HEX64 = re.compile(r'^[0-9A-F]{64}$')


@pytest.fixture(scope='module')
def chain():
    return testcerts.make_chain()


@pytest.fixture(scope='module')
def ec_chain():
    return testcerts.make_chain(key_kind='ec')


@pytest.fixture(scope='module')
def rsa_key():
    return testcerts.cached_key('rsa')


@pytest.fixture(scope='module')
def ec_key():
    return testcerts.cached_key('ec')


def body_lines(*pems):
    """The base64 lines of PEM texts: none of them may ever appear in an error message. Lines shorter than
    eight characters (a PEM's last line, or fragments of decoded binary) say nothing and are skipped."""
    return [line for pem in pems for line in pem.splitlines()
            if len(line) >= 8 and not line.startswith('-----') and ':' not in line]


def raises_pem_error(func, data, *args, **kwargs):
    """Call func(data, ...), expect PemError, check its message leaks no line of data, return the message."""
    with pytest.raises(PemError) as excinfo:
        func(data, *args, **kwargs)
    msg = str(excinfo.value)
    text = data.decode('utf-8', 'replace') if isinstance(data, bytes) else data or ''
    for line in body_lines(text):
        assert line not in msg
    assert '-----' not in msg
    return msg


def drop_lines(pem, first, last):
    """A PEM text with some whole base64 lines removed: still valid base64, no longer valid DER."""
    lines = pem.splitlines()
    return '\n'.join(lines[:first] + lines[last:]) + '\n'


# ---------------------------------------------------------------- labels and descriptions

def test_pem_block_labels_in_order(chain):
    bundle = chain.bundle(with_root=False) + chain.leaf.key_text() + chain.leaf.public_key_text()
    assert _pem.pem_block_labels(bundle) == ['CERTIFICATE', 'CERTIFICATE', 'PRIVATE KEY', 'PUBLIC KEY']
    assert _pem.pem_block_labels(bundle.encode('ascii')) == ['CERTIFICATE', 'CERTIFICATE', 'PRIVATE KEY', 'PUBLIC KEY']


@pytest.mark.parametrize('data', ['', 'no pem here', b'\x30\x82\x01\x00', None])
def test_pem_block_labels_none(data):
    assert _pem.pem_block_labels(data) == []


def test_pem_block_labels_skips_incomplete_blocks(chain):
    assert _pem.pem_block_labels(chain.leaf.cert_text + chain.root.cert_text[:100]) == ['CERTIFICATE']


def test_describe_found(chain, rsa_key, ec_key):
    cert = chain.leaf.cert_text
    cases = [
        (cert, 'a certificate'),
        (chain.bundle(), '3 certificates (a certificate chain)'),
        (cert + chain.leaf.key_text(), 'a certificate and a private key (PRIVATE KEY)'),
        (testcerts.private_key_text(rsa_key, 'traditional'), 'a private key (RSA PRIVATE KEY)'),
        (testcerts.private_key_text(ec_key, 'traditional'), 'a private key (EC PRIVATE KEY)'),
        (testcerts.private_key_text(rsa_key) * 2, '2 private keys (PRIVATE KEY)'),
        (testcerts.private_key_text(rsa_key, passphrase='secret'), 'an encrypted private key'),
        (testcerts.private_key_text(rsa_key, 'traditional', passphrase='secret'), 'an encrypted private key'),
        (testcerts.public_key_text(rsa_key), 'a public key'),
        (testcerts.public_key_text(rsa_key, 'pkcs1'), 'a public key'),
        ('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n', 'a certificate signing request'),
        ('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n', 'a certificate revocation list'),
        ('-----BEGIN FOO BAR-----\nAAAA\n-----END FOO BAR-----\n' * 2, "2 PEM blocks 'FOO BAR'"),
        (cert + chain.root.cert_text[:120], "a certificate and an incomplete PEM block 'CERTIFICATE'"),
        (cert.split('\n', 1)[1], "an incomplete PEM block 'CERTIFICATE'"),
        (cert + chain.leaf.key_text() + chain.root.cert_text, '2 certificates (a certificate chain) and a private key (PRIVATE KEY)'),
        (chain.leaf.cert_der, 'a DER-encoded certificate'),
        (chain.leaf.cert_der[:40], 'DER-encoded binary data'),
        (b'\x89PNG\r\n\x1a\n\x00\x00', 'binary data'),
        ('', 'an empty value'),
        (b'', 'an empty value'),
        (None, 'an empty value'),
        ('  \n\t', 'an empty value'),
        ('just some text', 'text with no PEM block'),
        ('-----BEGIN certificate-----\nAAAA\n-----END certificate-----', 'text with no PEM block'),
        (''.join(body_lines(cert)), 'base64 text without PEM BEGIN/END lines'),
        ('aGVsbG8gd29ybGQsIGhlbGxvIQ==', 'text with no PEM block'),
        ('text with a \x00 control character', 'binary data'),
        ('-----BEGIN CERTIFICATE-----\nMIIB\n' + cert, "a certificate and an incomplete PEM block 'CERTIFICATE'"),
        (cert + '-----END PRIVATE KEY-----\n', "a certificate and an incomplete PEM block 'PRIVATE KEY'"),
    ]
    for data, expected in cases:
        assert _pem.describe_found(data) == expected, data


@pytest.mark.parametrize('character, expected', [
    ('\x00', 'binary data'), ('\x08', 'binary data'), ('\x0e', 'binary data'), ('\x1f', 'binary data'),
    ('\t', 'text with no PEM block'), ('\x0b', 'text with no PEM block'), ('\x0c', 'text with no PEM block'),
    ('\r', 'text with no PEM block'), ('\x7f', 'text with no PEM block'), ('\u00e9', 'text with no PEM block'),
])
def test_control_characters_other_than_white_space_make_binary_data(character, expected):
    assert _pem.describe_found('some text %s more text' % character) == expected


@pytest.mark.parametrize('data', ['\ud800', u'-----BEGIN CERTIFICATE-----\n\ud800\n-----END CERTIFICATE-----\n'])
def test_a_lone_surrogate_is_binary_data_not_a_crash(data):
    """Found by the fuzz tests: text holding a surrogate that stands for no byte raised UnicodeEncodeError."""
    assert _pem.describe_found(data) == 'binary data'
    assert raises_pem_error(_pem.load_single_certificate, data) == 'certificate: expected one PEM certificate, found binary data'
    assert raises_pem_error(_pem.load_private_key, data) == 'private_key: expected a PEM private key, found binary data'


# ---------------------------------------------------------------- certificates

def test_load_certificates_keeps_order(chain):
    certs = _pem.load_certificates(chain.bundle())
    assert [c.subject for c in certs] == [chain.leaf.certificate.subject, chain.intermediate.certificate.subject, chain.root.certificate.subject]
    assert [_pem.certificate_der(c) for c in certs] == [chain.leaf.cert_der, chain.intermediate.cert_der, chain.root.cert_der]


def test_load_certificates_skips_other_blocks(chain):
    certs = _pem.load_certificates(chain.leaf.key_text() + chain.leaf.cert_text + chain.intermediate.cert_text, option='chain')
    assert [_pem.certificate_der(c) for c in certs] == [chain.leaf.cert_der, chain.intermediate.cert_der]


def test_load_certificates_accepts_one_der_certificate(chain):
    assert [_pem.certificate_der(c) for c in _pem.load_certificates(chain.leaf.cert_der)] == [chain.leaf.cert_der]


def test_load_certificates_errors(chain):
    key_pem = chain.leaf.key_text()
    assert raises_pem_error(_pem.load_certificates, key_pem) == 'expected PEM certificates, found a private key (PRIVATE KEY)'
    assert raises_pem_error(_pem.load_certificates, key_pem, option='chain') == 'chain: expected PEM certificates, found a private key (PRIVATE KEY)'
    assert raises_pem_error(_pem.load_certificates, 'garbage', option='chain') == 'chain: expected PEM certificates, found text with no PEM block'
    assert raises_pem_error(_pem.load_certificates, chain.leaf.cert_der[:60]) == 'expected PEM certificates, found DER-encoded binary data'
    # A chain cut short is refused, not read as a shorter chain.
    cut = chain.leaf.cert_text + chain.intermediate.cert_text[:200]
    assert raises_pem_error(_pem.load_certificates, cut, option='chain') == (
        "chain: expected PEM certificates, found a certificate and an incomplete PEM block 'CERTIFICATE'")


def test_load_certificates_damaged_block_is_numbered(chain):
    damaged = chain.leaf.cert_text + drop_lines(chain.intermediate.cert_text, 3, 6)
    assert raises_pem_error(_pem.load_certificates, damaged, option='chain') == (
        'chain: certificate #2 in the PEM text is damaged (not a valid X.509 certificate)')


def test_load_single_certificate_pem_and_der(chain):
    for data in (chain.leaf.cert_text, chain.leaf.cert_text.encode('ascii'), chain.leaf.cert_der):
        assert _pem.certificate_der(_pem.load_single_certificate(data)) == chain.leaf.cert_der


def test_load_single_certificate_tolerates_layout(chain):
    pem = chain.leaf.cert_text
    variants = [
        pem.replace('\n', '\r\n'),                                         # Windows line ends
        ''.join('    %s\n' % line for line in pem.splitlines()),           # indented in YAML
        pem.replace('\n', ' '),                                            # newlines lost
        '# Zertifikat für Straße\n' + pem + '\ntrailing words\n',          # text around the block
        '-----BEGIN X509 CERTIFICATE-----\n%s\n-----END X509 CERTIFICATE-----\n' % '\n'.join(body_lines(pem)),
    ]
    for variant in variants:
        assert _pem.certificate_der(_pem.load_single_certificate(variant)) == chain.leaf.cert_der


def test_load_single_certificate_errors(chain, rsa_key):
    leaf, key_pem = chain.leaf.cert_text, chain.leaf.key_text()
    cases = [
        (chain.bundle(), 'certificate: expected one PEM certificate, found 3 certificates (a certificate chain); give only the leaf certificate'),
        (key_pem, 'certificate: expected one PEM certificate, found a private key (PRIVATE KEY)'),
        (leaf + key_pem, 'certificate: expected one PEM certificate, found a certificate and a private key (PRIVATE KEY)'),
        (testcerts.public_key_text(rsa_key), 'certificate: expected one PEM certificate, found a public key'),
        ('not a certificate', 'certificate: expected one PEM certificate, found text with no PEM block'),
        ('', 'certificate: expected one PEM certificate, found an empty value'),
        (chain.leaf.cert_der[:80], 'certificate: expected one PEM certificate, found DER-encoded binary data'),
        (leaf[:300], "certificate: expected one PEM certificate, found an incomplete PEM block 'CERTIFICATE'"),
        (drop_lines(leaf, 2, 4), 'certificate: the certificate in the PEM text is damaged (not a valid X.509 certificate)'),
        ('-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n',
         'certificate: the certificate in the PEM text is damaged (not a valid X.509 certificate)'),
    ]
    for data, expected in cases:
        assert raises_pem_error(_pem.load_single_certificate, data) == expected
    assert raises_pem_error(_pem.load_single_certificate, key_pem, option='ca_certificate') == (
        'ca_certificate: expected one PEM certificate, found a private key (PRIVATE KEY)')


def test_split_pem_bundle(chain):
    key_pem = chain.leaf.key_text()
    result = _pem.split_pem_bundle(chain.leaf.cert_text + chain.intermediate.cert_text + key_pem + chain.root.cert_text
                                   + '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n')
    assert result['certificates'] == [chain.leaf.cert_text, chain.intermediate.cert_text, chain.root.cert_text]
    assert result['private_keys'] == [key_pem]
    assert result['public_keys'] == []
    assert result['other'] == ['EC PARAMETERS']
    assert _pem.split_pem_bundle(chain.leaf.public_key_text('pkcs1').replace('\n', '\r\n'))['public_keys'] == [chain.leaf.public_key_text('pkcs1')]
    assert _pem.key_matches_certificate(_pem.load_private_key(result['private_keys'][0]), chain.leaf.certificate)


def test_split_pem_bundle_normalises_layout(chain):
    indented = ''.join('  %s\r\n' % line for line in (chain.leaf.cert_text + chain.root.cert_text).splitlines())
    assert _pem.split_pem_bundle(indented)['certificates'] == [chain.leaf.cert_text, chain.root.cert_text]


def test_split_pem_bundle_errors(chain):
    assert _pem.split_pem_bundle('') == {'certificates': [], 'private_keys': [], 'public_keys': [], 'other': []}
    assert raises_pem_error(_pem.split_pem_bundle, chain.leaf.cert_text + chain.root.cert_text[:150]) == (
        "expected complete PEM blocks, found a certificate and an incomplete PEM block 'CERTIFICATE'")
    assert raises_pem_error(_pem.split_pem_bundle, chain.leaf.cert_text + drop_lines(chain.root.cert_text, 2, 4)) == (
        'certificate #2 in the PEM text is damaged (not a valid X.509 certificate)')


def test_certificate_der_and_pem_round_trip(chain):
    cert = _pem.load_single_certificate(chain.leaf.cert_text)
    assert _pem.certificate_der(cert) == chain.leaf.cert_der
    assert _pem.certificate_pem(cert) == chain.leaf.cert_text
    assert _pem.certificate_pem(cert).endswith('-----END CERTIFICATE-----\n')


# ---------------------------------------------------------------- fingerprints and facts

def test_fingerprints_are_hashes_of_der(chain):
    der = chain.leaf.cert_der
    assert _pem.sha1_thumbprint(der) == hashlib.sha1(der).hexdigest().upper()
    assert _pem.sha256_fingerprint(der) == hashlib.sha256(der).hexdigest().upper()
    assert HEX40.match(_pem.sha1_thumbprint(der))
    assert HEX64.match(_pem.sha256_fingerprint(der))


@pytest.fixture(scope='module')
def dated(rsa_key):
    return testcerts.make_certificate('dated.example.com', key=rsa_key, serial_number=0xABC,
                                      not_before=testcerts.utc(2025, 1, 1),
                                      not_after=testcerts.utc(2025, 12, 31, 23, 59, 59))


def test_certificate_facts(dated):
    facts = _pem.certificate_facts(dated.certificate, now=testcerts.utc(2025, 6, 1))
    assert facts == {
        'sha1_thumbprint': hashlib.sha1(dated.cert_der).hexdigest().upper(),
        'sha256_fingerprint': hashlib.sha256(dated.cert_der).hexdigest().upper(),
        'subject': 'CN=dated.example.com',
        'issuer': 'CN=dated.example.com',
        'serial_number': '0ABC',
        'not_before': '2025-01-01T00:00:00Z',
        'not_after': '2025-12-31T23:59:59Z',
        'expired': False,
        'not_yet_valid': False,
        'days_remaining': 213,
    }


@pytest.mark.parametrize('now, expired, not_yet_valid, days_remaining', [
    (testcerts.utc(2025, 12, 31, 23, 59, 59), False, False, 0),       # the last second is still valid
    (testcerts.utc(2026, 1, 1, 12), True, False, -1),                 # hours after expiry: floor, not round
    (testcerts.utc(2026, 1, 11), True, False, -11),
    (testcerts.utc(2024, 12, 31), False, True, 365),
    (datetime.datetime(2026, 1, 11), True, False, -11),         # naive means UTC
    (datetime.datetime(2026, 1, 11, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=2))), True, False, -11),
])
def test_certificate_facts_validity(dated, now, expired, not_yet_valid, days_remaining):
    facts = _pem.certificate_facts(dated.certificate, now=now)
    assert (facts['expired'], facts['not_yet_valid'], facts['days_remaining']) == (expired, not_yet_valid, days_remaining)


def test_certificate_facts_real_clock():
    assert _pem.certificate_facts(testcerts.expired_certificate(key=testcerts.cached_key()).certificate)['expired'] is True
    facts = _pem.certificate_facts(testcerts.not_yet_valid_certificate(key=testcerts.cached_key()).certificate)
    assert (facts['expired'], facts['not_yet_valid'], facts['days_remaining']) == (False, True, 374)


def test_certificate_facts_unicode_subject_and_issuer(rsa_key):
    ca = testcerts.make_ca(subject=testcerts.make_name(u'Zertifizierungsstelle Größe', organization=u'Ünïcödé GmbH', country='DE'),
                           key=testcerts.cached_key('rsa', 1))
    leaf = testcerts.make_certificate(subject=testcerts.make_name(u'Müller Straße 東京, "quoted"'), issuer=ca, key=rsa_key, dns_names=[])
    cert = _pem.load_single_certificate(leaf.cert_text)
    facts = _pem.certificate_facts(cert)
    assert facts['subject'] == u'CN=Müller Straße 東京\\, \\"quoted\\"'
    assert facts['issuer'] == u'C=DE,O=Ünïcödé GmbH,CN=Zertifizierungsstelle Größe'
    assert _pem.issued_by(cert, ca.certificate)


@pytest.mark.parametrize('serial, expected', [(1, '01'), (255, 'FF'), (256, '0100'), (0xABC, '0ABC'), (2 ** 159 - 1, '7F' + 'FF' * 19), (-5, '-05')])
def test_format_serial_number(serial, expected):
    assert _pem.format_serial_number(serial) == expected


def test_dates_of_cryptography_before_42():
    # Older cryptography has only the naive accessors, which are UTC.
    old = SimpleNamespace(not_valid_before=datetime.datetime(2025, 1, 1), not_valid_after=datetime.datetime(2025, 12, 31, 23, 59, 59))
    assert _pem._not_before(old) == testcerts.utc(2025, 1, 1)
    assert _pem._not_after(old) == testcerts.utc(2025, 12, 31, 23, 59, 59)


# A PKCS#8 private key and an SPKI public key of a type cryptography does not know (GOST R 34.10-2001).
GOST_PRIVATE_KEY = '''-----BEGIN PRIVATE KEY-----
MDECAQAwCAYGKoUDAgITBCIEIBERERERERERERERERERERERERERERERERERERERERER
-----END PRIVATE KEY-----
'''
GOST_PUBLIC_KEY = '''-----BEGIN PUBLIC KEY-----
MBEwCAYGKoUDAgITAwUABAIBAg==
-----END PUBLIC KEY-----
'''


# ---------------------------------------------------------------- private keys

@pytest.mark.parametrize('kind, fmt, label', [
    ('rsa', 'pkcs8', 'PRIVATE KEY'),
    ('rsa', 'traditional', 'RSA PRIVATE KEY'),
    ('ec', 'pkcs8', 'PRIVATE KEY'),
    ('ec', 'traditional', 'EC PRIVATE KEY'),
    ('ed25519', 'pkcs8', 'PRIVATE KEY'),
])
def test_load_private_key_formats(kind, fmt, label):
    key = testcerts.cached_key(kind)
    pem = testcerts.private_key_text(key, fmt)
    assert _pem.pem_block_labels(pem) == [label]
    loaded = _pem.load_private_key(pem)
    assert _pem.private_key_to_pkcs8_pem(loaded) == testcerts.private_key_text(key, 'pkcs8')


def test_load_private_key_accepts_bytes_and_openssl_ec_parameters(ec_key):
    pem = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n' + testcerts.private_key_text(ec_key, 'traditional')
    assert _pem.private_key_to_pkcs8_pem(_pem.load_private_key(pem.encode('ascii'))) == testcerts.private_key_text(ec_key)


@pytest.mark.parametrize('fmt', ['pkcs8', 'traditional'])
def test_load_encrypted_private_key(rsa_key, fmt):
    passphrase = u'pässphrase-that-is-long-and-unique-4711'
    pem = testcerts.private_key_text(rsa_key, fmt, passphrase=passphrase)
    expected = testcerts.private_key_text(rsa_key)
    assert _pem.private_key_to_pkcs8_pem(_pem.load_private_key(pem, passphrase)) == expected
    assert _pem.private_key_to_pkcs8_pem(_pem.load_private_key(pem, passphrase.encode('utf-8'))) == expected
    for missing in (None, ''):
        assert raises_pem_error(_pem.load_private_key, pem, missing, option='key', passphrase_option='key_passphrase') == (
            'key: the private key is encrypted; set key_passphrase')
    msg = raises_pem_error(_pem.load_private_key, pem, 'wrong-passphrase-0815', option='key', passphrase_option='key_passphrase')
    assert msg == 'key: could not decrypt the private key: key_passphrase is wrong'
    assert 'wrong-passphrase-0815' not in msg
    assert raises_pem_error(_pem.load_private_key, pem, 'wrong') == 'private_key: could not decrypt the private key: passphrase is wrong'


def test_a_passphrase_with_a_lone_surrogate_is_wrong_not_a_crash(rsa_key):
    """Found by the fuzz tests: such a passphrase raised UnicodeEncodeError."""
    pem = testcerts.private_key_text(rsa_key, 'traditional', passphrase='right')
    assert raises_pem_error(_pem.load_private_key, pem, '\ud800') == (
        'private_key: could not decrypt the private key: passphrase is wrong')


def test_load_private_key_ignores_passphrase_of_plain_key(rsa_key):
    assert _pem.private_key_to_pkcs8_pem(_pem.load_private_key(testcerts.private_key_text(rsa_key), 'unused')) == testcerts.private_key_text(rsa_key)


def test_load_private_key_error_is_not_chained(rsa_key):
    with pytest.raises(PemError) as excinfo:
        _pem.load_private_key(testcerts.private_key_text(rsa_key, passphrase='right'), 'wrong')
    assert excinfo.value.__cause__ is None and excinfo.value.__context__ is None


def test_load_private_key_errors(chain, rsa_key, ec_key):
    key_pem = testcerts.private_key_text(rsa_key)
    openssh = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n'
    cases = [
        (testcerts.public_key_text(rsa_key), 'private_key: expected a PEM private key, found a public key'),
        (testcerts.public_key_text(ec_key), 'private_key: expected a PEM private key, found a public key'),
        (chain.leaf.cert_text, 'private_key: expected a PEM private key, found a certificate'),
        (chain.leaf.cert_text + chain.leaf.key_text(), 'private_key: expected a PEM private key, found a certificate and a private key (PRIVATE KEY)'),
        (key_pem + testcerts.private_key_text(ec_key), 'private_key: expected a PEM private key, found 2 private keys (PRIVATE KEY)'),
        ('garbage', 'private_key: expected a PEM private key, found text with no PEM block'),
        (rsa_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
         'private_key: expected a PEM private key, found DER-encoded binary data'),
        (key_pem[:-30], "private_key: expected a PEM private key, found an incomplete PEM block 'PRIVATE KEY'"),
        (openssh, 'private_key: expected a PEM private key, found a private key (OPENSSH PRIVATE KEY); '
                  'convert it to PKCS#8 PEM first (ssh-keygen -p -m PKCS8 -f <file>)'),
        (drop_lines(key_pem, 3, 5), 'private_key: the private key (PRIVATE KEY) is damaged and could not be loaded'),
        (GOST_PRIVATE_KEY, 'private_key: the private key (PRIVATE KEY) is of a key type that the cryptography library cannot load'),
    ]
    for data, expected in cases:
        assert raises_pem_error(_pem.load_private_key, data) == expected
    assert raises_pem_error(_pem.load_private_key, chain.leaf.cert_text, option='signing_key') == (
        'signing_key: expected a PEM private key, found a certificate')


# ---------------------------------------------------------------- public keys

@pytest.mark.parametrize('kind, fmt', [('rsa', 'spki'), ('rsa', 'pkcs1'), ('ec', 'spki'), ('ed25519', 'spki')])
def test_load_public_key(kind, fmt):
    key = testcerts.cached_key(kind)
    public_key = _pem.load_public_key(testcerts.public_key_text(key, fmt))
    assert _pem.public_key_pem(public_key) == testcerts.public_key_text(key, 'spki')


def test_load_public_key_errors(chain, rsa_key):
    pub = testcerts.public_key_text(rsa_key)
    cases = [
        (testcerts.private_key_text(rsa_key), 'public_key: expected a PEM public key, found a private key (PRIVATE KEY)'),
        (testcerts.private_key_text(rsa_key, 'traditional'), 'public_key: expected a PEM public key, found a private key (RSA PRIVATE KEY)'),
        (testcerts.private_key_text(rsa_key, passphrase='x'), 'public_key: expected a PEM public key, found an encrypted private key'),
        (chain.leaf.cert_text, 'public_key: expected a PEM public key, found a certificate'),
        (pub * 2, 'public_key: expected a PEM public key, found 2 public keys'),
        ('', 'public_key: expected a PEM public key, found an empty value'),
        (drop_lines(pub, 2, 3), 'public_key: the public key (PUBLIC KEY) is damaged and could not be loaded'),
        (GOST_PUBLIC_KEY, 'public_key: the public key (PUBLIC KEY) is of a key type that the cryptography library cannot load'),
    ]
    for data, expected in cases:
        assert raises_pem_error(_pem.load_public_key, data) == expected
    assert raises_pem_error(_pem.load_public_key, chain.leaf.cert_text, option='jwk_key') == 'jwk_key: expected a PEM public key, found a certificate'


def _rsa_key_with(key, **changes):
    """The RSA key with some of its private numbers replaced (d, dmp1, dmq1, iqmp), as a loaded key."""
    numbers = key.private_numbers()
    fields = dict(p=numbers.p, q=numbers.q, d=numbers.d, dmp1=numbers.dmp1, dmq1=numbers.dmq1, iqmp=numbers.iqmp)
    fields.update(changes)
    return rsa.RSAPrivateNumbers(public_numbers=numbers.public_numbers, **fields).private_key(unsafe_skip_rsa_key_validation=True)


def test_check_private_key_passes_sound_keys_of_every_kind():
    for kind in ('rsa', 'ec', 'ed25519'):
        text = testcerts.private_key_text(testcerts.cached_key(kind), 'traditional' if kind == 'ec' else 'pkcs8')
        assert _pem.check_private_key(_pem.load_private_key(text, check_consistency=False), text) is None


# (cryptography itself refuses to load a key whose p q is not its modulus)
@pytest.mark.parametrize('field', ['d', 'dmp1', 'dmq1', 'iqmp'])
def test_check_private_key_refuses_rsa_numbers_that_do_not_belong_together(rsa_key, field):
    numbers = rsa_key.private_numbers()
    broken = _rsa_key_with(rsa_key, **{field: getattr(numbers, field) + 2})
    text = testcerts.private_key_text(broken, 'traditional')
    loaded = _pem.load_private_key(text, check_consistency=False)
    with pytest.raises(PemError) as caught:
        _pem.check_private_key(loaded, text, option='bundles[3].private_key')
    assert str(caught.value) == 'bundles[3].private_key: the private key (RSA PRIVATE KEY) is damaged and could not be loaded'
    assert not set(body_lines(text)) & set(str(caught.value).splitlines())


def test_check_private_key_agrees_with_openssl_and_is_cheap(rsa_key):
    """The arithmetic refuses what OpenSSL's full check refuses, for a fraction of its time."""
    broken = testcerts.private_key_text(_rsa_key_with(rsa_key, dmq1=rsa_key.private_numbers().dmq1 + 2))
    assert raises_pem_error(_pem.load_private_key, broken) == 'private_key: the private key (PRIVATE KEY) is damaged and could not be loaded'
    sound = _pem.load_private_key(testcerts.private_key_text(rsa_key), check_consistency=False)
    started = datetime.datetime.now()
    for _attempt in range(100):
        _pem.check_private_key(sound, '')
    assert datetime.datetime.now() - started < datetime.timedelta(seconds=1), '100 checks of an RSA-2048 key'


def test_private_key_to_pkcs8_pem_converts_traditional(rsa_key):
    pem = _pem.private_key_to_pkcs8_pem(_pem.load_private_key(testcerts.private_key_text(rsa_key, 'traditional')))
    assert _pem.pem_block_labels(pem) == ['PRIVATE KEY']
    assert pem.endswith('-----END PRIVATE KEY-----\n')


def test_public_key_sha256_fingerprint(chain):
    spki = chain.leaf.key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    expected = hashlib.sha256(spki).hexdigest().upper()
    assert _pem.public_key_sha256_fingerprint(chain.leaf.certificate.public_key()) == expected
    assert _pem.public_key_sha256_fingerprint(_pem.load_public_key(chain.leaf.public_key_text('pkcs1'))) == expected
    assert _pem.public_key_pem(chain.leaf.certificate.public_key()) == chain.leaf.public_key_text()


# ---------------------------------------------------------------- key and certificate match

def test_key_matches_certificate(chain, ec_chain):
    assert _pem.key_matches_certificate(chain.leaf.key, chain.leaf.certificate)
    assert _pem.key_matches_certificate(ec_chain.leaf.key, ec_chain.leaf.certificate)
    assert not _pem.key_matches_certificate(chain.intermediate.key, chain.leaf.certificate)        # RSA, other key
    assert not _pem.key_matches_certificate(ec_chain.intermediate.key, ec_chain.leaf.certificate)  # EC, other key
    assert not _pem.key_matches_certificate(ec_chain.leaf.key, chain.leaf.certificate)             # other key type
    # Loaded from PEM, as a module would.
    assert _pem.key_matches_certificate(_pem.load_private_key(chain.leaf.key_text('traditional')), _pem.load_single_certificate(chain.leaf.cert_text))


def test_key_matches_certificate_same_curve_other_key():
    key_a, key_b = testcerts.new_key('ec', curve=ec.SECP384R1()), testcerts.new_key('ec', curve=ec.SECP384R1())
    cert = testcerts.make_certificate(key=key_a)
    assert _pem.key_matches_certificate(key_a, cert.certificate)
    assert not _pem.key_matches_certificate(key_b, cert.certificate)


# ---------------------------------------------------------------- issued_by

@pytest.mark.parametrize('key_kind', ['rsa', 'ec', 'ed25519'])
def test_issued_by_real_chain(key_kind):
    chain = testcerts.make_chain(key_kind=key_kind)
    leaf, intermediate, root = _pem.load_certificates(chain.bundle())
    assert _pem.issued_by(leaf, intermediate)
    assert _pem.issued_by(intermediate, root)
    assert _pem.issued_by(root, root)


def test_issued_by_out_of_order_chain(chain):
    ordered = _pem.load_certificates(chain.bundle())
    assert [_pem.issued_by(cert, issuer) for cert, issuer in zip(ordered, ordered[1:])] == [True, True]
    shuffled = _pem.load_certificates(testcerts.pem_bundle(chain.root, chain.leaf, chain.intermediate))
    assert [_pem.issued_by(cert, issuer) for cert, issuer in zip(shuffled, shuffled[1:])] == [False, True]
    root, leaf, intermediate = shuffled
    assert not _pem.issued_by(leaf, root)
    assert not _pem.issued_by(intermediate, leaf)
    assert not _pem.issued_by(root, intermediate)


def test_issued_by_needs_the_signature_not_only_the_name(chain):
    # Same subject name as the real intermediate, other key: the name matches, the signature does not.
    impostor = testcerts.make_ca('Apinizer Test Intermediate CA', issuer=chain.root)
    assert impostor.certificate.subject == chain.leaf.certificate.issuer
    assert not _pem.issued_by(chain.leaf.certificate, impostor.certificate)


def test_issued_by_rsa_pss():
    root = testcerts.make_ca('PSS Root', key=testcerts.cached_key('rsa'), pss=True)
    leaf = testcerts.make_certificate('pss.example.com', issuer=root, key=testcerts.cached_key('rsa', 1), pss=True)
    assert _pem.issued_by(leaf.certificate, root.certificate)
    assert not _pem.issued_by(leaf.certificate, testcerts.make_ca('PSS Root', key=testcerts.cached_key('rsa', 2)).certificate)


@pytest.mark.parametrize('key_kind, pss', [('rsa', False), ('rsa', True), ('ec', False), ('ed25519', False)])
def test_issued_by_fallback_for_cryptography_before_40(monkeypatch, key_kind, pss):
    root = testcerts.make_ca('Fallback Root', key=testcerts.cached_key(key_kind), pss=pss)
    leaf = testcerts.make_certificate('fallback.example.com', issuer=root, key=testcerts.cached_key(key_kind, 1), pss=pss)
    other_root = testcerts.make_ca('Fallback Root', key=testcerts.cached_key(key_kind, 2))

    class OldCertificate:
        """A certificate without verify_directly_issued_by, as cryptography < 40 has."""

        def __init__(self, cert):
            self._cert = cert

        def __getattr__(self, name):
            if name == 'verify_directly_issued_by':
                raise AttributeError(name)
            return getattr(self._cert, name)

    assert not hasattr(OldCertificate(leaf.certificate), 'verify_directly_issued_by')
    assert _pem.issued_by(OldCertificate(leaf.certificate), root.certificate)
    assert not _pem.issued_by(OldCertificate(leaf.certificate), other_root.certificate)


def test_verify_signature_fallback_refuses_unknown_key_types(chain):
    with pytest.raises(TypeError):
        _pem._verify_signature(chain.leaf.certificate, object())


# ---------------------------------------------------------------- without cryptography

_NO_CRYPTOGRAPHY_SCRIPT = '''
import importlib.util, json, sys
sys.modules["cryptography"] = None  # makes every "import cryptography..." fail
spec = importlib.util.spec_from_file_location("pem_without_cryptography", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({
    "has": module.HAS_CRYPTOGRAPHY,
    "error": module.CRYPTOGRAPHY_IMPORT_ERROR,
    "labels": module.pem_block_labels(sys.argv[2]),
    "found": module.describe_found(sys.argv[2]),
    "der": module.describe_found(bytes.fromhex(sys.argv[3])),
}))
'''


def test_imports_without_cryptography(chain):
    result = subprocess.run([sys.executable, '-c', _NO_CRYPTOGRAPHY_SCRIPT, _pem.__file__, chain.bundle(), chain.leaf.cert_der.hex()],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report['has'] is False
    assert 'cryptography' in report['error']
    assert report['labels'] == ['CERTIFICATE'] * 3
    assert report['found'] == '3 certificates (a certificate chain)'
    assert report['der'] == 'DER-encoded binary data'


def test_imports_with_cryptography():
    assert _pem.HAS_CRYPTOGRAPHY is True
    assert _pem.CRYPTOGRAPHY_IMPORT_ERROR is None
    assert issubclass(PemError, ValueError)
    assert isinstance(testcerts.cached_key('rsa'), rsa.RSAPrivateKey)


def test_the_host_names_of_a_certificate():
    issued = testcerts.make_certificate('server.test', dns_names=['server.test', 'alt.test'], ip_addresses=['127.0.0.2'])
    assert _pem.certificate_host_names(issued.cert_der) == ['server.test', 'alt.test', '127.0.0.2']
    assert _pem.certificate_host_names(testcerts.make_certificate('only-cn.test', dns_names=[]).cert_der) == ['only-cn.test']
    assert _pem.certificate_host_names(b'not a certificate') == []


# ---------------------------------------------------------------- PKCS#12

P12_PASSPHRASE = 'p12-passphrase-7c1e0a9d5b'


def test_a_pkcs12_file_gives_its_key_the_leaf_and_the_chain_ordered_from_the_leaf_whatever_order_it_keeps(chain):
    shuffled = chain.leaf.pkcs12([chain.root, chain.intermediate], passphrase=P12_PASSPHRASE)
    contents = _pem.load_pkcs12(shuffled, P12_PASSPHRASE)
    assert _pem.certificate_der(contents.leaf) == chain.leaf.cert_der
    assert [_pem.certificate_der(c) for c in contents.chain] == [chain.intermediate.cert_der, chain.root.cert_der]
    assert _pem.key_matches_certificate(contents.private_key, chain.leaf.certificate)


def test_without_its_key_bag_certificate_the_leaf_is_the_certificate_that_matches_the_key(chain):
    data = testcerts.pkcs12_file(chain.leaf.key, None, [chain.intermediate, chain.leaf])
    contents = _pem.load_pkcs12(data)
    assert _pem.certificate_der(contents.leaf) == chain.leaf.cert_der
    assert [_pem.certificate_der(c) for c in contents.chain] == [chain.intermediate.cert_der]


def test_a_passphrase_given_for_an_unprotected_pkcs12_file_is_ignored(chain):
    assert _pem.load_pkcs12(chain.leaf.pkcs12(), P12_PASSPHRASE).chain == []


def raises_pkcs12_error(data, passphrase=None, option='pkcs12_path'):
    """load_pkcs12's PemError message, checked to hold neither the passphrase nor any of the file's base64."""
    with pytest.raises(PemError) as excinfo:
        _pem.load_pkcs12(data, passphrase, option=option)
    msg = str(excinfo.value)
    assert P12_PASSPHRASE not in msg
    encoded = base64.b64encode(data).decode('ascii')
    assert not any(encoded[i:i + 16] in msg for i in range(0, len(encoded) - 16, 4))
    return msg


def test_a_wrong_pkcs12_passphrase_names_the_passphrase_option(chain):
    data = chain.leaf.pkcs12(passphrase=P12_PASSPHRASE)
    assert raises_pkcs12_error(data, P12_PASSPHRASE + 'x') == \
        'pkcs12_path: could not open the PKCS#12 file: pkcs12_passphrase is wrong'
    assert raises_pkcs12_error(data, None, option='pkcs12') == \
        'pkcs12: the PKCS#12 file is protected by a passphrase; set pkcs12_passphrase'


@pytest.mark.parametrize('make, expected', [
    (lambda c: testcerts.pkcs12_file(None, None, [c.leaf, c.intermediate], P12_PASSPHRASE),
     'pkcs12_path: the PKCS#12 file holds no private key; export it with the private key of its certificate, or give '
     'the certificate as certificate_path to deploy it without a key'),
    (lambda c: testcerts.pkcs12_file(c.leaf.key, None, (), P12_PASSPHRASE),
     'pkcs12_path: the PKCS#12 file holds no certificate of its private key; export it with the certificate the key '
     'belongs to'),
    (lambda c: testcerts.pkcs12_file(c.leaf.key, None, [c.intermediate], P12_PASSPHRASE),
     'pkcs12_path: the PKCS#12 file holds no certificate of its private key; it holds a certificate '
     '(CN=Apinizer Test Intermediate CA); export it with the certificate the key belongs to'),
    (lambda c: c.leaf.pkcs12([c.intermediate, testcerts.make_certificate('stray.example.com', key=testcerts.cached_key()),
                              testcerts.make_ca('Other CA', key=testcerts.cached_key())], P12_PASSPHRASE),
     'pkcs12_path: the PKCS#12 file holds 2 certificates (CN=stray.example.com; CN=Other CA) that did not issue its '
     'certificate (CN=leaf.example.com) or its chain; export the file with the certificate, its key and only the CA '
     'certificates that issued it, or give them as certificate_path, chain_path and private_key_path'),
    (lambda c: (c.leaf.cert_text + c.leaf.key_text()).encode('ascii'),
     'pkcs12_path: expected a PKCS#12 (.p12, .pfx) file, found a certificate and a private key (PRIVATE KEY)'),
    (lambda c: c.leaf.pkcs12(passphrase=P12_PASSPHRASE)[:200],
     'pkcs12_path: the PKCS#12 file is damaged: its length is not the one it declares (cut off, or with bytes added)'),
    (lambda c: b'\x30\x82\x01\x00' + b'\x00' * 256, 'pkcs12_path: expected a PKCS#12 (.p12, .pfx) file, found DER-encoded binary data'),
], ids=['no key', 'no certificate', 'no certificate of the key', 'unrelated certificates', 'PEM, not PKCS#12',
        'cut off', 'other DER'])
def test_a_pkcs12_file_that_cannot_give_a_bundle_is_refused_saying_why(chain, make, expected):
    assert raises_pkcs12_error(make(chain), P12_PASSPHRASE) == expected


# --- keystore files ---------------------------------------------------------------------------------------------------

KS_PASSWORD = 'ks-password-0b7c1e'
KS_LEAF = testcerts.make_certificate('ks.example.com')


def test_a_pkcs12_keystore_is_opened_and_its_certificates_listed_key_entry_first():
    ca = testcerts.make_ca()
    data = testcerts.pkcs12_keystore(KS_PASSWORD, key_entry=KS_LEAF, alias='server', trusted={'root': ca})
    contents = _pem.open_keystore(data, KS_PASSWORD)
    assert contents.keystore_type == 'pkcs12'
    assert [(c['alias'], c['private_key'], c['sha256_fingerprint']) for c in contents.certificates] == [
        ('server', True, KS_LEAF.sha256), ('root', False, ca.sha256)]


def test_a_jks_keystore_is_read_in_pure_python_and_its_digest_proves_the_password():
    data = testcerts.jks_keystore(KS_PASSWORD, {'root': testcerts.make_ca()}, key_entries={'server': KS_LEAF})
    contents = _pem.open_keystore(data, KS_PASSWORD, keystore_type='jks')
    assert contents.keystore_type == 'jks' and contents.certificates[0]['sha256_fingerprint'] == KS_LEAF.sha256
    with pytest.raises(PemError, match=r'^file: the JKS file fails its integrity check with password: the password '
                                       r'is wrong or the file is damaged\.$'):
        _pem.open_keystore(data, 'wrong')
    with pytest.raises(PemError, match='^file: the JKS file is cut off or damaged.$'):
        _pem.open_keystore(data[:60], KS_PASSWORD)


@pytest.mark.parametrize('data, message', [
    (testcerts.pkcs12_keystore(KS_PASSWORD, trusted={'root': KS_LEAF}),
     'file: the keystore holds no private key entry; give a keystore with a private key and its certificate.'),
    (testcerts.jks_keystore(KS_PASSWORD, {'root': KS_LEAF}),
     'file: the keystore holds no private key entry; give a keystore with a private key and its certificate.'),
    (b'PK\x03\x04 not a keystore', 'file: the file is neither a JKS nor a PKCS#12 keystore.'),
    (b'\xce\xce\xce\xce\x00\x00\x00\x02', 'file: the file is a JCEKS keystore; the Apinizer API takes JKS or PKCS12: '
                                          'convert it with keytool -importkeystore -deststoretype pkcs12.'),
])
def test_keystores_the_api_cannot_use_are_refused(data, message):
    with pytest.raises(PemError) as caught:
        _pem.open_keystore(data, KS_PASSWORD)
    assert str(caught.value) == message


def test_the_given_type_is_checked_against_the_file():
    data = testcerts.pkcs12_keystore(KS_PASSWORD, key_entry=KS_LEAF)
    with pytest.raises(PemError) as caught:
        _pem.open_keystore(data, KS_PASSWORD, keystore_type='jks')
    assert str(caught.value) == ('keystore_type is jks, but file holds a PKCS12 file; set keystore_type to pkcs12, or '
                                 'leave it out to detect the type.')


@pytest.mark.parametrize('issued, words', [(testcerts.expired_certificate(), 'expired on'),
                                           (testcerts.not_yet_valid_certificate(), 'is not valid before')])
def test_a_certificate_inside_that_is_not_valid_now_is_refused(issued, words):
    data = testcerts.pkcs12_keystore(KS_PASSWORD, key_entry=issued, alias='server')
    with pytest.raises(PemError) as caught:
        _pem.open_keystore(data, KS_PASSWORD, option='file_path')
    assert str(caught.value).startswith('file_path: the certificate of entry server (%s) %s '
                                        % (issued.certificate.subject.rfc4514_string(), words))


def test_jwk_public_members_of_each_key_kind_a_jwk_can_hold():
    """RFC 7518 / RFC 8037 members in unpadded base64url; any other kind is refused naming it."""
    from cryptography.hazmat.primitives.asymmetric import ed448, x25519  # pylint: disable=import-outside-toplevel
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    assert _pem.jwk_public_members(rsa_key) == ('RSA', dict(
        n=base64.urlsafe_b64encode(rsa_key.public_numbers().n.to_bytes(256, 'big')).rstrip(b'=').decode(), e='AQAB'))
    ec_type, ec_members = _pem.jwk_public_members(ec.generate_private_key(ec.SECP384R1()).public_key())
    assert (ec_type, ec_members['crv'], len(ec_members['x']), len(ec_members['y'])) == ('EC', 'P-384', 64, 64)
    okp = x25519.X25519PrivateKey.generate().public_key()
    raw = okp.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert _pem.jwk_public_members(okp) == ('OKP', dict(crv='X25519', x=base64.urlsafe_b64encode(raw).rstrip(b'=').decode()))
    with pytest.raises(_pem.InvalidInput) as refused:
        _pem.jwk_public_members(ed448.Ed448PrivateKey.generate().public_key())
    assert str(refused.value) == ('a Ed448 key cannot be compared with a JWK here; only RSA, EC (P-256, P-384, P-521, '
                                  'secp256k1), Ed25519 and X25519 keys can.')
