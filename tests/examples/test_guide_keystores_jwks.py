# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The examples of docs/docsite/rst/guide_keystores_jwks.rst, run as written against the emulator (make guide-examples).

The keystore files and the signing certificates come from the emulator's test PKI, written to files whose paths the
playbooks take as variables (overridden with -e); the keystore passwords go into vault/keystores.yml, encrypted
with ansible-vault, as the guide says. The Apinizer connection comes from APINIZER_URL and APINIZER_TOKEN, as the
modules' fallback. The installed collection must be on ANSIBLE_COLLECTIONS_PATH (the Makefile's guide-examples)."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from apinizer_emulator import leaks, testcerts
from apinizer_emulator.playbook import recap

from readme_examples import write_examples

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDE = os.path.join(ROOT, 'docs', 'docsite', 'rst', 'guide_keystores_jwks.rst')
PROJECT = 'payments'
ENVIRONMENTS = ['production', 'staging']
BIN = os.path.dirname(sys.executable)


@pytest.fixture
def apinizer_emulator_projects():
    return {PROJECT: list(ENVIRONMENTS)}


class Pki:
    """The files the examples read, the keys behind them and the keystore passwords (long and unique)."""

    def __init__(self, directory):
        directory.mkdir()
        self.directory = directory
        self.passwords = {name: 'ks-%s-%s' % (name, secrets.token_urlsafe(18))
                          for name in ('mtls_client', 'signing_production', 'signing_staging')}
        self.issued = {}
        mtls = testcerts.make_certificate('payments-client', client=True, dns_names=[])
        self.issued['mtls-client'] = mtls
        self.write('mtls-client.p12', testcerts.pkcs12_keystore(self.passwords['mtls_client'], mtls, alias='mtls-client'))
        for environment in ENVIRONMENTS:
            issued = testcerts.make_certificate('signing-%s.payments.example.com' % environment)
            self.issued['signing-%s' % environment] = issued
            password = self.passwords['signing_%s' % environment]
            self.write('signing-%s.jks' % environment, testcerts.jks_keystore(password, {}, {'signing': issued}))
        for year in ('2026', '2027'):
            issued = testcerts.make_certificate('token-signing-%s.idp.example.com' % year)
            self.issued['token-signing-%s' % year] = issued
            self.write('token-signing-%s.pem' % year, issued.cert_pem)

    def write(self, name, data):
        (self.directory / name).write_bytes(data)

    def path(self, name):
        return str(self.directory / name)

    def secrets(self, token):
        known = leaks.Secrets().add('token', token)
        for name, password in self.passwords.items():
            known.add('keystore password %s' % name, password)
        for name, issued in self.issued.items():
            known.add_private_key('private key of %s' % name, issued.key_text())
        return known


@pytest.fixture
def pki(tmp_path):
    return Pki(tmp_path / 'pki')


@pytest.fixture
def vault_password_file(tmp_path):
    path = tmp_path / 'vault-password'
    path.write_text(secrets.token_urlsafe(24) + '\n', encoding='utf-8')
    return str(path)


@pytest.fixture
def examples(tmp_path, pki, vault_password_file):
    """The guide's examples in a directory of their own, beside vault/keystores.yml encrypted with a vault password
    kept outside it."""
    directory = tmp_path / 'examples'
    written = write_examples(GUIDE, str(directory))
    assert sorted(written) == ['jwt-rotate.yml', 'jwt-signing.yml', 'keystores.yml']
    (directory / 'vault').mkdir()
    vault_file = directory / 'vault' / 'keystores.yml'
    vault_file.write_text(''.join('vault_%s_password: %s\n' % item for item in sorted(pki.passwords.items())),
                          encoding='utf-8')
    subprocess.run([os.path.join(BIN, 'ansible-vault'), 'encrypt', '--vault-password-file', vault_password_file,
                    str(vault_file)], check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert vault_file.read_text(encoding='utf-8').startswith('$ANSIBLE_VAULT;')
    return directory


def run_example(emulator, examples, playbook, overrides=None, args=()):
    env = dict(os.environ, APINIZER_URL=emulator.url, APINIZER_TOKEN=emulator.token, ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_NOCOLOR='1')
    command = [os.path.join(BIN, 'ansible-playbook'), str(examples / playbook)]
    for name, value in (overrides or {}).items():
        command += ['-e', '%s=%s' % (name, value)]
    process = subprocess.run(command + list(args), cwd=str(examples), env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, check=False)
    if process.returncode != 0:
        pytest.fail('ansible-playbook %s failed (%d):\n%s' % (playbook, process.returncode, process.stdout[-6000:]))
    return process


def writes(emulator):
    return ['%s %s' % (entry['method'], entry['path'].split('/projects/%s/' % PROJECT, 1)[-1])
            for entry in emulator.control.writes()]


def jwk_members(emulator, name):
    """The JWK as the API answers it (GET of one JWK): source type, source id and its RSA members."""
    answer = requests.get('%s/apiops/projects/%s/jwks/%s/' % (emulator.url, PROJECT, name),
                          headers=emulator.headers(), timeout=30)
    answer.raise_for_status()
    jwk = answer.json()['resultList'][0]
    return jwk


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode('ascii')


def b64url_int(text):
    return int.from_bytes(base64.urlsafe_b64decode(text + '=' * (-len(text) % 4)), 'big')


def make_jwt(private_key, subject):
    """An RS256 JWT: base64url(header).base64url(payload).base64url(signature)."""
    header = b64url(json.dumps({'alg': 'RS256', 'typ': 'JWT'}, separators=(',', ':')).encode('ascii'))
    payload = b64url(json.dumps({'iss': 'https://idp.example.com', 'sub': subject, 'aud': 'payments-api'},
                                separators=(',', ':')).encode('ascii'))
    signing_input = ('%s.%s' % (header, payload)).encode('ascii')
    signature = private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return '%s.%s.%s' % (header, payload, b64url(signature))


def jwt_verifies(token, jwk):
    """Whether an RS256 JWT verifies against the public members n and e of a JWK, as a JWT validation policy checks
    it."""
    header, payload, signature = token.split('.')
    assert json.loads(base64.urlsafe_b64decode(header + '=' * (-len(header) % 4)))['alg'] == 'RS256'
    public_key = rsa.RSAPublicNumbers(b64url_int(jwk['rsa']['e']), b64url_int(jwk['rsa']['n'])).public_key()
    try:
        public_key.verify(base64.urlsafe_b64decode(signature + '=' * (-len(signature) % 4)),
                          ('%s.%s' % (header, payload)).encode('ascii'), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def test_every_module_and_option_the_guide_names_exists():
    """antsibull-docs renders a link for any :ansopt: and :ansplugin:, whether or not the option exists; ansible-doc of
    the installed collection knows."""
    with open(GUIDE, encoding='utf-8') as handle:
        text = handle.read()
    plugins = set(re.findall(r':ansplugin:`(apinizer\.apiops\.\w+)#module`', text))
    options = set(re.findall(r':ansopt:`(apinizer\.apiops\.\w+)#module:(\w+)(?:=[^`]*)?`', text))
    assert len(options) > 15 and len(plugins) > 5, (plugins, options)
    modules = sorted(plugins | set(pair[0] for pair in options))
    process = subprocess.run([os.path.join(BIN, 'ansible-doc'), '--json', '-t', 'module'] + modules,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
    docs = json.loads(process.stdout)
    assert sorted(docs) == modules, process.stderr
    unknown = sorted('%s: %s' % (module, option) for module, option in options
                     if option not in docs[module]['doc']['options'])
    assert unknown == []


def test_the_keystore_example_deploys_both_keystores_and_then_changes_nothing(apinizer_emulator, examples, pki,
                                                                              vault_password_file):
    vault = ['--vault-password-file', vault_password_file]
    overrides = {'mtls_client_p12': pki.path('mtls-client.p12'),
                 'signing_jks_production': pki.path('signing-production.jks'),
                 'signing_jks_staging': pki.path('signing-staging.jks')}

    first = run_example(apinizer_emulator, examples, 'keystores.yml', overrides, args=vault + ['-vvv'])

    assert recap(first.stdout)['changed'] == 2
    assert writes(apinizer_emulator) == ['POST keystores/', 'POST keystores/']
    state = apinizer_emulator.control.state()['projects'][PROJECT]
    stored = {keystore['name']: keystore for keystore in state['keystores']}
    assert sorted(stored) == ['mtls-client', 'signing']
    answer = requests.get('%s/apiops/projects/%s/keystores/' % (apinizer_emulator.url, PROJECT),
                          headers=apinizer_emulator.headers(), timeout=30)
    answer.raise_for_status()
    listed = {keystore['name']: {entry['environmentName']: (entry['type'], base64.b64decode(entry['file']))
                                 for entry in keystore['keyStoreEnvironmentList']}
              for keystore in answer.json()['resultList']}
    with open(pki.path('mtls-client.p12'), 'rb') as handle:
        p12 = handle.read()
    assert listed['mtls-client'] == {environment: ('PKCS12', p12) for environment in ENVIRONMENTS}
    for environment in ENVIRONMENTS:
        with open(pki.path('signing-%s.jks' % environment), 'rb') as handle:
            assert listed['signing'][environment] == ('JKS', handle.read())
    assert 'mtls-client: production, staging (pkcs12)' in first.stdout
    assert 'signing: production, staging (jks)' in first.stdout

    apinizer_emulator.control.clear_requests()
    second = run_example(apinizer_emulator, examples, 'keystores.yml', overrides, args=vault)

    assert recap(second.stdout)['changed'] == 0
    assert apinizer_emulator.control.writes() == []

    # No password, no token, no form of the keys inside the files in the -vvv run; the files themselves (base64)
    # would show through the request field names or the key pieces.
    assert 'PRIVATE KEY' not in first.stdout
    leaks.scan([('keystores.yml -vvv', first.stdout)], pki.secrets(apinizer_emulator.token),
               markers=[leaks.VERBOSE, leaks.RECAP]).check()


def test_the_jwt_example_keeps_the_jwk_current_through_a_rotation(apinizer_emulator, examples, pki):
    old_key = pki.issued['token-signing-2026'].key
    new_key = pki.issued['token-signing-2027'].key
    old_token = make_jwt(old_key, 'issued-before-the-rotation')
    new_token = make_jwt(new_key, 'issued-after-the-rotation')
    first_certificate = {'signing_certificate': pki.path('token-signing-2026.pem')}
    second_certificate = {'signing_certificate': pki.path('token-signing-2027.pem')}

    published = run_example(apinizer_emulator, examples, 'jwt-signing.yml', first_certificate, args=['-vvv'])

    assert recap(published.stdout)['changed'] == 2
    assert writes(apinizer_emulator) == ['POST certificates/', 'POST jwks/parse-from-certificate']
    jwk = jwk_members(apinizer_emulator, 'token-signing')
    assert (jwk['sourceType'], jwk['type']) == ('CERTIFICATE', 'RSA')
    assert jwk['sourceId'] is not None
    assert sorted(jwk['rsa']) == ['e', 'n']
    assert jwt_verifies(old_token, jwk)
    assert not jwt_verifies(new_token, jwk)

    apinizer_emulator.control.clear_requests()
    again = run_example(apinizer_emulator, examples, 'jwt-signing.yml', first_certificate)

    assert recap(again.stdout)['changed'] == 0
    assert apinizer_emulator.control.writes() == []

    rotated = run_example(apinizer_emulator, examples, 'jwt-rotate.yml', second_certificate, args=['-vvv'])

    assert recap(rotated.stdout)['changed'] == 1
    assert recap(rotated.stdout)['failed'] == 0
    rotation_writes = apinizer_emulator.control.writes()
    assert ['%s %s' % (entry['method'], entry['path']) for entry in rotation_writes] == [
        'PUT /apiops/projects/%s/certificates/token-signing/' % PROJECT]
    assert 'UPDATE' in json.dumps(rotation_writes[0]['query'])
    rotated_jwk = jwk_members(apinizer_emulator, 'token-signing')
    # The same JWK, parsed again: still from its certificate, still following it, with the new public key.
    assert (rotated_jwk['name'], rotated_jwk['sourceType']) == ('token-signing', 'CERTIFICATE')
    assert rotated_jwk['sourceId'] is not None
    assert rotated_jwk['rsa']['n'] != jwk['rsa']['n']
    assert jwt_verifies(new_token, rotated_jwk)
    assert not jwt_verifies(old_token, rotated_jwk)
    # The play's own check shows the members it read: the start of the new modulus.
    assert 'JWK modulus %s...' % rotated_jwk['rsa']['n'][:16] in rotated.stdout
    assert apinizer_emulator.control.state()['projects'][PROJECT]['jwks'][0]['name'] == 'token-signing'

    apinizer_emulator.control.clear_requests()
    rerun = run_example(apinizer_emulator, examples, 'jwt-rotate.yml', second_certificate)

    assert recap(rerun.stdout)['changed'] == 0
    assert apinizer_emulator.control.writes() == []

    # The publishing play, pointed at the new certificate, finds the JWK current: nothing is made again.
    republished = run_example(apinizer_emulator, examples, 'jwt-signing.yml', second_certificate)

    assert recap(republished.stdout)['changed'] == 0
    assert apinizer_emulator.control.writes() == []
    assert jwk_members(apinizer_emulator, 'token-signing')['rsa'] == rotated_jwk['rsa']

    assert 'PRIVATE KEY' not in published.stdout + rotated.stdout
    leaks.scan([('jwt-signing.yml -vvv', published.stdout), ('jwt-rotate.yml -vvv', rotated.stdout)],
               pki.secrets(apinizer_emulator.token), markers=[leaks.VERBOSE, leaks.RECAP], each_file=True).check()
