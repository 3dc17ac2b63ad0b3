# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Bad input, table-driven: every case fails, with a message naming the option and what is wrong, and sends no
write (and, unless the check needs the server's environment list, no request at all).

All cases run as the tasks of one ansible-playbook run (each with ignore_errors); the recorder gives each task's
result and the requests the emulator logged while it ran."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization

from support import PROJECT, connection, play, summarize_requests, task

CERT = 'apinizer_certificate'
KEY = 'apinizer_key'
BUNDLE = 'apinizer_bundle'
NO_SUCH_FILE = '/nonexistent/reliability/certificate.pem'


class Case:
    """One row: module, its options (a function of the material and the files), the connection changes,
    the fragments the message must hold (exact: the one message it must be), and whether the module may read the
    server first."""

    def __init__(self, case_id, description, module, options, expect, conn=None, reads=False, exact=False):
        self.id = case_id
        self.description = description
        self.module = module
        self.options = options
        self.expect = expect
        self.conn = conn or {}
        self.reads = reads
        self.exact = exact

    @property
    def expectation(self):
        return 'fails before any %s; message %s %s' % ('write' if self.reads else 'request',
                                                       'is' if self.exact else 'holds',
                                                       ', '.join('"%s"' % e for e in self.expect))


def _cert(m, f, **extra):
    return dict(dict(name='bad-input', certificate=m.cert(m.other), environments=['production']), **extra)


def _named(name):
    return lambda m, f: _cert(m, f, name=name)


def _key(key_type, **extra):
    return lambda m, f: dict(dict(name='bad-key', key_type=key_type, environments=['production']), **extra)


def _not_rsa(option, found, key_type, alternative=''):
    """The message for a key the API cannot hold as a PRIVATE_KEY or PUBLIC_KEY (RSA only)."""
    return ('%s: the key is %s, but a %s (%s) on the Apinizer API is RSA only; give an RSA key%s.'
            % (option, found, key_type, key_type.upper(), alternative))


def _bundle(extra):
    def build(m, f):
        bundle = dict(dict(name='bad-bundle', certificate=m.cert(m.other), private_key=m.key(m.other)), **extra(m, f))
        return dict(environments=['production'], bundles=[bundle])
    return build


CASES = [
    # PEM and files (apinizer_certificate)
    Case('cert-garbage-pem', 'certificate holds text that is not PEM', CERT,
         lambda m, f: _cert(m, f, certificate='this is not a certificate at all'),
         ['certificate: expected one PEM certificate, found text with no PEM block']),
    Case('cert-der-as-text', 'certificate holds DER bytes (base64, no BEGIN/END lines) where PEM is expected', CERT,
         lambda m, f: _cert(m, f, certificate=base64.b64encode(m.other.cert_der).decode('ascii')),
         ['certificate: expected one PEM certificate, found base64 text without PEM BEGIN/END lines']),
    Case('cert-damaged-pem', 'certificate is a PEM block whose body is damaged', CERT,
         lambda m, f: _cert(m, f, certificate='-----BEGIN CERTIFICATE-----\nMIIBbroken\n-----END CERTIFICATE-----\n'),
         ['certificate: the certificate in the PEM text is damaged']),
    Case('cert-private-key', 'a private key given in the certificate option', CERT,
         lambda m, f: _cert(m, f, certificate=m.key(m.other)),
         ['certificate: expected one PEM certificate, found a private key']),
    Case('cert-chain', 'a certificate chain given to apinizer_certificate', CERT,
         lambda m, f: _cert(m, f, certificate=m.cert(m.leaf) + m.cert(m.intermediate)),
         ['certificate: expected one PEM certificate, found 2 certificates', 'give only the leaf certificate']),
    Case('cert-empty-file', 'certificate_path names an empty file', CERT,
         lambda m, f: _cert(m, f, certificate=None, certificate_path=f['empty']),
         ['certificate_path:', 'is empty']),
    Case('cert-10mb-file', 'certificate_path names a 10 MB file', CERT,
         lambda m, f: _cert(m, f, certificate=None, certificate_path=f['huge']),
         ['certificate_path:', 'is larger than 1048576 bytes']),
    Case('cert-missing-file', 'certificate_path names a file that does not exist', CERT,
         lambda m, f: _cert(m, f, certificate=None, certificate_path=NO_SUCH_FILE),
         ['certificate_path: cannot read %s' % NO_SUCH_FILE, 'No such file']),
    Case('cert-empty-environments', 'an empty environment list', CERT,
         lambda m, f: _cert(m, f, environments=[]), ['environments must name at least one environment']),
    Case('cert-duplicate-environments', 'an environment list that names staging twice', CERT,
         lambda m, f: _cert(m, f, environments=['production', 'staging', 'staging']),
         ['environments names staging more than once']),
    Case('cert-blank-alias', 'an alias of white space only', CERT,
         lambda m, f: _cert(m, f, alias='  '), ['alias must not be empty']),
    # Names the API cannot hold
    Case('name-slash', 'a name holding "/"', CERT, _named('api/prod'), ["name 'api/prod' holds characters"]),
    Case('name-question-mark', 'a name holding "?"', CERT, _named('api?prod'), ["name 'api?prod' holds characters"]),
    Case('name-hash', 'a name holding "#"', CERT, _named('api#prod'), ["name 'api#prod' holds characters"]),
    Case('name-space', 'a name holding a space', CERT, _named('api prod'), ["name 'api prod' holds characters"]),
    Case('name-unicode', 'a name holding non-ASCII letters', CERT, _named(u'sertifika-\u011f\u00fc\u015f'),
         ['name', 'holds characters']),
    Case('name-300-characters', 'a name of 300 characters', CERT, _named('n' * 300),
         ['name is 300 characters long; the limit is 128']),
    Case('key-name-slash', 'a key name holding "/"', KEY,
         _key('secret_key', name='keys/prod', content='MDEyMzQ1Njc4OWFiY2RlZg=='), ["name 'keys/prod' holds characters"]),
    # Key material (apinizer_key)
    Case('key-public-as-private', 'a public key given as private key content', KEY,
         lambda m, f: _key('private_key', content=m.rsa_public_pem)(m, f),
         ['content: expected a PEM private key, found a public key']),
    Case('key-certificate-as-private', 'a certificate given as private key content', KEY,
         lambda m, f: _key('private_key', content=m.cert(m.other))(m, f),
         ['content: expected a PEM private key, found a certificate']),
    Case('key-der-file', 'a DER private key file where PEM is expected', KEY,
         lambda m, f: _key('private_key', content_path=f['der_key'])(m, f),
         ['content_path: expected a PEM private key, found DER-encoded binary data']),
    Case('key-encrypted-no-passphrase', 'an encrypted private key without its passphrase', KEY,
         lambda m, f: _key('private_key', content=m.rsa_encrypted_pem)(m, f),
         ['content: the private key is encrypted; set passphrase']),
    Case('key-encrypted-wrong-passphrase', 'an encrypted private key with a wrong passphrase', KEY,
         lambda m, f: _key('private_key', content=m.rsa_encrypted_pem, passphrase='wrong-' + m.passphrase[::-1])(m, f),
         ['content: could not decrypt the private key: passphrase is wrong']),
    Case('key-secret-15-bytes', 'a secret key of 15 bytes', KEY,
         _key('secret_key', content=base64.b64encode(b'0123456789abcde').decode('ascii')),
         ['content: a secret key is 8 (DES), 16, 24 or 32 (AES, DESede) bytes long; this one has 15']),
    Case('key-secret-15-bytes-file', 'a secret key file of 15 bytes', KEY,
         lambda m, f: _key('secret_key', content_path=f['secret15'])(m, f),
         ['content_path: a secret key is 8 (DES), 16, 24 or 32', 'this one has 15']),
    Case('key-secret-not-base64', 'a secret key that is not base64', KEY,
         _key('secret_key', content='this is not base64!'),
         ['content: a secret_key is given as base64 text of the raw key bytes; this is not base64']),
    Case('key-duplicate-environments', 'a key environment list that names production twice', KEY,
         lambda m, f: _key('secret_key', content=m.secret_key_b64, environments=['production', 'production'])(m, f),
         ['environments names production more than once']),
    Case('key-empty-environments', 'an empty key environment list', KEY,
         lambda m, f: _key('secret_key', content=m.secret_key_b64, environments=[])(m, f),
         ['environments must name at least one environment']),
    Case('key-private-as-public', 'a private key given as public key content', KEY,
         lambda m, f: _key('public_key', content=m.key(m.other))(m, f),
         ['content: expected a PEM public key, found a private key']),
    Case('key-no-material', 'an environment without key material', KEY,
         _key('secret_key', environments=['production']), ['environments: no key content for production']),
    Case('key-ec-private', 'an EC (P-256) private key, which the API cannot hold as a PRIVATE_KEY', KEY,
         lambda m, f: _key('private_key', content=m.key(m.ec))(m, f),
         [_not_rsa('content', 'EC (secp256r1)', 'private_key')], exact=True),
    Case('key-ec-public', 'an EC (P-256) public key, which the API cannot hold as a PUBLIC_KEY', KEY,
         lambda m, f: _key('public_key', content=m.ec_public_pem)(m, f),
         [_not_rsa('content', 'EC (secp256r1)', 'public_key')], exact=True),
    Case('key-ed25519-private-file', 'an Ed25519 private key file for one environment of two', KEY,
         lambda m, f: _key('private_key', content=m.rsa_pem, environments=[
             'production', dict(name='staging', content_path=f['ed25519'])])(m, f),
         [_not_rsa('environments[1].content_path', 'Ed25519', 'private_key')], exact=True),
    Case('key-unknown-environment-field', 'a misspelt field in an environment mapping', KEY,
         lambda m, f: _key('secret_key', environments=[dict(name='production', contents=m.secret_key_b64)])(m, f),
         ['environments[0]: unknown field contents']),
    # Bundles (apinizer_bundle)
    Case('bundle-expired', 'an expired certificate in a bundle', BUNDLE,
         _bundle(lambda m, f: dict(certificate=m.cert(m.expired), private_key=m.key(m.expired))),
         ['bundle bad-bundle: the certificate (CN=expired.reliability.test) expired on', 'allow_expired']),
    Case('bundle-not-yet-valid', 'a certificate that is not valid yet in a bundle', BUNDLE,
         _bundle(lambda m, f: dict(certificate=m.cert(m.future), private_key=m.key(m.future))),
         ['bundle bad-bundle: the certificate (CN=future.reliability.test) is not valid before', 'allow_expired']),
    Case('bundle-key-mismatch', 'a private key that does not match its certificate', BUNDLE,
         _bundle(lambda m, f: dict(private_key=m.key(m.third))),
         ['bundle bad-bundle: the private key for production does not match the certificate']),
    Case('bundle-chain-out-of-order', 'a chain given root first instead of issuer first', BUNDLE,
         _bundle(lambda m, f: dict(certificate=m.cert(m.leaf), private_key=m.key(m.leaf),
                                   chain=m.cert(m.ca) + m.cert(m.intermediate))),
         ['bundle bad-bundle: chain certificate 1 (', 'did not issue the certificate', 'give the chain in order']),
    Case('bundle-encrypted-key-no-passphrase', 'an encrypted private key in a bundle without its passphrase', BUNDLE,
         _bundle(lambda m, f: dict(certificate=None, private_key=m.rsa_encrypted_pem)),
         ['bundle bad-bundle: private_key: the private key is encrypted; set private_key_passphrase']),
    Case('bundle-encrypted-key-wrong-passphrase', 'an encrypted private key in a bundle with a wrong passphrase', BUNDLE,
         _bundle(lambda m, f: dict(certificate=None, private_key=m.rsa_encrypted_pem,
                                   private_key_passphrase='wrong-' + m.passphrase[::-1])),
         ['bundle bad-bundle: private_key: could not decrypt the private key: private_key_passphrase is wrong']),
    Case('bundle-public-key-as-private', 'a public key given as a bundle\'s private_key', BUNDLE,
         _bundle(lambda m, f: dict(certificate=None, private_key=m.rsa_public_pem)),
         ['bundle bad-bundle: private_key: expected a PEM private key, found a public key']),
    Case('bundle-ec-key', 'a bundle of a certificate with an EC (P-256) key and that key: the certificate would be '
         'written, then the key refused', BUNDLE,
         _bundle(lambda m, f: dict(certificate=m.cert(m.ec), private_key=m.key(m.ec))),
         ['bundle bad-bundle: ' + _not_rsa('private_key', 'EC (secp256r1)', 'private_key',
                                           ', or leave private_key out to deploy the certificate alone')], exact=True),
    Case('bundle-ec-key-file-per-environment', 'a bundle whose private key file for staging is an EC key', BUNDLE,
         _bundle(lambda m, f: dict(environments=['production', dict(name='staging', private_key_path=f['ec_key'])])),
         ['bundle bad-bundle: ' + _not_rsa('environments[1].private_key_path', 'EC (secp256r1)', 'private_key',
                                           ', or leave private_key out to deploy the certificate alone')], exact=True),
    Case('bundle-ec-public-key', 'a bundle with an EC public key', BUNDLE,
         _bundle(lambda m, f: dict(certificate=None, private_key=None, public_key=m.ec_public_pem)),
         ['bundle bad-bundle: ' + _not_rsa('public_key', 'EC (secp256r1)', 'public_key')], exact=True),
    Case('bundle-secret-not-base64', 'a bundle secret key that is not base64', BUNDLE,
         _bundle(lambda m, f: dict(certificate=None, private_key=None, secret_key='not base64 at all!')),
         ['bundle bad-bundle: secret_key: a secret_key is given as base64 text']),
    Case('bundle-empty-environments', 'a bundle with no environment, and no default', BUNDLE,
         lambda m, f: dict(environments=[], bundles=[dict(name='bad-bundle', certificate=m.cert(m.other))]),
         ['bundle bad-bundle: no environments']),
    Case('bundle-duplicate-names', 'two bundles with the same name', BUNDLE,
         lambda m, f: dict(environments=['production'], bundles=[dict(name='twice', certificate=m.cert(m.other)),
                                                                 dict(name='twice', certificate=m.cert(m.third))]),
         ['bundle twice: the name is given to more than one bundle']),
    Case('bundle-two-key-kinds', 'a bundle given a private key and a secret key', BUNDLE,
         _bundle(lambda m, f: dict(secret_key=m.secret_key_b64)),
         ['bundle bad-bundle: a bundle holds one key, but private_key and secret_key are given']),
    Case('bundle-chain-name-collision', 'a bundle named like another bundle\'s chain certificate', BUNDLE,
         lambda m, f: dict(environments=['production'], bundles=[dict(name='edge', certificate=m.cert(m.other)),
                                                                 dict(name='edge-chain-1', certificate=m.cert(m.third))]),
         ['bundle edge-chain-1: the name is one that bundle edge keeps for its chain certificates']),
    Case('bundle-unknown-environment', 'a bundle naming an environment the project does not have', BUNDLE,
         _bundle(lambda m, f: dict(environments=['production', 'moon'])),
         ['bundle bad-bundle: environments: the project %s has no environment moon; it has development, production, staging' % PROJECT], reads=True),
    # Connection options
    Case('conn-no-url', 'no url (and no APINIZER_URL)', CERT, _cert, ['missing required arguments: url'], conn=dict(url=None)),
    Case('conn-url-bad-scheme', 'a malformed url: htp:/x', CERT, _cert, ["url 'htp:/x' is not a usable address", 'http:// or https://'],
         conn=dict(url='htp:/x')),
    Case('conn-url-not-a-url', 'a malformed url: "not a url"', CERT, _cert, ["url 'not a url' is not a usable address"],
         conn=dict(url='not a url')),
    Case('conn-url-no-host', 'a url without a host: https://', CERT, _cert, ["url 'https://' is not a usable address", 'host'],
         conn=dict(url='https://')),
    Case('conn-no-credentials', 'no token and no username', CERT, _cert,
         ['one of the following is required: token, username'], conn=dict(token=None)),
    Case('conn-username-without-password', 'a username without a password', CERT, _cert,
         ['parameters are required together: username, password'], conn=dict(token=None, username='someone')),
    Case('conn-no-project', 'no project (and no APINIZER_PROJECT)', CERT, _cert,
         ['missing required arguments: project'], conn=dict(project=None)),
    Case('conn-timeout-zero', 'a timeout of 0 seconds', CERT, _cert, ['timeout must be greater than 0 seconds'],
         conn=dict(timeout=0)),
    Case('conn-retries-negative', 'a negative number of retries', CERT, _cert, ['retries must be 0 or more; it is -1'],
         conn=dict(retries=-1)),
    Case('conn-ca-path-missing', 'ca_path names a file that does not exist', CERT, _cert,
         ['ca_path: %s does not exist' % NO_SUCH_FILE], conn=dict(ca_path=NO_SUCH_FILE)),
    Case('conn-client-cert-missing', 'client_cert names a file that does not exist', CERT, _cert,
         ['client_cert: %s does not exist' % NO_SUCH_FILE], conn=dict(client_cert=NO_SUCH_FILE)),
    Case('conn-client-key-without-cert', 'client_key without client_cert', CERT, _cert,
         ["missing parameter(s) required by 'client_key': client_cert"], conn=dict(client_key=NO_SUCH_FILE)),
]


def _params():
    return [pytest.param(case, id=case.id, marks=pytest.mark.reliability(
        group='bad-input', description='%s (%s)' % (case.description, case.module), expectation=case.expectation))
        for case in CASES]


@pytest.fixture(scope='module')
def bad_input_run(ansible, material, apinizer_emulator_server):
    """One ansible-playbook run with every case as a task; the server is empty before and must stay empty."""
    server = apinizer_emulator_server
    server.control.reset()
    files = dict(
        empty=material.write('empty.pem', ''),
        huge=material.write('huge.pem', 'A' * (10 * 1024 * 1024)),
        secret15=material.write('secret-15.bin', b'0123456789abcde'),
        der_key=material.write('key.der', material.other.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        ec_key=material.write('ec-key.pem', material.key(material.ec)),
        ed25519=material.write('ed25519-key.pem', material.ed25519_pem),
    )
    tasks = []
    for case in CASES:
        options = dict((k, v) for k, v in case.options(material, files).items() if v is not None)
        options.update((k, v) for k, v in connection(server, **case.conn).items())
        options = dict((k, v) for k, v in options.items() if not (k in case.conn and case.conn[k] is None))
        tasks.append(task(case.id, case.module, options))
    return ansible.run(play(tasks), name='bad-input', emulator_url=server.url)


@pytest.mark.parametrize('case', _params())
def test_bad_input(case, bad_input_run, case_detail):
    record = bad_input_run.record(case.id)
    result = record['result']
    message = result.get('msg', '')
    case_detail.append('msg: %s' % message[:300])
    assert record['status'] == 'failed', 'the task did not fail: %s' % message
    missing = [fragment for fragment in case.expect if fragment not in message]
    assert not missing, 'message lacks %s: %s' % (missing, message)
    if case.exact:
        assert message == case.expect[0], message
    assert 'Traceback' not in message and 'MODULE FAILURE' not in message, message
    requests = record['requests']
    writes = [r for r in requests if r['write']]
    assert not writes, 'writes were sent: %s' % summarize_requests(writes)
    if not case.reads:
        assert not requests, 'requests were sent before the input was refused: %s' % summarize_requests(requests)
    after = record['state'][PROJECT]
    assert not after['certificates'] and not after['keys'], 'the server holds objects after the bad input'
    case_detail.append('%d requests, 0 writes' % len(requests))


ROLE_FAIL = "apinizer.apiops.apinizer_deploy : Fail with the module's message when the bundles could not be applied"


@pytest.mark.reliability(
    group='bad-input', description='the role apinizer_deploy with two bundles, the second a certificate with an EC '
                                   '(P-256) key and that key (the first one valid)',
    expectation='the role fails before any request, with the message "bundle ec-bundle: ' + _not_rsa(
        'private_key', 'EC (secp256r1)', 'private_key', ', or leave private_key out to deploy the certificate alone')
    + '"; nothing is stored')
def test_bad_input_through_the_role(ansible, apinizer_emulator, api, material, case_detail):
    role = dict(name='role', hosts='localhost', gather_facts=False, roles=[dict(
        role='apinizer.apiops.apinizer_deploy', apinizer_deploy_url=apinizer_emulator.url,
        apinizer_deploy_token=apinizer_emulator.token, apinizer_deploy_project=PROJECT,
        apinizer_deploy_environments=['production'], apinizer_deploy_bundles=[
            dict(name='rsa-bundle', certificate=material.cert(material.other), private_key=material.key(material.other)),
            dict(name='ec-bundle', certificate=material.cert(material.ec), private_key=material.key(material.ec))])])
    run = ansible.run([role], name='bad-input-role', emulator_url=apinizer_emulator.url)
    failed = [r for r in run.records if r['task'] == ROLE_FAIL]
    assert failed and failed[0]['status'] == 'failed' and run.rc != 0, run.stdout[-2000:]
    message = failed[0]['result'].get('msg', '')
    case_detail.append('msg: %s' % message[:300])
    assert message == 'bundle ec-bundle: ' + _not_rsa('private_key', 'EC (secp256r1)', 'private_key',
                                                      ', or leave private_key out to deploy the certificate alone'), message
    assert api.requests() == [], summarize_requests(api.requests())
    assert not api.certificates() and not api.keys()
    case_detail.append('0 requests')


assert len(CASES) >= 30
assert len(set(case.id for case in CASES)) == len(CASES)
