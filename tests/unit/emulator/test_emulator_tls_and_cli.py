# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTPS with a test CA (with and without client certificates), the Python API and the command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from apinizer_emulator import testcerts
from apinizer_emulator.client import EmulatorControl
from apinizer_emulator.server import EmulatorServer

EMULATOR_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'emulator'))
TOKEN = 'tls-test-token-5a1d0c'


@pytest.fixture(scope='module')
def tls_files(tmp_path_factory, ca):
    directory = tmp_path_factory.mktemp('tls')
    ca_path = str(directory / 'ca.crt')
    (directory / 'ca.crt').write_bytes(ca.cert_pem)
    server_cert, server_key = testcerts.make_server_certificate(ca).write(directory, 'server')
    client_cert, client_key = testcerts.make_client_certificate(ca).write(directory, 'client')
    stranger_ca = testcerts.make_ca('Someone Else CA')
    stranger_cert, stranger_key = testcerts.make_client_certificate(stranger_ca, 'stranger').write(directory, 'stranger')
    return {'ca': ca_path, 'server': (server_cert, server_key), 'client': (client_cert, client_key),
            'stranger': (stranger_cert, stranger_key)}


def test_https_with_a_test_ca(tls_files, example_cert):
    with EmulatorServer(tokens=[TOKEN], tls_cert=tls_files['server'][0], tls_key=tls_files['server'][1]) as server:
        assert server.url.startswith('https://127.0.0.1:')
        headers = {'Authorization': 'Bearer ' + TOKEN}
        response = requests.get(server.url + '/apiops/environments/demo', headers=headers, verify=tls_files['ca'], timeout=10)
        assert response.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.url + '/apiops/environments/demo', headers=headers, timeout=10)
        control = EmulatorControl(server.url, verify=tls_files['ca'])
        control.add_fault('drop', when='after')
        files = {'certificateName': (None, 'c1'), 'alias': (None, 'a'), 'certificateDescription': (None, ''),
                 'environmentList': (None, 'production'), 'pemEncodedFile': ('c.pem', example_cert.cert_pem)}
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.post(server.url + '/apiops/projects/demo/certificates/', headers=headers, files=files, verify=tls_files['ca'], timeout=10)
        assert [item['name'] for item in control.state()['projects']['demo']['certificates']] == ['c1']


def test_client_certificate_required(tls_files):
    with EmulatorServer(tokens=[TOKEN], tls_cert=tls_files['server'][0], tls_key=tls_files['server'][1],
                        tls_client_ca=tls_files['ca']) as server:
        url = server.url + '/apiops/environments/demo'
        headers = {'Authorization': 'Bearer ' + TOKEN}
        response = requests.get(url, headers=headers, verify=tls_files['ca'], cert=tls_files['client'], timeout=10)
        assert response.status_code == 200
        for cert in (None, tls_files['stranger']):
            with pytest.raises(requests.exceptions.ConnectionError):
                requests.get(url, headers=headers, verify=tls_files['ca'], cert=cert, timeout=10)
        # The server survives refused handshakes.
        assert EmulatorControl(server.url, verify=tls_files['ca'], cert=tls_files['client']).health() == {'ok': True}


def test_python_api_options():
    server = EmulatorServer(projects={'p1': ['e1']}, read_only_tokens=['ro-token'], omit_list_content=True, admin_project='root')
    with server:
        control = EmulatorControl(server.url)
        settings = control.config()
        assert settings['projects'] == {'p1': ['e1'], 'root': ['e1']}
        assert settings['admin_project'] == 'root' and settings['omit_list_content'] is True
        assert requests.get(server.url + '/apiops/environments/p1', headers={'Authorization': 'Bearer ro-token'}, timeout=10).status_code == 200
    assert server.url is None
    with pytest.raises(ValueError):
        EmulatorServer(tls_cert='x.crt')


def test_command_line(tmp_path):
    port_file = tmp_path / 'port'
    env = dict(os.environ, PYTHONPATH=EMULATOR_DIR + os.pathsep + os.environ.get('PYTHONPATH', ''))
    command = [sys.executable, '-m', 'apinizer_emulator', '--port', '0', '--port-file', str(port_file), '--token', TOKEN,
               '--read-only-token', 'ro-cli-token', '--user', 'alice:s3cr3t:with:colons', '--project', 'shop=live,test',
               '--project', 'other=live', '--omit-list-content', '--token-ttl', '60', '--log-requests']
    issued = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as process:
        try:
            line = process.stdout.readline().decode()
            assert port_file.exists()
            port = int(port_file.read_text())
            assert line == 'apinizer emulator listening on http://127.0.0.1:%d\n' % port
            url = 'http://127.0.0.1:%d' % port
            token = requests.post(url + '/apiops/auth/token', timeout=10, data={
                'grant_type': 'client_credentials', 'client_id': 'alice', 'client_secret': 's3cr3t:with:colons'}).json()
            assert token['expires_in'] == 60
            issued = token['access_token']
            environments = requests.get(url + '/apiops/environments/shop', headers={'Authorization': 'Bearer ' + TOKEN}, timeout=10).json()
            assert [item['name'] for item in environments['resultList']] == ['live', 'test']
            assert EmulatorControl(url).config()['omit_list_content'] is True
        finally:
            process.send_signal(signal.SIGTERM)
            stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert not port_file.exists(), 'the port file is removed on a clean stop'
    output = (stdout + stderr).decode()
    assert 'POST /apiops/auth/token 200' in output and 'GET /apiops/environments/shop 200' in output
    for secret in (TOKEN, 'ro-cli-token', 's3cr3t', issued):
        assert secret not in output


def test_command_line_refuses_to_start_without_credentials():
    env = dict(os.environ, PYTHONPATH=EMULATOR_DIR)
    started = time.monotonic()
    result = subprocess.run([sys.executable, '-m', 'apinizer_emulator', '--port', '0'], env=env, capture_output=True, timeout=20, check=False)
    assert result.returncode == 2 and b'--token' in result.stderr
    assert time.monotonic() - started < 20
