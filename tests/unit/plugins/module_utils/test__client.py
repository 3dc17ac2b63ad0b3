# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
from collections import namedtuple

import pytest
import requests
from requests.adapters import BaseAdapter

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
        headers = step[2] if len(step) > 2 else {}
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode('utf-8')
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


def test_each_call_asks_for_the_media_type_its_endpoint_returns():
    client, adapter = make_client([(200, {'resultList': []}), (200, b'PK\x03\x04zip'), (200, {'success': True})])[:2]
    client.get('/apiops/projects/p/certificates/')
    assert client.request('GET', '/apiops/projects/p/certificates/c/export/', raw=True) == b'PK\x03\x04zip'
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
    assert jwk_update_params('update', 'all_projects') == {
        'jwkUpdateAction': 'UPDATE', 'updateReferencedJwks': 'true', 'updateScope': 'ALL_PROJECTS'}


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
