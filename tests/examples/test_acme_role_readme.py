# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The examples of roles/apinizer_acme/README.md, run as written against pebble and the emulator (make acme).

Only what must point at the test is overridden with -e: the ACME directory (pebble), the account key, the web
server (localhost) and its root (the directory pebble fetches http-01 tokens from: tests/scripts/pebble.sh with
PEBBLE_HTTP01_ROOT). The Apinizer connection comes from APINIZER_URL and APINIZER_TOKEN, as the modules' fallback.
tests/scripts/acme.sh sets PEBBLE_DIRECTORY_URL, PEBBLE_CA_FILE, PEBBLE_LOG, PEBBLE_HTTP01_ROOT and
ACME_ACCOUNT_KEY."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import pytest
import requests
from cryptography import x509

from apinizer_emulator import leaks
from apinizer_emulator.playbook import recap

from readme_examples import write_examples

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(ROOT, 'roles', 'apinizer_acme', 'README.md')
DOMAINS = ['api.payments.example.com', 'www.payments.example.com']
ENVIRONMENTS = ['production', 'staging']


def environment(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail('%s is not set: run this through make acme (tests/scripts/acme.sh)' % name)
    return value


@pytest.fixture
def apinizer_emulator_projects():
    return {'payments': list(ENVIRONMENTS)}


@pytest.fixture
def examples(tmp_path):
    write_examples(README, str(tmp_path))
    return tmp_path


def run_example(emulator, examples, args=()):
    env = dict(os.environ, APINIZER_URL=emulator.url, APINIZER_TOKEN=emulator.token,
               SSL_CERT_FILE=environment('PEBBLE_CA_FILE'), ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_NOCOLOR='1')
    overrides = ['-e', 'apinizer_acme_directory=%s' % environment('PEBBLE_DIRECTORY_URL'),
                 '-e', 'apinizer_acme_account_key_src=%s' % environment('ACME_ACCOUNT_KEY'),
                 '-e', 'acme_web_server=localhost',
                 '-e', 'acme_web_root=%s' % environment('PEBBLE_HTTP01_ROOT')]
    playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    process = subprocess.run([playbook, str(examples / 'renew.yml')] + overrides + list(args), cwd=str(examples),
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if process.returncode != 0:
        pytest.fail('ansible-playbook renew.yml failed (%d):\n%s' % (process.returncode, process.stdout[-6000:]))
    return process


def acme_orders():
    """Orders pebble took so far: its log has one "POST /order-plz" per order."""
    with open(environment('PEBBLE_LOG'), encoding='utf-8', errors='replace') as handle:
        return handle.read().count('POST /order-plz')


def stored_certificate(emulator, name):
    """The certificate as the API returns it (GET of one certificate, with content)."""
    answer = requests.get('%s/apiops/projects/payments/certificates/%s/' % (emulator.url, name),
                          headers=emulator.headers(), timeout=30)
    answer.raise_for_status()
    entries = answer.json()['resultList'][0]['certificateEnvironmentList']
    return x509.load_der_x509_certificate(base64.b64decode(entries[0]['base64EncodedContent'])), entries


def challenge_files():
    directory = os.path.join(environment('PEBBLE_HTTP01_ROOT'), '.well-known', 'acme-challenge')
    return sorted(os.listdir(directory)) if os.path.isdir(directory) else []


def test_the_readme_examples_issue_deploy_and_then_change_nothing(apinizer_emulator, examples):
    orders_before = acme_orders()

    first = run_example(apinizer_emulator, examples, args=['-vvv'])

    assert recap(first.stdout)['changed'] > 0
    assert acme_orders() == orders_before + 1
    # pebble fetched the files the tasks file wrote under the web root, which removed them afterwards.
    assert challenge_files() == []
    state = apinizer_emulator.control.state()['projects']['payments']
    assert [(c['name'], c['environments']) for c in state['certificates']] == [
        ('payments-api', ENVIRONMENTS), ('payments-api-chain-1', ENVIRONMENTS)]
    assert state['certificates'][0]['description'] == 'TLS certificate of the payments API [ACME %s]' % ' '.join(DOMAINS)
    assert [(k['name'], k['key_type'], [e['name'] for e in k['environments']]) for k in state['keys']] == [
        ('payments-api', 'PRIVATE_KEY', ENVIRONMENTS)]
    certificate, entries = stored_certificate(apinizer_emulator, 'payments-api')
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(names.get_values_for_type(x509.DNSName)) == DOMAINS
    assert sorted(entry['environmentName'] for entry in entries) == ENVIRONMENTS

    apinizer_emulator.control.clear_requests()
    second = run_example(apinizer_emulator, examples)

    assert recap(second.stdout)['changed'] == 0
    assert apinizer_emulator.control.writes() == []
    assert acme_orders() == orders_before + 1

    # No private key (the issued one is not known to the test: no PEM of any), no token, no form of the account
    # key in the -vvv run.
    assert 'PRIVATE KEY' not in first.stdout
    with open(environment('ACME_ACCOUNT_KEY'), encoding='utf-8') as handle:
        account_key = handle.read()
    known = leaks.Secrets().add('token', apinizer_emulator.token).add_private_key('account key', account_key)
    leaks.scan([('renew.yml -vvv', first.stdout)], known, markers=[leaks.VERBOSE, leaks.RECAP]).check()
