# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A leak scanner for the output of Ansible runs: no token, password, passphrase or key material in it, and proof
that the output scanned is the run it should be.

The collection's own leak checks (the integration target apinizer_key_leaks, the reliability suite's secret
hygiene cases, the AWX ansible-runner test) use it, and so can your own tests::

    from apinizer_emulator import leaks

    secrets = leaks.Secrets()
    secrets.add('token', token)
    secrets.add_private_key('tls key', key_pem)          # also its PKCS#8 form and the base64 the modules send
    secrets.add_secret_key('signing key', raw_bytes)     # raw, base64, URL-safe base64, hex
    secrets.add_directory(pki_dir)                       # every private key, *.passphrase, *.password, *.bin and *.p12 in a directory
    report = leaks.scan(['stdout.txt', 'stderr.txt'], secrets, markers=[leaks.VERBOSE, leaks.RECAP])
    report.check()                                       # AssertionError naming each file and secret, never a value

Each secret is looked for in every form it may take in an output: as given; a private key by every PEM body line
that holds private bytes (as given and as PKCS#8) and by 24-character pieces of the base64 of its PKCS#8 PEM (what the
modules send) and of its PEM as given; a secret key as raw bytes, base64 and URL-safe base64 (with or without
padding) and hex (either case). What holds only public key bytes (an RSA modulus, which the certificate holds too)
or only structure (tags, lengths, algorithm identifiers: the same in every key of a kind) is left out. Each output
is searched with JSON's escaped slash (``\\/``) undone and escaped line breaks, white space and backslashes removed,
so that a value wrapped over lines, indented or escaped is found too; a value that holds white space or a backslash
is looked for as it is and JSON-escaped. A finding names the output, the secret and the form, never the value.

Markers prove what was scanned: strings (one of several alternatives each) that only the run asked for prints, such
as the -vvv connection line, the play recap, a key diff's placeholders, task names, a value only a result carries.
An output that lacks one (empty, cut in half, not verbose, without results) is refused, as is a scan with no output
or fewer secrets than asked for.
"""

from __future__ import annotations

import base64
import binascii
import collections
import fnmatch
import hashlib
import json
import os
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from .testcerts import private_key_text
from .x509util import load_private_key_pem

# A value shorter than this would be found by chance: Secrets.add refuses it, derived forms leave it out.
MIN_LENGTH = 8
# Characters of base64 per piece of a private key's encoded PEM: any 47 consecutive characters hold a whole piece.
PIECE = 24
# The fields of the API's request bodies: an output that holds one shows a request a module sent.
REQUEST_FIELDS = ('cryptoKeyInfoEnvironmentList', 'pemEncodedFile', 'base64EncodedContent')

Marker = collections.namedtuple('Marker', ['description', 'alternatives'])

# Markers that hold in the output of every ansible-core from 2.16 to 2.21, whatever the callback's layout.
VERBOSE = Marker('a -vvv run (the local connection at verbosity 3)', ('ESTABLISH LOCAL CONNECTION FOR USER',))
RECAP = Marker('the play recap', ('PLAY RECAP',))
# A key's content is named in its diff only, as stored (before) and replaced (after): in diff mode only.
KEY_DIFF = (Marker('a key diff (stored)', ("'stored'", '"stored"', ': stored')),
            Marker('a key diff (replaced)', ("'replaced'", '"replaced"', ': replaced')))
# The return key of apinizer_key_info: in the output only when the callback printed results.
KEY_INFO_RESULT = Marker('the apinizer_key_info result', ('crypto_keys',))

Needle = collections.namedtuple('Needle', ['name', 'form', 'value', 'verbatim'])
Finding = collections.namedtuple('Finding', ['output', 'name', 'forms', 'line'])

_PRIVATE_KEY_BLOCK = re.compile(r'-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----.*?-----END \1-----\n?', re.S)
# A flattened copy of an output has JSON's escaped slash undone, escaped line breaks removed, and every white space
# character and remaining backslash deleted.
_UNESCAPE = ((b'\\/', b'/'), (b'\\n', b''), (b'\\r', b''), (b'\\t', b''))
_DELETED = b' \t\n\r\x0b\x0c\\'
# A value holding one of these would not survive flattening: it is looked for in the output as it is (and JSON-escaped).
_FRAGILE = re.compile(rb'[\s\\]')
# Needles of at least 2 * GRAM - 1 bytes are first looked up in the set of the output's GRAM-byte chunks (one of
# theirs must be there: a cheap, exact filter); only those that pass are searched for.
GRAM = 12


def _bytes(value):
    return value.encode('utf-8') if isinstance(value, str) else bytes(value)


def flatten(data):
    """data (bytes) with JSON's escaped slash undone and escaped line breaks, white space and backslashes removed: a
    value wrapped over lines or escaped stands in it in one piece."""
    if b'\\' in data:
        for escaped, plain in _UNESCAPE:
            data = data.replace(escaped, plain)
    return data.translate(None, _DELETED)


def _chunks(data):
    return set(re.findall(rb'(?s).{%d}' % GRAM, data))


def _load_private_key(pem, passphrases):
    """The key of a PEM block, trying no passphrase then each one given; None when none opens it."""
    for passphrase in [None] + [_bytes(p) for p in passphrases if p]:
        try:
            return load_private_key_pem(pem.encode('ascii'), password=passphrase)
        except (ValueError, TypeError):
            continue
    return None


def _public_der(key):
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _only_public(line, public_der):
    """True when a PEM body line decodes to bytes all inside the public key (an RSA modulus, say): the certificate
    of the key holds them too, so they are no secret."""
    try:
        return bool(public_der) and base64.b64decode(line, validate=True) in public_der
    except (ValueError, binascii.Error):
        return False


def _pem_body(pem):
    """([body index of each character of pem: k for the k-th base64 character of the body, None for a line break
    inside it, -1 outside it (armor, headers)], the body decoded) of one PEM block; (.., None) when it does not
    decode."""
    index, count, headers = [], 0, False
    lines = pem.split('\n')
    for number, line in enumerate(lines):
        if number == 0 or line.startswith('-----') or (number == 1 and ':' in line):
            headers = headers or (number == 1 and ':' in line)
            index += [-1] * (len(line) + (number < len(lines) - 1))
            continue
        if headers:  # Proc-Type, DEK-Info ... up to the blank line: no key bytes
            headers = line != ''
            index += [-1] * (len(line) + 1)
            continue
        index += list(range(count, count + len(line)))
        count += len(line)
        if number < len(lines) - 1:
            index.append(None)
    try:
        der = base64.b64decode(''.join(line for i, line in enumerate(lines) if line and not line.startswith('-----')
                                       and ':' not in line), validate=True)
    except (ValueError, binascii.Error):
        der = None
    return index, der


def _material(der):
    """[1 for each byte of der that is key material, else 0]: the contents of its INTEGERs, OCTET STRINGs and BIT
    STRINGs longer than MIN_LENGTH bytes (an OCTET STRING holding a DER value, as PKCS#8 holds the key, is looked
    into). The rest -- tags, lengths, versions, algorithm identifiers -- is the same in every key of a kind. All of
    it when der does not parse (an encrypted traditional PEM's body)."""
    marks = bytearray(len(der))

    def walk(start, end):
        position = start
        while position < end:
            tag, length, position = der[position], der[position + 1], position + 2
            if length & 0x80:
                size = length & 0x7f
                length, position = int.from_bytes(der[position:position + size], 'big'), position + size
            if position + length > end:
                raise ValueError('truncated')
            if tag & 0x20:
                walk(position, position + length)
            elif tag == 0x04 and _single_value(der, position, position + length):
                walk(position, position + length)
            elif tag in (0x02, 0x03, 0x04) and length > MIN_LENGTH:
                marks[position:position + length] = b'\x01' * length
            position += length

    try:
        walk(0, len(der))
    except (ValueError, IndexError):
        return bytearray(b'\x01' * len(der))
    return marks


def _single_value(der, start, end):
    """True when der[start:end] is exactly one constructed DER value."""
    if end - start < 2 or not der[start] & 0x20:
        return False
    length, position = der[start + 1], start + 2
    if length & 0x80:
        size = length & 0x7f
        length, position = int.from_bytes(der[position:position + size], 'big'), position + size
    return position + length == end


def public_key_sha256(pem, passphrase=None):
    """What apinizer_key returns as public_key_sha256 for a private key (PEM text or bytes): the SHA-256 of its DER
    SubjectPublicKeyInfo, upper-case hex. A value only the module's result carries: a marker that results were
    printed."""
    key = _load_private_key(pem.decode('ascii') if isinstance(pem, bytes) else pem, [passphrase] if passphrase else [])
    if key is None:
        raise ValueError('not a private key that opens%s' % (' with the passphrase given' if passphrase else ''))
    return hashlib.sha256(_public_der(key)).hexdigest().upper()


def result_marker(description, value):
    """A marker for one value, e.g. a fingerprint only a module's result carries."""
    return Marker(description, (value,))


def task_names(paths, modules):
    """Markers for the names of the tasks (inside blocks too) in these task files that call one of modules (FQCNs);
    templated names are left out. Needs PyYAML (Ansible brings it)."""
    import yaml  # pylint: disable=import-outside-toplevel

    def walk(tasks):
        for entry in tasks or []:
            if not isinstance(entry, dict):
                continue
            for section in ('block', 'rescue', 'always'):
                yield from walk(entry.get(section))
            name = entry.get('name', '')
            if name and '{{' not in name and any(module in entry for module in modules):
                yield name

    markers = []
    for path in paths:
        with open(path) as handle:
            markers += [Marker('task %r of %s' % (name, path), (name,)) for name in walk(yaml.safe_load(handle))]
    return markers


def _marker(marker):
    if isinstance(marker, str):
        return Marker(marker, (marker,))
    description, alternatives = marker
    return Marker(description, (alternatives,) if isinstance(alternatives, str) else tuple(alternatives))


def missing_markers(data, markers):
    """The descriptions of the markers none of whose alternatives is in data (str or bytes)."""
    data = _bytes(data)
    return [m.description for m in map(_marker, markers) if not any(_bytes(a) in data for a in m.alternatives)]


class Secrets:
    """The secrets a scan looks for, each under a name (what a finding reports) in every form it may take."""

    def __init__(self):
        self.needles = []
        self.names = []
        self._seen = set()

    def __len__(self):
        return len(self.needles)

    def _add(self, name, form, value, required=False):
        value = _bytes(value)
        if len(value) < MIN_LENGTH:
            if required:
                raise ValueError('secret %r is %d bytes long: a scan needs at least %d, or it finds it by chance'
                                 % (name, len(value), MIN_LENGTH))
            return
        if name not in self.names:
            self.names.append(name)
        variants = [value]
        if _FRAGILE.search(value):
            variants.append(json.dumps(value.decode('utf-8', 'replace'))[1:-1].encode('utf-8'))
        for variant in variants:
            if variant not in self._seen:  # the same bytes under another name or form are found as those
                self._seen.add(variant)
                self.needles.append(Needle(name, form, variant, bool(_FRAGILE.search(variant))))

    def add(self, name, value):
        """A token, password, passphrase: the value as it is (str or bytes, at least MIN_LENGTH bytes). A value (or form)
        already added under another name is found under that one."""
        if not value:
            raise ValueError('secret %r is empty: the scan would not know what to look for' % name)
        self._add(name, None, value, required=True)
        return self

    def add_secret_key(self, name, raw):
        """A secret key (bytes; text is taken as its UTF-8 bytes): raw, base64, URL-safe base64, hex."""
        raw = _bytes(raw)
        if not raw:
            raise ValueError('secret key %r is empty' % name)
        before = len(self.needles)
        for form, value in (('raw', raw), ('base64', base64.b64encode(raw).rstrip(b'=')),
                            ('URL-safe base64', base64.urlsafe_b64encode(raw).rstrip(b'=')),
                            ('hex', binascii.hexlify(raw)), ('hex', binascii.hexlify(raw).upper())):
            self._add(name, form, value)
        if len(self.needles) == before and name not in self.names:
            raise ValueError('secret key %r is too short to be found reliably in any form' % name)
        return self

    def add_private_key(self, name, pem, passphrase=None):
        """Every PEM private key block in pem (text or bytes), encrypted ones opened with passphrase: its PEM body
        lines that hold private bytes, as given and as PKCS#8, and pieces of the base64 of its PKCS#8 PEM (what the
        modules send) and of its PEM as given. A key that does not open is looked for as given only."""
        text = pem.decode('ascii') if isinstance(pem, bytes) else pem
        blocks = [match.group(0) for match in _PRIVATE_KEY_BLOCK.finditer(text)]
        if not blocks:
            raise ValueError('%r holds no PEM private key' % name)
        for block in blocks:
            key = _load_private_key(block, [passphrase] if passphrase else [])
            public_der = _public_der(key) if key is not None else b''
            self._add_pem_lines(name, 'line %d of the PEM', block, public_der)
            pkcs8 = None
            if key is not None:
                pkcs8 = private_key_text(key)
                self._add_pem_lines(name, 'line %d of its PKCS#8 PEM', pkcs8, public_der)
                self._add_pieces(name, 'as sent (base64 of its PKCS#8 PEM), at %d', pkcs8, public_der)
            if block != pkcs8:
                self._add_pieces(name, 'base64 of the PEM, at %d', block, public_der)
        return self

    def _add_pem_lines(self, name, form, pem, public_der):
        for number, line in enumerate(pem.splitlines(), 1):
            if len(line) >= 16 and not line.startswith('-----') and ':' not in line and not _only_public(line, public_der):
                self._add(name, form % number, line)

    def _add_pieces(self, name, form, pem, public_der):
        """Pieces of base64(pem) that encode key bytes: not the armor or headers, not only structure (tags, lengths,
        algorithm identifiers: the same in every key of a kind), not only public key bytes."""
        body, der = _pem_body(pem)
        if der is None:
            return
        material = _material(der)
        encoded = base64.b64encode(pem.encode('ascii')).decode('ascii')
        for start in range(0, len(encoded) - PIECE + 1, PIECE):
            chars = body[start * 3 // 4:(start + PIECE) * 3 // 4]
            if -1 in chars:
                continue
            chars = [k for k in chars if k is not None]
            low, high = (6 * chars[0] + 7) // 8, 6 * (chars[-1] + 1) // 8
            if sum(material[low:high]) >= MIN_LENGTH and der[low:high] not in public_der:
                self._add(name, form % start, encoded[start:start + PIECE])

    def add_file(self, name, path):
        """The content of a file (a passphrase, a password), without surrounding white space."""
        with open(path, 'rb') as handle:
            return self.add(name, handle.read().strip())

    def add_pkcs12(self, name, data, passphrases=()):
        """A PKCS#12 file (bytes): raw, base64, URL-safe base64 and hex, as a secret key is, and its private key, in
        every form add_private_key looks for, when the file opens without a passphrase or with one given."""
        self.add_secret_key(name, data)
        for passphrase in [None] + [_bytes(p) for p in passphrases if p]:
            try:
                key = pkcs12.load_key_and_certificates(data, passphrase)[0]
            except ValueError:
                continue
            if key is not None:
                self.add_private_key('the private key in %s' % name, private_key_text(key))
            break
        return self

    def add_directory(self, directory, secret_keys=('*.bin',), passphrases=('*.passphrase', '*.password'), pkcs12_files=('*.p12', '*.pfx')):
        """The key material of a directory of test files (e.g. the collection's test PKI): each file named like
        passphrases is a passphrase, each named like secret_keys a secret key, each named like pkcs12_files a PKCS#12
        file (add_pkcs12, opened with the passphrases found), each other file holding a PEM private key that key
        (encrypted ones opened with the passphrases found). Certificates and public keys are skipped."""
        names = sorted(n for n in os.listdir(directory) if os.path.isfile(os.path.join(directory, n)))

        def matching(patterns):
            return [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]

        found = []
        for name in matching(passphrases):
            with open(os.path.join(directory, name), 'rb') as handle:
                found.append(handle.read().strip())
            self.add('passphrase %s' % name, found[-1])
        for name in matching(secret_keys):
            with open(os.path.join(directory, name), 'rb') as handle:
                self.add_secret_key('secret key %s' % name, handle.read())
        keys = []
        for name in sorted(set(names) - set(matching(passphrases)) - set(matching(secret_keys)) - set(matching(pkcs12_files))):
            with open(os.path.join(directory, name), 'rb') as handle:
                data = handle.read()
            if b'PRIVATE KEY-----' in data:
                keys.append((b'ENCRYPTED' in data, name, data.decode('ascii', 'replace')))
        # Plain keys first: the forms an encrypted copy shares with one (its PKCS#8) are found under the plain file's name.
        for encrypted, name, text in sorted(keys):
            opener = next((p for p in found if _load_private_key(text, [p]) is not None), None) if encrypted else None
            self.add_private_key('private key %s' % name, text, passphrase=opener)
        # After the PEM keys: a key a PKCS#12 file shares with one is found under the PEM file's name.
        for name in matching(pkcs12_files):
            with open(os.path.join(directory, name), 'rb') as handle:
                self.add_pkcs12('PKCS#12 file %s' % name, handle.read(), found)
        return self

    def find(self, data):
        """[(needle, line)] for each form of a secret in data (str or bytes): line is the line number where the
        form stands as it is, None when it is found only wrapped over lines or escaped."""
        data = _bytes(data)
        haystacks = {True: data, False: flatten(data)}
        chunks = {}
        found = []
        for needle in self.needles:
            value, haystack = needle.value, haystacks[needle.verbatim]
            if len(value) >= 2 * GRAM - 1:
                if needle.verbatim not in chunks:
                    chunks[needle.verbatim] = _chunks(haystack)
                if not any(value[i:i + GRAM] in chunks[needle.verbatim] for i in range(GRAM)):
                    continue
            if value in haystack:
                found.append((needle, _line_of(data, value)))
        return found


class Report:
    """The outcome of a scan: findings (output, secret name, forms, line), missing markers, problems."""

    def __init__(self):
        self.findings = []
        self.missing = []
        self.problems = []
        self.outputs = 0
        self.size = 0
        self.secrets = 0
        self.forms = 0
        self.markers = 0

    @property
    def ok(self):
        return not (self.findings or self.missing or self.problems)

    def messages(self):
        """One line per problem, per output that is not the run it should be, and per secret found in an output."""
        lines = list(self.problems)
        lines += ['%s: not the run it should be (missing %s)' % (output, '; '.join(descriptions))
                  for output, descriptions in self.missing]
        for finding in self.findings:
            forms = _describe(finding.forms)
            lines.append('%s: %s%s%s' % (finding.output, finding.name, ' (%s)' % forms if forms else '',
                                         ', line %d' % finding.line if finding.line else ', wrapped or escaped'))
        return lines

    def summary(self):
        if not self.ok:
            return 'leak scan failed:\n  ' + '\n  '.join(self.messages())
        return '%d secrets (%d forms) checked in %d output(s), %d bytes%s: none found' % (
            self.secrets, self.forms, self.outputs, self.size,
            ', all %d markers present' % self.markers if self.markers else '')

    __str__ = summary

    def check(self):
        """Raise AssertionError with the summary unless the scan passed."""
        if not self.ok:
            raise AssertionError(self.summary())
        return self


def _describe(forms):
    """The forms of one secret found, in short: 'line 7 of the PEM', '21 lines of the PEM', 'as sent (...): 12 pieces'."""
    groups = collections.OrderedDict()
    for form in forms:
        if form is None:
            continue
        line, piece = re.match(r'line \d+ of (.*)$', form), re.match(r'(.*), at \d+$', form)
        key = ('lines', line.group(1)) if line else ('pieces', piece.group(1)) if piece else (None, form)
        groups.setdefault(key, []).append(form)
    parts = []
    for (kind, what), members in groups.items():
        if kind is None or len(members) == 1:
            parts.append(members[0])
        else:
            parts.append('%d lines of %s' % (len(members), what) if kind == 'lines' else '%s: %d pieces' % (what, len(members)))
    return '; '.join(parts)


def _read(output, relative_to):
    """(key, shown name, data or None) of an output: a path, or a (name, str or bytes) pair."""
    if isinstance(output, tuple):
        return output[0], output[0], _bytes(output[1])
    path = os.path.abspath(os.fspath(output))
    shown = os.path.relpath(path, relative_to) if relative_to else os.fspath(output)
    if not os.path.isfile(path):
        return path, shown, None
    with open(path, 'rb') as handle:
        return path, shown, handle.read()


def scan(outputs, secrets, markers=(), each_file=False, allowed=None, expected=None, forbidden=REQUEST_FIELDS,
         min_secrets=1, relative_to=None):
    """Scan outputs (paths, or (name, data) pairs) for secrets (a Secrets); returns a Report.

    markers: what the outputs together (each_file: each output) must hold, as Marker values, (description,
    alternatives) pairs or plain strings. allowed: {output: [secret names that may stand there]}; expected: {output:
    [secret names that must stand there]}, proof that the scan finds what is there (outputs by path or by the name
    of a (name, data) pair).
    forbidden: strings no output may hold (default: the API's request body fields). min_secrets: refuse a scan
    that knows fewer secrets by name. relative_to: name paths relative to this directory."""
    report = Report()
    report.secrets, report.forms, report.markers = len(secrets.names), len(secrets), len(markers)
    if len(secrets.names) < min_secrets:
        report.problems.append('only %d secrets known, at least %d expected: the scan cannot be trusted'
                               % (len(secrets.names), min_secrets))
    if not outputs:
        report.problems.append('no output to scan')
    allowed, expected = _by_output(allowed), _by_output(expected)
    unseen = list(markers)  # the markers no output held yet (each_file False)
    for output in outputs:
        key, shown, data = _read(output, relative_to)
        if data is None:
            report.problems.append('%s: missing, so not scanned' % shown)
            continue
        report.outputs += 1
        report.size += len(data)
        found = collections.OrderedDict()
        for needle, line in secrets.find(data):
            entry = found.setdefault(needle.name, [[], line])
            entry[0].append(needle.form)
            entry[1] = entry[1] or line
        for name in expected.get(key, []):
            if name not in found:
                report.problems.append('%s: %s is not there, where it must be: the scan is broken' % (shown, name))
        tolerated = set(allowed.get(key, []) + expected.get(key, []))
        report.findings += [Finding(shown, name, forms, line) for name, (forms, line) in found.items() if name not in tolerated]
        report.findings += [Finding(shown, 'request body field %s' % field, [], _line_of(data, _bytes(field)))
                            for field in forbidden if _bytes(field) in data]
        if each_file:
            missing = missing_markers(data, markers)
            if missing:
                report.missing.append((shown, missing))
        else:
            unseen = [marker for marker in unseen if missing_markers(data, [marker])]
    if unseen and not each_file and report.outputs:
        report.missing.append(('the outputs', [_marker(marker).description for marker in unseen]))
    return report


def _by_output(mapping):
    """{output key: [names]} of an allowed/expected mapping, its keys paths (as given or absolute) or output names."""
    result = {}
    for key, names in (mapping or {}).items():
        result[os.fspath(key)] = result[os.path.abspath(os.fspath(key))] = list(names)
    return result


def _line_of(data, value):
    position = data.find(value)
    return data.count(b'\n', 0, position) + 1 if position >= 0 else None
