# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Faults injected into the emulator while real playbooks run: rate limits, 5xx bursts, timeouts, dropped
connections, authentication and permission errors, failed deployments, a replace whose create half fails, and a
bundle run that stops half-way. Each case checks the task's outcome, the server's final state and the writes."""

from __future__ import annotations

import datetime
import hashlib
import re
import time

import pytest

from support import PROJECT, cert_args, connection, play, secret_key_args, summarize_requests, task

CERTS = '/apiops/projects/demo/certificates/'
KEYS = '/apiops/projects/demo/keys/'
THREE = ['development', 'production', 'staging']


def faults(group_description, expectation):
    return pytest.mark.reliability(group='faults', description=group_description, expectation=expectation)


def run_tasks(ansible, emulator, tasks, name, **conn):
    return ansible.run(play(tasks, connection(emulator, **conn)), name=name, emulator_url=emulator.url)


def moment(entry):
    return datetime.datetime.fromisoformat(entry['time'].replace('Z', '+00:00'))


def only(entries, method, path_end):
    return [e for e in entries if e['method'] == method and e['path'].endswith(path_end)]


def wait_for_faulted_requests(api, kind, expected, limit=15.0):
    """Latency faults keep the server busy after the client gave up; wait until those requests are logged, so
    they do not land in the next case's request log."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if sum(1 for r in api.requests() if kind in r['faults']) >= expected:
            return
        time.sleep(0.1)


def assert_ok(run, name):
    record = run.record(name)
    assert record['status'] == 'ok', 'the task failed: %s' % record['result'].get('msg')
    return record['result']


def assert_failed(run, name):
    record = run.record(name)
    assert record['status'] == 'failed', 'the task did not fail: %s' % record['result'].get('msg')
    return record['result']


# --- 429 and 5xx ----------------------------------------------------------------------------------------------------

@faults('429 on a certificate create, retry_after in the body only (no Retry-After header)',
        'waits the 1 s asked (not the 0.5 s backoff) and succeeds within retries; one certificate; one POST took effect')
def test_rate_limit_retry_after_body(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('rate_limit', retry_after=1, header=False, method='POST', path=CERTS + '$')
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_certificate', cert_args('rl-body', material.cert(material.other)))],
                    'rate-limit-body')
    result = assert_ok(run, 'create')
    assert result['changed'] and result['action'] == 'created'
    posts = only(run.record('create')['requests'], 'POST', CERTS)
    assert [p['status'] for p in posts] == [429, 200], summarize_requests(posts)
    waited = (moment(posts[1]) - moment(posts[0])).total_seconds()
    assert waited >= 0.95, 'retried after %.2f s, the body asked for 1 s' % waited
    assert list(api.certificates()) == ['rl-body']
    case_detail.append('POST 429 then 200 after %.2f s; 1 certificate' % waited)


@faults('429 on a key create with only a Retry-After header (no retry_after in the body)',
        'waits the 1 s of the header and succeeds within retries; one key; one POST took effect')
def test_rate_limit_retry_after_header(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('status', status=429, headers={'Retry-After': '1'}, method='POST', path=KEYS + '$')
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_key', secret_key_args(material, 'rl-header'))],
                    'rate-limit-header')
    result = assert_ok(run, 'create')
    assert result['changed'] and result['action'] == 'created'
    posts = only(run.record('create')['requests'], 'POST', KEYS)
    assert [p['status'] for p in posts] == [429, 200], summarize_requests(posts)
    waited = (moment(posts[1]) - moment(posts[0])).total_seconds()
    assert waited >= 0.95, 'retried after %.2f s, the header asked for 1 s' % waited
    assert list(api.keys()) == ['rl-header']
    case_detail.append('POST 429 then 200 after %.2f s; 1 key' % waited)


@faults('429 that never ends (retry_after 0), retries=2',
        'fails after 3 attempts with "Rate limited" naming the endpoint and the retries option; nothing written')
def test_rate_limit_exhausted(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('rate_limit', retry_after=0, method='GET', count=None)
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_certificate', cert_args('rl-long', material.cert(material.other)))],
                    'rate-limit-exhausted', retries=2)
    message = assert_failed(run, 'create')['msg']
    assert 'Rate limited (429 rate_limit_exceeded' in message and 'GET %srl-long/' % CERTS in message, message
    assert 'Gave up after 3 attempts (option retries=2)' in message, message
    requests = run.record('create')['requests']
    assert len(requests) == 3 and not [r for r in requests if r['write']], summarize_requests(requests)
    assert not api.certificates()
    case_detail.append(message)


@faults('503 burst of 2 on a certificate create, retries=3',
        'absorbed: 503, 503, then 200; one certificate; one POST took effect')
def test_burst_503_absorbed(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('status', status=503, method='POST', path=CERTS + '$', count=2)
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_certificate', cert_args('burst', material.cert(material.other)))],
                    'burst-503')
    assert assert_ok(run, 'create')['action'] == 'created'
    posts = only(run.record('create')['requests'], 'POST', CERTS)
    assert [p['status'] for p in posts] == [503, 503, 200], summarize_requests(posts)
    assert list(api.certificates()) == ['burst']
    case_detail.append(summarize_requests(posts))


@faults('502 burst of 2 on the reads of a key run, retries=3',
        'reads are repeated: 502, 502, then 200; the key is created with one POST')
def test_burst_502_on_reads_absorbed(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('status', status=502, method='GET', path=KEYS, count=2)
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_key', secret_key_args(material, 'burst-502'))],
                    'burst-502-reads')
    assert assert_ok(run, 'create')['action'] == 'created'
    requests = run.record('create')['requests']
    assert [r['status'] for r in requests if r['method'] == 'GET'][:3] == [502, 502, 400], summarize_requests(requests)
    assert [r['status'] for r in requests if r['write']] == [200]
    assert list(api.keys()) == ['burst-502']
    case_detail.append(summarize_requests(requests))


@faults('502 on a key create (the write\'s outcome is unknown)',
        'the write is not repeated blindly: the module re-reads, finds no key, creates it; one key, no duplicate')
def test_gateway_error_on_write_rereads(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('status', status=502, method='POST', path=KEYS + '$', count=1)
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_key', secret_key_args(material, 'gw-write'))],
                    'gateway-error-write')
    assert assert_ok(run, 'create')['action'] == 'created'
    requests = run.record('create')['requests']
    writes = [r for r in requests if r['write']]
    assert [w['status'] for w in writes] == [502, 200], summarize_requests(requests)
    first, second = requests.index(writes[0]), requests.index(writes[1])
    assert any(r['method'] == 'GET' and r['path'] == KEYS + 'gw-write/' for r in requests[first:second]), \
        'no re-read between the two writes: %s' % summarize_requests(requests)
    assert list(api.keys()) == ['gw-write']
    case_detail.append(summarize_requests(requests))


@faults('503 that lasts longer than retries (retries=2) on the certificate read',
        'fails after 3 attempts naming GET and the endpoint, "The Apinizer server failed (503"; nothing written')
def test_burst_503_too_long(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('status', status=503, method='GET', path=CERTS, count=None)
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_certificate', cert_args('long-burst', material.cert(material.other)))],
                    'burst-503-long', retries=2)
    message = assert_failed(run, 'create')['msg']
    assert 'The Apinizer server failed (503 service_unavailable' in message, message
    assert 'GET %slong-burst/' % CERTS in message and 'Gave up after 3 attempts (option retries=2)' in message, message
    requests = run.record('create')['requests']
    assert [r['status'] for r in requests] == [503, 503, 503], summarize_requests(requests)
    assert not api.certificates()
    case_detail.append(message)


# --- timeouts -------------------------------------------------------------------------------------------------------

@faults('3 s latency on every certificate read, timeout=1, retries=1',
        'fails saying the GET timed out after 1 seconds (option timeout), after 2 attempts; nothing written')
def test_latency_beyond_timeout(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('latency', seconds=3, method='GET', path=CERTS, count=None)
    started = time.monotonic()
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_certificate', cert_args('slow', material.cert(material.other)))],
                    'latency', timeout=1, retries=1)
    elapsed = time.monotonic() - started
    message = assert_failed(run, 'create')['msg']
    assert 'GET %sslow/ timed out after 1 seconds (option timeout)' % CERTS in message, message
    assert 'Gave up after 2 attempts (option retries=1)' in message, message
    wait_for_faulted_requests(api, 'latency', 2)
    assert not api.writes() and not api.certificates()
    case_detail.append('%s (run took %.1f s)' % (message, elapsed))


@faults('a certificate create that times out (2 s latency on the POST, timeout=1)',
        'the module re-reads instead of repeating blindly, creates the certificate once and reports created; the late '
        'first POST is refused by the server; one certificate, no error')
def test_write_timeout_no_duplicate(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('latency', seconds=2, method='POST', path=CERTS + '$', count=1)
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_certificate', cert_args('slow-write', material.cert(material.other)))],
                    'write-timeout', timeout=1)
    result = assert_ok(run, 'create')
    assert result['action'] == 'created' and 'already exist' not in run.stdout
    wait_for_faulted_requests(api, 'latency', 1)
    posts = only(api.requests(), 'POST', CERTS)
    assert sorted(p['status'] for p in posts) == [200, 400], summarize_requests(posts)
    assert list(api.certificates()) == ['slow-write']
    assert api.certificates()['slow-write']['sha1_thumbprint'] == result['certificate']['sha1_thumbprint']
    case_detail.append(summarize_requests(posts))


# --- dropped connections --------------------------------------------------------------------------------------------

DROP_EXPECTATION = ('not failed, no "already exist"; the module re-reads and reports %s; exactly one %s sent and the '
                    'object is there once')


@faults('the connection drops after a certificate create was processed', DROP_EXPECTATION % ('created', 'POST'))
def test_drop_after_certificate_create(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('drop', when='after', method='POST', path=CERTS + '$')
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_certificate', cert_args('dropped', material.cert(material.other)))],
                    'drop-cert-create')
    result = assert_ok(run, 'create')
    assert result['changed'] and result['action'] == 'created'
    assert 'already exist' not in run.stdout + run.stderr
    writes = run.writes('create')
    assert len(writes) == 1 and writes[0]['dropped'], summarize_requests(writes)
    assert list(api.certificates()) == ['dropped']
    assert api.certificates()['dropped']['sha1_thumbprint'] == result['certificate']['sha1_thumbprint']
    case_detail.append(summarize_requests(run.record('create')['requests']))


@faults('the connection drops after a certificate replace (PUT) was processed', DROP_EXPECTATION % ('updated', 'PUT'))
def test_drop_after_certificate_replace(ansible, apinizer_emulator, api, material, case_detail):
    api.create_certificate('replaced', material.cert(material.other), ['production'])
    api.control.add_fault('drop', when='after', method='PUT', path=CERTS + 'replaced/$')
    run = run_tasks(ansible, apinizer_emulator, [task('replace', 'apinizer_certificate', cert_args('replaced', material.cert(material.third)))],
                    'drop-cert-replace')
    result = assert_ok(run, 'replace')
    assert result['changed'] and result['action'] == 'updated'
    writes = run.writes('replace')
    assert [w['method'] for w in writes] == ['PUT'] and writes[0]['dropped'], summarize_requests(writes)
    stored = api.certificates()
    assert list(stored) == ['replaced'] and stored['replaced']['sha1_thumbprint'] == result['certificate']['sha1_thumbprint']
    case_detail.append(summarize_requests(run.record('replace')['requests']))


@faults('the connection drops after a key create was processed', DROP_EXPECTATION % ('created', 'POST'))
def test_drop_after_key_create(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('drop', when='after', method='POST', path=KEYS + '$')
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_key', secret_key_args(material, 'dropped-key'))],
                    'drop-key-create')
    result = assert_ok(run, 'create')
    assert result['changed'] and result['action'] == 'created'
    assert 'already exist' not in run.stdout + run.stderr
    writes = run.writes('create')
    assert len(writes) == 1 and writes[0]['dropped'], summarize_requests(writes)
    assert list(api.keys()) == ['dropped-key']
    case_detail.append(summarize_requests(run.record('create')['requests']))


@faults('the connection drops after a key update (PUT) was processed', DROP_EXPECTATION % ('updated', 'PUT'))
def test_drop_after_key_update(ansible, apinizer_emulator, api, material, case_detail):
    api.create_key('updated-key', 'SECRET_KEY', ['production'], material.secret_key, description='old')
    api.control.add_fault('drop', when='after', method='PUT', path=KEYS + 'updated-key/$')
    args = secret_key_args(material, 'updated-key', description='new', alias='updated-key')
    run = run_tasks(ansible, apinizer_emulator, [task('update', 'apinizer_key', args)], 'drop-key-update')
    result = assert_ok(run, 'update')
    assert result['changed'] and result['action'] == 'updated'
    writes = run.writes('update')
    assert [w['method'] for w in writes] == ['PUT'] and writes[0]['dropped'], summarize_requests(writes)
    assert list(api.keys()) == ['updated-key'] and api.keys()['updated-key']['description'] == 'new'
    case_detail.append(summarize_requests(run.record('update')['requests']))


@faults('a bundle (certificate and private key) whose two creates both lose their connection after being processed',
        'not failed; the bundle reports certificate and key created; one POST each; one certificate and one key')
def test_drop_after_bundle_writes(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('drop', when='after', method='POST', path=CERTS + '$')
    api.control.add_fault('drop', when='after', method='POST', path=KEYS + '$')
    bundle = dict(name='dropped-bundle', certificate=material.cert(material.other), private_key=material.key(material.other))
    run = run_tasks(ansible, apinizer_emulator, [task('bundle', 'apinizer_bundle', dict(environments=['production'], bundles=[bundle]))],
                    'drop-bundle')
    result = assert_ok(run, 'bundle')
    actions = [(r['type'], r['action']) for r in result['bundles'][0]['resources']]
    assert actions == [('certificate', 'created'), ('key', 'created')], actions
    writes = run.writes('bundle')
    assert [w['method'] for w in writes] == ['POST', 'POST'] and all(w['dropped'] for w in writes), summarize_requests(writes)
    assert list(api.certificates()) == ['dropped-bundle'] and list(api.keys()) == ['dropped-bundle']
    assert 'already exist' not in run.stdout + run.stderr
    case_detail.append(summarize_requests(writes))


@faults('the connection drops before a certificate create reaches the server',
        'the module re-reads, finds nothing, and creates it: two POSTs logged (one dropped unprocessed), one certificate')
def test_drop_before_certificate_create(ansible, apinizer_emulator, api, material, case_detail):
    api.control.add_fault('drop', when='before', method='POST', path=CERTS + '$')
    run = run_tasks(ansible, apinizer_emulator, [task('create', 'apinizer_certificate', cert_args('never-arrived', material.cert(material.other)))],
                    'drop-before')
    assert assert_ok(run, 'create')['action'] == 'created'
    writes = run.writes('create')
    assert [(w['dropped'], w['status']) for w in writes] == [(True, None), (False, 200)], summarize_requests(writes)
    assert list(api.certificates()) == ['never-arrived']
    case_detail.append(summarize_requests(run.record('create')['requests']))


# --- authentication, permission, project ----------------------------------------------------------------------------

AUTH_CASES = dict(
    bad_token=dict(conn=dict(token='not-the-token-0123456789abcdef'),
                   expect=['Authentication failed (401 invalid_token', 'check the token (option token / APINIZER_TOKEN)']),
    expired_token=dict(conn='user', expect=['Authentication failed (401 token_expired: Token has expired)', 'check the token']),
    bad_password=dict(conn='bad-password', expect=['Could not obtain a token for user', 'check username and password']),
    read_only=dict(conn='read-only', expect=['Permission denied (403 forbidden', 'SECRETS+MANAGE', 'POST %s' % CERTS]),
    no_project=dict(conn=dict(project='no-such-project'),
                    expect=['Project not found (404 not_found: Project(no-such-project) was not found',
                            'check the option project / APINIZER_PROJECT']),
)
CAUSE_WORDS = ('Authentication failed', 'Could not obtain a token', 'Permission denied', 'Project not found')


@pytest.fixture(scope='module')
def auth_run(ansible, material, apinizer_emulator_server):
    """One run, one task per case. Issued tokens expire at once (token_ttl 0) for the expired-token case."""
    server = apinizer_emulator_server
    server.control.reset()
    server.control.config(token_ttl=0)
    special = {'user': dict(token=None, username=server.username, password=server.password),
               'bad-password': dict(token=None, username=server.username, password='wrong-' + server.password[::-1]),
               'read-only': dict(token=server.read_only_token)}
    tasks = []
    for name, case in AUTH_CASES.items():
        conn = connection(server, **(special[case['conn']] if isinstance(case['conn'], str) else case['conn']))
        tasks.append(task(name, 'apinizer_certificate', dict(cert_args('auth-' + name, material.cert(material.other)), **conn)))
    run = ansible.run(play(tasks), name='auth', emulator_url=server.url)
    server.control.reset()
    return run


@pytest.mark.parametrize('name', [
    pytest.param('bad_token', id='auth-bad-token', marks=faults(
        'a token the server does not know (401)', 'fails: "Authentication failed (401 invalid_token ...": names the token '
        'option; no other cause named; nothing written')),
    pytest.param('expired_token', id='auth-expired-token', marks=faults(
        'username/password whose every token has expired at once (token_ttl 0)', 'renews the token once, then fails: '
        '"Authentication failed (401 token_expired: Token has expired)"; nothing written')),
    pytest.param('bad_password', id='auth-bad-password', marks=faults(
        'a wrong password for the token endpoint', 'fails: "Could not obtain a token for user ... check username and '
        'password"; the password is not in the message; nothing written')),
    pytest.param('read_only', id='auth-read-only-token', marks=faults(
        'a read-only token on a write (403)', 'fails: "Permission denied (403 forbidden ...)" naming SECRETS+MANAGE and '
        'the POST; the refused POST is the only write; nothing stored')),
    pytest.param('no_project', id='auth-unknown-project', marks=faults(
        'a project that does not exist (404)', 'fails: "Project not found (404 ...)" naming the option project; nothing '
        'written')),
])
def test_auth_errors_are_distinct(name, auth_run, apinizer_emulator_server, case_detail):
    record = auth_run.record(name)
    message = record['result'].get('msg', '')
    case_detail.append(message[:300])
    assert record['status'] == 'failed', message
    missing = [e for e in AUTH_CASES[name]['expect'] if e not in message]
    assert not missing, 'message lacks %s: %s' % (missing, message)
    others = [word for word in CAUSE_WORDS if word in message and not any(word in e for e in AUTH_CASES[name]['expect'])]
    assert not others, 'the message names another cause too (%s): %s' % (others, message)
    assert apinizer_emulator_server.password not in message
    writes = [r for r in record['requests'] if r['write']]
    assert [w['status'] for w in writes] == ([403] if name == 'read_only' else []), summarize_requests(writes)
    assert not record['state'][PROJECT]['certificates'] if name != 'no_project' else True


# --- deployments ----------------------------------------------------------------------------------------------------

ROLE_FAIL = "apinizer.apiops.apinizer_deploy : Fail with the module's message when the bundles could not be applied"
ROLE_APPLY = 'apinizer.apiops.apinizer_deploy : Apply the bundles to project'


def deploy_plays(material, server, force=False, force_bundles=()):
    """A certificate, a key and two bundles (one in production only, which staging's failures cannot touch) through
    the modules, then two such bundles through the role; force: the certificate's and key's force, force_bundles the
    bundle module's."""
    tasks = [
        task('certificate', 'apinizer_certificate', cert_args('deploy-cert', material.cert(material.other), THREE,
                                                              force=force)),
        task('key', 'apinizer_key', secret_key_args(material, 'deploy-key', THREE, force=force)),
        task('bundle', 'apinizer_bundle', dict(environments=THREE, force_bundles=list(force_bundles), bundles=[
            dict(name='deploy-prod', environments=['production'], secret_key=material.secret_key_b64),
            dict(name='deploy-bundle', certificate=material.cert(material.third), private_key=material.key(material.third))])),
    ]
    role = dict(name='role', hosts='localhost', gather_facts=False, roles=[dict(
        role='apinizer.apiops.apinizer_deploy', apinizer_deploy_url=server.url, apinizer_deploy_token=server.token,
        apinizer_deploy_project=PROJECT, apinizer_deploy_environments=THREE, apinizer_deploy_bundles=[
            dict(name='role-prod', environments=['production'], certificate=material.cert(material.many[0])),
            dict(name='role-bundle', certificate=material.cert(material.many[1]), private_key=material.key(material.many[1]))])])
    return play(tasks, connection(server)) + [role]


@pytest.fixture(scope='module')
def deploy_runs(ansible, material, apinizer_emulator_server):
    """Run 1: the modules and the role to three environments while staging's deployments fail. Run 2: the same,
    after the fault is cleared (a plain rerun). Run 3: the rerun the failures name -- force on the certificate and
    the key, the bundle module's force_bundles from run 1's result, the role's apinizer_deploy_force_bundles as an
    extra variable, as its message says."""
    server = apinizer_emulator_server
    server.control.reset()
    server.control.add_fault('deploy_failure', environment='staging', count=None)
    first = ansible.run(deploy_plays(material, server), name='deploy-failure', emulator_url=server.url)
    server.control.clear_faults()
    second = ansible.run(deploy_plays(material, server), name='deploy-plain-rerun', emulator_url=server.url)
    role_message = first.record(ROLE_FAIL)['result'].get('msg', '')
    role_force = re.search(r'-e (apinizer_deploy_force_bundles=[\w.,-]+)\)', role_message)
    assert role_force, role_message
    third = ansible.run(deploy_plays(material, server, force=True, force_bundles=first.result('bundle')['force_bundles']),
                        name='deploy-forced-rerun', emulator_url=server.url, args=('-e', role_force.group(1)))
    server.control.reset()
    return first, second, third


def stored_object(record, kind, name):
    """(environments, failed_environments) of one stored object in the state after a task."""
    stored = dict((o['name'], o) for o in record['state'][PROJECT][kind])[name]
    environments = sorted(e['name'] if isinstance(e, dict) else e for e in stored['environments'])
    return environments, stored['failed_environments']


def role_record(run, prefix):
    matches = [r for r in run.records if r['task'].startswith(prefix)]
    assert matches, 'no role task %r in %s' % (prefix, [r['task'] for r in run.records])
    return matches[-1]


def writes_of(record):
    return ['%s %s' % (w['method'], w['path']) for w in record['requests'] if w['write']]


DEPLOY_EXPECTATION = ('run 1 fails naming staging, "Connection refused to gateway pod" and the way to redeploy; the '
                      'server keeps the object stored in all three environments, staging failed; the plain rerun '
                      '(fault cleared) is ok and writes nothing for it, staging stays failed; the rerun with the '
                      'option the message names rewrites exactly that object and deploys it everywhere')
BUNDLE_EXPECTATION = ('run 1 fails naming bundle deploy-bundle, staging and force_bundles: [deploy-bundle], and '
                      'returns force_bundles [deploy-bundle]; its certificate stays stored in staging, staging failed; '
                      'the plain rerun writes only the key the failure kept back (POST keys/), the certificate stays '
                      'failed in staging; the rerun with force_bundles from run 1 writes exactly that bundle (PUT its '
                      'certificate, PUT its key), nothing of deploy-prod, and nothing has failed after it')
SINGLE_CASES = dict(certificate=('certificates', 'deploy-cert', 'PUT %sdeploy-cert/' % CERTS),
                    key=('keys', 'deploy-key', 'PUT %sdeploy-key/' % KEYS))


@pytest.mark.parametrize('name', [
    pytest.param('certificate', id='deploy-failure-certificate', marks=faults(
        'apinizer_certificate to three environments while deployments to staging fail', DEPLOY_EXPECTATION)),
    pytest.param('key', id='deploy-failure-key', marks=faults(
        'apinizer_key to three environments while deployments to staging fail', DEPLOY_EXPECTATION)),
])
def test_deploy_failure_in_one_environment(name, deploy_runs, case_detail):
    first, second, third = deploy_runs
    kind, object_name, forced_write = SINGLE_CASES[name]
    record = first.record(name)
    message = record['result'].get('msg', '')
    case_detail.append(message[:300])
    assert record['status'] == 'failed', message
    assert ('was stored, but its deployment failed in staging (staging: Connection refused to gateway pod). The '
            'server keeps it stored, so a plain rerun finds nothing to do: run again with force=true to deploy it '
            'again.') in message, message
    assert stored_object(record, kind, object_name) == (THREE, ['staging'])
    plain = second.record(name)
    assert plain['status'] == 'ok' and not plain['result']['changed'], plain['result'].get('msg')
    assert writes_of(plain) == [] and stored_object(plain, kind, object_name) == (THREE, ['staging'])
    forced = third.record(name)
    assert forced['status'] == 'ok' and forced['result']['changed'], forced['result'].get('msg')
    assert writes_of(forced) == [forced_write] and stored_object(forced, kind, object_name) == (THREE, [])
    case_detail.append('plain rerun: ok, 0 writes, staging still failed; force=true: %s, deployed everywhere'
                       % forced_write)


@faults('apinizer_bundle with two bundles (deploy-prod in production only, deploy-bundle with certificate and key '
        'in three environments) while deployments to staging fail', BUNDLE_EXPECTATION)
def test_deploy_failure_in_a_bundle(deploy_runs, case_detail):
    first, second, third = deploy_runs
    record = first.record('bundle')
    message = record['result'].get('msg', '')
    case_detail.append(message[:400])
    assert record['status'] == 'failed', message
    assert message == (
        'bundle deploy-bundle: Certificate deploy-bundle was stored, but its deployment failed in staging (staging: '
        'Connection refused to gateway pod). The server keeps it stored, so a plain rerun finds nothing to do. To '
        'deploy that bundle again, run once with force_bundles: [deploy-bundle] (role apinizer_deploy: -e '
        'apinizer_deploy_force_bundles=deploy-bundle).'), message
    assert record['result']['force_bundles'] == ['deploy-bundle']
    assert stored_object(record, 'certificates', 'deploy-bundle') == (THREE, ['staging'])
    assert 'deploy-bundle' not in [k['name'] for k in record['state'][PROJECT]['keys']], 'the key followed a failure'
    plain = second.record('bundle')
    assert plain['status'] == 'ok', plain['result'].get('msg')
    assert writes_of(plain) == ['POST %s' % KEYS], writes_of(plain)
    assert stored_object(plain, 'certificates', 'deploy-bundle') == (THREE, ['staging'])
    forced = third.record('bundle')
    assert forced['status'] == 'ok' and forced['result']['force_bundles'] == [], forced['result'].get('msg')
    assert writes_of(forced) == ['PUT %sdeploy-bundle/' % CERTS, 'PUT %sdeploy-bundle/' % KEYS], writes_of(forced)
    for kind in ('certificates', 'keys'):
        assert stored_object(forced, kind, 'deploy-bundle') == (THREE, [])
    case_detail.append('plain rerun: %s, certificate still failed in staging; force_bundles %s: %s'
                       % (writes_of(plain), first.result('bundle')['force_bundles'], ', '.join(writes_of(forced))))


@faults('the role apinizer_deploy with two bundles (role-prod in production only, role-bundle with certificate and '
        'key in three environments) while deployments to staging fail',
        'run 1 fails naming role-bundle, staging and -e apinizer_deploy_force_bundles=role-bundle; the plain rerun '
        'writes only the key the failure kept back, the certificate stays failed in staging; the run with that extra '
        'variable writes exactly role-bundle (PUT its certificate, PUT its key) and nothing has failed after it')
def test_deploy_failure_through_the_role(deploy_runs, case_detail):
    first, second, third = deploy_runs
    failed = role_record(first, ROLE_FAIL)
    message = failed['result'].get('msg', '')
    case_detail.append(message[:400])
    assert failed['status'] == 'failed' and first.rc != 0, message
    assert message.startswith('bundle role-bundle: Certificate role-bundle was stored, but its deployment failed in '
                              'staging (staging: Connection refused to gateway pod).'), message
    assert message.endswith('(role apinizer_deploy: -e apinizer_deploy_force_bundles=role-bundle).'), message
    assert stored_object(failed, 'certificates', 'role-bundle') == (THREE, ['staging'])
    assert stored_object(failed, 'certificates', 'role-prod') == (['production'], [])
    plain = role_record(second, ROLE_APPLY)
    assert second.rc == 0 and plain['status'] == 'ok', second.stdout[-2000:]
    assert writes_of(plain) == ['POST %s' % KEYS], writes_of(plain)
    assert stored_object(plain, 'certificates', 'role-bundle') == (THREE, ['staging'])
    forced = role_record(third, ROLE_APPLY)
    assert third.rc == 0 and forced['status'] == 'ok', third.stdout[-2000:]
    assert writes_of(forced) == ['PUT %srole-bundle/' % CERTS, 'PUT %srole-bundle/' % KEYS], writes_of(forced)
    for kind in ('certificates', 'keys'):
        assert stored_object(forced, kind, 'role-bundle') == (THREE, [])
    case_detail.append('plain rerun: %s; -e apinizer_deploy_force_bundles=role-bundle: %s'
                       % (writes_of(plain), ', '.join(writes_of(forced))))


# --- a replace whose create half fails ------------------------------------------------------------------------------

@faults('a certificate replace whose create half fails on the server (the old certificate is deleted first)',
        'fails saying the previous certificate was put back; the server holds the old certificate again with the same '
        'thumbprint, environments and alias; PUT then POST; the next run replaces it')
def test_replace_create_fails_restores(ansible, apinizer_emulator, api, material, case_detail):
    api.create_certificate('restored', material.cert(material.other), ['production', 'staging'], alias='restored-alias',
                           description='kept')
    before = api.certificates()['restored']
    api.control.add_fault('replace_create_fails', method='PUT', path=CERTS + 'restored/$')
    args = cert_args('restored', material.cert(material.third), ['production', 'staging'], alias='restored-alias',
                     description='kept')
    run = run_tasks(ansible, apinizer_emulator, [task('replace', 'apinizer_certificate', args)], 'replace-fails')
    message = assert_failed(run, 'replace')['msg']
    expected = ('The previous certificate (SHA-1 %s, alias restored-alias) was put back in production, staging'
                % before['sha1_thumbprint'])
    assert expected in message and 'Certificate could not be created after the old one was deleted' in message, message
    after = api.certificates()['restored']
    for field in ('sha1_thumbprint', 'environments', 'alias', 'description'):
        assert after[field] == before[field], '%s: %s != %s' % (field, after[field], before[field])
    writes = run.writes('replace')
    assert [(w['method'], w['status']) for w in writes] == [('PUT', 500), ('POST', 200)], summarize_requests(writes)
    case_detail.append(message[:300])
    rerun = run_tasks(ansible, apinizer_emulator, [task('replace', 'apinizer_certificate', args)], 'replace-rerun')
    assert assert_ok(rerun, 'replace')['action'] == 'updated'
    assert api.certificates()['restored']['sha1_thumbprint'] == hashlib.sha1(material.third.cert_der).hexdigest().upper()
    case_detail.append('rerun: replaced')


# --- a bundle run that stops in its fourth bundle -------------------------------------------------------------------

@faults('five bundles written one at a time (parallel 1); the fourth bundle\'s key create fails with a 500',
        'fails naming bundle 4, the 500 and the POST; the result lists bundles 1-4 with what was done (3 certificates '
        'created, then bundle 4\'s certificate); the rerun creates only what is missing (key 4, bundle 5)')
def test_bundle_fails_in_fourth(ansible, apinizer_emulator, api, material, case_detail):
    bundles = []
    for index in range(5):
        issued = material.many[index]
        bundle = dict(name='part-%d' % (index + 1), certificate=material.cert(issued))
        if index >= 3:
            bundle['private_key'] = material.key(issued)
        bundles.append(bundle)
    api.control.add_fault('status', status=500, error_description='Internal error while saving key', method='POST',
                          path=KEYS + '$', count=1)
    args = dict(environments=['production'], bundles=bundles, parallel=1)
    run = run_tasks(ansible, apinizer_emulator, [task('bundles', 'apinizer_bundle', args)], 'bundle-fourth')
    result = assert_failed(run, 'bundles')
    message = result['msg']
    assert message.startswith('bundle part-4: The Apinizer server failed (500 internal_error: Internal error while saving key)'), message
    assert 'POST %s' % KEYS in message and 'Not processed: part-5; the next run continues with it.' in message, message
    reported = [(b['name'], [(r['type'], r['action']) for r in b['resources']]) for b in result['bundles']]
    assert reported == [('part-1', [('certificate', 'created')]), ('part-2', [('certificate', 'created')]),
                        ('part-3', [('certificate', 'created')]), ('part-4', [('certificate', 'created')])], reported
    assert sorted(api.certificates()) == ['part-1', 'part-2', 'part-3', 'part-4'] and not api.keys()
    assert [(w['method'], w['status']) for w in run.writes('bundles')] == [('POST', 200)] * 4 + [('POST', 500)]
    case_detail.append(message[:200])
    rerun = run_tasks(ansible, apinizer_emulator, [task('bundles', 'apinizer_bundle', args)], 'bundle-fourth-rerun')
    result = assert_ok(rerun, 'bundles')
    assert result['summary'] == dict(created=3, updated=0, deleted=0, unchanged=4), result['summary']
    assert sorted(api.certificates()) == ['part-%d' % i for i in range(1, 6)] and sorted(api.keys()) == ['part-4', 'part-5']
    case_detail.append('rerun: %s' % result['msg'])


# --- a token that expires in the middle of a run --------------------------------------------------------------------

@faults('username/password tokens that live 2 s, a bundle run of six keys written one at a time, each write taking '
        '0.6 s', 'succeeds: the token is renewed before it expires (more than one token issued), every key is '
        'stored once, no write answered 401 and none sent twice')
def test_a_token_is_renewed_during_a_long_run(ansible, apinizer_emulator, api, material, case_detail):
    api.control.config(token_ttl=2)
    api.control.add_fault('latency', seconds=0.6, method='WRITE', count=None)
    bundles = [dict(name='renew-%d' % index, secret_key=material.secret_key_b64) for index in range(6)]
    args = dict(environments=['production'], bundles=bundles, parallel=1)
    run = run_tasks(ansible, apinizer_emulator, [task('bundles', 'apinizer_bundle', args)], 'token-renewal',
                    token=None, username=apinizer_emulator.username, password=apinizer_emulator.password)
    result = assert_ok(run, 'bundles')
    assert result['summary']['created'] == 6, result['summary']
    requests = run.record('bundles')['requests']
    issued = [r for r in requests if r['path'] == '/apiops/auth/token']
    writes = [r for r in requests if r['write']]
    assert len(issued) >= 2, summarize_requests(requests)
    assert [(w['method'], w['status']) for w in writes] == [('POST', 200)] * 6, summarize_requests(writes)
    assert sorted(api.keys()) == ['renew-%d' % index for index in range(6)]
    case_detail.append('%d tokens issued for %d writes' % (len(issued), len(writes)))
