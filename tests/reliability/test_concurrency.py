# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Two ansible-playbook processes write the same bundles at the same time.

Both processes wait at a barrier (a file the test creates once both are ready) before their apinizer task, so that
the seconds ansible-playbook takes to start on a busy 2-core machine do not decide whether they overlap, and every
write takes WRITE_LATENCY seconds on the emulator (the time a real server takes to deploy). The runs authenticate
differently (run 1 with the token, run 2 with username and password), which the emulator's request log names per
request (``credential``): each case proves from the log that writes of the two runs were in flight on the server
at the same time, then checks the final state. Races (an "already exist" on create, a missing object on replace, a certificate replaced
by the other run before the key that follows it) are re-read and converged by the collection."""

from __future__ import annotations

import datetime
import hashlib
import os
import time

import pytest

from support import PROJECT, connection, play, summarize_requests

ENVIRONMENTS = ['production', 'staging']
ROLE = os.path.join('roles', 'apinizer_deploy', 'tasks', 'main.yml')
# Seconds every write waits on the emulator: 40 writes, 4 at a time, keep each run writing for about 5 s.
WRITE_LATENCY = 0.5


def bundles(material, rotate=False):
    """20 bundles, certificate and private key each; rotate swaps every certificate for another of the set."""
    items = []
    for index in range(20):
        issued = material.many[(index + 1) % 20 if rotate else index]
        items.append(dict(name='race-%02d' % index, description='bundle %d' % index, certificate=material.cert(issued),
                          private_key=material.key(issued)))
    return items


def key_sha256(issued):
    """What the emulator's state shows of a private key sent by the collection (its PKCS#8 PEM)."""
    return hashlib.sha256(issued.key_pem).hexdigest()


def expected_state(material, rotate=False):
    certificates, keys = {}, {}
    for index in range(20):
        issued = material.many[(index + 1) % 20 if rotate else index]
        name = 'race-%02d' % index
        certificates[name] = dict(sha1_thumbprint=issued.sha1, environments=ENVIRONMENTS, alias=name,
                                  description='bundle %d' % index)
        keys[name] = dict(key_type='PRIVATE_KEY', description='bundle %d' % index, environments=[
            dict(name=e, alias=name, content_sha256=key_sha256(issued)) for e in ENVIRONMENTS])
    return certificates, keys


def credentials(emulator):
    """How each of the two runs authenticates (connection options), and how the request log names it."""
    return [(dict(token=emulator.token), 'token 1'),
            (dict(token=None, username=emulator.username, password=emulator.password), 'user %s' % emulator.username)]


def role_environment(auth):
    """The role takes a token as a variable; username and password reach its module from the environment."""
    return dict(APINIZER_USERNAME=auth['username'], APINIZER_PASSWORD=auth['password']) if 'username' in auth else {}


def barrier(number):
    """The tasks that hold run <number> until the test lets both runs go (together()): the run says it is ready,
    then waits for the go file. Paths are relative to the directory of the barrier (BARRIER)."""
    return [{'name': 'ready at the barrier', 'ansible.builtin.file': dict(path='{{ barrier }}/ready-%d' % number,
                                                                          state='touch', mode='0644')},
            {'name': 'wait for the other run', 'ansible.builtin.wait_for': dict(path='{{ barrier }}/go', sleep=1,
                                                                                timeout=300)}]


def module_play(emulator, material, auth, number, rotate=False):
    return play(barrier(number) + [{'name': 'converge', 'apinizer.apiops.apinizer_bundle': dict(
        environments=ENVIRONMENTS, bundles=bundles(material, rotate))}], connection(emulator, retries=5, **auth))


def role_play(emulator, auth, role_bundles, number):
    """The role, with the token of auth as its variable (username and password: role_environment)."""
    variables = dict(role='apinizer.apiops.apinizer_deploy', apinizer_deploy_url=emulator.url,
                     apinizer_deploy_project=PROJECT, apinizer_deploy_environments=ENVIRONMENTS,
                     apinizer_deploy_bundles=role_bundles)
    if auth.get('token'):
        variables['apinizer_deploy_token'] = auth['token']
    return [dict(name='role', hosts='localhost', gather_facts=False, pre_tasks=barrier(number), roles=[variables])]


def together(ansible, plays, name, envs=(None, None)):
    """Start both processes (with the process environments envs), let them go once both wait at the barrier, then
    wait for both."""
    directory = os.path.join(ansible.workdir, 'barrier-%s' % name)
    os.makedirs(directory)
    plays = [[dict(entry, vars=dict(entry.get('vars') or {}, barrier=directory)) for entry in plays_of_run]
             for plays_of_run in plays]
    running = [ansible.start(entry, name='%s-%d' % (name, number), env=env)
               for number, (entry, env) in enumerate(zip(plays, envs), 1)]
    deadline = time.monotonic() + 300
    while not all(os.path.exists(os.path.join(directory, 'ready-%d' % number)) for number in (1, 2)):
        assert time.monotonic() < deadline and all(r.process.poll() is None for r in running), (
            'a run did not reach the barrier: %s' % [r.process.poll() for r in running])
        time.sleep(0.1)
    with open(os.path.join(directory, 'go'), 'w'):
        pass
    runs = [r.wait(600) for r in running]
    ansible.runs.extend(runs)
    return runs


def _in_flight(entry):
    """(arrival, answer) of a logged request, in seconds."""
    arrival = datetime.datetime.strptime(entry['time'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc)
    return arrival.timestamp(), arrival.timestamp() + entry['duration_ms'] / 1000.0


def interleaving(log, labels, at_least=1):
    """Prove from the request log that the two runs (told apart by their credentials, labels) wrote at the same
    time: at least at_least writes of each run were on the server (between arrival and answer) while a write of the
    other run was. Returns the detail line; fails otherwise."""
    writes = [[_in_flight(entry) for entry in log if entry['write'] and entry['credential'] == label]
              for label in labels]
    assert all(writes), 'a run wrote nothing: %s writes' % [len(w) for w in writes]
    overlapping = [sum(1 for mine in writes[run] if any(mine[0] < theirs[1] and theirs[0] < mine[1]
                                                        for theirs in writes[1 - run])) for run in (0, 1)]
    order = ''.join(str(labels.index(entry['credential']) + 1) for entry in log
                    if entry['write'] and entry['credential'] in labels)
    assert min(overlapping) >= at_least, (
        'the writes of the two runs did not interleave: %s of %s writes overlapped one of the other run (arrival '
        'order by run: %s)' % (overlapping, [len(w) for w in writes], order))
    return ('writes interleaved: %d of run 1\'s %d and %d of run 2\'s %d were on the server while one of the other '
            'run was (arrival order by run: %s)' % (overlapping[0], len(writes[0]), overlapping[1], len(writes[1]),
                                                    order if len(order) <= 12 else order[:12] + '...'))


def check_round(runs, api, material, rotate, case_detail, label, labels):
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
    overlap = interleaving(log, labels, at_least=5)
    races = [r for r in log if r['write'] and r['status'] == 400]
    lost = [r for r in log if r['write'] and r['status'] not in (200, 400)]
    assert not lost, summarize_requests(lost)
    case_detail.append('%s: both processes ok (%.1f s, %.1f s); %s; %d refused as races and converged; '
                       '20 certificates and 20 keys as asked' % (label, runs[0].seconds, runs[1].seconds, overlap,
                                                                 len(races)))


@pytest.mark.reliability(
    group='concurrency',
    description='two ansible-playbook processes (one with the token, one with username and password) run '
                'apinizer_bundle on the same 20 bundles (certificate and private key each) at the same time, every '
                'write taking 0.5 s: first creating them all, then rotating every certificate',
    expectation='the request log shows the writes of the two processes interleaved; both finish without error in '
                'both rounds; the server holds exactly the 20 certificates (thumbprint, environments, alias, '
                'description) and 20 keys (content, environments) asked for, none twice')
def test_two_processes_converge_the_same_bundles(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('latency', seconds=WRITE_LATENCY, method='WRITE', count=None)
    auths = credentials(apinizer_emulator)
    labels = [label for _auth, label in auths]
    runs = together(ansible, [module_play(apinizer_emulator, material, auth, number)
                              for number, (auth, _label) in enumerate(auths, 1)], 'race-create')
    check_round(runs, api, material, False, case_detail, 'create', labels)
    api.control.clear_requests()
    runs = together(ansible, [module_play(apinizer_emulator, material, auth, number, rotate=True)
                              for number, (auth, _label) in enumerate(auths, 1)], 'race-rotate')
    check_round(runs, api, material, True, case_detail, 'rotate', labels)


def needs_the_role(collections_path):
    if not os.path.exists(os.path.join(collections_path, 'ansible_collections', 'apinizer', 'apiops', ROLE)):
        pytest.skip('the collection has no role apinizer_deploy')


@pytest.mark.reliability(
    group='concurrency',
    description='two ansible-playbook processes (one with the token, one with username and password) apply the '
                'role apinizer.apiops.apinizer_deploy with the same 20 bundles at the same time, every write taking '
                '0.5 s',
    expectation='the request log shows the writes of the two processes interleaved; both finish without error; '
                'exactly the 20 certificates and 20 keys asked for, none twice')
def test_two_processes_apply_the_role(ansible, apinizer_emulator, api, material, case_detail, collections_path):
    needs_the_role(collections_path)
    api.control.add_fault('latency', seconds=WRITE_LATENCY, method='WRITE', count=None)
    auths = credentials(apinizer_emulator)
    runs = together(ansible, [role_play(apinizer_emulator, auth, bundles(material), number)
                              for number, (auth, _label) in enumerate(auths, 1)],
                    'race-role', [role_environment(auth) for auth, _label in auths])
    check_round(runs, api, material, False, case_detail, 'role', [label for _auth, label in auths])


def role_outcome(run):
    """(ok, message) of one role run: the module's message when it failed (the role's last task fails with it)."""
    failed = [r for r in run.records if r['status'] == 'failed']
    if run.rc == 0 and not failed:
        return True, None
    messages = [r['result'].get('msg') for r in failed if r['result'].get('msg')]
    return False, messages[-1] if messages else run.describe()


@pytest.mark.reliability(
    group='concurrency',
    description='two processes apply the role at the same time to rotate the same bundle (stored with a first '
                'certificate and key in two environments), each to a pair of its own; every write takes 0.5 s and '
                'the key write of whichever process sends it first 3 s more, so that the certificate of one '
                'process is stored, then replaced by the other\'s, before the first one\'s key arrives',
    expectation='the writes interleave; the server ends with one of the two pairs complete (certificate and the key '
                'that belongs to it, in both environments), never a certificate beside the other process\'s key; '
                'each process succeeds, or fails with a message naming the bundle')
def test_two_processes_rotate_the_same_bundle(ansible, apinizer_emulator, api, material, case_detail,
                                              collections_path):
    needs_the_role(collections_path)
    first, pairs = material.many[0], [material.other, material.third]
    api.create_certificate('rotated', material.cert(first), ENVIRONMENTS)
    api.create_key('rotated', 'PRIVATE_KEY', ENVIRONMENTS, first.key_pem)
    api.control.clear_requests()
    api.control.add_fault('latency', seconds=WRITE_LATENCY, method='WRITE', count=None)
    api.control.add_fault('latency', seconds=3, method='PUT', path='/keys/rotated/$', count=1)
    auths = credentials(apinizer_emulator)
    labels = [label for _auth, label in auths]
    plays = [role_play(apinizer_emulator, auth, [dict(name='rotated', certificate=material.cert(issued),
                                                      private_key=material.key(issued))], number)
             for number, ((auth, _label), issued) in enumerate(zip(auths, pairs), 1)]
    runs = together(ansible, plays, 'rotate-same', [role_environment(auth) for auth, _label in auths])
    log = api.requests()
    overlap = interleaving(log, labels)
    outcomes = [role_outcome(run) for run in runs]
    for ok, message in outcomes:
        assert ok or 'bundle rotated' in (message or ''), message
    state = api.state()
    [certificate] = state['certificates']
    [key] = state['keys']
    by_thumbprint = dict((issued.sha1, issued) for issued in pairs)
    assert certificate['sha1_thumbprint'] in by_thumbprint, 'the certificate is neither of the two rotations'
    owner = by_thumbprint[certificate['sha1_thumbprint']]
    assert certificate['environments'] == ENVIRONMENTS
    stored_keys = [(e['name'], e['content_sha256']) for e in key['environments']]
    assert stored_keys == [(e, key_sha256(owner)) for e in ENVIRONMENTS], (
        'half state: the certificate of %s beside the key of %s' % (owner.certificate.subject.rfc4514_string(), [
            issued.certificate.subject.rfc4514_string() for issued in pairs
            if any(digest == key_sha256(issued) for _name, digest in stored_keys)]))
    writes = [entry for entry in log if entry['write']]
    case_detail.append('%s; final pair: %s, certificate and key in %s; process 1 %s, process 2 %s; writes: %s' % (
        overlap, owner.certificate.subject.rfc4514_string(), ', '.join(ENVIRONMENTS),
        *['ok' if ok else 'failed: %s' % message for ok, message in outcomes],
        ', '.join('%s %s by %s' % (e['method'], 'certificate' if '/certificates/' in e['path'] else 'key', e['credential'])
                  for e in writes)))
