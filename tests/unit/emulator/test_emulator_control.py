# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The control surface: request log, state, config, reset; no secrets anywhere; concurrent requests."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
import threading

import pytest
import requests

KEYS = '/apiops/projects/demo/keys/'
SECRET = b'very secret key material 32bytes'


def test_health(api):
    assert requests.get(api.url + '/_emulator/health', timeout=10).json() == {'ok': True}


def test_request_log_entries(api, example_cert):
    control = api.emulator.control
    assert api.create_certificate('c 1', example_cert.cert_pem).status_code == 200
    assert api.get('/apiops/projects/demo/certificates/c%201/').status_code == 200
    assert api.put('/apiops/projects/demo/certificates/c%201/', params={'jwkUpdateAction': 'UPDATE'},
                   files=api.certificate_form(example_cert.cert_pem)).status_code == 200
    assert api.get('/apiops/projects/demo/nothing/').status_code == 404
    control.state()
    entries = control.requests()
    assert [(entry['method'], entry['path'], entry['status'], entry['write']) for entry in entries] == [
        ('POST', '/apiops/projects/demo/certificates/', 200, True),
        ('GET', '/apiops/projects/demo/certificates/c%201/', 200, False),
        ('PUT', '/apiops/projects/demo/certificates/c%201/', 200, True),
        ('GET', '/apiops/projects/demo/nothing/', 404, False),
    ], 'control calls are not logged'
    assert [entry['seq'] for entry in entries] == sorted(entry['seq'] for entry in entries)
    assert entries[2]['query'] == 'jwkUpdateAction=UPDATE'
    for entry in entries:
        assert sorted(entry) == ['connection', 'credential', 'dropped', 'duration_ms', 'faults', 'method', 'path', 'query', 'seq', 'status',
                                 'time', 'write']
        assert entry['credential'] == 'token 1'
        assert entry['dropped'] is False and entry['duration_ms'] >= 0
        assert datetime.datetime.strptime(entry['time'], '%Y-%m-%dT%H:%M:%S.%fZ')
    assert [entry['method'] for entry in control.writes()] == ['POST', 'PUT']
    control.clear_requests()
    assert control.requests() == []


def test_no_secret_reaches_the_control_surface(api):
    control = api.emulator.control
    issued = api.post('/apiops/auth/token', token=None, data={
        'grant_type': 'client_credentials', 'client_id': api.emulator.username, 'client_secret': api.emulator.password}).json()['access_token']
    assert api.create_key('k1', {'production': (SECRET, None)}, token=issued).status_code == 200
    assert api.get(KEYS + '?access_token=%s&client_secret=%s' % (api.emulator.token, api.emulator.password)).status_code == 200
    api.get(KEYS, token='a-wrong-token-value')
    dumped = json.dumps([control.requests(), control.state(), control.config(), control.faults()])
    encoded_secret = base64.b64encode(SECRET).decode('ascii')
    for secret in (api.emulator.token, api.emulator.read_only_token, api.emulator.password, issued, 'a-wrong-token-value',
                   encoded_secret, SECRET.decode('ascii')):
        assert secret not in dumped
    assert 'access_token=***&client_secret=***' in dumped


def test_request_log_names_the_credential_never_the_token(api):
    issued = api.post('/apiops/auth/token', token=None, data={
        'grant_type': 'client_credentials', 'client_id': api.emulator.username, 'client_secret': api.emulator.password}).json()['access_token']
    api.get(KEYS, token=issued)
    api.get(KEYS)
    api.get(KEYS, token=api.emulator.read_only_token)
    api.get(KEYS, token='a-wrong-token-value')
    api.get(KEYS, token=None)
    assert [entry['credential'] for entry in api.emulator.control.requests()] == [
        None, 'user %s' % api.emulator.username, 'token 1', 'read-only token 1', None, None]


def test_state_shape(api, example_cert):
    assert api.create_certificate('c1', example_cert.cert_pem, environments='staging,production').status_code == 200
    assert api.create_key('k1', {'production': (SECRET, 'a')}, key_type='SECRET_KEY', description='d').status_code == 200
    demo = api.emulator.control.state()['projects']['demo']
    assert demo['environments'] == ['production', 'staging', 'development']
    [certificate] = demo['certificates']
    assert certificate['name'] == 'c1' and certificate['alias'] == 'my-cert-alias'
    assert certificate['environments'] == ['production', 'staging'] and certificate['failed_environments'] == []
    assert certificate['subject'] == 'CN=example.com, O=Example Inc, C=US'
    assert certificate['not_after'].endswith('Z') and len(certificate['sha1_thumbprint']) == 40
    # Each object's id is what a JWK's sourceId names it by: 24 hex digits, new for each object.
    assert re.fullmatch('[0-9a-f]{24}', certificate['id']) and re.fullmatch('[0-9a-f]{24}', demo['keys'][0]['id'])
    assert certificate['id'] != demo['keys'][0]['id']
    assert demo['keys'] == [{'id': demo['keys'][0]['id'], 'name': 'k1', 'description': 'd', 'key_type': 'SECRET_KEY',
                             'environments': [{'name': 'production', 'alias': 'a',
                                               'content_sha256': hashlib.sha256(SECRET).hexdigest()}],
                             'failed_environments': []}]
    assert demo['keystores'] == [] and demo['jwks'] == []


def test_reset_reconfigures_projects_and_then_returns_to_the_start(api, example_cert):
    control = api.emulator.control
    assert api.create_certificate('c1', example_cert.cert_pem).status_code == 200
    settings = control.reset(projects={'shop': ['live', 'test']}, omit_list_content=True)
    assert settings['projects']['shop'] == ['live', 'test'] and settings['omit_list_content'] is True
    assert 'demo' not in control.state()['projects']
    assert api.get('/apiops/environments/shop').json()['resultCount'] == 2
    api.expect_error(api.get('/apiops/projects/demo/keys/'), 404, 'not_found')
    control.reset()
    assert list(control.state()['projects']) == ['demo', 'admin']
    assert control.state()['projects']['demo']['certificates'] == []
    assert control.config()['omit_list_content'] is False


def test_config_never_shows_tokens(api):
    settings = api.emulator.control.config()
    assert settings['read_write_token_count'] == 1 and settings['read_only_token_count'] == 1
    assert api.emulator.token not in json.dumps(settings)


@pytest.mark.parametrize('body', [{'projects': {}}, {'projects': {'p': 'x'}, 'nope': 1}, {'omit_list_content': 'yes'}, [1]])
def test_bad_control_bodies(api, body):
    assert requests.post(api.url + '/_emulator/reset', json=body, timeout=10).status_code == 400


def test_concurrent_writes_are_all_applied(api):
    errors = []

    def create(index):
        try:
            response = api.create_key('k%02d' % index, {'production': (SECRET, None), 'staging': (SECRET, None)})
            if response.status_code != 200:
                errors.append(response.text)
        except requests.RequestException as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=create, args=(index,)) for index in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(api.emulator.control.state()['projects']['demo']['keys']) == 24
    assert len(api.emulator.control.writes()) == 24
    assert sorted(entry['seq'] for entry in api.emulator.control.requests()) == [entry['seq'] for entry in api.emulator.control.requests()]
