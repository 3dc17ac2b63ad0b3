# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import io
import json
import ssl
from collections import namedtuple

import pytest
import requests
import urllib3
from requests.adapters import BaseAdapter
from urllib3.response import HTTPResponse

from ansible_collections.apinizer.apiops.plugins.module_utils import _client
from ansible_collections.apinizer.apiops.plugins.module_utils._client import (
    ApinizerClient,
    ApinizerError,
    Literal,
    jwk_update_params,
)
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput

BASE = 'https://apinizer.test'
TOKEN = 'tok-3c1f8e0b9d6a4f2e8b7c5a1d0e9f8a7b-unit-secret'
PASSWORD = 'pw-6f0d2b9e8c7a4b1d9e3f5a7c2b8d0e1f-unit-secret'


class ScriptedAdapter(BaseAdapter):
    """A requests transport that answers from a script and records what was sent; no network."""

    def __init__(self, script):
        super(ScriptedAdapter, self).__init__()
        self.script = list(script)
        self.sent = []
        self.send_kwargs = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        self.send_kwargs.append(kwargs)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        status, body = step[0], step[1]
        headers = dict(step[2]) if len(step) > 2 else {}
        if not isinstance(body, bytes):
            body = json.dumps(body).encode('utf-8')
            headers.setdefault('Content-Type', 'application/json')
        # A streamed answer, as requests' own HTTPAdapter builds it: read through raw.
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response.raw = HTTPResponse(body=io.BytesIO(body), headers=headers, status=status, preload_content=False)
        response.request = request
        response.url = request.url
        return response

    def close(self):
        pass


Scripted = namedtuple('Scripted', ['client', 'adapter', 'waits'])


def make_client(script, **kwargs):
    waits = []
    kwargs.setdefault('token', TOKEN)
    client = ApinizerClient(BASE, sleep=waits.append, **kwargs)
    adapter = ScriptedAdapter(script)
    client.session.mount(BASE, adapter)
    return Scripted(client, adapter, waits)


def error(status, code, description, **extra):
    body = dict(error=code, error_description=description)
    body.update(extra)
    return (status, body)


def test_bearer_token_on_every_call_and_json_answer():
    client, adapter = make_client([(200, {'success': True, 'resultList': []})])[:2]
    assert client.get('/apiops/projects/p/certificates/') == {'success': True, 'resultList': []}
    assert adapter.sent[0].headers['Authorization'] == 'Bearer ' + TOKEN
    assert adapter.sent[0].url == BASE + '/apiops/projects/p/certificates/'


def test_names_are_percent_encoded_and_paths_end_in_slash():
    path = ApinizerClient.project_path('my project', Literal('certificates'), 'a/b?c#d é')
    assert path == '/apiops/projects/my%20project/certificates/a%2Fb%3Fc%23d%20%C3%A9/'


def test_username_password_exchanged_once_for_a_token():
    script = [(200, {'access_token': 'issued-token-1234567890', 'token_type': 'Bearer', 'expires_in': 3600}),
              (200, {'resultList': []}), (200, {'resultList': []})]
    client, adapter = make_client(script, token=None, username='alice', password=PASSWORD)[:2]
    client.get('/apiops/projects/p/keys/')
    client.get('/apiops/projects/p/keys/')
    token_call = adapter.sent[0]
    assert token_call.method == 'POST' and token_call.url == BASE + '/apiops/auth/token'
    assert 'grant_type=client_credentials' in token_call.body and 'client_id=alice' in token_call.body
    assert [r.headers['Authorization'] for r in adapter.sent[1:]] == ['Bearer issued-token-1234567890'] * 2
    assert len(adapter.sent) == 3


def test_bad_credentials_name_the_user_never_the_password():
    client = make_client([error(401, 'unauthorized_client', 'Bad credentials')], token=None, username='alice',
                         password=PASSWORD).client
    with pytest.raises(ApinizerError) as caught:
        client.get('/apiops/projects/p/keys/')
    assert caught.value.status == 401
    assert 'Could not obtain a token for user alice' in str(caught.value)
    assert 'Bad credentials' in str(caught.value)
    assert PASSWORD not in str(caught.value)


@pytest.mark.parametrize('status, code, description, expected', [
    (401, 'invalid_token', 'Token is invalid or expired', 'Authentication failed'),
    (403, 'forbidden', 'No SECRETS+MANAGE permission', 'Permission denied'),
    (404, 'not_found', 'Project(nope) was not found or user does not have privilege to access it!', 'Project not found'),
    (500, 'internal_error', 'boom', 'The Apinizer server failed'),
    (409, 'conflict', 'duplicate', 'The Apinizer API refused'),
])
def test_each_error_class_gets_a_plain_message(status, code, description, expected):
    client = make_client([error(status, code, description)], retries=0).client
    with pytest.raises(ApinizerError) as caught:
        client.request('PUT', '/apiops/projects/nope/certificates/c/')
    exc = caught.value
    assert str(exc).startswith(expected)
    assert (exc.status, exc.error, exc.description, exc.method, exc.path) == (
        status, code, description, 'PUT', '/apiops/projects/nope/certificates/c/')
    assert TOKEN not in str(exc)


def test_an_echoed_token_is_scrubbed_from_errors():
    client = make_client([error(400, 'bad_request', 'header was Bearer ' + TOKEN)]).client
    with pytest.raises(ApinizerError) as caught:
        client.get('/apiops/projects/p/certificates/')
    assert TOKEN not in str(caught.value) and TOKEN not in caught.value.description


def test_missing_object_400_and_404_read_as_absent_but_not_a_missing_project():
    client = make_client([
        error(400, 'bad_request', 'Certificate (name: gone) is not found!'),
        error(404, 'not_found', 'No such key'),
        error(404, 'not_found', 'Project(nope) was not found or user does not have privilege to access it!'),
        error(400, 'bad_request', 'alias value can not be empty!'),
    ]).client
    assert client.get_optional('/apiops/projects/p/certificates/gone/') is None
    assert client.get_optional('/apiops/projects/p/keys/gone/') is None
    with pytest.raises(ApinizerError, match='Project not found'):
        client.get_optional('/apiops/projects/nope/certificates/x/')
    with pytest.raises(ApinizerError, match='alias value can not be empty!'):
        client.get_optional('/apiops/projects/p/certificates/x/')


@pytest.mark.parametrize('answer, expected_wait', [
    (error(429, 'rate_limit_exceeded', 'slow down', retry_after=7), 7.0),
    ((429, {'error': 'rate_limit_exceeded'}, {'Retry-After': '4'}), 4.0),
    ((429, {'error': 'rate_limit_exceeded'}, {'Retry-After': '3600'}), _client.RETRY_AFTER_MAX_SECONDS),
])
def test_429_waits_as_the_server_asks_then_succeeds_even_for_writes(answer, expected_wait):
    client, adapter, waits = make_client([answer, (200, {'success': True})])
    assert client.request('POST', '/apiops/projects/p/keys/', json={'name': 'k'}) == {'success': True}
    assert waits == [expected_wait]
    assert len(adapter.sent) == 2


def test_503_burst_shorter_than_retries_is_absorbed_with_exponential_backoff():
    client, adapter, waits = make_client([error(503, 'server_error', 'busy')] * 3 + [(200, {'ok': 1})], retries=3)
    assert client.request('PUT', '/apiops/projects/p/keys/k/', json={}) == {'ok': 1}
    assert waits == [0.5, 1.0, 2.0]
    assert len(adapter.sent) == 4


def test_a_burst_longer_than_retries_fails_naming_the_endpoint_and_attempts():
    client, adapter, waits = make_client([error(503, 'server_error', 'busy')] * 3, retries=2)
    with pytest.raises(ApinizerError) as caught:
        client.get('/apiops/projects/p/certificates/')
    assert len(adapter.sent) == 3 and len(waits) == 2
    assert 'GET /apiops/projects/p/certificates/' in str(caught.value)
    assert 'Gave up after 3 attempts (option retries=2)' in str(caught.value)


def test_a_gateway_error_on_a_write_is_not_repeated_and_marked_unknown():
    client, adapter, waits = make_client([error(502, 'server_error', 'bad gateway')])
    with pytest.raises(ApinizerError) as caught:
        client.request('POST', '/apiops/projects/p/certificates/', data={'a': 'b'})
    assert caught.value.outcome_unknown is True
    assert len(adapter.sent) == 1 and waits == []


def test_a_gateway_error_on_a_read_is_retried():
    client, adapter = make_client([error(504, 'server_error', 'timeout'), (200, {'ok': True})])[:2]
    assert client.get('/apiops/projects/p/keys/') == {'ok': True}
    assert len(adapter.sent) == 2


def test_a_dropped_connection_is_retried_for_reads_only():
    dropped = requests.exceptions.ConnectionError('RemoteDisconnected: Remote end closed connection without response')
    client, adapter = make_client([dropped, (200, {'ok': True})])[:2]
    assert client.get('/apiops/projects/p/keys/') == {'ok': True}
    client, adapter = make_client([dropped, (200, {'ok': True})])[:2]
    with pytest.raises(ApinizerError) as caught:
        client.request('DELETE', '/apiops/projects/p/keys/k/')
    assert caught.value.outcome_unknown is True
    assert 'The outcome of this write is unknown' in str(caught.value)
    assert len(adapter.sent) == 1


def test_a_refused_connection_sent_nothing_so_a_write_is_retried():
    refused = requests.exceptions.ConnectionError('NewConnectionError: [Errno 111] Connection refused')
    client, adapter = make_client([refused, (200, {'ok': True})])[:2]
    assert client.request('POST', '/apiops/projects/p/keys/', json={}) == {'ok': True}
    assert len(adapter.sent) == 2


def test_a_timeout_says_after_how_long():
    client = make_client([requests.exceptions.ReadTimeout('read timed out')], timeout=2.5, retries=0).client
    with pytest.raises(ApinizerError) as caught:
        client.get('/apiops/projects/p/keys/')
    assert str(caught.value) == 'GET /apiops/projects/p/keys/ timed out after 2.5 seconds (option timeout).'


def test_tls_settings():
    assert ApinizerClient(BASE, token=TOKEN).session.verify is True
    assert ApinizerClient(BASE, token=TOKEN, validate_certs=False, ca_path='/ca.pem').session.verify is False
    assert ApinizerClient(BASE, token=TOKEN, ca_path='/ca.pem').session.verify == '/ca.pem'
    assert ApinizerClient(BASE, token=TOKEN, client_cert='/c.pem', client_key='/k.pem').session.cert == ('/c.pem', '/k.pem')
    assert ApinizerClient(BASE, token=TOKEN, client_cert='/both.pem').session.cert == '/both.pem'


@pytest.mark.parametrize('settings, expected', [
    (dict(validate_certs=False), False),
    (dict(ca_path='/private-ca.pem'), '/private-ca.pem'),
])
def test_tls_settings_win_over_requests_ca_bundle(monkeypatch, settings, expected):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/ssl/certs/ca-certificates.crt')
    client, adapter = make_client([(200, {})], **settings)[:2]
    client.get('/apiops/projects/p/keys/')
    assert adapter.send_kwargs[0]['verify'] == expected


@pytest.mark.parametrize('method, status, description, race', [
    ('POST', 400, 'Certificate (name: c) is already exist!', True),
    ('POST', 409, 'duplicate', True),
    ('PUT', 400, 'Certificate (name: c) is not found!', True),
    ('DELETE', 400, 'Key (name: k) is not found!', True),
    ('POST', 400, 'Alias (a) is already used for another certificate, try changing this value!', False),
    ('GET', 400, 'Certificate (name: c) is not found!', False),
])
def test_races_between_read_and_write_are_recognised(method, status, description, race):
    assert ApinizerError('x', status=status, description=description, method=method).is_race is race


@pytest.mark.parametrize('method', ['PUT', 'DELETE'])
def test_a_server_that_answers_404_for_a_missing_object_shows_the_same_race(method):
    # The emulator's not_found_status=404 variant: same text, status 404, code not_found.
    gone = ApinizerError('x', status=404, error='not_found', description='Key (name: k) is not found!', method=method)
    assert gone.is_not_found and gone.is_race


def test_each_call_asks_for_the_media_type_its_endpoint_returns():
    client, adapter = make_client([(200, {'resultList': []}), (200, b'PK\x03\x04zip', {'Content-Type': 'application/octet-stream'}),
                                   (200, {'success': True})])[:2]
    client.get('/apiops/projects/p/certificates/')
    handle = io.BytesIO()
    assert client.download('/apiops/projects/p/certificates/c/export/', handle) == 7 and handle.getvalue() == b'PK\x03\x04zip'
    client.request('POST', '/apiops/projects/p/keys/', json={'name': 'k'})
    accepted = [request.headers['Accept'] for request in adapter.sent]
    assert accepted == ['application/json', 'application/octet-stream, application/json;q=0.5', 'application/json']


def test_environment_names_take_the_path_with_or_without_the_trailing_slash():
    client, adapter = make_client([error(404, 'not_found', 'No handler found'),
                                   (200, {'resultList': [{'name': 'production'}, {'name': 'staging'}]})])[:2]
    assert client.environment_names('demo') == ['production', 'staging']
    assert [r.path_url for r in adapter.sent] == ['/apiops/environments/demo', '/apiops/environments/demo/']
    client, adapter = make_client([(200, {'resultList': [{'name': 'production'}]})])[:2]
    assert client.environment_names('demo') == ['production'] and len(adapter.sent) == 1


@pytest.mark.parametrize('answer, expected', [
    ((200, {'success': True, 'resultList': [{'name': 'c', 'description': 'd'}]}), {'name': 'c', 'description': 'd'}),
    ((200, {'name': 'c'}), {'name': 'c'}),
    ((200, {'success': True, 'resultList': []}), None),
    (error(400, 'bad_request', 'Certificate (name: c) is not found!'), None),
])
def test_get_one_unwraps_the_one_element_result_list(answer, expected):
    assert make_client([answer]).client.get_one('/apiops/projects/p/certificates/c/') == expected


def test_the_jwk_query_speaks_to_newer_and_older_servers():
    assert jwk_update_params() == {'jwkUpdateAction': 'NULLIFY', 'updateReferencedJwks': 'false'}
    assert jwk_update_params('nullify', 'all_projects') == {
        'jwkUpdateAction': 'NULLIFY', 'updateReferencedJwks': 'false', 'updateScope': 'ALL_PROJECTS'}
    assert jwk_update_params('update', 'all_projects') == {
        'jwkUpdateAction': 'UPDATE', 'updateReferencedJwks': 'true', 'updateScope': 'ALL_PROJECTS'}
    # Older servers refuse updateReferencedJwks=true without a scope: an update always names one.
    assert jwk_update_params('update') == {
        'jwkUpdateAction': 'UPDATE', 'updateReferencedJwks': 'true', 'updateScope': 'SAME_PROJECT'}


class ConnectionModule(object):
    """The part of AnsibleModule that from_module uses."""

    def __init__(self, **params):
        self.params = dict(url=BASE, token=TOKEN, username=None, password=None, validate_certs=True, ca_path=None,
                           client_cert=None, client_key=None, timeout=30, retries=3, project='demo')
        self.params.update(params)
        self.warnings = []

    def warn(self, text):
        self.warnings.append(text)


def test_from_module_raises_on_unusable_options_and_warns_only_where_a_certificate_is_skipped():
    with pytest.raises(InvalidInput) as caught:
        ApinizerClient.from_module(ConnectionModule(url='ftp://x'))
    assert "url 'ftp://x' is not a usable address" in str(caught.value)
    plain = ConnectionModule(url='http://127.0.0.1:8080', validate_certs=False)
    ApinizerClient.from_module(plain)
    assert plain.warnings == []
    tls = ConnectionModule(url='https://apinizer.test', validate_certs=False)
    ApinizerClient.from_module(tls)
    assert tls.warnings == ['validate_certs is false: the TLS certificate of https://apinizer.test is not verified. '
                            'Set ca_path to the CA that signed it instead.']


def test_connection_argument_spec_has_env_fallbacks_and_secrets_are_no_log():
    spec = _client.connection_argument_spec()
    assert spec['token']['no_log'] is True and spec['password']['no_log'] is True
    fallbacks = dict((name, option['fallback'][1][0]) for name, option in spec.items() if 'fallback' in option)
    assert fallbacks == {'url': 'APINIZER_URL', 'token': 'APINIZER_TOKEN', 'username': 'APINIZER_USERNAME',
                         'password': 'APINIZER_PASSWORD', 'validate_certs': 'APINIZER_VALIDATE_CERTS',
                         'ca_path': 'APINIZER_CA_PATH', 'timeout': 'APINIZER_TIMEOUT', 'project': 'APINIZER_PROJECT'}


@pytest.mark.parametrize('params, expected', [
    (dict(url='htp:/x'), "url 'htp:/x' is not a usable address: give the Apinizer management console as http:// or https://"),
    (dict(url='not a url'), "url 'not a url' is not a usable address"),
    (dict(url='https://'), "url 'https://' is not a usable address"),
    (dict(url='apinizer.example.com'), "url 'apinizer.example.com' is not a usable address"),
    (dict(url='https://apinizer.example.com:http'), 'is not a usable address'),
    (dict(url='https://apinizer .example.com'), 'is not a usable address'),
    (dict(timeout=0), 'timeout must be greater than 0 seconds; it is 0'),
    (dict(timeout=-1.5), 'timeout must be greater than 0 seconds'),
    (dict(retries=-1), 'retries must be 0 or more; it is -1'),
    (dict(project=' '), 'project must name an Apinizer project; it is empty (option project / APINIZER_PROJECT).'),
    (dict(ca_path='/nonexistent/ca.pem'), 'ca_path: /nonexistent/ca.pem does not exist.'),
    (dict(client_cert='/nonexistent/client.pem'), 'client_cert: /nonexistent/client.pem does not exist.'),
    (dict(client_cert=__file__, client_key='/nonexistent/client.key'), 'client_key: /nonexistent/client.key does not exist.'),
])
def test_unusable_connection_options_fail_before_any_request(params, expected):
    with pytest.raises(InvalidInput) as caught:
        ApinizerClient.from_module(ConnectionModule(**params))
    assert expected in str(caught.value)


@pytest.mark.parametrize('url', ['https://apinizer.example.com', 'http://127.0.0.1:8943', 'https://[::1]:8443/',
                                 'https://apinizer.example.com/base/path'])
def test_usable_urls_are_accepted(url):
    assert _client.connection_problem(ConnectionModule(url=url).params) is None
    assert ApinizerClient.from_module(ConnectionModule(url=url)).base_url == url.rstrip('/')


@pytest.mark.parametrize('option, value', [('token', TOKEN + '\n'), ('token', ' ' + TOKEN), ('password', 'pw\tx')])
def test_tokens_and_passwords_with_whitespace_are_refused_before_any_request(option, value):
    params = dict(url=BASE, timeout=30, retries=3, project='demo')
    params[option] = value
    problem = _client.connection_problem(params)
    assert problem.startswith('%s holds spaces, a line break or control characters' % option)
    assert value.strip() not in problem


def test_escaped_forms_of_the_token_are_scrubbed():
    client = make_client([error(400, 'bad_request', 'got {"authorization": "Bearer %s\\n"}' % TOKEN)]).client
    with pytest.raises(ApinizerError) as caught:
        client.get('/apiops/projects/p/certificates/')
    assert TOKEN not in str(caught.value)


def test_a_404_page_of_a_wrong_url_is_not_read_as_absent():
    client = make_client([(404, b'<html><body>Not Found</body></html>')]).client
    with pytest.raises(ApinizerError) as caught:
        client.get_optional('/apiops/projects/p/certificates/c/')
    assert caught.value.status == 404 and not caught.value.is_not_found


def test_a_worker_client_has_its_own_session_and_shares_token_secrets_count_and_backoff():
    client, adapter, _waits = make_client([(200, {'resultList': []}), (200, {'resultList': []})])
    worker = client.for_worker()
    assert worker.session is not client.session
    worker.session.mount(BASE, adapter)
    worker.get('/apiops/projects/p/keys/')
    client.get('/apiops/projects/p/keys/')
    assert [r.headers['Authorization'] for r in adapter.sent] == ['Bearer ' + TOKEN] * 2
    assert client.request_count == worker.request_count == 2
    client.hide(['a-secret-sent-later'])
    assert worker._scrub('echo a-secret-sent-later') == 'echo ********'
    assert worker._pause is client._pause


def test_a_rate_limit_seen_by_one_worker_makes_the_others_wait():
    client, _adapter, waits = make_client([error(429, 'rate_limit_exceeded', 'slow down', retry_after=30),
                                           (200, {'resultList': []})])
    other = client.for_worker()
    other_waits = []
    other._sleep = other_waits.append
    other.session.mount(BASE, ScriptedAdapter([(200, {'resultList': []})]))
    client.get('/apiops/projects/p/keys/')
    other.get('/apiops/projects/p/keys/')
    assert waits == [30.0] and len(other_waits) == 1 and 29 < other_waits[0] <= 30


def test_a_token_obtained_with_credentials_is_renewed_before_it_expires():
    script = [(200, {'access_token': 'first-token-1234567890', 'expires_in': 100}), (200, {'resultList': []}),
              (200, {'access_token': 'second-token-1234567890', 'expires_in': 100}), (200, {'resultList': []})]
    client, adapter = make_client(script, token=None, username='alice', password=PASSWORD)[:2]
    now = [1000.0]
    client._token._clock = lambda: now[0]
    client.get('/apiops/projects/p/keys/')
    now[0] += 91.0  # within the last tenth of its lifetime (at most 30 s): renewed
    client.get('/apiops/projects/p/keys/')
    assert [r.path_url for r in adapter.sent] == ['/apiops/auth/token', '/apiops/projects/p/keys/'] * 2
    assert adapter.sent[3].headers['Authorization'] == 'Bearer second-token-1234567890'


def test_a_write_refused_with_token_expired_is_sent_once_more_with_a_renewed_token():
    expired = error(401, 'token_expired', 'Token has expired')
    script = [(200, {'access_token': 'first-token-1234567890', 'expires_in': 3600}), expired,
              (200, {'access_token': 'second-token-1234567890', 'expires_in': 3600}), (200, {'success': True})]
    client, adapter = make_client(script, token=None, username='alice', password=PASSWORD)[:2]
    assert client.request('POST', '/apiops/projects/p/keys/', json={'name': 'k'}) == {'success': True}
    posts = [r for r in adapter.sent if r.path_url == '/apiops/projects/p/keys/']
    assert [r.headers['Authorization'] for r in posts] == ['Bearer first-token-1234567890',
                                                           'Bearer second-token-1234567890']


def test_renewal_is_tried_once_and_a_static_token_that_expires_says_so():
    expired = error(401, 'token_expired', 'Token has expired')
    script = [(200, {'access_token': 'first-token-1234567890', 'expires_in': 3600}), expired,
              (200, {'access_token': 'second-token-1234567890', 'expires_in': 3600}), expired]
    client, adapter = make_client(script, token=None, username='alice', password=PASSWORD)[:2]
    with pytest.raises(ApinizerError) as caught:
        client.request('PUT', '/apiops/projects/p/keys/k/', json={'name': 'k'})
    assert caught.value.status == 401 and len(adapter.sent) == 4
    static = make_client([expired]).client
    with pytest.raises(ApinizerError) as caught:
        static.request('DELETE', '/apiops/projects/p/keys/k/')
    assert str(caught.value) == ('The token expired during the run (401 token_expired: Token has expired) on DELETE '
                                 '/apiops/projects/p/keys/k/: give a token that lives longer than the run, or username '
                                 'and password, which the modules renew (APINIZER_USERNAME / APINIZER_PASSWORD).')
    assert TOKEN not in str(caught.value)


# --- answers that are not the API's ---------------------------------------------------------------------------------

CERT = '/apiops/projects/p/certificates/c/'
PROXY_PAGE = (b'<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>'
              b'<hr><center>nginx</center></body></html>')
HTML = {'Content-Type': 'text/html; charset=utf-8'}


@pytest.mark.parametrize('answer, expected', [
    pytest.param((200, b'<!DOCTYPE html><html><head><title>Sign in &amp; continue</title></head></html>', HTML),
                 'with an HTML page titled "Sign in & continue". Something other than the API answered -- a proxy, a '
                 'load balancer or a login page in front of it: check that url (option url / APINIZER_URL) is the '
                 'address of the API Ops endpoints.', id='html-login-page'),
    pytest.param((200, b'<html><body>no type</body></html>'), 'with an HTML page.', id='html-without-content-type'),
    pytest.param((200, b'{"success": true, "resultList": [{"name": "c", "descr', {'Content-Type': 'application/json'}),
                 'with a body that is JSON that breaks off after 53 bytes: the answer was cut short.', id='truncated'),
    pytest.param((200, b'{"success": true,, "resultList": []}', {'Content-Type': 'application/json'}),
                 'with a body that is not valid JSON (Expecting property name enclosed in double quotes at character '
                 '17 of 36).',
                 id='invalid-json'),
    pytest.param((200, {'success': False, 'message': 'Project is locked'}),
                 'with "success": false (Project is locked). The server says the call failed, without an error status.',
                 id='success-false'),
    pytest.param((200, {'success': False}), 'with "success": false (no message).', id='success-false-bare'),
    pytest.param((200, b'{"success": true, "resultList": []}', {'Content-Type': 'text/plain'}),
                 'with Content-Type text/plain (35 bytes) where application/json was asked for.', id='wrong-type'),
    pytest.param((200, b'', {'Content-Type': 'application/json'}), 'with an empty body where JSON was expected.',
                 id='empty'),
    pytest.param((200, [{'name': 'c'}]), 'with JSON that is not an object (list).', id='a-list'),
    pytest.param((200, b'[' * 100000 + b']' * 100000, {'Content-Type': 'application/json'}),
                 'with a body that is not usable JSON (nested too deeply).', id='too-deep'),
    pytest.param((302, b'', {'Location': 'https://sso.other.test:8443/login?next=/apiops&sid=s3cr3t'}),
                 'with a redirect to https://sso.other.test:8443/login. The modules do not follow redirects, so the '
                 'token never goes to another address: set url (option url / APINIZER_URL) to the address the API '
                 'answers at.', id='redirect'),
])
def test_an_answer_that_is_not_the_api_s_fails_naming_the_call_and_is_not_repeated(answer, expected):
    client, adapter, waits = make_client([answer], retries=3)
    with pytest.raises(ApinizerError) as caught:
        client.get(CERT)
    message = str(caught.value)
    assert message.startswith('The Apinizer API answered GET %s (status %d) ' % (CERT, answer[0])), message
    assert expected in message, message
    assert 'unknown' not in message and not caught.value.outcome_unknown and not caught.value.is_not_found
    assert len(adapter.sent) == 1 and waits == []
    assert 's3cr3t' not in message and '<' not in message


def test_an_html_page_saying_not_found_does_not_mean_absent():
    page = b'<html><head><title>Page not found</title></head></html>'
    for status in (400, 404):
        client = make_client([(status, page, HTML)]).client
        with pytest.raises(ApinizerError) as caught:
            client.get_optional(CERT)
        assert not caught.value.is_not_found and 'Page not found' in str(caught.value)


def test_a_write_answered_with_garbage_has_an_unknown_outcome_for_the_executor_to_resolve():
    client, adapter = make_client([(200, PROXY_PAGE, HTML)])[:2]
    with pytest.raises(ApinizerError) as caught:
        client.request('POST', '/apiops/projects/p/certificates/', data={'a': 'b'})
    assert caught.value.outcome_unknown is True and not caught.value.is_race
    assert str(caught.value).endswith('The outcome of this write is unknown.')
    assert len(adapter.sent) == 1


def test_a_redirect_is_not_followed_and_takes_no_token_elsewhere():
    client, adapter = make_client([(307, b'', {'Location': 'http://elsewhere.test/apiops/'}), (200, {'ok': True})])[:2]
    with pytest.raises(ApinizerError) as caught:
        client.request('PUT', CERT, json={})
    assert caught.value.status == 307 and caught.value.outcome_unknown
    assert [request.url for request in adapter.sent] == [BASE + CERT]
    assert adapter.send_kwargs[0]['stream'] is True


def test_a_failed_deployment_reported_with_success_false_reaches_the_executor():
    answer = {'success': False, 'deploymentResult': {'success': False, 'environmentResults': []}}
    client = make_client([(200, answer)]).client
    assert client.request('POST', '/apiops/projects/p/keys/', json={}) == answer


def test_a_204_without_body_is_an_empty_answer():
    assert make_client([(204, b'')]).client.request('DELETE', '/apiops/projects/p/keys/k/') == {}


def test_the_token_endpoint_answered_by_a_proxy_is_not_a_write():
    client = make_client([(200, PROXY_PAGE, HTML)], token=None, username='u', password=PASSWORD).client
    with pytest.raises(ApinizerError) as caught:
        client.get(CERT)
    message = str(caught.value)
    assert message.startswith('The Apinizer API answered POST /apiops/auth/token (status 200) with an HTML page titled '
                              '"502 Bad Gateway".'), message
    assert 'unknown' not in message and PASSWORD not in message


def test_an_html_error_page_is_described_not_quoted_and_a_read_is_still_retried():
    client, adapter = make_client([(502, PROXY_PAGE, HTML)] * 2, retries=1)[:2]
    with pytest.raises(ApinizerError) as caught:
        client.get(CERT)
    assert str(caught.value) == (
        'The Apinizer server failed (502 error: an HTML page titled "502 Bad Gateway", not the API\'s JSON error: a '
        'proxy or load balancer in front of the API may have answered) on GET %s. Gave up after 2 attempts (option '
        'retries=1).' % CERT)
    assert len(adapter.sent) == 2


class Endless(io.RawIOBase):
    """A body that never ends; counts what was read from it."""

    def __init__(self):
        super(Endless, self).__init__()
        self.served = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b' ' * len(buffer)
        self.served += len(buffer)
        return len(buffer)


def endless_answer(adapter, headers):
    """Make the adapter's next answer an endless body."""
    body = Endless()
    original = adapter.send

    def send(request, **kwargs):
        response = original(request, **kwargs)
        response.raw = HTTPResponse(body=body, headers=headers, status=200, preload_content=False)
        response.headers.update(headers)
        return response
    adapter.send = send
    return body


def test_a_json_answer_larger_than_the_limit_is_refused_after_reading_the_limit(monkeypatch):
    monkeypatch.setattr(_client, 'MAX_JSON_BYTES', 1024 * 1024)
    client, adapter = make_client([(200, b'')])[:2]
    body = endless_answer(adapter, {'Content-Type': 'application/json'})
    with pytest.raises(ApinizerError) as caught:
        client.get(CERT)
    assert str(caught.value) == (
        'The Apinizer API answered GET %s (status 200) with a body larger than 1 MiB, the limit for a JSON answer (it '
        'went on); it was not read further. No answer of the API is that large: check url and any proxy in front of '
        'the API.' % CERT)
    assert body.served < 2 * 1024 * 1024


def test_a_declared_length_beyond_the_limit_is_refused_before_reading():
    client, adapter = make_client([(200, b'')])[:2]
    body = endless_answer(adapter, {'Content-Type': 'application/json', 'Content-Length': str(300 * 1024 * 1024)})
    with pytest.raises(ApinizerError) as caught:
        client.request('POST', '/apiops/projects/p/keys/', json={})
    assert ('with a body larger than 64 MiB, the limit for a JSON answer (it declared 300 MiB); it was not read '
            'further.') in str(caught.value), str(caught.value)
    assert caught.value.outcome_unknown and body.served == 0


def test_an_error_answer_is_read_only_as_far_as_needed():
    client, adapter = make_client([(500, b'')], retries=0)[:2]
    body = endless_answer(adapter, {'Content-Type': 'text/plain'})
    with pytest.raises(ApinizerError) as caught:
        client.get(CERT)
    assert caught.value.status == 500 and body.served <= 4 * _client.ERROR_BODY_BYTES


def test_a_download_streams_into_the_file_within_its_limit(monkeypatch):
    monkeypatch.setattr(_client, 'MAX_DOWNLOAD_BYTES', 1024 * 1024)
    zipped = {'Content-Type': 'application/octet-stream'}
    client, adapter = make_client([(200, b'')])[:2]
    body = endless_answer(adapter, zipped)
    handle = io.BytesIO()
    with pytest.raises(ApinizerError) as caught:
        client.download(CERT + 'export/', handle)
    assert 'with a body larger than 1 MiB, the limit for a download (it went on)' in str(caught.value)
    assert len(handle.getvalue()) <= 1024 * 1024 and body.served < 2 * 1024 * 1024


@pytest.mark.parametrize('answer, expected', [
    ((200, PROXY_PAGE, HTML), 'with an HTML page titled "502 Bad Gateway".'),
    ((200, {'success': False, 'error_description': 'Export failed'}), 'with "success": false (Export failed).'),
    ((200, {'success': True}), 'with JSON where the file it exports was asked for.'),
])
def test_a_download_answered_with_something_else_fails(answer, expected):
    with pytest.raises(ApinizerError) as caught:
        make_client([answer]).client.download(CERT + 'export/', io.BytesIO())
    assert expected in str(caught.value)


def test_an_answer_that_breaks_off_is_a_lost_answer():
    client, adapter = make_client([(200, b'')], retries=0)[:2]
    original = adapter.send

    def send(request, **kwargs):
        response = original(request, **kwargs)
        response.raw = HTTPResponse(body=io.BytesIO(b'{"success"'), status=200, preload_content=False,
                                    headers={'Content-Type': 'application/json', 'Content-Length': '100'})
        return response
    adapter.send = send
    with pytest.raises(ApinizerError) as caught:
        client.request('POST', '/apiops/projects/p/keys/', json={})
    assert str(caught.value).startswith('The answer to POST /apiops/projects/p/keys/ broke off before its end: ')
    assert caught.value.outcome_unknown


# --- TLS ------------------------------------------------------------------------------------------------------------

def verification_error(code, text):
    cause = ssl.SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: %s' % text)
    cause.verify_code, cause.verify_message = code, text
    return requests.exceptions.SSLError(urllib3.exceptions.MaxRetryError(None, '/', urllib3.exceptions.SSLError(cause)))


START = 'The TLS handshake with %s failed on GET %s: ' % (BASE, CERT)


@pytest.mark.parametrize('code, text, expected', [
    (10, 'certificate has expired',
     "the server's certificate has expired (certificate verify failed: certificate has expired). Renew the "
     "certificate of the management API on the server; ca_path cannot help, and validate_certs=false "
     "(APINIZER_VALIDATE_CERTS) would skip the check, which is insecure."),
    (9, 'certificate is not yet valid', "the server's certificate is not valid yet (certificate verify failed: "
     "certificate is not yet valid). Check the clocks of this host and of the server;"),
    (62, "Hostname mismatch, certificate is not valid for 'apinizer.test'.",
     "the server's certificate is not valid for host apinizer.test -- it holds localhost, 127.0.0.1 (certificate "
     "verify failed: Hostname mismatch, certificate is not valid for 'apinizer.test'.). Set url (APINIZER_URL) to a "
     "host name the certificate holds, or have it issued for apinizer.test; ca_path cannot help"),
    (20, 'unable to get local issuer certificate', "the server's certificate is not signed by a CA this host trusts "
     "(certificate verify failed: unable to get local issuer certificate). Set ca_path (APINIZER_CA_PATH) to the CA "
     "that signed it."),
])
def test_a_certificate_the_client_refuses_is_explained(monkeypatch, code, text, expected):
    monkeypatch.setattr(ApinizerClient, '_certificate_names', lambda client: ['localhost', '127.0.0.1'])
    with pytest.raises(ApinizerError) as caught:
        make_client([verification_error(code, text)]).client.get(CERT)
    assert str(caught.value).startswith(START + expected), str(caught.value)


def test_a_handshake_refused_for_another_reason_names_ca_path_and_the_client_certificate():
    refused = requests.exceptions.SSLError('[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert certificate required')
    with pytest.raises(ApinizerError) as caught:
        make_client([refused]).client.get(CERT)
    assert str(caught.value).startswith(START + '[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED]')
    assert 'set ca_path (APINIZER_CA_PATH)' in str(caught.value) and 'set client_cert and client_key' in str(caught.value)


def test_module_kwargs_merges_the_connection_options_under_the_module_options():
    kwargs = _client.module_kwargs(dict(name=dict(type='str', required=True)), supports_check_mode=True)
    assert kwargs['argument_spec']['name'] == dict(type='str', required=True)
    assert set(_client.connection_argument_spec()) < set(kwargs['argument_spec'])
    assert kwargs['supports_check_mode'] is True


def test_module_kwargs_refuses_a_module_option_named_like_a_connection_option():
    with pytest.raises(ValueError) as raised:
        _client.module_kwargs(dict(url=dict(type='str'), timeout=dict(type='int'), name=dict(type='str')))
    assert str(raised.value) == 'module options named like connection options: timeout, url; give them other names'


@pytest.mark.parametrize('path, description, hinted', [
    ('/apiops/projects/p/jwks/parse-from-certificate/', 'environmentId is required for CERTIFICATE source type!', True),
    ('/apiops/projects/p/jwks/parse-from-keystore', 'keystoreAlgorithm is required for KEYSTORE source type!', True),
    ('/apiops/projects/p/jwks/parse-from-key/', 'Key (name: k) is not found!', False),
    ('/apiops/projects/p/jwks/parse-from-clipboard/', 'environmentId is required', False),
])
def test_a_jwk_parse_refused_for_an_older_field_says_the_request_is_not_sent(path, description, hinted):
    client = make_client([error(400, 'bad_request', description)], retries=0).client
    with pytest.raises(ApinizerError) as caught:
        client.request('POST', path)
    plain = 'The Apinizer API refused POST %s (400 bad_request: %s).' % (path, description)
    hint = ('The Apinizer API refused POST %s (400 bad_request: %s): this server reads the older JWK request '
            '(environmentId, SIGN, keystoreAlgorithm), which this collection does not send, so the JWK was not '
            'stored; on this server, make it from pasted JSON or a URL (apinizer_jwk source json or url) instead.'
            % (path, description))
    assert str(caught.value) == (hint if hinted else plain)
