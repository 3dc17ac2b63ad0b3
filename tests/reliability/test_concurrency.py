# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Two ansible-playbook processes converge the same 20 bundles at the same time: both finish without error, the
server ends with exactly what was asked, and nothing is duplicated. Races (an "already exist" on create, a
missing object on replace) are re-read and converged by the client."""

from __future__ import annotations

import hashlib
import os

import pytest

from support import PROJECT, connection, play, summarize_requests

ENVIRONMENTS = ['production', 'staging']
ROLE = os.path.join('roles', 'apinizer_deploy', 'tasks', 'main.yml')


def bundles(material, rotate=False):
    """20 bundles, certificate and private key each; rotate swaps every certificate for another of the set."""
    items = []
    for index in range(20):
        issued = material.many[(index + 1) % 20 if rotate else index]
        items.append(dict(name='race-%02d' % index, description='bundle %d' % index, certificate=material.cert(issued),
                          private_key=material.key(issued)))
    return items


def expected_state(material, rotate=False):
    certificates, keys = {}, {}
    for index in range(20):
        issued = material.many[(index + 1) % 20 if rotate else index]
        name = 'race-%02d' % index
        certificates[name] = dict(sha1_thumbprint=hashlib.sha1(issued.cert_der).hexdigest().upper(), environments=ENVIRONMENTS,
                                  alias=name, description='bundle %d' % index)
        keys[name] = dict(key_type='PRIVATE_KEY', description='bundle %d' % index, environments=[
            dict(name=e, alias=name, content_sha256=hashlib.sha256(issued.key_pem).hexdigest()) for e in ENVIRONMENTS])
    return certificates, keys


def module_play(emulator, material, rotate=False):
    return play([{'name': 'converge', 'apinizer.apiops.apinizer_bundle': dict(
        environments=ENVIRONMENTS, bundles=bundles(material, rotate))}], connection(emulator, retries=5))


def role_play(emulator, material):
    return [dict(name='role', hosts='localhost', gather_facts=False, roles=[dict(
        role='apinizer.apiops.apinizer_deploy', apinizer_deploy_url=emulator.url, apinizer_deploy_token=emulator.token,
        apinizer_deploy_project=PROJECT, apinizer_deploy_environments=ENVIRONMENTS,
        apinizer_deploy_bundles=bundles(material))])]


def together(ansible, plays, name):
    """Start both processes, then wait for both."""
    running = [ansible.start(plays, name='%s-%d' % (name, n)) for n in (1, 2)]
    runs = [r.wait(600) for r in running]
    ansible.runs.extend(runs)
    return runs


def check_round(runs, api, material, rotate, case_detail, label):
    for number, run in enumerate(runs, 1):
        failed = [r for r in run.records if r['status'] == 'failed']
        assert run.rc == 0 and not failed, 'process %d: %s\n%s' % (
            number, [r['result'].get('msg') for r in failed] or run.describe(), run.stdout[-2000:])
    state = api.state()
    certificates, keys = expected_state(material, rotate)
    names = [c['name'] for c in state['certificates']]
    assert sorted(names) == sorted(certificates) and len(names) == len(set(names)), names
    key_names = [k['name'] for k in state['keys']]
    assert sorted(key_names) == sorted(keys) and len(key_names) == len(set(key_names)), key_names
    for stored in state['certificates']:
        wanted = certificates[stored['name']]
        got = dict((field, stored[field]) for field in wanted)
        assert got == wanted, '%s: %s != %s' % (stored['name'], got, wanted)
    for stored in state['keys']:
        wanted = keys[stored['name']]
        got = dict((field, stored[field]) for field in wanted)
        assert got == wanted, '%s: %s != %s' % (stored['name'], got, wanted)
    log = api.requests()
    races = [r for r in log if r['write'] and r['status'] == 400]
    lost = [r for r in log if r['write'] and r['status'] not in (200, 400)]
    assert not lost, summarize_requests(lost)
    case_detail.append('%s: both processes ok (%.1f s, %.1f s); %d writes, %d refused as races and converged; '
                       '20 certificates and 20 keys as asked' % (label, runs[0].seconds, runs[1].seconds,
                                                                 sum(1 for r in log if r['write']), len(races)))


@pytest.mark.reliability(
    group='concurrency',
    description='two ansible-playbook processes run apinizer_bundle on the same 20 bundles (certificate and private '
                'key each) at the same time: first creating them all, then rotating every certificate',
    expectation='both processes finish without error in both rounds; the server holds exactly the 20 certificates '
                '(thumbprint, environments, alias, description) and 20 keys (content, environments) asked for, none twice')
def test_two_processes_converge_the_same_bundles(ansible, apinizer_emulator, api, material, case_detail):
    runs = together(ansible, module_play(apinizer_emulator, material), 'race-create')
    check_round(runs, api, material, False, case_detail, 'create')
    api.control.clear_requests()
    runs = together(ansible, module_play(apinizer_emulator, material, rotate=True), 'race-rotate')
    check_round(runs, api, material, True, case_detail, 'rotate')


@pytest.mark.reliability(
    group='concurrency',
    description='two ansible-playbook processes apply the role apinizer.apiops.apinizer_deploy with the same 20 '
                'bundles at the same time',
    expectation='both processes finish without error; exactly the 20 certificates and 20 keys asked for, none twice')
def test_two_processes_apply_the_role(ansible, apinizer_emulator, api, material, case_detail, collections_path):
    if not os.path.exists(os.path.join(collections_path, 'ansible_collections', 'apinizer', 'apiops', ROLE)):
        pytest.skip('the collection has no role apinizer_deploy')
    runs = together(ansible, role_play(apinizer_emulator, material), 'race-role')
    check_round(runs, api, material, False, case_detail, 'role')
