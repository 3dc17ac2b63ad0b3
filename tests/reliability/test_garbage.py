# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Garbage from the server: the emulator's garbage faults (an HTML page from a proxy, cut-off JSON, a 200 with
"success": false, a wrong content type, an empty body, a body of hundreds of MB, a redirect to another host) while
real playbooks run. A read answered with garbage fails with a message naming the call, once, without a traceback;
a write answered with garbage has an unknown outcome, which the module resolves by reading again and converging.
Each case checks the exact message, the server's final state and the requests logged."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest
import requests

from apinizer_emulator.client import EmulatorControl
from apinizer_emulator.server import EmulatorServer

from support import PROJECT, Api, cert_args, connection, play, secret_key_args, summarize_requests, task

CERTS = '/apiops/projects/demo/certificates/'
KEYS = '/apiops/projects/demo/keys/'
MIB = 1024 * 1024
# The limit of the client for one JSON answer (plugins/module_utils/_client.py MAX_JSON_BYTES).
JSON_LIMIT = 64 * MIB
PROXY_HINT = ('Something other than the API answered -- a proxy, a load balancer or a login page in front of it: check '
              'that url (option url / APINIZER_URL) is the address of the API Ops endpoints.')
REDIRECT_HINT = ('The modules do not follow redirects, so the token never goes to another address: set url (option url '
                 '/ APINIZER_URL) to the address the API answers at.')
TOO_LARGE_HINT = 'No answer of the API is that large: check url and any proxy in front of the API.'
UNKNOWN = ' The outcome of this write is unknown.'


def garbage(description, expectation):
    return pytest.mark.reliability(group='garbage-from-server', description=description, expectation=expectation)


def garbage_cases(table):
    """The parameters of a table of (id, description, expectation), one reliability case each."""
    return [pytest.param(name, id=name, marks=garbage(description, expectation)) for name, description, expectation in table]


def answered(method, path, status, what):
    return 'The Apinizer API answered %s %s (status %d) with %s.' % (method, path, status, what)


def assert_clean(run, record):
    """No traceback anywhere: the module failed (or not) through its own error handling. (ansible-core 2.19 sets
    exception to "(traceback unavailable)" on every failure.)"""
    result = record['result']
    assert 'Traceback' not in str(result.get('exception', '')) and 'module_stderr' not in result, result
    assert 'Traceback' not in run.stdout + run.stderr, run.stdout[-2000:]
    assert 'MODULE FAILURE' not in result.get('msg', '')


def full_answer_length(api, path):
    response = requests.get(api.url + path, headers={'Authorization': 'Bearer %s' % api.emulator.token}, timeout=10)
    assert response.status_code == 200, response.text
    return len(response.content)


# --- reads answered with garbage fail, naming the call ------------------------------------------------------------

def _read_cases(api, material, dest):
    """(name, module, extra arguments, fault, expected message) for each read case; each fault matches only its
    case's certificate, so one playbook carries every case."""
    for name in ('garbage-cut', 'garbage-type', 'garbage-export'):
        api.create_certificate(name, material.cert(material.other), ['production'])
    cut = int(full_answer_length(api, CERTS + 'garbage-cut/') * 0.5)
    typed = full_answer_length(api, CERTS + 'garbage-type/')
    return [
        ('garbage-html', 'apinizer_certificate', {}, dict(kind='html_page', status=200, title='Sign in - Example SSO'),
         answered('GET', CERTS + 'garbage-html/', 200, 'an HTML page titled "Sign in - Example SSO"') + ' ' + PROXY_HINT),
        ('garbage-proxy', 'apinizer_certificate', dict(retries=1), dict(kind='html_page', status=502),
         'The Apinizer server failed (502 error: an HTML page titled "502 Bad Gateway", not the API\'s JSON error: a '
         'proxy or load balancer in front of the API may have answered) on GET %sgarbage-proxy/. Gave up after 2 '
         'attempts (option retries=1).' % CERTS),
        ('garbage-cut', 'apinizer_certificate', {}, dict(kind='truncated_json', keep=0.5),
         answered('GET', CERTS + 'garbage-cut/', 200, 'a body that is JSON that breaks off after %d bytes: the answer '
                  'was cut short' % cut)),
        ('garbage-false', 'apinizer_certificate', {}, dict(kind='success_false', message='Project demo is locked'),
         answered('GET', CERTS + 'garbage-false/', 200, '"success": false (Project demo is locked)')
         + ' The server says the call failed, without an error status.'),
        ('garbage-type', 'apinizer_certificate', {}, dict(kind='wrong_content_type', content_type='text/plain; charset=utf-8'),
         answered('GET', CERTS + 'garbage-type/', 200, 'Content-Type text/plain (%d bytes) where application/json was '
                  'asked for' % typed) + ' ' + PROXY_HINT),
        ('garbage-empty', 'apinizer_certificate', {}, dict(kind='empty_body'),
         answered('GET', CERTS + 'garbage-empty/', 200, 'an empty body where JSON was expected') + ' ' + PROXY_HINT),
        ('garbage-export', 'apinizer_certificate_export', dict(dest=dest), dict(kind='html_page', status=200, title='Sign in'),
         answered('GET', CERTS + 'garbage-export/export/', 200, 'an HTML page titled "Sign in"') + ' ' + PROXY_HINT),
    ]


@pytest.fixture(scope='module')
def read_run(ansible, material, apinizer_emulator_server, tmp_path_factory):
    """One playbook, one task per read case, every fault in place for the whole run (count null)."""
    server = apinizer_emulator_server
    server.control.reset()
    api = Api(server)
    dest = str(tmp_path_factory.mktemp('garbage-export') / 'files')
    cases = _read_cases(api, material, dest)
    before = api.certificates()
    tasks = []
    for name, module, extra, fault, _expected in cases:
        suffix = 'export/' if module == 'apinizer_certificate_export' else ''
        server.control.add_fault(method='GET', path='%s%s/%s$' % (CERTS, name, suffix), count=None, **fault)
        if module == 'apinizer_certificate_export':
            args = dict(name=name, dest=extra['dest'])
        else:
            args = cert_args(name, material.cert(material.third))
        tasks.append(task(name, module, dict(args, **connection(server, retries=extra.get('retries')))))
    run = ansible.run(play(tasks), name='garbage-reads', emulator_url=server.url)
    yield run, dict((case[0], case) for case in cases), before, api.certificates(), dest
    server.control.reset()


READ_IDS = [
    ('garbage-html', 'a 200 HTML login page from a proxy in place of the certificate read',
     'fails: "The Apinizer API answered GET <path> (status 200) with an HTML page titled "Sign in - Example SSO"" and '
     'where to look (url, the proxy); one GET, not repeated; nothing written'),
    ('garbage-proxy', 'a proxy\'s 502 HTML error page on every certificate read, retries=1',
     'the read is repeated once (a 502), then fails: "The Apinizer server failed (502 error: an HTML page titled "502 '
     'Bad Gateway", not the API\'s JSON error ...) on GET <path>"; no HTML in the message; nothing written'),
    ('garbage-cut', 'the certificate read answered with the first half of its JSON (clean HTTP)',
     'fails: "... with a body that is JSON that breaks off after N bytes: the answer was cut short"; one GET; the '
     'stored certificate is unchanged'),
    ('garbage-false', 'a 200 with {"success": false, "message": ...} on the certificate read',
     'fails: "... with "success": false (Project demo is locked). The server says the call failed, without an error '
     'status."; one GET; nothing written'),
    ('garbage-type', 'the certificate read answered as text/plain',
     'fails: "... with Content-Type text/plain (N bytes) where application/json was asked for"; one GET; the stored '
     'certificate is unchanged'),
    ('garbage-empty', 'a 200 with an empty body on the certificate read',
     'fails: "... with an empty body where JSON was expected"; one GET; nothing written'),
    ('garbage-export', 'an HTML login page in place of the export ZIP (apinizer_certificate_export)',
     'fails: "The Apinizer API answered GET <path>/export/ (status 200) with an HTML page titled "Sign in""; one GET; '
     'no file written'),
]


@pytest.mark.parametrize('name', garbage_cases(READ_IDS))
def test_a_read_answered_with_garbage_fails_naming_the_call(name, read_run, case_detail):
    run, cases, before, after, dest = read_run
    _name, module, _extra, fault, expected = cases[name]
    record = run.record(name)
    message = record['result'].get('msg', '')
    case_detail.append(message[:300])
    assert record['status'] == 'failed', message
    assert message == expected, '\n%s\n%s' % (message, expected)
    assert_clean(run, record)
    requests_logged = record['requests']
    statuses = [r['status'] for r in requests_logged]
    assert [r['method'] for r in requests_logged] == ['GET'] * len(statuses), summarize_requests(requests_logged)
    assert statuses == ([502, 502] if name == 'garbage-proxy' else [fault.get('status', 200)]), \
        summarize_requests(requests_logged)
    assert all(r['faults'] == [fault['kind']] for r in requests_logged), requests_logged
    if name in before:
        assert after[name]['sha1_thumbprint'] == before[name]['sha1_thumbprint'], 'the stored certificate changed'
    else:
        assert name not in after
    if module == 'apinizer_certificate_export':
        assert not os.path.exists(dest), os.listdir(dest)
    case_detail.append(summarize_requests(requests_logged))


# --- writes answered with garbage converge ------------------------------------------------------------------------

WRITE_CASES = {
    # name: (module, args builder, set-up, fault, expected action, expected writes (method, status), stored check)
    'garbage-write-html': dict(
        module='apinizer_certificate', fault=dict(kind='html_page', method='POST', path=CERTS + '$', processed=True),
        action='created', writes=[('POST', 502)]),
    'garbage-write-cut': dict(
        module='apinizer_certificate', setup='certificate',
        fault=dict(kind='truncated_json', method='PUT', path=CERTS + 'garbage-write-cut/$'),
        action='updated', writes=[('PUT', 200)]),
    'garbage-write-false': dict(
        module='apinizer_key', fault=dict(kind='success_false', method='POST', path=KEYS + '$'),
        action='created', writes=[('POST', 200), ('POST', 200)]),
    'garbage-write-type': dict(
        module='apinizer_key', setup='key', args=dict(description='new'),
        fault=dict(kind='wrong_content_type', method='PUT', path=KEYS + 'garbage-write-type/$',
                   content_type='text/html'),
        action='updated', writes=[('PUT', 200)]),
    'garbage-write-empty': dict(
        module='apinizer_key', setup='key', args=dict(state='absent'),
        fault=dict(kind='empty_body', method='DELETE', path=KEYS + 'garbage-write-empty/$', processed=True),
        action='deleted', writes=[('DELETE', 200)]),
    'garbage-every-write': dict(
        module='apinizer_key', setup='key', args=dict(description='new', retries=1),
        fault=dict(kind='html_page', status=200, title='Sign in', method='PUT', path=KEYS + 'garbage-every-write/$',
                   count=None),
        action=None, writes=[('PUT', 200), ('PUT', 200)]),
}


@pytest.fixture(scope='module')
def write_run(ansible, material, apinizer_emulator_server):
    server = apinizer_emulator_server
    server.control.reset()
    headers = {'Authorization': 'Bearer %s' % server.token}
    tasks = []
    for name, case in WRITE_CASES.items():
        if case.get('setup') == 'certificate':
            files = dict(certificateName=(None, name), alias=(None, name), certificateDescription=(None, ''),
                         environmentList=(None, 'production'),
                         pemEncodedFile=('c.pem', material.cert(material.other), 'application/x-pem-file'))
            assert requests.post(server.url + CERTS, files=files, headers=headers, timeout=10).status_code == 200
        elif case.get('setup') == 'key':
            body = dict(name=name, description='old', keyType='SECRET_KEY', cryptoKeyInfoEnvironmentList=[
                dict(environmentName='production', content=material.secret_key_b64, alias=name)])
            assert requests.post(server.url + KEYS, json=body, headers=headers, timeout=10).status_code == 200
    for name, case in WRITE_CASES.items():
        fault = dict(case['fault'])
        server.control.add_fault(fault.pop('kind'), **fault)
        extra = dict(case.get('args') or {})
        retries = extra.pop('retries', None)
        if case['module'] == 'apinizer_certificate':
            args = cert_args(name, material.cert(material.third), **extra)
        else:
            args = secret_key_args(material, name, alias=name, **extra)
        tasks.append(task(name, case['module'], dict(args, **connection(server, retries=retries))))
    run = ansible.run(play(tasks), name='garbage-writes', emulator_url=server.url)
    state = server.control.state()['projects'][PROJECT]
    yield run, state
    server.control.reset()


WRITE_IDS = [
    ('garbage-write-html', 'a certificate create processed by the server but answered with a proxy\'s 502 HTML page',
     'not failed: the module reads again, finds the certificate stored and reports created; one POST; the certificate '
     'is stored once, with the thumbprint sent'),
    ('garbage-write-cut', 'a certificate replace (PUT) whose answer is cut in half',
     'not failed: the re-read shows the new certificate, reported updated; one PUT; the server holds the new '
     'thumbprint'),
    ('garbage-write-false', 'a key create answered 200 {"success": false} without processing it',
     'not failed: the re-read finds no key, so it is sent again (after a read, not blindly) and created; two POSTs; '
     'one key'),
    ('garbage-write-type', 'a key update answered text/html although processed',
     'not failed: the re-read shows the new description, reported updated; one PUT'),
    ('garbage-write-empty', 'a key delete processed but answered with an empty body',
     'not failed: the re-read finds the key gone, reported deleted; one DELETE; no key'),
    ('garbage-every-write', 'every update of a key answered with an HTML login page (not processed), retries=1',
     'fails naming the PUT: "The Apinizer API answered PUT <path> (status 200) with an HTML page titled "Sign in" ... '
     'The outcome of this write is unknown."; two PUTs, each after a fresh read; the key keeps its old description'),
]


@pytest.mark.parametrize('name', garbage_cases(WRITE_IDS))
def test_a_write_answered_with_garbage_is_resolved_by_reading_again(name, write_run, material, case_detail):
    run, state = write_run
    case = WRITE_CASES[name]
    record = run.record(name)
    result = record['result']
    assert_clean(run, record)
    requests_logged = record['requests']
    writes = [(r['method'], r['status']) for r in requests_logged if r['write']]
    assert writes == case['writes'], summarize_requests(requests_logged)
    for index, entry in enumerate(requests_logged):
        if entry['write'] and index:
            assert requests_logged[index - 1]['method'] == 'GET', 'a write not preceded by a read: %s' % \
                summarize_requests(requests_logged)
    faulted = [r for r in requests_logged if r['faults']]
    assert faulted and all(r['write'] and r['faults'] == [case['fault']['kind']] for r in faulted), requests_logged
    stored_certificates = dict((c['name'], c) for c in state['certificates'])
    stored_keys = dict((k['name'], k) for k in state['keys'])
    if case['action'] is None:
        message = result.get('msg', '')
        assert record['status'] == 'failed', message
        assert message == answered('PUT', KEYS + name + '/', 200, 'an HTML page titled "Sign in"') + ' ' + \
            PROXY_HINT + UNKNOWN, message
        assert stored_keys[name]['description'] == 'old'
        case_detail.append(message[:300])
    else:
        assert record['status'] == 'ok', result.get('msg')
        assert result['changed'] and result['action'] == case['action'], result
        assert 'already exist' not in run.stdout
        if case['module'] == 'apinizer_certificate':
            assert stored_certificates[name]['sha1_thumbprint'] == material.third.sha1
        elif case['action'] == 'deleted':
            assert name not in stored_keys
        else:
            assert name in stored_keys and stored_keys[name]['description'] == (case.get('args') or {}).get('description', '')
    case_detail.append(summarize_requests(requests_logged))


# --- a redirect to another host -----------------------------------------------------------------------------------

@garbage('the certificate read and every key create redirected to another host (localhost, a second emulator that '
         'accepts the same token), retries=1',
         'both fail naming the call and the redirect target ("... with a redirect to http://localhost:<port>/...: the '
         'modules do not follow redirects ..."); the other host receives no request at all (the token never left); '
         'the key create is sent twice, each after a read; nothing stored')
def test_a_redirect_to_another_host_is_not_followed(ansible, material, apinizer_emulator, api, case_detail):
    target = EmulatorServer(tokens=[apinizer_emulator.token]).start()
    try:
        elsewhere = 'http://localhost:%d' % target.port
        api.control.add_fault('redirect', location=elsewhere, method='GET', path=CERTS + 'redirected/$', count=None)
        api.control.add_fault('redirect', status=307, location=elsewhere, method='POST', path=KEYS + '$', count=None)
        tasks = [task('read', 'apinizer_certificate', cert_args('redirected', material.cert(material.other))),
                 task('write', 'apinizer_key', secret_key_args(material, 'redirected-key'))]
        run = ansible.run(play(tasks, connection(apinizer_emulator, retries=1)), name='garbage-redirect',
                          emulator_url=apinizer_emulator.url)
        reached = EmulatorControl(target.url).requests()
    finally:
        target.stop()
    read, write = run.record('read'), run.record('write')
    for record in (read, write):
        assert record['status'] == 'failed', record['result'].get('msg')
        assert_clean(run, record)
    assert read['result']['msg'] == answered('GET', CERTS + 'redirected/', 302, 'a redirect to %s%sredirected/'
                                             % (elsewhere, CERTS)) + ' ' + REDIRECT_HINT
    assert write['result']['msg'] == answered('POST', KEYS, 307, 'a redirect to %s%s' % (elsewhere, KEYS)) + ' ' + \
        REDIRECT_HINT + UNKNOWN
    assert reached == [], 'the other host was reached: %s' % summarize_requests(reached)
    assert [(r['method'], r['status']) for r in read['requests']] == [('GET', 302)]
    assert [(r['method'], r['status']) for r in write['requests'] if r['write']] == [('POST', 307), ('POST', 307)]
    assert not api.certificates() and not api.keys()
    case_detail.append(read['result']['msg'][:200])
    case_detail.append('requests at %s: %d' % (elsewhere, len(reached)))


# --- a body of hundreds of MB -------------------------------------------------------------------------------------

MEASURING_INTERPRETER = '''#!%s
"""Runs the module with this Python and appends its peak memory (KiB) and seconds to $RELIABILITY_MEASURE."""
import json, os, resource, subprocess, sys, time
started = time.monotonic()
status = subprocess.call([sys.executable] + sys.argv[1:])
with open(os.environ['RELIABILITY_MEASURE'], 'w') as handle:
    json.dump(dict(max_rss_kib=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                   seconds=time.monotonic() - started), handle)
sys.exit(status)
'''
HUGE = 512 * MIB


@garbage('a certificate read answered with a valid JSON body of 512 MiB: once chunked (no length), once with its '
         'Content-Length; the module\'s peak memory is measured against a normal run of the same module',
         'both fail naming the limit: "... with a body larger than 64 MiB, the limit for a JSON answer (it went on / '
         'it declared 512 MiB); it was not read further"; the chunked one reads at most the limit (peak memory less '
         'than 64 MiB + 48 MiB above the normal run), the declared one nothing (less than 24 MiB above); each in '
         'less than 60 s; one GET each; nothing written')
def test_a_body_of_hundreds_of_megabytes_is_refused_within_bounded_memory(ansible, material, apinizer_emulator, api,
                                                                          tmp_path, case_detail):
    interpreter = tmp_path / 'measuring-python'
    interpreter.write_text(MEASURING_INTERPRETER % sys.executable)
    interpreter.chmod(interpreter.stat().st_mode | stat.S_IXUSR)
    api.control.add_fault('huge_body', bytes=HUGE, content_length=False, method='GET', path=CERTS + 'huge/$')
    api.control.add_fault('huge_body', bytes=HUGE, content_length=True, method='GET', path=CERTS + 'huge-declared/$')
    names = ['normal', 'huge', 'huge-declared']
    tasks = [dict(task(name, 'apinizer_certificate', cert_args(name, material.cert(material.other))),
                  vars=dict(ansible_python_interpreter=str(interpreter)),
                  environment=dict(RELIABILITY_MEASURE=str(tmp_path / (name + '.json'))))
             for name in names]
    run = ansible.run(play(tasks, connection(apinizer_emulator)), name='garbage-huge', emulator_url=apinizer_emulator.url)
    measured = dict((name, json.loads((tmp_path / (name + '.json')).read_text())) for name in names)
    assert run.record('normal')['status'] == 'ok', run.record('normal')['result'].get('msg')
    for name, how in (('huge', 'it went on'), ('huge-declared', 'it declared 512 MiB')):
        record = run.record(name)
        assert record['status'] == 'failed', record['result'].get('msg')
        assert_clean(run, record)
        assert record['result']['msg'] == answered('GET', CERTS + name + '/', 200, 'a body larger than 64 MiB, the limit '
                                                   'for a JSON answer (%s); it was not read further' % how) + ' ' + \
            TOO_LARGE_HINT
        assert [(r['method'], r['status'], r['faults']) for r in record['requests']] == [('GET', 200, ['huge_body'])]
        assert measured[name]['seconds'] < 60, measured
    base = measured['normal']['max_rss_kib'] * 1024
    grown = dict((name, measured[name]['max_rss_kib'] * 1024 - base) for name in ('huge', 'huge-declared'))
    case_detail.append('peak RSS: normal run %d MiB; chunked 512 MiB answer +%d MiB in %.1f s; declared 512 MiB answer '
                       '+%d MiB in %.1f s' % (base // MIB, grown['huge'] // MIB, measured['huge']['seconds'],
                                              grown['huge-declared'] // MIB, measured['huge-declared']['seconds']))
    assert grown['huge'] < JSON_LIMIT + 48 * MIB, case_detail[-1]
    assert grown['huge-declared'] < 24 * MIB, case_detail[-1]
    assert sorted(api.certificates()) == ['normal']
