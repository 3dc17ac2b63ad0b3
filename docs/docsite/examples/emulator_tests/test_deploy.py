# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of a user's own playbook (deploy.yml beside this file) against the Apinizer emulator.

The fixture ``apinizer_emulator`` comes from the emulator's pytest plugin, registered when
the emulator is installed (``pip install <collection>/tests/emulator``): no conftest.py is
needed. Each test starts with an emulator that was just reset (objects, request log, faults).
ansible-playbook must find apinizer.apiops (ANSIBLE_COLLECTIONS_PATH, or the default paths).
"""

import os
import re
import secrets
import subprocess
import sys

import pytest

from apinizer_emulator import leaks
from apinizer_emulator.playbook import recap
from apinizer_emulator.testcerts import make_ca, make_certificate

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOK = os.path.join(HERE, 'deploy.yml')


@pytest.fixture
def pki(tmp_path):
    """A CA, a certificate it issued with its private key, and a 32-byte secret key."""
    ca = make_ca('Shop Test CA')
    make_certificate('shop.example.com', issuer=ca, dns_names=['shop.example.com']).write(tmp_path, 'shop')
    (tmp_path / 'ca.crt').write_bytes(ca.cert_pem)
    (tmp_path / 'token.bin').write_bytes(secrets.token_bytes(32))
    return tmp_path


def run_playbook(emulator, pki_dir, check=True, args=()):
    """ansible-playbook deploy.yml against the emulator; returns the completed process."""
    env = dict(os.environ, APINIZER_URL=emulator.url, APINIZER_TOKEN=emulator.token, APINIZER_PROJECT='demo',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_NOCOLOR='1')
    playbook = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    process = subprocess.run([playbook, PLAYBOOK, '-e', 'pki_dir=%s' % pki_dir] + list(args),
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if check and process.returncode != 0:
        pytest.fail('ansible-playbook failed (%d):\n%s' % (process.returncode, process.stdout))
    return process


def test_first_run_deploys_and_second_run_writes_nothing(apinizer_emulator, pki):
    run_playbook(apinizer_emulator, pki)

    state = apinizer_emulator.control.state()['projects']['demo']
    certificates = {c['name']: c['environments'] for c in state['certificates']}
    assert certificates == {'shop-api': ['production', 'staging'], 'shop-api-chain-1': ['production', 'staging']}
    keys = {k['name']: sorted(e['name'] for e in k['environments']) for k in state['keys']}
    assert keys == {'shop-api': ['production', 'staging'], 'shop-token-key': ['production', 'staging']}

    apinizer_emulator.control.clear_requests()
    second = run_playbook(apinizer_emulator, pki)
    assert recap(second.stdout)['changed'] == 0
    assert apinizer_emulator.control.writes() == []


def test_failed_deployment_fails_the_play_and_names_the_environment(apinizer_emulator, pki):
    apinizer_emulator.control.add_fault('deploy_failure', environment='staging', count=None)

    failed = run_playbook(apinizer_emulator, pki, check=False)

    assert failed.returncode != 0
    assert 'staging' in failed.stdout and 'Connection refused to gateway pod' in failed.stdout
    # The server keeps what it stored, staging included, but its deployment there failed (the
    # emulator's state says so; the API does not). The TLS bundle stopped at its chain
    # certificate: a leaf is never deployed without its issuers.
    state = apinizer_emulator.control.state()['projects']['demo']
    certificates = {c['name']: c['failed_environments'] for c in state['certificates']}
    assert certificates == {'shop-api-chain-1': ['staging']}

    # Once staging deploys again, the rerun the message names deploys exactly the failed bundles.
    apinizer_emulator.control.clear_faults()
    forced = re.search(r'-e (apinizer_deploy_force_bundles=[\w.,-]+)', failed.stdout).group(1)
    run_playbook(apinizer_emulator, pki, args=['-e', forced])
    state = apinizer_emulator.control.state()['projects']['demo']
    for stored in state['certificates'] + state['keys']:
        assert stored['failed_environments'] == [], stored['name']
    assert sorted(c['name'] for c in state['certificates']) == ['shop-api', 'shop-api-chain-1']


def test_a_verbose_run_shows_no_secret(apinizer_emulator, pki):
    run = run_playbook(apinizer_emulator, pki, args=['-vvv', '--diff'])

    # The token, the private key in pki/ (every PEM line, the base64 the module sends) and the secret key (raw,
    # base64, hex), wrapped or escaped too; the markers prove that this is the whole -vvv run.
    known = leaks.Secrets().add('token', apinizer_emulator.token).add_directory(str(pki))
    leaks.scan([('ansible-playbook -vvv --diff', run.stdout)], known, markers=[leaks.VERBOSE, leaks.RECAP]).check()
