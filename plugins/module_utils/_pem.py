# -*- coding: utf-8 -*-
# Copyright (c) 2026, apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

# PEM/DER/PKCS#12 parsing, fingerprints and key/certificate checks: pure functions, no HTTP.
#
# Error messages (PemError) describe *what* was found (block labels, counts), never the
# PEM text or key material, so callers may pass them to fail_json as they are.
# Their shape is "<option>: expected <what>, found <what was found>[; <hint>]".
# Callers check HAS_CRYPTOGRAPHY (and report CRYPTOGRAPHY_IMPORT_ERROR through
# missing_required_lib) before calling anything that parses.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import datetime
import hashlib
import re
import struct
import traceback
from collections import namedtuple

from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa, x448, x25519
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtensionOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()


class PemError(InvalidInput):
    """Input that is not what an option expects. The message never holds PEM text or key material."""


# A label is short and upper case; the limit keeps a damaged BEGIN line from echoing base64.
_MARKER_RE = re.compile(r'-----(BEGIN|END) ([A-Z0-9][A-Z0-9 ]{0,39})-----')
_BASE64_RE = re.compile(r'^[A-Za-z0-9+/=\s]+$')
# A control character other than white space (\t \n \v \f \r) makes text binary data.
_CONTROL_RE = re.compile(r'[\x00-\x08\x0e-\x1f]')

_CERTIFICATE_LABELS = ('CERTIFICATE', 'X509 CERTIFICATE')
_PRIVATE_KEY_LABELS = ('PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY')
_PUBLIC_KEY_LABELS = ('PUBLIC KEY', 'RSA PUBLIC KEY')
# `openssl ecparam -genkey` writes this before the key; it carries nothing we need.
_IGNORED_WITH_KEY_LABELS = ('EC PARAMETERS',)

# (singular, plural) for each kind of block describe_found() names.
_KIND_NAMES = {
    'certificate': ('a certificate', '%d certificates (a certificate chain)'),
    'private_key': ('a private key (%s)', '%d private keys (%s)'),
    'encrypted_private_key': ('an encrypted private key', '%d encrypted private keys'),
    'public_key': ('a public key', '%d public keys'),
    'csr': ('a certificate signing request', '%d certificate signing requests'),
    'crl': ('a certificate revocation list', '%d certificate revocation lists'),
    'other': ("a PEM block '%s'", "%d PEM blocks '%s'"),
    'incomplete': ("an incomplete PEM block '%s'", "%d incomplete PEM blocks '%s'"),
}


class _PemBlock(namedtuple('_PemBlock', ['label', 'headers', 'body'])):
    """One BEGIN/END block; headers are the RFC 1421 lines of legacy encrypted keys, body is base64."""

    @property
    def encrypted(self):
        return self.label == 'ENCRYPTED PRIVATE KEY' or any(h.replace(' ', '') == 'Proc-Type:4,ENCRYPTED' for h in self.headers)

    @property
    def kind(self):
        if self.label in _CERTIFICATE_LABELS:
            return 'certificate'
        if self.label == 'PRIVATE KEY' or self.label.endswith(' PRIVATE KEY'):
            return 'encrypted_private_key' if self.encrypted else 'private_key'
        if self.label in _PUBLIC_KEY_LABELS:
            return 'public_key'
        if self.label in ('CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'):
            return 'csr'
        if self.label == 'X509 CRL':
            return 'crl'
        return 'other'

    def pem(self):
        """Canonical PEM text: stripped lines, base64 wrapped at 64 columns."""
        b64 = ''.join(self.body.split())
        lines = ['-----BEGIN %s-----' % self.label]
        if self.headers:
            lines.extend(self.headers)
            lines.append('')
        lines.extend(b64[i:i + 64] for i in range(0, len(b64), 64))
        lines.append('-----END %s-----' % self.label)
        return '\n'.join(lines) + '\n'

    def der(self):
        try:
            return base64.b64decode(''.join(self.body.split()).encode('ascii'), validate=True)
        except (binascii.Error, ValueError):
            return None


def _to_bytes(data):
    if data is None:
        return b''
    if isinstance(data, bytes):
        return data
    try:
        return data.encode('utf-8', 'surrogateescape')
    except UnicodeEncodeError:
        # A lone surrogate that stands for no byte: kept as such, so the text is no valid UTF-8 (binary data).
        return data.encode('utf-8', 'surrogatepass')


def _as_text(data):
    """The input as text, or None when it is binary (not UTF-8, or holding control characters)."""
    raw = _to_bytes(data)
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        return None
    if _CONTROL_RE.search(text):
        return None
    return text


def _split_body(text):
    """Split a block's inner text into RFC 1421 header lines and the base64 body.

    Lines are stripped, so indented YAML, CRLF line ends, and bodies whose newlines became
    spaces are read as well.
    """
    lines = [line.strip() for line in text.strip().splitlines()]
    headers = []
    while lines and ':' in lines[0]:
        headers.append(lines.pop(0))
    return headers, ' '.join(lines)


def _scan(data):
    """Return (blocks, incomplete labels) found in the text; both empty for binary data."""
    text = _as_text(data)
    if text is None:
        return [], []
    blocks, incomplete, current = [], [], None
    for match in _MARKER_RE.finditer(text):
        marker, label = match.groups()
        if marker == 'BEGIN':
            if current is not None:
                incomplete.append(current[0])
            current = (label, match.end())
        elif current is not None and current[0] == label:
            headers, body = _split_body(text[current[1]:match.start()])
            blocks.append(_PemBlock(label, headers, body))
            current = None
        else:
            # An END without its BEGIN: the start of the block was cut off.
            incomplete.append(label)
    if current is not None:
        incomplete.append(current[0])
    return blocks, incomplete


def _describe_blocks(blocks, incomplete):
    counts = {}
    order = []
    for kind, detail in [(b.kind, b.label) for b in blocks] + [('incomplete', label) for label in incomplete]:
        # Private keys and unknown blocks are told apart by label; the others by kind alone.
        key = (kind, detail if kind in ('private_key', 'other', 'incomplete') else None)
        if key not in counts:
            order.append(key)
            counts[key] = 0
        counts[key] += 1
    parts = []
    for kind, detail in order:
        singular, plural = _KIND_NAMES[kind]
        count = counts[(kind, detail)]
        if count == 1:
            parts.append(singular % detail if '%s' in singular else singular)
        else:
            parts.append(plural % ((count, detail) if '%s' in plural else count))
    if len(parts) == 1:
        return parts[0]
    return '%s and %s' % (', '.join(parts[:-1]), parts[-1])


def _describe_non_pem(data):
    raw = _to_bytes(data)
    if not raw.strip():
        return 'an empty value'
    if _as_text(data) is None:
        if raw[:1] == b'\x30':
            return 'a DER-encoded certificate' if _load_der_certificate(raw) is not None else 'DER-encoded binary data'
        return 'binary data'
    text = raw.decode('utf-8').strip()
    if _BASE64_RE.match(text) and len(text) >= 16:
        try:
            if base64.b64decode(''.join(text.split()), validate=True)[:1] == b'\x30':
                return 'base64 text without PEM BEGIN/END lines'
        except (binascii.Error, ValueError):
            pass
    return 'text with no PEM block'


def pem_block_labels(data):
    """Labels of the complete BEGIN/END blocks in the text, in order, e.g. ['CERTIFICATE', 'PRIVATE KEY']."""
    return [block.label for block in _scan(data)[0]]


def describe_found(data):
    """Human text of what a blob holds, for error messages, e.g. '2 certificates (a certificate chain)'.

    Names only block kinds, labels and counts: never any of the content.
    """
    blocks, incomplete = _scan(data)
    if blocks or incomplete:
        return _describe_blocks(blocks, incomplete)
    return _describe_non_pem(data)


def _prefix(option):
    return '%s: ' % option if option else ''


def _load_der_certificate(der):
    if not HAS_CRYPTOGRAPHY:  # describe_found() works without cryptography, only less precisely
        return None
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None


def _load_certificate_block(block, option, position=None):
    cert = _load_der_certificate(block.der() or b'')
    if cert is None:
        which = 'certificate #%d' % position if position else 'the certificate'
        raise PemError('%s%s in the PEM text is damaged (not a valid X.509 certificate)' % (_prefix(option), which))
    return cert


def certificate_host_names(der):
    """The DNS names and IP addresses of a DER certificate's subject alternative names, else its common names; []
    when it cannot be read."""
    cert = _load_der_certificate(der)
    if cert is None:
        return []
    try:
        return [str(name.value) for name in cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value]
    except x509.ExtensionNotFound:
        return [attribute.value for attribute in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def load_certificates(data, option=None):
    """All certificates in PEM text, in order, or the one certificate of DER bytes.

    Blocks that are not certificates (a private key of a combined file, say) are skipped;
    an incomplete block is an error, so a cut-off chain never passes as a shorter one.
    """
    blocks, incomplete = _scan(data)
    if not blocks and not incomplete and isinstance(data, bytes) and _as_text(data) is None:
        cert = _load_der_certificate(data)
        if cert is not None:
            return [cert]
    cert_blocks = [block for block in blocks if block.kind == 'certificate']
    if incomplete or not cert_blocks:
        raise PemError('%sexpected PEM certificates, found %s' % (_prefix(option), describe_found(data)))
    numbered = len(cert_blocks) > 1
    return [_load_certificate_block(block, option, index if numbered else None) for index, block in enumerate(cert_blocks, 1)]


def load_single_certificate(data, option='certificate'):
    """Exactly one certificate: PEM (the documented input) or DER bytes."""
    blocks, incomplete = _scan(data)
    if not blocks and not incomplete and isinstance(data, bytes) and _as_text(data) is None:
        cert = _load_der_certificate(data)
        if cert is not None:
            return cert
    if len(blocks) == 1 and not incomplete and blocks[0].kind == 'certificate':
        return _load_certificate_block(blocks[0], option)
    msg = '%sexpected one PEM certificate, found %s' % (_prefix(option), describe_found(data))
    if len(blocks) > 1 and not incomplete and all(block.kind == 'certificate' for block in blocks):
        msg += '; give only the leaf certificate'
    raise PemError(msg)


def split_pem_bundle(data):
    """Split a PEM file such as 'leaf, then chain, then key' into its parts.

    Returns a dict: ``certificates`` (PEM text of each certificate, in order, re-encoded
    canonically), ``private_keys`` and ``public_keys`` (PEM text of each such block, also
    canonical; private key text is secret: never return or log it), and ``other`` (the
    labels of any other blocks). Raises PemError for an incomplete or damaged block.
    """
    blocks, incomplete = _scan(data)
    if incomplete:
        raise PemError('expected complete PEM blocks, found %s' % describe_found(data))
    result = {'certificates': [], 'private_keys': [], 'public_keys': [], 'other': []}
    cert_blocks = [block for block in blocks if block.kind == 'certificate']
    numbered = len(cert_blocks) > 1
    for index, block in enumerate(cert_blocks, 1):
        result['certificates'].append(certificate_pem(_load_certificate_block(block, None, index if numbered else None)))
    for block in blocks:
        if block.kind in ('private_key', 'encrypted_private_key'):
            result['private_keys'].append(block.pem())
        elif block.kind == 'public_key':
            result['public_keys'].append(block.pem())
        elif block.kind != 'certificate':
            result['other'].append(block.label)
    return result


def certificate_der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def certificate_pem(cert):
    """PEM text of one certificate, ending with a newline."""
    return cert.public_bytes(serialization.Encoding.PEM).decode('ascii')


def sha1_thumbprint(der):
    """SHA-1 of the DER bytes as 40 upper-case hex digits, no separators (Apinizer's sha1Thumbprint)."""
    return hashlib.sha1(der).hexdigest().upper()


def sha256_fingerprint(der):
    """SHA-256 of the DER bytes as 64 upper-case hex digits, no separators."""
    return hashlib.sha256(der).hexdigest().upper()


def _utc(value):
    return value.replace(tzinfo=datetime.timezone.utc) if value.tzinfo is None else value.astimezone(datetime.timezone.utc)


def _not_before(cert):
    # The *_utc accessors exist from cryptography 42 on; the naive ones are UTC too.
    return cert.not_valid_before_utc if hasattr(cert, 'not_valid_before_utc') else _utc(cert.not_valid_before)


def _not_after(cert):
    return cert.not_valid_after_utc if hasattr(cert, 'not_valid_after_utc') else _utc(cert.not_valid_after)


def _iso_utc(value):
    return value.strftime('%Y-%m-%dT%H:%M:%SZ')


def format_serial_number(serial):
    """Upper-case hex, no separators, padded to whole bytes: what `openssl x509 -serial` prints."""
    digits = '%X' % abs(serial)
    digits = '0' * (len(digits) % 2) + digits
    return '-' + digits if serial < 0 else digits


def certificate_facts(cert, now=None):
    """Non-secret facts about a certificate; `now` (a datetime, naive means UTC) defaults to the current time."""
    now = _utc(now) if now is not None else datetime.datetime.now(datetime.timezone.utc)
    der = certificate_der(cert)
    not_before, not_after = _not_before(cert), _not_after(cert)
    return {
        'sha1_thumbprint': sha1_thumbprint(der),
        'sha256_fingerprint': sha256_fingerprint(der),
        'subject': cert.subject.rfc4514_string(),
        'issuer': cert.issuer.rfc4514_string(),
        'serial_number': format_serial_number(cert.serial_number),
        'not_before': _iso_utc(not_before),
        'not_after': _iso_utc(not_after),
        'expired': now > not_after,
        'not_yet_valid': now < not_before,
        # Whole days left, rounded down: -1 on the first day after expiry.
        'days_remaining': (not_after - now) // datetime.timedelta(days=1),
    }


def _single_key_block(data, option, expected, accepted_labels):
    """The one key block in the text, or PemError naming what was found instead."""
    blocks, incomplete = _scan(data)
    if len(blocks) > 1:
        blocks = [block for block in blocks if block.label not in _IGNORED_WITH_KEY_LABELS]
    if len(blocks) == 1 and not incomplete and blocks[0].label in accepted_labels:
        return blocks[0]
    msg = '%sexpected %s, found %s' % (_prefix(option), expected, describe_found(data))
    if len(blocks) == 1 and not incomplete and blocks[0].label == 'OPENSSH PRIVATE KEY':
        msg += '; convert it to PKCS#8 PEM first (ssh-keygen -p -m PKCS8 -f <file>)'
    raise PemError(msg)


def _load_pem_private_key(pem, password, check_consistency):
    """cryptography's loader; without check_consistency, OpenSSL's costly RSA check of the key's numbers is skipped where
    cryptography allows it (39 and later)."""
    if not check_consistency:
        try:
            return serialization.load_pem_private_key(pem, password=password, unsafe_skip_rsa_key_validation=True)
        except TypeError:  # cryptography < 39 has no such option and always checks
            pass
    return serialization.load_pem_private_key(pem, password=password)


def load_private_key(data, passphrase=None, option='private_key', passphrase_option='passphrase',
                     check_consistency=True):
    """A private key from PEM: PKCS#8, PKCS#1 (RSA), SEC1 (EC), encrypted PKCS#8 or legacy encrypted PEM.

    A passphrase given for a key that is not encrypted is ignored. check_consistency=False skips OpenSSL's check
    that an RSA key's numbers belong together (about 60 ms for RSA-2048, 400 ms for RSA-4096): the structure is
    still parsed and the public key is still derived; check_private_key checks the numbers for a fraction of that.
    """
    block = _single_key_block(data, option, 'a PEM private key', _PRIVATE_KEY_LABELS)
    password = None
    if block.encrypted:
        if passphrase is None or passphrase in ('', b''):
            raise PemError('%sthe private key is encrypted; set %s' % (_prefix(option), passphrase_option))
        password = _to_bytes(passphrase)
    try:
        return _load_pem_private_key(block.pem().encode('ascii'), password, check_consistency)
    except UnsupportedAlgorithm:
        msg = '%sthe private key (%s) is of a key type that the cryptography library cannot load' % (_prefix(option), block.label)
    except (ValueError, TypeError):
        if block.encrypted:
            msg = '%scould not decrypt the private key: %s is wrong' % (_prefix(option), passphrase_option)
        else:
            msg = '%sthe private key (%s) is damaged and could not be loaded' % (_prefix(option), block.label)
    # Raised outside the except clause so that cryptography's exception is not chained to ours.
    raise PemError(msg)


def private_key_label(data, option='private_key'):
    """The PEM label of the one private key in the text (PRIVATE KEY, RSA PRIVATE KEY, ...)."""
    return _single_key_block(data, option, 'a PEM private key', _PRIVATE_KEY_LABELS).label


def _rsa_numbers_consistent(numbers):
    """Whether an RSA private key's numbers belong together: n = p q, e d = 1 modulo p - 1 and q - 1, and the
    CRT values are d mod (p - 1), d mod (q - 1) and the inverse of q modulo p. Big-integer arithmetic, a fraction
    of a millisecond; OpenSSL's own check, which also tests p and q for primality, takes about 60 ms for RSA-2048
    and 400 ms for RSA-4096."""
    p, q, d = numbers.p, numbers.q, numbers.d
    n, e = numbers.public_numbers.n, numbers.public_numbers.e
    if p < 3 or q < 3 or p * q != n:
        return False
    return all((numbers.dmp1 == d % (p - 1), numbers.dmq1 == d % (q - 1), (e * numbers.dmp1) % (p - 1) == 1,
                (e * numbers.dmq1) % (q - 1) == 1, (numbers.iqmp * q) % p == 1))


def check_private_key(private_key, data, option='private_key'):
    """The consistency check of a private key about to be sent, on the key that load_private_key returned for
    data. For RSA, that its numbers belong together (_rsa_numbers_consistent); other key types are checked as
    they are loaded. Raises PemError naming the option."""
    if isinstance(private_key, rsa.RSAPrivateKey) and not _rsa_numbers_consistent(private_key.private_numbers()):
        raise PemError('%sthe private key (%s) is damaged and could not be loaded'
                       % (_prefix(option), private_key_label(data, option)))


def load_public_key(data, option='public_key'):
    """A public key from PEM: SubjectPublicKeyInfo (PUBLIC KEY) or PKCS#1 (RSA PUBLIC KEY)."""
    block = _single_key_block(data, option, 'a PEM public key', _PUBLIC_KEY_LABELS)
    try:
        return serialization.load_pem_public_key(block.pem().encode('ascii'))
    except UnsupportedAlgorithm:
        msg = '%sthe public key (%s) is of a key type that the cryptography library cannot load' % (_prefix(option), block.label)
    except ValueError:
        msg = '%sthe public key (%s) is damaged and could not be loaded' % (_prefix(option), block.label)
    raise PemError(msg)


def private_key_to_pkcs8_pem(key):
    """Unencrypted PKCS#8 PEM text of a private key. This is secret: never return or log it."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode('ascii')


def _spki_der(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def public_key_pem(public_key):
    """SubjectPublicKeyInfo PEM text of a public key, ending with a newline."""
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode('ascii')


def public_key_sha256_fingerprint(public_key):
    """SHA-256 of the DER SubjectPublicKeyInfo as 64 upper-case hex digits, no separators."""
    return sha256_fingerprint(_spki_der(public_key))


def _base64url_uint(value, length=None):
    """An integer as RFC 7518 writes it: big-endian bytes (length of them, else the fewest), base64url, no padding."""
    length = length or max(1, (value.bit_length() + 7) // 8)
    return base64.urlsafe_b64encode(value.to_bytes(length, 'big')).rstrip(b'=').decode('ascii')


JWK_CURVES = {'secp256r1': 'P-256', 'secp384r1': 'P-384', 'secp521r1': 'P-521', 'secp256k1': 'secp256k1'}


def jwk_public_members(public_key):
    """The public members of a public key as a JWK holds them: (type, {member: value}); RSA n, e, EC crv, x, y and
    OKP crv, x (Ed25519, X25519: RFC 8037). Raises InvalidInput for a key no JWK comparison here covers."""
    if isinstance(public_key, rsa.RSAPublicKey):
        numbers = public_key.public_numbers()
        return 'RSA', dict(n=_base64url_uint(numbers.n), e=_base64url_uint(numbers.e))
    if isinstance(public_key, ec.EllipticCurvePublicKey) and public_key.curve.name in JWK_CURVES:
        numbers = public_key.public_numbers()
        size = (public_key.curve.key_size + 7) // 8
        return 'EC', dict(crv=JWK_CURVES[public_key.curve.name], x=_base64url_uint(numbers.x, size),
                          y=_base64url_uint(numbers.y, size))
    if isinstance(public_key, (ed25519.Ed25519PublicKey, x25519.X25519PublicKey)):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return 'OKP', dict(crv=key_algorithm(public_key), x=base64.urlsafe_b64encode(raw).rstrip(b'=').decode('ascii'))
    raise InvalidInput('a %s key cannot be compared with a JWK here; only RSA, EC (P-256, P-384, P-521, '
                       'secp256k1), Ed25519 and X25519 keys can.' % key_algorithm(public_key))


def is_rsa(public_key):
    """Whether a public key (a private key's public half, say) is an RSA key."""
    return isinstance(public_key, rsa.RSAPublicKey)


def key_algorithm(public_key):
    """The kind of a public key, as a message names it: RSA, EC (with its curve), Ed25519, Ed448, X25519, X448, DSA."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return 'RSA'
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return 'EC (%s)' % public_key.curve.name
    for kind, name in ((ed25519.Ed25519PublicKey, 'Ed25519'), (ed448.Ed448PublicKey, 'Ed448'),
                       (x25519.X25519PublicKey, 'X25519'), (x448.X448PublicKey, 'X448'), (dsa.DSAPublicKey, 'DSA')):
        if isinstance(public_key, kind):
            return name
    return type(public_key).__name__


def key_matches_certificate(private_key, cert):
    """Whether the private key belongs to the certificate's public key (any key type)."""
    return _spki_der(private_key.public_key()) == _spki_der(cert.public_key())


def _verify_signature(cert, public_key):
    """Check the certificate's signature by hand, for cryptography < 40. Raises on a bad signature."""
    data, signature, hash_algorithm = cert.tbs_certificate_bytes, cert.signature, cert.signature_hash_algorithm
    if isinstance(public_key, rsa.RSAPublicKey):
        if cert.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSASSA_PSS:
            pad = padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=getattr(padding.PSS, 'AUTO', hash_algorithm.digest_size))
        else:
            pad = padding.PKCS1v15()
        public_key.verify(signature, data, pad, hash_algorithm)
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
    elif isinstance(public_key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        public_key.verify(signature, data)
    else:
        raise TypeError('unsupported issuer key type')


def issued_by(cert, issuer_cert):
    """Whether issuer_cert issued cert: the issuer name matches and the signature verifies with its key."""
    if cert.issuer != issuer_cert.subject:
        return False
    try:
        if hasattr(cert, 'verify_directly_issued_by'):
            cert.verify_directly_issued_by(issuer_cert)
        else:
            _verify_signature(cert, issuer_cert.public_key())
    except (InvalidSignature, UnsupportedAlgorithm, TypeError, ValueError):
        return False
    return True


class Pkcs12Contents(namedtuple('Pkcs12Contents', ['private_key', 'leaf', 'chain'])):
    """What a PKCS#12 file holds: its private key (secret: never return or log it), the certificate of that key
    and the chain, ordered from the issuer of the certificate upward."""

    __slots__ = ()


def _pkcs12_shape(der):
    """'whole' when the bytes are shaped as a PKCS#12 PFX (a DER SEQUENCE of the whole length whose first element is
    the version, 3), 'cut' when they start as one but the length differs, else None."""
    if len(der) < 8 or der[:1] != b'\x30':
        return None
    length_octets = der[1] & 0x7f if der[1] & 0x80 else 0
    if der[2 + length_octets:5 + length_octets] != b'\x02\x01\x03':
        return None
    length = der[1] if not length_octets else int(binascii.hexlify(der[2:2 + length_octets]), 16)
    return 'whole' if 2 + length_octets + length == len(der) else 'cut'


def _open_pkcs12(der, passphrase, try_unprotected=False):
    """(private key or None, [(friendly name, certificate)] of the key's certificate -- none or one --, [(friendly
    name, certificate)] of the others) of a PKCS#12 file, or None when it does not open with passphrase. With
    try_unprotected, a passphrase given for an unprotected file is ignored, as load_private_key does. Friendly names
    are '' on cryptography < 36, which does not read them."""
    passwords = [_to_bytes(passphrase) if passphrase else None] + ([None] if passphrase and try_unprotected else [])
    for password in passwords:
        try:
            if not hasattr(pkcs12, 'load_pkcs12'):
                key, cert, others = pkcs12.load_key_and_certificates(der, password)
                return key, ([('', cert)] if cert is not None else []), [('', c) for c in others or []]
            loaded = pkcs12.load_pkcs12(der, password)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        leaf = [(_friendly_name(loaded.cert), loaded.cert.certificate)] if loaded.cert is not None else []
        return loaded.key, leaf, [(_friendly_name(item), item.certificate) for item in loaded.additional_certs]
    return None


def _friendly_name(item):
    return item.friendly_name.decode('utf-8', 'replace') if item.friendly_name else ''


def _order_chain(leaf, others, option):
    """The certificates that issued the leaf, issuer by issuer (a PKCS#12 file keeps them in no guaranteed order).
    A certificate that is not part of that chain is an error naming its subject."""
    leaf_der = certificate_der(leaf)
    remaining = []
    for cert in others:
        if certificate_der(cert) != leaf_der and all(certificate_der(cert) != certificate_der(r) for r in remaining):
            remaining.append(cert)
    chain, current = [], leaf
    while True:
        issuer = next((cert for cert in remaining if issued_by(current, cert)), None)
        if issuer is None:
            break
        chain.append(issuer)
        remaining.remove(issuer)
        current = issuer
    if remaining:
        raise PemError('%sthe PKCS#12 file holds %s that did not issue its certificate (%s) or its chain; export the '
                       'file with the certificate, its key and only the CA certificates that issued it, or give them '
                       'as certificate_path, chain_path and private_key_path'
                       % (_prefix(option), _subjects(remaining), leaf.subject.rfc4514_string()))
    return chain


def load_pkcs12(der, passphrase=None, option='pkcs12_path', passphrase_option='pkcs12_passphrase'):
    """The private key, its certificate (the leaf) and the ordered chain of a PKCS#12 (.p12, .pfx) file's bytes.

    The leaf is the file's certificate of the key, else the certificate whose public key matches it. Raises
    PemError naming the option (and passphrase_option) for a file that is no PKCS#12 file, does not open, holds
    no private key or no certificate of it, or holds certificates that are not part of the leaf's chain."""
    der = _to_bytes(der)
    shape = _pkcs12_shape(der)
    if shape is None:
        raise PemError('%sexpected a PKCS#12 (.p12, .pfx) file, found %s' % (_prefix(option), describe_found(der)))
    if shape == 'cut':
        raise PemError('%sthe PKCS#12 file is damaged: its length is not the one it declares (cut off, or with '
                       'bytes added)' % _prefix(option))
    opened = _open_pkcs12(der, passphrase, try_unprotected=True)
    if opened is None:
        if passphrase:
            raise PemError('%scould not open the PKCS#12 file: %s is wrong' % (_prefix(option), passphrase_option))
        raise PemError('%sthe PKCS#12 file is protected by a passphrase; set %s' % (_prefix(option), passphrase_option))
    private_key, leaf, others = opened[0], opened[1], [cert for _name, cert in opened[2]]
    cert = leaf[0][1] if leaf else None
    if private_key is None:
        raise PemError('%sthe PKCS#12 file holds no private key; export it with the private key of its certificate, '
                       'or give the certificate as certificate_path to deploy it without a key' % _prefix(option))
    if cert is None:
        cert = next((c for c in others if key_matches_certificate(private_key, c)), None)
    if cert is None:
        found = '; it holds %s' % _subjects(others) if others else ''
        raise PemError('%sthe PKCS#12 file holds no certificate of its private key%s; export it with the certificate '
                       'the key belongs to' % (_prefix(option), found))
    return Pkcs12Contents(private_key, cert, _order_chain(cert, others, option))


def build_pkcs12(private_key, leaf, chain, password, friendly_name=None):
    """The bytes of a PKCS#12 keystore holding private_key with its certificate (leaf, the key entry, named
    friendly_name) and the chain in order, encrypted with password (BestAvailableEncryption). Secret: never return
    or log it. Two builds of the same input differ byte-wise (random salts and IVs)."""
    return pkcs12.serialize_key_and_certificates(
        _to_bytes(friendly_name) if friendly_name else None, private_key, leaf, list(chain) or None,
        serialization.BestAvailableEncryption(_to_bytes(password)))


def _subjects(certs):
    """'a certificate (CN=a)' or '2 certificates (CN=a; CN=b)', for messages."""
    return '%s (%s)' % ('a certificate' if len(certs) == 1 else '%d certificates' % len(certs),
                        '; '.join(c.subject.rfc4514_string() for c in certs))


# --- keystore files ---------------------------------------------------------------------------------------------------

JKS_MAGIC = 0xFEEDFEED
JCEKS_MAGIC = 0xCECECECE
_JKS_PRIVATE_KEY_TAG, _JKS_TRUSTED_CERTIFICATE_TAG = 1, 2
# Java's JKS integrity digest: SHA-1 over the UTF-16BE password, this whitener and the file body.
_JKS_WHITENER = b'Mighty Aphrodite'


class KeystoreContents(namedtuple('KeystoreContents', ['keystore_type', 'certificates'])):
    """What a keystore file holds, without secrets: its type (jks or pkcs12) and one dict per certificate inside
    (alias, private_key: whether it is the certificate of a key entry, and certificate_facts())."""

    __slots__ = ()


def keystore_file_type(data):
    """jks, jceks or pkcs12 from the first bytes of a keystore file, or None when it is none of them."""
    if len(data) >= 4 and struct.unpack('>I', data[:4])[0] == JKS_MAGIC:
        return 'jks'
    if len(data) >= 4 and struct.unpack('>I', data[:4])[0] == JCEKS_MAGIC:
        return 'jceks'
    if _pkcs12_shape(data) is not None:
        return 'pkcs12'
    return None


def load_pkcs12_keystore(data, password, option='file', password_option='password'):
    """[(alias, private_key, certificate)] of a PKCS#12 file opened with password (str): the key entry first
    (private_key True), then the other certificates. Raises PemError naming the options."""
    opened = _open_pkcs12(data, password)
    if opened is None:
        raise PemError('%s: the PKCS#12 file cannot be opened with %s: the password is wrong or the file is damaged.'
                       % (option, password_option))
    key, leaf, others = opened
    if key is not None and not leaf:
        raise PemError('%s: the PKCS#12 file holds a private key without its certificate; add the certificate.'
                       % option)
    return [(name, key is not None, cert) for name, cert in leaf] + [(name, False, cert) for name, cert in others]


def _jks_reader(data, option):
    position = [0]

    def read(size):
        start = position[0]
        if start + size > len(data):
            raise PemError('%s: the JKS file is cut off or damaged.' % option)
        position[0] = start + size
        return data[start:start + size]

    def number(fmt):
        return struct.unpack(fmt, read(struct.calcsize(fmt)))[0]

    def text():
        return read(number('>H')).decode('utf-8', 'replace')

    return read, number, text, position


def read_jks_keystore(data, password, option='file', password_option='password', check_password=True):
    """[(alias, private_key, certificate)] of a JKS file, read in pure Python: its structure, its integrity digest
    (which proves the password) and the certificates, in clear in a JKS file. A private key entry stays encrypted
    (its proprietary protection is not undone here): that it is there is all that is checked of it.
    check_password=False reads the certificates without the password: the digest is then not checked."""
    read, number, text, position = _jks_reader(data, option)
    if number('>I') != JKS_MAGIC or number('>I') not in (1, 2):
        raise PemError('%s: the file is not a JKS keystore of version 1 or 2.' % option)
    found = []
    for _index in range(number('>I')):
        tag = number('>I')
        alias = text()
        read(8)  # creation time
        if tag == _JKS_PRIVATE_KEY_TAG:
            read(number('>I'))  # the protected key
            chain = [(text(), read(number('>I')))[1] for _certificate in range(number('>I'))]
            if not chain:
                raise PemError('%s: the JKS key entry %s holds no certificate; add its certificate chain.'
                               % (option, alias))
            found.extend((alias, position_in_chain == 0, der) for position_in_chain, der in enumerate(chain))
        elif tag == _JKS_TRUSTED_CERTIFICATE_TAG:
            text()  # the certificate type, X.509
            found.append((alias, False, read(number('>I'))))
        else:
            raise PemError('%s: the JKS file holds an entry of unknown kind %d (a secret key entry of a JCEKS file?).'
                           % (option, tag))
    body = data[:position[0]]
    digest = read(20)
    if check_password and hashlib.sha1((password or '').encode('utf-16-be') + _JKS_WHITENER + body).digest() != digest:
        raise PemError('%s: the JKS file fails its integrity check with %s: the password is wrong or the file is '
                       'damaged.' % (option, password_option))
    certificates = []
    for alias, private_key, der in found:
        cert = _load_der_certificate(der)
        if cert is None:
            raise PemError('%s: the certificate of JKS entry %s is damaged (not a valid X.509 certificate).'
                           % (option, alias))
        certificates.append((alias, private_key, cert))
    return certificates


def open_keystore(data, password, keystore_type=None, option='file', password_option='password',
                  type_option='keystore_type', now=None):
    """Open a keystore file (bytes) and check it: its type (detected; when keystore_type is given, checked against
    the file), the password, that it holds a private key with its certificate, and that no certificate inside is
    expired or not yet valid. Returns KeystoreContents; raises PemError naming the option."""
    found_type = keystore_file_type(data)
    if found_type is None:
        raise PemError('%s: the file is neither a JKS nor a PKCS#12 keystore.' % option)
    if found_type == 'jceks':
        raise PemError('%s: the file is a JCEKS keystore; the Apinizer API takes JKS or PKCS12: convert it with keytool '
                       '-importkeystore -deststoretype pkcs12.' % option)
    if keystore_type and keystore_type != found_type:
        raise PemError('%s is %s, but %s holds a %s file; set %s to %s, or leave it out to detect the type.'
                       % (type_option, keystore_type, option, found_type.upper(), type_option, found_type))
    if found_type == 'pkcs12':
        entries = load_pkcs12_keystore(data, password, option, password_option)
    else:
        entries = read_jks_keystore(data, password, option, password_option)
    if not any(private_key for _alias, private_key, _cert in entries):
        raise PemError('%s: the keystore holds no private key entry; give a keystore with a private key and its '
                       'certificate.' % option)
    certificates = []
    for alias, private_key, cert in entries:
        facts = certificate_facts(cert, now=now)
        which = 'the certificate of %s' % ('entry %s' % alias if alias else 'the key entry' if private_key else 'an entry')
        if facts['expired']:
            raise PemError('%s: %s (%s) expired on %s; give a keystore with a valid certificate.'
                           % (option, which, facts['subject'], facts['not_after']))
        if facts['not_yet_valid']:
            raise PemError('%s: %s (%s) is not valid before %s; give a keystore whose certificates are valid now.'
                           % (option, which, facts['subject'], facts['not_before']))
        certificates.append(dict(alias=alias, private_key=private_key, sha256_fingerprint=facts['sha256_fingerprint'],
                                 subject=facts['subject'], not_after=facts['not_after']))
    return KeystoreContents(found_type, certificates)
