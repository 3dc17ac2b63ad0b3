# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Secret hygiene: no token, password, passphrase, PEM private-key line or secret key in any output -- of every
integration target at -vvv in diff mode, of the molecule scenario, of the AWX ansible-runner jobs, of this suite's
own runs -- no module result carrying the request body it sent, and server errors passed on with our secrets
scrubbed. These cases run last; the long runs they scan started in the background when the session began."""

from __future__ import annotations

import json
import os

import pytest
from apinizer_emulator import leaks

from support import connection, play, task

CERTS = '/apiops/projects/demo/certificates/'
# Keys of the API's request bodies; a module result (outside the echo of its own arguments) never holds them.
REQUEST_KEYS = frozenset(['cryptoKeyInfoEnvironmentList', 'pemEncodedFile', 'base64EncodedContent', 'certificateName',
                          'environmentList', 'keyType', 'pem', 'der', 'content'])
# What the diff of a key says instead of its content.
CONTENT_PLACEHOLDERS = ('stored', 'replaced')


def hygiene_case(description, expectation):
    return pytest.mark.reliability(group='secret-hygiene', description=description, expectation=expectation)


def check_job(job, case_detail, markers, min_secrets):
    """The job passed, and the leak scan of its outputs (with the secrets it handled, and those some of its files must
    hold) finds nothing, knows at least min_secrets secrets and finds every marker."""
    job.wait()
    if job.skipped:
        pytest.skip(job.skipped)
    assert job.error is None, job.error
    if job.rc != 0:
        raise AssertionError('%s exited with %s: %s' % (job.name, job.rc, '\n'.join(
            line for line in job.read_outputs().splitlines() if 'ERROR' in line or 'FAILED' in line or 'fatal:' in line)[-1500:]))
    report = leaks.scan(job.outputs, job.secrets, markers=markers, expected=job.expected, min_secrets=min_secrets)
    assert report.ok, report.summary()
    notes = ''.join('; ' + note for note in job.notes)
    case_detail.append('%s in %.0f s; %s%s' % (job.name, job.seconds, report.summary(), notes))


@hygiene_case('every integration target but the *_leaks ones, which scan their own -vvv runs (ansible-test integration '
              '-vvv, diff mode on through integration.cfg), with the test PKI and tokens known to the scan',
              'all targets pass; no token, password, passphrase, PEM private-key line or secret key in stdout, stderr, '
              'tests/output or the exported files; no request body field in the output')
def test_integration_targets_leak_nothing(hygiene_background, case_detail):
    job = hygiene_background.integration
    job.wait()
    markers = [leaks.VERBOSE] + list(leaks.KEY_DIFF) + ['Running %s integration test' % t for t in getattr(job, 'targets', [])]
    if getattr(job, 'pki', None):
        with open(os.path.join(job.pki, 'rsa-key.pem')) as handle:
            markers += [leaks.KEY_INFO_RESULT, leaks.result_marker('the public_key_sha256 apinizer_key returned for rsa-key.pem',
                                                                   leaks.public_key_sha256(handle.read()))]
    check_job(job, case_detail, markers, min_secrets=10)


@hygiene_case('the molecule scenario of the role apinizer_deploy (tests/scripts/molecule.sh, ANSIBLE_VERBOSITY=3, '
              'ANSIBLE_DIFF_ALWAYS), its token and PKI captured while it ran',
              'the scenario passes; no token, passphrase, PEM private-key line or secret key in its output or the files '
              'left behind')
def test_molecule_scenario_leaks_nothing(hygiene_background, case_detail):
    check_job(hygiene_background.molecule, case_detail, [leaks.VERBOSE, 'idempotence'], min_secrets=10)


@hygiene_case('the AWX ansible-runner test (tests/scripts/awx_runner_test.py: two jobs, --diff -vvv, vault-encrypted '
              'keys), rescanned here with the secrets read back from its private data directory',
              'both jobs pass; no token, vault password, PEM private-key line or secret key in the runner output or any '
              'artifact (the token only in the 0600 artifacts/<ident>/command environment record, as AWX keeps it)')
def test_awx_runner_leaks_nothing(hygiene_background, case_detail):
    check_job(hygiene_background.awx, case_detail, [leaks.VERBOSE, leaks.RECAP], min_secrets=4)


def session_secrets(server, material):
    """The secrets of this suite's own runs: the emulator's credentials and the material of every case."""
    found = leaks.Secrets().add('token', server.token).add('read-only token', server.read_only_token)
    found.add('password', server.password).add('passphrase', material.passphrase)
    found.add_secret_key('secret key', material.secret_key)
    for index, pem in enumerate(material.private_pems()):
        found.add_private_key('private key %d' % index, pem, passphrase=material.passphrase)
    return found


def walk_results(value, path=''):
    """(path, key, value) of every mapping entry, skipping the echo of the module's own arguments."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == 'invocation':
                continue
            yield path, key, item
            yield from walk_results(item, '%s.%s' % (path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_results(item, '%s[%d]' % (path, index))


@pytest.fixture(scope='module')
def verbose_run(ansible, material, apinizer_emulator_server):
    """-vvv --diff: keys and a bundle with every kind of material (check mode and real), a rotation, then two server
    errors that echo the token and the password back."""
    server = apinizer_emulator_server
    server.control.reset()
    server.control.add_fault('status', status=500, method='GET', path=CERTS + 'echo-token/',
                             error_description='internal error while checking token %s' % server.token)
    server.control.add_fault('status', status=500, method='GET', path=CERTS + 'echo-password/',
                             error_description='login of %s with %s failed' % (server.username, server.password))
    private = dict(name='verbose-private', key_type='private_key', content=material.rsa_encrypted_pem,
                   passphrase=material.passphrase, environments=['production', 'staging'])
    per_environment = dict(name='verbose-secret', key_type='secret_key', environments=[
        dict(name='production', content=material.secret_key_b64), dict(name='staging', content=material.secret_key_b64)])
    bundle = dict(environments=['production'], bundles=[dict(
        name='verbose-bundle', certificate=material.cert(material.leaf) + material.cert(material.intermediate),
        private_key=material.key(material.leaf)), dict(name='verbose-aes', secret_key=material.secret_key_b64)])
    cert = dict(name='echo-token', certificate=material.cert(material.other), environments=['production'])
    conn = connection(server)
    login = dict((k, v) for k, v in conn.items() if k != 'token')
    login.update(username=server.username, password=server.password)
    tasks = [
        task('private key (check mode)', 'apinizer_key', dict(private, **conn), check_mode=True),
        task('private key', 'apinizer_key', dict(private, **conn)),
        task('private key rotated', 'apinizer_key', dict(private, update_content='always', **conn)),
        task('secret key per environment', 'apinizer_key', dict(per_environment, **conn)),
        task('bundles (check mode)', 'apinizer_bundle', dict(bundle, **conn), check_mode=True),
        task('bundles', 'apinizer_bundle', dict(bundle, **conn)),
        task('key facts', 'apinizer_key_info', conn),
        task('server error echoing the token', 'apinizer_certificate', dict(cert, **conn)),
        task('server error echoing the password', 'apinizer_certificate', dict(cert, name='echo-password', **login)),
    ]
    run = ansible.run(play(tasks), name='verbose-diff', args=['-vvv', '--diff'])
    server.control.reset()
    return run


@hygiene_case('a -vvv --diff run of this suite: an encrypted private key with its passphrase (check mode, create, '
              'rotation), a secret key given per environment, bundles with a chain, a private key and a secret key',
              'no passphrase, PEM private-key line, secret key or token in stdout, stderr or any task result; every task '
              'succeeded; the diffs name the content only as stored/replaced')
def test_verbose_diff_run_shows_no_material(verbose_run, apinizer_emulator_server, material, case_detail):
    failed = [r['task'] for r in verbose_run.records if r['status'] != 'ok' and not r['task'].startswith('server error')]
    assert not failed, 'tasks failed: %s' % failed
    assert not leaks.missing_markers(verbose_run.stdout, [leaks.VERBOSE]), 'not a -vvv run'
    # The results this run recorded (its callback) must be in its stdout: the public key fingerprints the modules
    # returned, and the diff of the rotation, which names the content only as replaced.
    fingerprints = set(value for record in verbose_run.records for unused_path, key, value in walk_results(record['result'])
                       if key == 'public_key_sha256')
    assert fingerprints, 'no public_key_sha256 in the recorded results: not the run that was asked for'
    assert all(value in verbose_run.stdout for value in fingerprints), 'the results are not in stdout: not a verbose run'
    assert verbose_run.result('private key rotated')['diff']['after'].get('content') == 'replaced'
    assert not leaks.missing_markers(verbose_run.stdout, leaks.KEY_DIFF[1:]), 'no key diff in stdout'
    paths = [os.path.join(verbose_run.directory, name) for name in ('stdout.txt', 'stderr.txt', 'record.jsonl')]
    # The request body fields are the next case's, on the recorded results.
    report = leaks.scan(paths, session_secrets(apinizer_emulator_server, material), forbidden=(), min_secrets=6)
    assert report.ok, report.summary()
    case_detail.append('stdout, stderr and %d task results: %s' % (len(verbose_run.records), report.summary()))


@hygiene_case('server errors whose error_description echoes our token, or the password of a username/password login',
              'the task fails with the server\'s message passed on, the token and the password replaced by ******** in '
              'msg and error_description, and absent from the -vvv output')
def test_server_errors_are_scrubbed(verbose_run, apinizer_emulator_server, case_detail):
    server = apinizer_emulator_server
    for name, secret in (('server error echoing the token', server.token),
                         ('server error echoing the password', server.password)):
        record = verbose_run.record(name)
        result = record['result']
        assert record['status'] == 'failed', result.get('msg')
        assert 'The Apinizer server failed (500 internal_error' in result['msg'] and '********' in result['msg'], result['msg']
        assert '********' in result.get('error_description', ''), result.get('error_description')
        assert secret not in json.dumps(result) and secret not in verbose_run.stdout + verbose_run.stderr
        case_detail.append(result['msg'][:160])


@hygiene_case('every task result of every ansible-playbook run of this suite (faults, bad input, concurrency, TLS, '
              'the -vvv run), outside the echo of the module arguments',
              'no result holds a request body key (cryptoKeyInfoEnvironmentList, pemEncodedFile, base64EncodedContent, '
              'certificateName, environmentList, keyType, pem, der, content) -- except a key diff\'s content: '
              'stored/replaced')
def test_results_never_carry_the_request_body(ansible, case_detail):
    found, results = [], 0
    for run in ansible.runs:
        for record in run.records:
            results += 1
            for path, key, value in walk_results(record['result']):
                if key not in REQUEST_KEYS:
                    continue
                if key == 'content' and '.diff' in path and value in CONTENT_PLACEHOLDERS:
                    continue
                found.append('%s (%s): %s%s' % (os.path.basename(run.directory), record['task'], path, '.' + key))
    assert results > 50, 'only %d results recorded: run the whole suite' % results
    assert not found, 'request body keys in results: %s' % '; '.join(found[:20])
    case_detail.append('%d task results of %d runs checked' % (results, len(ansible.runs)))


@hygiene_case('the stdout, stderr and recorded results of every ansible-playbook run of this suite',
              'no token, password, passphrase, PEM private-key line or secret key of the session in any of them (the '
              'playbooks, which are input, are not scanned)')
def test_suite_outputs_hold_no_secret(ansible, apinizer_emulator_server, material, case_detail):
    paths = []
    for run in ansible.runs:
        paths += [os.path.join(run.directory, name) for name in ('stdout.txt', 'stderr.txt', 'record.jsonl')
                  if os.path.exists(os.path.join(run.directory, name))]
    assert len(ansible.runs) > 10, 'only %d runs: run the whole suite' % len(ansible.runs)
    report = leaks.scan(paths, session_secrets(apinizer_emulator_server, material), forbidden=(), min_secrets=6)
    assert report.ok, report.summary()
    case_detail.append('%d runs: %s' % (len(ansible.runs), report.summary()))
