# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Property-based tests (hypothesis) of everything that parses user input: the PEM, certificate and key parsers of
_pem, key material (_keys), certificates (_certificates), bundles (_bundles) and the checks of _validation.

Random bytes and text, valid PEM cut at random points or with damaged bytes, garbage between blocks, many blocks,
wrong block types, huge inputs, unicode, encrypted keys with a wrong passphrase or none, certificates with the key
of another, bundle specs of random shapes: every input gives a parsed value or our own error (a CollectionError)
with a message that names what is wrong and holds no key material -- never another exception.

Bounded and reproducible: each test runs a fixed number of examples (FUZZ), derandomized (the same examples on every
run, no example database, nothing written to the tree), within a few seconds each. With APINIZER_FUZZ_COUNTS set to a
file path, the number of examples each test ran is written there as JSON (the reliability report counts them)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import collections
import datetime
import json
import os
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.apinizer.apiops.plugins.module_utils import _bundles, _certificates, _keys, _pem, _validation
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import CollectionError
from apinizer_emulator import testcerts

# Examples per test: the whole file takes about 15 seconds on 2 cores.
FUZZ = settings(max_examples=150, deadline=datetime.timedelta(seconds=10), derandomize=True, database=None,
                print_blob=False, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                         HealthCheck.large_base_example, HealthCheck.filter_too_much])
# The tests whose examples check an RSA key in full (about 70 ms each) run fewer.
FUZZ_SLOW = settings(FUZZ, max_examples=60)

EXAMPLES = collections.Counter()


@pytest.fixture(scope='module', autouse=True)
def count_file():
    """Writes the examples each test ran to $APINIZER_FUZZ_COUNTS (when set) once the module is done."""
    yield
    path = os.environ.get('APINIZER_FUZZ_COUNTS')
    if path:
        with open(path, 'w') as handle:
            json.dump(dict(EXAMPLES), handle, indent=1, sort_keys=True)


# --- seeds: a few RSA keys and certificates, made once and mutated -----------------------------------------------

PASSPHRASE = 'fuzz-passphrase-3f9c2e'
KEYS = [testcerts.cached_key('rsa', slot) for slot in (0, 1)]
EC_KEY = testcerts.cached_key('ec')
ROOT = testcerts.make_ca('Fuzz Root CA', key=KEYS[1])
LEAVES = [testcerts.make_certificate('fuzz-%d.example.com' % index, issuer=ROOT, key=key) for index, key in enumerate(KEYS)]
EC_LEAF = testcerts.make_certificate('fuzz-ec.example.com', issuer=ROOT, key=EC_KEY)
EXPIRED = testcerts.expired_certificate('fuzz-expired.example.com', issuer=ROOT, key=KEYS[0])

CERT_PEMS = [issued.cert_text for issued in LEAVES + [ROOT, EC_LEAF, EXPIRED]]
PRIVATE_PEMS = [testcerts.private_key_text(key, fmt) for key in KEYS + [EC_KEY] for fmt in ('pkcs8', 'traditional')]
ENCRYPTED_PEMS = [testcerts.private_key_text(KEYS[0], fmt, PASSPHRASE) for fmt in ('pkcs8', 'traditional')]
PUBLIC_PEMS = [testcerts.public_key_text(KEYS[0], fmt) for fmt in ('spki', 'pkcs1')] + [testcerts.public_key_text(EC_KEY)]
OTHER_PEMS = [
    '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n',
    '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
    '-----BEGIN CERTIFICATE REQUEST-----\nMIIBAjCBqQIBADAA\n-----END CERTIFICATE REQUEST-----\n',
]
SEED_PEMS = CERT_PEMS + PRIVATE_PEMS + ENCRYPTED_PEMS + PUBLIC_PEMS + OTHER_PEMS

# What an error message must never hold: a line of private key material, or any PEM armour.
SECRET_LINES = [line for pem in PRIVATE_PEMS + ENCRYPTED_PEMS for line in pem.splitlines()
                if len(line) >= 16 and not line.startswith('-----') and ':' not in line]

LABELS = ['CERTIFICATE', 'X509 CERTIFICATE', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY',
          'DSA PRIVATE KEY', 'PUBLIC KEY', 'RSA PUBLIC KEY', 'EC PARAMETERS', 'X509 CRL', 'PKCS7', 'OPENSSH PRIVATE KEY']
LABEL_CHARACTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 '


# --- strategies -----------------------------------------------------------------------------------------------------

def _armour(label, der, headers=()):
    body = base64.b64encode(der).decode('ascii')
    lines = ['-----BEGIN %s-----' % label] + list(headers) + ([''] if headers else [])
    lines += [body[i:i + 64] for i in range(0, len(body), 64)] + ['-----END %s-----' % label]
    return '\n'.join(lines) + '\n'


def _blocks(pem):
    """(label, headers, DER) of each block of a seed PEM."""
    found = []
    for match in re.finditer(r'-----BEGIN ([A-Z0-9 ]+)-----\n(.*?)-----END \1-----', pem, re.S):
        lines = match.group(2).splitlines()
        headers = [line for line in lines if ':' in line]
        body = ''.join(line for line in lines if line and ':' not in line)
        found.append((match.group(1), headers, base64.b64decode(body)))
    return found


@st.composite
def damaged_der(draw, der):
    """DER with bytes flipped, cut, dropped or inserted: often still well-formed outside, wrong inside."""
    data = bytearray(der)
    for _round in range(draw(st.integers(1, 4))):
        if not data:
            break
        position = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(['flip', 'set', 'cut', 'drop', 'insert']))
        if action == 'flip':
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == 'set':
            data[position] = draw(st.integers(0, 255))
        elif action == 'cut':
            del data[position:]
        elif action == 'drop':
            del data[position:position + draw(st.integers(1, 16))]
        else:
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


@st.composite
def damaged_pem(draw):
    """A seed block whose DER is damaged, re-armoured: valid base64, wrong content; sometimes under another label."""
    label, headers, der = draw(st.sampled_from([block for pem in SEED_PEMS for block in _blocks(pem)]))
    if draw(st.booleans()):
        label = draw(st.sampled_from(LABELS))
    return _armour(label, draw(damaged_der(der)), headers if draw(st.booleans()) else ())


@st.composite
def truncated_pem(draw):
    """A seed PEM (or several) cut at a random point."""
    text = ''.join(draw(st.lists(st.sampled_from(SEED_PEMS), min_size=1, max_size=3)))
    return text[:draw(st.integers(0, len(text)))]


@st.composite
def odd_block(draw):
    """A BEGIN/END pair of any label around random base64 or text, maybe with mismatched END or headers."""
    label = draw(st.sampled_from(LABELS) | st.text(st.sampled_from(LABEL_CHARACTERS), min_size=1, max_size=45))
    end = label if draw(st.booleans()) else draw(st.sampled_from(LABELS))
    body = draw(st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode('ascii')) | st.text(max_size=100))
    headers = draw(st.sampled_from(['', 'Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n',
                                    'Proc-Type: 4,ENCRYPTED\nDEK-Info: %s\n\n' % draw(st.text(max_size=40)),
                                    'Proc-Type: 4,ENCRYPTED\n\n', 'Foo: bar\n']))
    return '-----BEGIN %s-----\n%s%s\n-----END %s-----\n' % (label, headers, body, end)


UNICODE = st.text(st.characters(codec=None, exclude_categories=()), max_size=200)
GARBAGE = st.text(max_size=80) | UNICODE | st.sampled_from(['', '\n', '\r\n', '   ', '\x00', '-----', '-----END'])
BLOCK = st.one_of(st.sampled_from(SEED_PEMS), damaged_pem(), truncated_pem(), odd_block())


@st.composite
def mixed_pem(draw):
    """Blocks of any kind, with garbage between them, maybe indented, with CRLF or spaces for newlines."""
    parts = []
    for block in draw(st.lists(BLOCK, min_size=1, max_size=5)):
        parts += [draw(GARBAGE), block]
    parts.append(draw(GARBAGE))
    text = ''.join(parts)
    layout = draw(st.sampled_from(['plain', 'crlf', 'indent', 'spaces']))
    if layout == 'crlf':
        text = text.replace('\n', '\r\n')
    elif layout == 'indent':
        text = '\n'.join('    ' + line for line in text.split('\n'))
    elif layout == 'spaces':
        text = text.replace('\n', ' ')
    return text


@st.composite
def huge(draw):
    """Up to 2 MB (twice what a file may hold): a block among a lot of repeated text, or one block repeated a
    thousand times."""
    chunk = draw(st.sampled_from(SEED_PEMS[:3]) | st.text(min_size=1, max_size=40) | st.just('A' * 64 + '\n'))
    text = chunk * (draw(st.integers(100 * 1024, 2 * 1024 * 1024)) // len(chunk))
    if draw(st.booleans()):
        text = text + draw(st.sampled_from(SEED_PEMS))
    return text


TEXT_INPUT = st.one_of(mixed_pem(), st.text(max_size=2000), UNICODE, huge())
BYTES_INPUT = (st.binary(max_size=4096) | TEXT_INPUT.map(lambda text: text.encode('utf-8', 'surrogatepass'))
               | st.sampled_from([issued.cert_der for issued in LEAVES]).flatmap(damaged_der))
ANY_INPUT = TEXT_INPUT | BYTES_INPUT | st.none()
PASSPHRASES = st.none() | st.just(PASSPHRASE) | st.just('') | UNICODE | st.binary(max_size=40)


# --- the property -------------------------------------------------------------------------------------------------

def tried(test):
    """Count one example (one input) of a test."""
    EXAMPLES[test] += 1


def parsed_or_ours(func, *args, **kwargs):
    """func(*args, **kwargs): its value, or None when it raised one of our errors with a clean message. Any other
    exception fails the test (hypothesis then shrinks the input to the smallest one that does it)."""
    try:
        return func(*args, **kwargs)
    except CollectionError as exc:
        message = str(exc)
        assert isinstance(message, str) and message.strip(), 'empty message from %s' % func.__name__
        assert '-----BEGIN' not in message and '-----END' not in message, message
        leaked = [line for line in SECRET_LINES if line in message]
        assert not leaked, 'key material in the message of %s: %s' % (func.__name__, message)
        return None


# --- _pem ---------------------------------------------------------------------------------------------------------

@FUZZ
@given(ANY_INPUT)
@example(b'\x30\x82\xff\xff')
@example('-----BEGIN CERTIFICATE-----\n\udcff\n-----END CERTIFICATE-----\n')
@example('\ud800-----BEGIN CERTIFICATE-----')
@example((b'A' * 64 + b'\n') * 32000)
def test_certificate_parsers(data):
    tried('certificate parsers')
    described = parsed_or_ours(_pem.describe_found, data)
    assert described is None or described.strip()
    parsed_or_ours(_pem.pem_block_labels, data)
    for certificates in (parsed_or_ours(_pem.load_certificates, data, option='chain'),
                         [parsed_or_ours(_pem.load_single_certificate, data)]):
        for certificate in certificates or []:
            if certificate is not None:
                # What the modules do with a parsed certificate: its facts, its PEM and DER, its public key.
                parsed_or_ours(_pem.certificate_facts, certificate)
                parsed_or_ours(_pem.certificate_pem, certificate)
                parsed_or_ours(_pem.public_key_sha256_fingerprint, certificate.public_key())
    split = parsed_or_ours(_pem.split_pem_bundle, data)
    if split is not None:
        assert set(split) == set(['certificates', 'private_keys', 'public_keys', 'other'])


@FUZZ
@given(TEXT_INPUT | BYTES_INPUT)
def test_desired_certificate(data):
    """The certificate module's path: name, environments, then the PEM (text, or a file's bytes) parsed once and its
    facts."""
    tried('desired certificate')
    desired = parsed_or_ours(_certificates.desired_certificate, 'fuzz', data,
                             environments=['production'])
    if desired is not None:
        assert desired['facts']['sha1_thumbprint'] and desired['pem'].startswith('-----BEGIN CERTIFICATE-----')


# --- _keys ----------------------------------------------------------------------------------------------------------

KEY_INPUT = st.one_of(st.sampled_from(PRIVATE_PEMS + ENCRYPTED_PEMS + PUBLIC_PEMS), damaged_pem(), truncated_pem(),
                      mixed_pem(), st.binary(max_size=600), st.text(max_size=300))


@FUZZ_SLOW
@given(KEY_INPUT, PASSPHRASES, st.booleans())
@example(ENCRYPTED_PEMS[0], None, False)
@example(ENCRYPTED_PEMS[1], 'wrong', False)
@example(ENCRYPTED_PEMS[1], '\ud800', True)
def test_asymmetric_key_material(data, passphrase, as_file):
    """key_material of a private or public key, then the full check of a private key that is about to be sent."""
    tried('key material')
    source = dict(content_bytes=data if isinstance(data, bytes) else data.encode('utf-8', 'surrogatepass')) \
        if as_file else dict(content=data)
    for key_type in ('private_key', 'public_key'):
        material = parsed_or_ours(_keys.key_material, key_type, passphrase=passphrase, **source)
        if material is not None:
            assert material.content and len(material.public_key_sha256) == 64
            if material.check is not None:
                parsed_or_ours(material.check)


@FUZZ
@given(st.text(max_size=100) | UNICODE | st.binary(max_size=60).map(lambda b: base64.b64encode(b).decode('ascii')),
       st.none() | st.binary(max_size=64))
def test_secret_key_material(content, content_bytes):
    tried('secret key material')
    material = parsed_or_ours(_keys.key_material, 'secret_key', content=content,
                              content_bytes=content_bytes)
    if material is not None:
        assert len(base64.b64decode(material.content)) in _keys.SECRET_KEY_LENGTHS and material.check is None


@FUZZ_SLOW
@given(st.sampled_from(range(len(ENCRYPTED_PEMS))), PASSPHRASES)
def test_encrypted_keys_need_their_passphrase(index, passphrase):
    """Without the passphrase, or with another one, an encrypted key is refused naming the passphrase option."""
    tried('encrypted keys')
    result = parsed_or_ours(_pem.load_private_key, ENCRYPTED_PEMS[index], passphrase=passphrase,
                            passphrase_option='private_key_passphrase')
    right = passphrase in (PASSPHRASE, PASSPHRASE.encode('ascii'))
    assert (result is not None) == right
    if not right:
        with pytest.raises(_pem.PemError, match='private_key_passphrase'):
            _pem.load_private_key(ENCRYPTED_PEMS[index], passphrase=passphrase, passphrase_option='private_key_passphrase')


# A leaf, its key and the root in a PKCS#12 file: opened whole, or damaged (flipped, cut, dropped, inserted bytes).
PKCS12_FILES = [LEAVES[0].pkcs12([ROOT], passphrase=PASSPHRASE), LEAVES[1].pkcs12([ROOT])]


@FUZZ_SLOW
@given(st.sampled_from(PKCS12_FILES).flatmap(damaged_der) | st.sampled_from(PKCS12_FILES) | st.binary(max_size=600),
       PASSPHRASES)
def test_pkcs12_files(data, passphrase):
    """A PKCS#12 file, damaged or not, with any passphrase: its leaf, key and chain, or our error, which names the
    option and neither the file's passphrase nor any of the file."""
    tried('pkcs12 files')
    try:
        contents = _pem.load_pkcs12(data, passphrase)
    except CollectionError as exc:
        message = str(exc)
        assert message.startswith('pkcs12_path: '), message
        assert PASSPHRASE not in message, message
        encoded = base64.b64encode(data).decode('ascii')
        assert not any(encoded[i:i + 16] in message for i in range(0, max(len(encoded) - 16, 0), 4)), message
        return
    assert _pem.key_matches_certificate(contents.private_key, contents.leaf)


# --- _bundles -------------------------------------------------------------------------------------------------------

SPEC_FIELDS = ('state', 'environments', 'description', 'alias', 'certificate', 'certificate_path', 'chain', 'chain_path',
               'private_key', 'private_key_path', 'private_key_passphrase', 'secret_key', 'secret_key_path',
               'public_key', 'public_key_path', 'update_content', 'force', 'allow_expired')


@pytest.fixture(scope='module')
def input_files(tmp_path_factory):
    """Files a bundle may name by path: good, damaged, empty, oversized, missing, a directory."""
    directory = tmp_path_factory.mktemp('fuzz-input')
    contents = dict(cert=CERT_PEMS[0], chain=CERT_PEMS[2], key=PRIVATE_PEMS[0], encrypted=ENCRYPTED_PEMS[0],
                    public=PUBLIC_PEMS[0], secret=b's' * 32, der=LEAVES[0].cert_der, empty=b'', garbage=b'\xff\xfe\x00x',
                    oversized=b'A' * (_validation.MAX_INPUT_FILE_BYTES + 1))
    paths = []
    for stem, content in contents.items():
        path = directory / stem
        path.write_bytes(content if isinstance(content, bytes) else content.encode('ascii'))
        paths.append(str(path))
    return paths + [str(directory / 'missing'), str(directory)]


NAMES = st.sampled_from(['api', 'api.v2', 'x-chain-1', '', ' ', 'a b', '-x', 'é']) | st.text(max_size=140)
RAW = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.lists(st.text(max_size=5), max_size=3)
ENVIRONMENT_ITEM = (st.sampled_from(['production', 'staging', '']) | RAW
                    | st.dictionaries(st.sampled_from(sorted(_bundles.ENVIRONMENT_FIELDS) + ['bogus']),
                                      RAW | st.sampled_from(PRIVATE_PEMS + ['production']), max_size=4))


def field_values(paths):
    """What each bundle option may hold: values of its type (the argument spec checks types, not content)."""
    pem = st.one_of(st.sampled_from(SEED_PEMS), mixed_pem(), st.text(max_size=200))
    path = st.sampled_from(paths) | st.text(max_size=30)
    return dict(
        state=st.sampled_from(['present', 'absent']), environments=st.none() | st.lists(ENVIRONMENT_ITEM, max_size=4),
        description=st.text(max_size=30), alias=st.none() | NAMES, certificate=pem, certificate_path=path, chain=pem,
        chain_path=path, private_key=pem, private_key_path=path, private_key_passphrase=PASSPHRASES.filter(
            lambda value: not isinstance(value, bytes)), secret_key=st.text(max_size=60) | st.just('c' * 43 + '='),
        secret_key_path=path, public_key=pem, public_key_path=path, update_content=st.sampled_from(['on_create', 'always']),
        force=st.booleans(), allow_expired=st.booleans())


@FUZZ
@given(st.data())
def test_bundle_specs_of_random_shapes(input_files, data):
    """Bundles as the module's argument spec hands them over (every option present, most None), with any values of
    the right types; then the names checked across bundles, as the module does."""
    tried('bundle specs')
    values = field_values(input_files)
    specs = []
    for _index in range(data.draw(st.integers(1, 3))):
        chosen = data.draw(st.sets(st.sampled_from(SPEC_FIELDS), max_size=6))
        spec = dict((field, None) for field in SPEC_FIELDS)
        spec.update(name=data.draw(NAMES), state='present', description='', update_content='on_create', force=False,
                    allow_expired=False)
        spec.update((field, data.draw(values[field])) for field in sorted(chosen))
        specs.append(spec)
    default_environments = data.draw(st.lists(st.sampled_from(['production', 'staging', '']), max_size=2))
    desired = [parsed_or_ours(_bundles.desired_bundle, spec, default_environments) for spec in specs]
    desired = [bundle for bundle in desired if bundle is not None]
    parsed_or_ours(_bundles.check_names_unique, desired)


@FUZZ_SLOW
@given(st.integers(0, 1), st.integers(0, 1), st.sampled_from(['pkcs8', 'traditional']), st.booleans())
def test_a_bundle_key_must_match_its_certificate(cert_index, key_index, fmt, encrypted):
    """Every pair of the seed certificates and keys: the matching one passes, any other is refused by name."""
    tried('certificate and key pairs')
    passphrase = PASSPHRASE if encrypted else None
    spec = dict(name='pair', certificate=LEAVES[cert_index].cert_text, environments=['production', 'staging'],
                private_key=testcerts.private_key_text(KEYS[key_index], fmt, passphrase), private_key_passphrase=passphrase)
    bundle = parsed_or_ours(_bundles.desired_bundle, spec)
    if cert_index == key_index:
        assert bundle is not None and bundle['key']['key_type'] == 'private_key'
        for entry in bundle['key']['environments']:
            entry['check']()
    else:
        assert bundle is None
        with pytest.raises(_bundles.BundleError, match='does not match the certificate'):
            _bundles.desired_bundle(spec)


# --- _validation ------------------------------------------------------------------------------------------------------

@FUZZ
@given(NAMES | UNICODE, st.lists(st.none() | st.text(max_size=12) | UNICODE, max_size=5), ENVIRONMENT_ITEM)
def test_names_and_environments(name, environments, item):
    tried('names and environments')
    name_checked = parsed_or_ours(_validation.check_name, name)
    if name_checked is not None:
        assert _validation.NAME_PATTERN.match(name) and len(name) <= _validation.NAME_MAX_LENGTH
    parsed_or_ours(_validation.check_environment_list, environments)
    parsed_or_ours(_validation.check_environment_mapping, item, 'environments[0]',
                   _bundles.ENVIRONMENT_FIELDS)


@FUZZ
@given(st.integers(0, 11) | st.text(max_size=40) | UNICODE)
@example('\x00')
def test_input_files(input_files, path):
    """A path: one of input_files (by index), or any text."""
    tried('input files')
    data = parsed_or_ours(_validation.read_input_file, input_files[path] if isinstance(path, int) else path,
                          'certificate_path')
    assert data is None or 0 < len(data) <= _validation.MAX_INPUT_FILE_BYTES
