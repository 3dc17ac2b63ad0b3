# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP/1.1 keep-alive: several requests over one TCP connection, framed bodies both ways, drops, shutdown."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from apinizer_emulator.client import EmulatorControl
from apinizer_emulator.server import EmulatorServer

KEYS = '/apiops/projects/demo/keys/'
CERTS = '/apiops/projects/demo/certificates/'
SECRET = b'fedcba9876543210'


def _key_body(name):
    return {'name': name, 'description': 'keep-alive test', 'keyType': 'SECRET_KEY', 'cryptoKeyInfoEnvironmentList': [
        {'environmentName': 'production', 'content': base64.b64encode(SECRET).decode('ascii'), 'alias': None}]}


@pytest.fixture
def session(api):
    """A requests.Session with the emulator's token: it keeps its connection between requests."""
    with requests.Session() as opened:
        opened.headers['Authorization'] = 'Bearer %s' % api.emulator.token
        yield opened


def _connections(api, since_seq=0):
    return [entry['connection'] for entry in api.emulator.control.requests() if entry['seq'] > since_seq]


def test_one_connection_carries_many_requests(api):
    """A client that keeps its connection gets every answer on it, framed by Content-Length (http.client level)."""
    parts = urlsplit(api.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {'Authorization': 'Bearer %s' % api.emulator.token, 'Content-Type': 'application/json'}
    try:
        sockets = []
        for method, path, body in (('GET', KEYS, None), ('POST', KEYS, json.dumps(_key_body('ka1'))),
                                   ('GET', KEYS + 'ka1/', None), ('DELETE', KEYS + 'ka1/', None), ('GET', KEYS, None)):
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            assert response.status == 200, payload
            assert response.version == 11
            assert not response.will_close, 'the server asked to close the connection: %s' % response.getheader('Connection')
            assert response.getheader('Content-Length') == str(len(payload))
            sockets.append(connection.sock)
        assert all(sock is sockets[0] for sock in sockets), 'http.client had to reconnect'
    finally:
        connection.close()
    served = _connections(api)
    assert len(served) == 5 and len(set(served)) == 1, served


def test_a_requests_session_reuses_its_connection(api, session):
    assert session.post(api.url + KEYS, json=_key_body('ka2'), timeout=10).status_code == 200
    assert session.post(api.url + CERTS, files=api.certificate_form(b'not a pem', name='bad'), timeout=10).status_code == 400
    for _attempt in range(3):
        assert session.get(api.url + KEYS, timeout=10).status_code == 200
    served = _connections(api)
    assert len(served) == 5 and len(set(served)) == 1, served


def test_chunked_request_body_then_next_request_on_the_same_connection(api, session):
    body = json.dumps(_key_body('chunked')).encode()
    # A generator body is sent with Transfer-Encoding: chunked.
    response = session.post(api.url + KEYS, data=(body[index:index + 50] for index in range(0, len(body), 50)),
                            headers={'Content-Type': 'application/json'}, timeout=10)
    assert response.status_code == 200, response.text
    assert session.get(api.url + KEYS + 'chunked/', timeout=10).json()['resultList'][0]['name'] == 'chunked'
    served = _connections(api)
    assert len(served) == 2 and served[0] == served[1], served


def test_a_dropped_connection_ends_there_and_the_next_request_gets_a_new_one(api, session):
    control = api.emulator.control
    assert session.get(api.url + KEYS, timeout=10).status_code == 200
    control.add_fault('drop', when='after', method='POST')
    with pytest.raises(requests.exceptions.ConnectionError):
        session.post(api.url + KEYS, json=_key_body('dropped'), timeout=10)
    assert session.get(api.url + KEYS + 'dropped/', timeout=10).status_code == 200, 'processed, then dropped'
    entries = control.requests()
    assert [entry['dropped'] for entry in entries] == [False, True, False]
    assert entries[0]['connection'] == entries[1]['connection'] != entries[2]['connection']


def test_stop_does_not_wait_for_injected_latency():
    server = EmulatorServer(tokens=['latency-stop-token-9c2e']).start()
    url = server.url
    control = EmulatorControl(url)
    control.add_fault('latency', seconds=60, count=None)
    outcome = []

    def slow_request():
        try:
            outcome.append(requests.get(url + KEYS, headers={'Authorization': 'Bearer latency-stop-token-9c2e'}, timeout=30))
        except requests.exceptions.RequestException as exc:
            outcome.append(exc)

    client = threading.Thread(target=slow_request, daemon=True)
    client.start()
    deadline = time.monotonic() + 10
    while control.faults()[0]['hits'] < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert control.faults()[0]['hits'] == 1, 'the request is sleeping in the server'
    control.close()
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    client.join(10)
    assert outcome, 'the client got an answer or an error once the server stopped'
