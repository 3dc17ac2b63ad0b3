# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The leak scanner apinizer_emulator.leaks, which the integration target apinizer_key_leaks, the reliability suite's
secret hygiene cases and the AWX runner test use: it finds a planted secret in every form it may take, never echoes
it, and refuses an output that is not the run it should be."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets

import pytest

from apinizer_emulator import leaks, testcerts
from ansible_collections.apinizer.apiops.plugins.module_utils import _pem

TOKEN = 'tok-' + secrets.token_urlsafe(32)
PASSWORD = 'pass word/' + secrets.token_hex(8)  # white space and a slash: looked for as it is and JSON-escaped
RAW = secrets.token_bytes(32)
# What a verbose diff-mode run of the key modules prints, in short; the plants go into its middle.
LOG = ('ESTABLISH LOCAL CONNECTION FOR USER: tester\nTASK [Create the key] ***\nok: [testhost] => {"crypto_keys": [], '
       '"diff": {"before": {"content": "stored"}, "after": {"content": "replaced"}}}\n', '\nPLAY RECAP ***\ntesthost : ok=3\n')
MARKERS = [leaks.VERBOSE, leaks.RECAP, leaks.KEY_INFO_RESULT] + list(leaks.KEY_DIFF) + ['Create the key']


class Material:
    """A token, a password, an RSA key given as an encrypted traditional PEM with its passphrase, a secret key."""

    def __init__(self):
        self.key = testcerts.cached_key('rsa', 0)
        self.passphrase = 'phrase-' + secrets.token_hex(16)
        self.encrypted = testcerts.private_key_text(self.key, 'traditional', self.passphrase)
        self.pkcs8 = _pem.private_key_to_pkcs8_pem(self.key)
        # What apinizer_key sends as a private key's content: base64 of its PKCS#8 PEM.
        self.sent = base64.b64encode(self.pkcs8.encode('ascii')).decode('ascii')
        self.secrets = leaks.Secrets().add('token', TOKEN).add('password', PASSWORD).add('passphrase', self.passphrase)
        self.secrets.add_private_key('the TLS key', self.encrypted, passphrase=self.passphrase)
        self.secrets.add_secret_key('the signing key', RAW)


@pytest.fixture(scope='module')
def material():
    return Material()


def scan_log(material, planted, **options):
    """The log with planted (text or bytes) in its middle, scanned for the material's secrets."""
    options.setdefault('markers', MARKERS)
    planted = planted if isinstance(planted, bytes) else planted.encode('utf-8')
    return leaks.scan([('run.log', LOG[0].encode('ascii') + planted + LOG[1].encode('ascii'))], material.secrets, **options)


def wrapped(text, width, indent=''):
    return '\n'.join(indent + text[i:i + width] for i in range(0, len(text), width))


PLANTS = {
    'the token': ('token', lambda m: TOKEN),
    'the token in a JSON message': ('token', lambda m: json.dumps({'msg': 'Bearer %s refused' % TOKEN})),
    'the password as it is': ('password', lambda m: 'login %s' % PASSWORD),
    'the password JSON-escaped': ('password', lambda m: json.dumps({'password': PASSWORD})),
    'the passphrase': ('passphrase', lambda m: m.passphrase),
    'the encrypted PEM as given': ('the TLS key', lambda m: m.encrypted),
    'one line of the encrypted PEM body': ('the TLS key', lambda m: m.encrypted.splitlines()[6]),
    'the key as PKCS#8 PEM': ('the TLS key', lambda m: m.pkcs8),
    'one PKCS#8 body line in an error message': ('the TLS key', lambda m: 'cannot parse %r' % m.pkcs8.splitlines()[9]),
    'the PKCS#8 PEM with escaped line breaks (JSON)': ('the TLS key', lambda m: json.dumps({'content': m.pkcs8})),
    'the PKCS#8 PEM twice JSON-escaped': ('the TLS key', lambda m: json.dumps(json.dumps({'content': m.pkcs8}))),
    'the PKCS#8 PEM in an indented YAML block': ('the TLS key', lambda m: 'content: |-\n' + wrapped(m.pkcs8, 64, '    ')),
    'the PKCS#8 body unwrapped': ('the TLS key', lambda m: ''.join(m.pkcs8.splitlines()[1:-1])),
    'the PKCS#8 body wrapped at 76 columns': ('the TLS key', lambda m: wrapped(''.join(m.pkcs8.splitlines()[1:-1]), 76)),
    'the content as sent': ('the TLS key', lambda m: '"content": "%s"' % m.sent),
    'the content as sent, wrapped at 76 columns': ('the TLS key', lambda m: wrapped(m.sent, 76)),
    'the content as sent, YAML-folded with escaped breaks': ('the TLS key', lambda m: wrapped(m.sent, 70, '  ').replace('\n', '\\\n')),
    'the content as sent, with JSON-escaped slashes': ('the TLS key', lambda m: m.sent.replace('/', '\\/')),
    'a fifth of the content as sent, cut anywhere': ('the TLS key', lambda m: m.sent[1001:1001 + len(m.sent) // 5]),
    'the secret key raw': ('the signing key', lambda m: RAW),
    'the secret key in base64': ('the signing key', lambda m: base64.b64encode(RAW)),
    'the secret key in base64 without padding': ('the signing key', lambda m: base64.b64encode(RAW).rstrip(b'=')),
    'the secret key in URL-safe base64': ('the signing key', lambda m: base64.urlsafe_b64encode(RAW)),
    'the secret key in hex': ('the signing key', lambda m: binascii.hexlify(RAW)),
    'the secret key in upper-case hex': ('the signing key', lambda m: binascii.hexlify(RAW).upper()),
}


def test_the_clean_log_passes(material):
    report = scan_log(material, 'ok: [testhost]').check()
    assert report.summary() == '%d secrets (%d forms) checked in 1 output(s), %d bytes, all 6 markers present: none found' % (
        len(material.secrets.names), len(material.secrets), report.size)
    assert len(material.secrets.names) == 5 and len(material.secrets) > 200


@pytest.mark.parametrize('plant', sorted(PLANTS))
def test_a_planted_secret_is_found_by_name_without_its_value(material, plant):
    name, value = PLANTS[plant]
    report = scan_log(material, value(material))
    assert not report.ok
    assert [finding.name for finding in report.findings] == [name], report.summary()
    assert report.summary().startswith('leak scan failed:\n  run.log: %s' % name)
    summary = report.summary().encode('utf-8')
    for needle in material.secrets.needles:
        assert needle.value not in summary, 'the report shows %s (%s)' % (needle.name, needle.form)


def test_a_finding_names_the_line_or_says_it_is_wrapped(material):
    report = scan_log(material, 'first\nsecond %s\n' % TOKEN)
    assert report.messages() == ['run.log: token, line 5']
    report = scan_log(material, wrapped(material.sent, leaks.PIECE - 4))
    assert re.match(r'run\.log: the TLS key \(as sent \(base64 of its PKCS#8 PEM\): \d+ pieces\), wrapped or escaped$',
                    report.messages()[0]), report.messages()
    report = scan_log(material, material.pkcs8.splitlines()[9] + '\n' + material.pkcs8.splitlines()[12])
    assert report.messages() == ['run.log: the TLS key (2 lines of its PKCS#8 PEM), line 4']


def test_every_offset_of_a_piece_is_found(material):
    """The chunk filter is exact: a piece of what is sent is found wherever it starts."""
    piece = material.sent[1200:1260]  # past the modulus: pieces of it are public
    for offset in range(2 * leaks.GRAM):
        assert scan_log(material, 'x' * offset + piece).findings, offset


def test_the_public_half_is_no_secret(material):
    """The key's certificate, public key and fingerprints may be printed: PEM lines of public bytes only are left out."""
    certificate = testcerts.make_certificate('leaks.example.com', key=material.key)
    public = testcerts.public_key_text(material.key) + testcerts.public_key_text(material.key, 'pkcs1')
    printed = certificate.cert_text + json.dumps(certificate.cert_text) + public + certificate.sha256
    assert scan_log(material, printed).check()


def test_the_pem_armor_of_another_key_is_no_finding(material):
    other = testcerts.private_key_text(testcerts.cached_key('rsa', 1))
    assert scan_log(material, other + base64.b64encode(other.encode('ascii')).decode('ascii')).check()


def test_an_encrypted_key_without_its_passphrase_is_looked_for_as_given(material):
    found = leaks.Secrets().add_private_key('locked', material.encrypted)
    assert all('PKCS#8' not in needle.form for needle in found.needles)
    assert leaks.scan([('log', material.encrypted.splitlines()[5])], found).findings
    assert leaks.scan([('log', material.sent)], found).check()


@pytest.mark.parametrize('cut', ['half', 'no-results', 'not-verbose', 'no-diff', 'empty'])
def test_an_output_that_is_not_the_whole_run_is_refused(material, cut):
    whole = LOG[0] + LOG[1]
    text = {'half': whole[:len(whole) // 2], 'no-results': whole.replace('"crypto_keys": [], ', ''),
            'not-verbose': whole.replace('ESTABLISH', 'Using'), 'no-diff': whole.replace('replaced', 'changed'),
            'empty': ''}[cut]
    report = leaks.scan([('run.log', text)], material.secrets, markers=MARKERS, each_file=True)
    assert not report.ok and not report.findings
    assert report.messages()[0].startswith('run.log: not the run it should be (missing '), report.messages()


def test_markers_hold_across_outputs_unless_each_file(material, tmp_path):
    first, second = tmp_path / 'stdout', tmp_path / 'stderr'
    first.write_text(LOG[0])
    second.write_text(LOG[1])
    assert leaks.scan([first, second], material.secrets, markers=MARKERS).check()
    report = leaks.scan([first, second], material.secrets, markers=MARKERS, each_file=True)
    assert report.messages() == ['%s: not the run it should be (missing the play recap)' % first,
                                 '%s: not the run it should be (missing %s)' % (second, '; '.join(
                                     [leaks.VERBOSE.description, leaks.KEY_INFO_RESULT.description] +
                                     [m.description for m in leaks.KEY_DIFF] + ['Create the key']))]
    assert leaks.missing_markers(LOG[1], MARKERS) == report.missing[1][1]


def test_a_scan_that_cannot_be_trusted_is_refused(material, tmp_path):
    assert leaks.scan([], material.secrets).messages() == ['no output to scan']
    assert leaks.scan([tmp_path / 'absent'], material.secrets, relative_to=str(tmp_path)).messages() == [
        'absent: missing, so not scanned']
    assert leaks.scan([('log', LOG[0])], leaks.Secrets().add('token', TOKEN), min_secrets=3).messages() == [
        'only 1 secrets known, at least 3 expected: the scan cannot be trusted']


def test_expected_and_allowed_secrets(material, tmp_path):
    """ansible-runner's command record holds the token by design: expected there (proof that the scan finds it),
    a finding anywhere else."""
    record, events = tmp_path / 'command', tmp_path / 'job_events.json'
    record.write_text(json.dumps({'env': {'APINIZER_TOKEN': TOKEN}}))
    events.write_text(json.dumps({'stdout': 'Bearer ' + TOKEN}))
    assert leaks.scan([record], material.secrets, expected={str(record): ['token']}).check()
    assert leaks.scan([record], material.secrets, allowed={str(record): ['token']}).check()
    assert leaks.scan([record, events], material.secrets, expected={str(record): ['token']},
                      relative_to=str(tmp_path)).messages() == ['job_events.json: token, line 1']
    record.write_text('{}')
    assert leaks.scan([record], material.secrets, expected={str(record): ['token']}, relative_to=str(tmp_path)).messages() == [
        'command: token is not there, where it must be: the scan is broken']


def test_request_body_fields_are_findings(material):
    report = scan_log(material, '"pemEncodedFile": "..."\n')
    assert report.messages() == ['run.log: request body field pemEncodedFile, line 4']
    assert scan_log(material, '"pemEncodedFile"', forbidden=()).check()


def test_a_directory_of_test_key_material(tmp_path, material):
    """Private keys (encrypted ones opened with the passphrases there), passphrases and passwords (*.passphrase,
    *.password) and secret keys; certificates and public keys are not secrets."""
    issued = testcerts.make_certificate('dir.example.com')
    (tmp_path / 'leaf.pem').write_text(issued.cert_text)
    (tmp_path / 'leaf-key.pem').write_text(issued.key_text())
    (tmp_path / 'rsa-key-encrypted.pem').write_text(material.encrypted)
    (tmp_path / 'rsa-key.passphrase').write_text(material.passphrase + '\n')
    (tmp_path / 'rsa-pub.pem').write_text(testcerts.public_key_text(material.key))
    (tmp_path / 'keystore.password').write_text('keystore-' + PASSWORD)
    (tmp_path / 'aes256.bin').write_bytes(RAW)
    (tmp_path / 'leaf.der').write_bytes(issued.cert_der)
    (tmp_path / 'export').mkdir()
    found = leaks.Secrets().add_directory(str(tmp_path))
    assert found.names == ['passphrase keystore.password', 'passphrase rsa-key.passphrase', 'secret key aes256.bin',
                           'private key leaf-key.pem', 'private key rsa-key-encrypted.pem']
    assert leaks.scan([('log', 'password=keystore-' + PASSWORD)], found).findings[0].name == 'passphrase keystore.password'
    assert any('PKCS#8' in needle.form for needle in found.needles if needle.name == 'private key rsa-key-encrypted.pem')
    assert leaks.scan([('log', material.sent)], found).findings[0].name == 'private key rsa-key-encrypted.pem'
    # The same key in the clear too: what both forms share is found under the plain file's name.
    (tmp_path / 'rsa-key.pem').write_text(material.pkcs8)
    found = leaks.Secrets().add_directory(str(tmp_path))
    assert [f.name for f in leaks.scan([('log', material.sent)], found).findings] == ['private key rsa-key.pem']
    assert [f.name for f in leaks.scan([('log', material.encrypted)], found).findings] == ['private key rsa-key-encrypted.pem']
    assert leaks.scan([('log', issued.cert_text + testcerts.public_key_text(material.key))], found).check()


def test_a_pkcs12_file_of_a_directory_is_scanned_for_as_its_base64_and_as_the_key_it_holds(tmp_path, material):
    issued = testcerts.make_certificate('p12.example.com')
    data = issued.pkcs12(passphrase=material.passphrase)
    (tmp_path / 'leaf.p12').write_bytes(data)
    (tmp_path / 'leaf-p12.passphrase').write_text(material.passphrase)
    found = leaks.Secrets().add_directory(str(tmp_path))
    assert found.names == ['passphrase leaf-p12.passphrase', 'PKCS#12 file leaf.p12', 'the private key in PKCS#12 file leaf.p12']
    encoded = base64.b64encode(data).decode('ascii')
    assert [f.name for f in leaks.scan([('log', 'pkcs12: ' + encoded)], found).findings] == ['PKCS#12 file leaf.p12']
    sent = base64.b64encode(issued.key_text().encode('ascii')).decode('ascii')
    assert [f.name for f in leaks.scan([('log', sent)], found).findings] == ['the private key in PKCS#12 file leaf.p12']
    assert leaks.scan([('log', issued.cert_text)], found).check()


def test_values_too_short_to_scan_for_are_refused():
    with pytest.raises(ValueError, match="secret 'pin' is 4 bytes long"):
        leaks.Secrets().add('pin', '1234')
    with pytest.raises(ValueError, match='is empty'):
        leaks.Secrets().add('token', None)
    with pytest.raises(ValueError, match='holds no PEM private key'):
        leaks.Secrets().add_private_key('cert', testcerts.make_certificate().cert_text)
    assert leaks.Secrets().add_secret_key('des', b'\x01' * 8).names == ['des']


def test_public_key_sha256_is_what_the_module_returns(material):
    expected = _pem.public_key_sha256_fingerprint(material.key.public_key())
    assert leaks.public_key_sha256(material.pkcs8) == expected
    assert leaks.public_key_sha256(material.encrypted, passphrase=material.passphrase) == expected
    with pytest.raises(ValueError, match='not a private key that opens'):
        leaks.public_key_sha256(material.encrypted)


def test_task_names_of_the_modules_in_task_files(tmp_path):
    tasks = tmp_path / 'main.yml'
    tasks.write_text('\n'.join([
        '- name: Create the key', '  apinizer.apiops.apinizer_key: {name: k}',
        '- name: A block', '  block:', '    - name: Read the keys', '      apinizer.apiops.apinizer_key_info: {}',
        '  rescue:', '    - name: "Templated {{ item }}"', '      apinizer.apiops.apinizer_key: {}',
        '- name: Not a key task', '  ansible.builtin.debug: {msg: hi}', '']))
    markers = leaks.task_names([str(tasks)], ('apinizer.apiops.apinizer_key', 'apinizer.apiops.apinizer_key_info'))
    assert [marker.alternatives for marker in markers] == [('Create the key',), ('Read the keys',)]
    assert markers[0].description == "task 'Create the key' of %s" % tasks


def test_random_base64_and_hex_match_nothing_by_chance(material):
    """Random base64 and hex the size of a long -vvv log, which the chunk filter indexes in full: no finding."""
    noise = '\n'.join(base64.b64encode(os.urandom(3000)).decode('ascii') + ' ' + os.urandom(500).hex() for unused in range(1000))
    assert len(noise) > 4000000
    assert leaks.scan([('noise', noise)], material.secrets).check()
