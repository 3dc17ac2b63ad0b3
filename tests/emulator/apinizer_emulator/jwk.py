# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""JWK material: from a cryptography key, from a JWK (Set) in JSON, from a keystore file, or generated; the algorithm
tables of the contract; the RFC 7638 thumbprint. Pure functions, no state; errors are ValueError (JwkError)."""

from __future__ import annotations

import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x448, x25519
from cryptography.hazmat.primitives.serialization import pkcs12

JWK_TYPES = ('RSA', 'EC', 'OCT', 'OKP')
USE_TYPES = ('SIGNATURE', 'ENCRYPTION')
# The JOSE names of create and parse, by key type and use (apinizer-api.md, "JWKs").
_ECDH = ('ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW',
         'ECDH-1PU', 'ECDH-1PU+A128KW', 'ECDH-1PU+A192KW', 'ECDH-1PU+A256KW')
ALGORITHMS = {
    ('RSA', 'SIGNATURE'): ('RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'),
    ('RSA', 'ENCRYPTION'): ('RSA1_5', 'RSA-OAEP', 'RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'),
    ('EC', 'SIGNATURE'): ('ES256', 'ES384', 'ES512', 'ES256K'),
    ('EC', 'ENCRYPTION'): _ECDH,
    ('OKP', 'SIGNATURE'): ('EdDSA',),
    ('OKP', 'ENCRYPTION'): _ECDH,
    ('OCT', 'SIGNATURE'): ('HS256', 'HS384', 'HS512'),
    ('OCT', 'ENCRYPTION'): ('A128KW', 'A192KW', 'A256KW', 'A128GCMKW', 'A192GCMKW', 'A256GCMKW', 'DIR',
                            'PBES2-HS256+A128KW', 'PBES2-HS384+A192KW', 'PBES2-HS512+A256KW'),
}
# The generate endpoint spells them its own way: '-' and '+' become '_', RS becomes RSA.
GENERATE_SPELLING = {'RS256': 'RSA256', 'RS384': 'RSA384', 'RS512': 'RSA512'}


def generate_spelling(name):
    return GENERATE_SPELLING.get(name, name.replace('-', '_').replace('+', '_'))


# Generate: the size or curve each type object takes, as the newer pages spell them, and the older crv names.
RSA_SIZES = (2048, 3072, 4096)
OCT_SIZES = (128, 192, 256)
EC_CURVES = {'P256': ('P-256', ec.SECP256R1), 'P384': ('P-384', ec.SECP384R1), 'P521': ('P-521', ec.SECP521R1),
             'SECP256K1': ('secp256k1', ec.SECP256K1)}
OKP_CURVES = {'ED25519': 'Ed25519', 'X25519': 'X25519'}
OLDER_EC_CRV = {'P-256': 'P256', 'P-384': 'P384', 'P-521': 'P521'}
OLDER_OKP_CRV = ('Ed25519', 'Ed448', 'X25519', 'X448')
KEY_ID_TYPES = ('TIMESTAMP', 'SHA256', 'SHA1', 'ISO_DATE', 'NONE')
# RFC 7518 / RFC 8037 members of each type: public ones, then private ones.
MEMBERS = {
    'RSA': (('n', 'e'), ('d', 'p', 'q')),
    'EC': (('crv', 'x', 'y'), ('d',)),
    'OCT': ((), ('k',)),
    'OKP': (('crv', 'x'), ('d',)),
}
# The RFC 7638 thumbprint's required members.
THUMBPRINT_MEMBERS = {'RSA': ('e', 'kty', 'n'), 'EC': ('crv', 'kty', 'x', 'y'), 'OCT': ('k', 'kty'), 'OKP': ('crv', 'kty', 'x')}
KTY = {'RSA': 'RSA', 'EC': 'EC', 'OCT': 'oct', 'OKP': 'OKP'}
_CURVE_NAMES = {'secp256r1': 'P-256', 'secp384r1': 'P-384', 'secp521r1': 'P-521', 'secp256k1': 'secp256k1'}
JKS_MAGIC = b'\xfe\xed\xfe\xed'


class JwkError(ValueError):
    pass


class Material:
    """A JWK's type and its members (``{'n': ..., 'e': ...}``), private members only when the source had them."""

    def __init__(self, jwk_type, members):
        self.type = jwk_type
        self.members = dict(members)

    def thumbprint(self, algorithm):
        """RFC 7638: the hash of the required members, in order, without white space; base64url."""
        required = {name: (KTY[self.type] if name == 'kty' else self.members.get(name)) for name in THUMBPRINT_MEMBERS[self.type]}
        text = json.dumps(required, sort_keys=True, separators=(',', ':'))
        return b64url(hashlib.new(algorithm, text.encode('utf-8')).digest())

    def public_only(self):
        return Material(self.type, {name: self.members[name] for name in MEMBERS[self.type][0] if name in self.members})


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def _int_b64url(number, length=None):
    return b64url(number.to_bytes(length or max(1, (number.bit_length() + 7) // 8), 'big'))


def from_key(key):
    """Material of a cryptography private or public key (RSA, EC, Ed25519/Ed448/X25519/X448)."""
    if isinstance(key, rsa.RSAPrivateKey):
        numbers = key.private_numbers()
        public = numbers.public_numbers
        return Material('RSA', {'n': _int_b64url(public.n), 'e': _int_b64url(public.e), 'd': _int_b64url(numbers.d),
                                'p': _int_b64url(numbers.p), 'q': _int_b64url(numbers.q)})
    if isinstance(key, rsa.RSAPublicKey):
        public = key.public_numbers()
        return Material('RSA', {'n': _int_b64url(public.n), 'e': _int_b64url(public.e)})
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
        size = (public.curve.key_size + 7) // 8
        numbers = public.public_numbers()
        members = {'crv': _CURVE_NAMES.get(public.curve.name, public.curve.name),
                   'x': _int_b64url(numbers.x, size), 'y': _int_b64url(numbers.y, size)}
        if isinstance(key, ec.EllipticCurvePrivateKey):
            members['d'] = _int_b64url(key.private_numbers().private_value, size)
        return Material('EC', members)
    okp = ((ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey, 'Ed25519'), (ed448.Ed448PrivateKey, ed448.Ed448PublicKey, 'Ed448'),
           (x25519.X25519PrivateKey, x25519.X25519PublicKey, 'X25519'), (x448.X448PrivateKey, x448.X448PublicKey, 'X448'))
    for private_class, public_class, curve in okp:
        if isinstance(key, (private_class, public_class)):
            public = key.public_key() if isinstance(key, private_class) else key
            raw = serialization.Encoding.Raw
            members = {'crv': curve, 'x': b64url(public.public_bytes(raw, serialization.PublicFormat.Raw))}
            if isinstance(key, private_class):
                members['d'] = b64url(key.private_bytes(raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()))
            return Material('OKP', members)
    raise JwkError('unsupported key type %s' % type(key).__name__.lstrip('_'))


def from_json_text(text, kid=None):
    """Material and kid of a JWK, or of the ``kid`` entry of a JWK Set, given as JSON text (bytes or str).

    Raises JwkError with the emulator's texts (apinizer-api.md: parse-from-url, parse-from-clipboard)."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise JwkError('not JSON (%s)' % exc) from exc
    if isinstance(document, dict) and isinstance(document.get('keys'), list):
        keys = document['keys']
        if not keys or not all(isinstance(key, dict) for key in keys):
            raise JwkError('the JWK Set holds no keys')
        if kid is None:
            if len(keys) > 1:
                raise KidError('kid is required for a JWK Set with more than one key!')
            document = keys[0]
        else:
            matching = [key for key in keys if key.get('kid') == kid]
            if not matching:
                raise KidError('JWK (kid: %s) is not found in the JWK Set!' % kid)
            document = matching[0]
    elif not isinstance(document, dict):
        raise JwkError('a JWK is a JSON object')
    elif kid is not None and document.get('kid') not in (None, kid):
        raise KidError('JWK (kid: %s) is not found in the JWK Set!' % kid)
    return _from_jwk_object(document), document.get('kid') if isinstance(document.get('kid'), str) else kid


class KidError(JwkError):
    """A kid problem: its text is the whole message, not a reason."""


def _from_jwk_object(document):
    kty = document.get('kty')
    jwk_type = {'RSA': 'RSA', 'EC': 'EC', 'oct': 'OCT', 'OKP': 'OKP'}.get(kty)
    if jwk_type is None:
        raise JwkError('kty (%s) is not RSA, EC, oct or OKP' % kty)
    public, private = MEMBERS[jwk_type]
    required = public or ('k',)
    missing = [name for name in required if not isinstance(document.get(name), str) or not document.get(name)]
    if missing:
        raise JwkError('%s JWK without %s' % (kty, ', '.join(missing)))
    members = {name: document[name] for name in public + private if isinstance(document.get(name), str)}
    for name, value in members.items():
        if name != 'crv':
            _check_b64url(name, value)
    return Material(jwk_type, members)


def _check_b64url(name, value):
    try:
        base64.urlsafe_b64decode(value + '=' * (-len(value) % 4))
    except ValueError as exc:
        raise JwkError('member %s is not base64url' % name) from exc


def check_algorithm(material_type, use, algorithm):
    """None when the JOSE algorithm fits the key type and use, else the documented-shape message."""
    if algorithm in ALGORITHMS[(material_type, use)]:
        return None
    return 'Algorithm (%s) is not valid for %s %s keys!' % (algorithm, material_type, use)


def generate(jwk_type, size=None, curve=None):
    """Fresh material: RSA (size bits), EC (curve: a key of EC_CURVES), OCT (size bits), OKP (curve: Ed25519, X25519,
    and for older requests Ed448, X448)."""
    if jwk_type == 'RSA':
        return from_key(rsa.generate_private_key(public_exponent=65537, key_size=size))
    if jwk_type == 'EC':
        return from_key(ec.generate_private_key(EC_CURVES[curve][1]()))
    if jwk_type == 'OCT':
        return Material('OCT', {'k': b64url(os.urandom(size // 8))})
    generators = {'Ed25519': ed25519.Ed25519PrivateKey, 'Ed448': ed448.Ed448PrivateKey,
                  'X25519': x25519.X25519PrivateKey, 'X448': x448.X448PrivateKey}
    return from_key(generators[curve].generate())


def keystore_entry(data, keystore_type, password, alias):
    """The key (a private key for a key entry, else the certificate's public key) of the entry ``alias`` of a keystore
    file. Only PKCS12 can be read. Raises JwkError with the reason, AliasError for a missing alias."""
    if keystore_type != 'PKCS12' or data[:4] == JKS_MAGIC:
        raise JwkError('the emulator reads PKCS12 files only, not %s' % ('JKS' if data[:4] == JKS_MAGIC else keystore_type))
    if not hasattr(pkcs12, 'load_pkcs12'):
        raise JwkError('reading PKCS12 friendly names needs cryptography >= 36')
    try:
        loaded = pkcs12.load_pkcs12(data, password.encode('utf-8') if password else None)
    except ValueError as exc:
        raise JwkError('not a PKCS12 file or a wrong password') from exc
    if loaded.key is not None and loaded.cert is not None and _friendly_name(loaded.cert) == alias:
        return loaded.key
    for certificate in loaded.additional_certs:
        if _friendly_name(certificate) == alias:
            return certificate.certificate.public_key()
    raise AliasError(alias)


class AliasError(JwkError):
    pass


def _friendly_name(certificate):
    name = certificate.friendly_name
    return name.decode('utf-8', 'replace') if name is not None else None
