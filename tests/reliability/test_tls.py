# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TLS to the management API: the emulator served over HTTPS with a throw-away CA, once without and once with a
required client certificate. Every case is one task of one playbook run (REQUESTS_CA_BUNDLE set per task with the
environment keyword); each creates its own certificate, so the servers' state tells which writes happened."""

from __future__ import annotations

import os
import secrets

import pytest
import requests

from apinizer_emulator import testcerts
from apinizer_emulator.client import EmulatorControl
from apinizer_emulator.server import EmulatorServer

from support import PROJECT, play, task

SYSTEM_BUNDLE = os.environ.get('REQUESTS_CA_BUNDLE') or requests.certs.where()


class Tls:
    """The CA files, a client certificate, and the two HTTPS emulators (plain TLS and mutual TLS)."""

    def __init__(self, directory):
        self.token = 'tls-' + secrets.token_urlsafe(32)
        ca = testcerts.make_ca('Reliability TLS CA')
        self.ca_path = ca.write(directory, 'ca')[0]
        self.other_ca_path = testcerts.make_ca('Some Other CA').write(directory, 'other-ca')[0]
        self.server_cert, self.server_key = testcerts.make_server_certificate(ca).write(directory, 'server')
        self.client_cert, self.client_key = testcerts.make_client_certificate(ca).write(directory, 'client')
        self.tls = EmulatorServer(tokens=[self.token], tls_cert=self.server_cert, tls_key=self.server_key).start()
        self.mtls = EmulatorServer(tokens=[self.token], tls_cert=self.server_cert, tls_key=self.server_key,
                                   tls_client_ca=self.ca_path).start()
        self.tls_control = EmulatorControl(self.tls.url, verify=self.ca_path)
        self.mtls_control = EmulatorControl(self.mtls.url, verify=self.ca_path, cert=(self.client_cert, self.client_key))

    def stop(self):
        self.tls.stop()
        self.mtls.stop()


# name: (description, expectation, server (tls|mtls), connection options, task environment, succeeds, message fragments)
CASES = {
    'tls-default-validation-refuses': (
        'default validate_certs against a server whose certificate a private CA signed (REQUESTS_CA_BUNDLE = the '
        'system bundle)', 'fails saying the TLS handshake failed because the certificate could not be verified, and '
        'to set ca_path; nothing written', 'tls', {}, {'REQUESTS_CA_BUNDLE': SYSTEM_BUNDLE}, False,
        ['The TLS handshake with https://127.0.0.1:', 'certificate verify failed', 'set ca_path (APINIZER_CA_PATH)']),
    'tls-ca-path-accepts': (
        'ca_path pointing at the CA that signed the server certificate', 'the certificate is created over HTTPS',
        'tls', {'ca_path': 'CA'}, {}, True, []),
    'tls-validate-certs-false-warns': (
        'validate_certs: false against the same server', 'works, and warns that the TLS certificate is not verified',
        'tls', {'validate_certs': False}, {}, True, []),
    'tls-env-bundle-cannot-override-ca-path': (
        'ca_path names another CA while REQUESTS_CA_BUNDLE names the right one',
        'fails with certificate verify failed: ca_path wins over REQUESTS_CA_BUNDLE; nothing written',
        'tls', {'ca_path': 'OTHER_CA'}, {'REQUESTS_CA_BUNDLE': 'CA'}, False,
        ['The TLS handshake with https://127.0.0.1:', 'certificate verify failed']),
    'tls-env-bundle-cannot-override-validate-certs-false': (
        'validate_certs: false while REQUESTS_CA_BUNDLE names an unrelated CA',
        'works (and warns): validate_certs wins over REQUESTS_CA_BUNDLE',
        'tls', {'validate_certs': False}, {'REQUESTS_CA_BUNDLE': 'OTHER_CA'}, True, []),
    'mtls-client-certificate-sent': (
        'a server that requires a client certificate; client_cert and client_key given (and ca_path)',
        'the client certificate is presented and the certificate is created', 'mtls',
        {'ca_path': 'CA', 'client_cert': 'CLIENT_CERT', 'client_key': 'CLIENT_KEY'}, {}, True, []),
    'mtls-without-client-certificate-fails': (
        'the same server without client_cert/client_key', 'fails clearly: the TLS handshake failed, naming client_cert '
        'and client_key; nothing written', 'mtls', {'ca_path': 'CA'}, {}, False,
        ['The TLS handshake with https://127.0.0.1:', 'client_cert and client_key']),
}


@pytest.fixture(scope='module')
def tls_run(ansible, material, tmp_path_factory):
    tls = Tls(tmp_path_factory.mktemp('tls'))
    files = dict(CA=tls.ca_path, OTHER_CA=tls.other_ca_path, CLIENT_CERT=tls.client_cert, CLIENT_KEY=tls.client_key)
    try:
        tasks = []
        for name, (_description, _expectation, server, options, environment, _ok, _expect) in CASES.items():
            url = (tls.tls if server == 'tls' else tls.mtls).url
            args = dict(name=name, certificate=material.cert(material.other), environments=['production'], url=url,
                        token=tls.token, project=PROJECT, timeout=10, retries=0)
            args.update((k, files.get(v, v) if isinstance(v, str) else v) for k, v in options.items())
            entry = task(name, 'apinizer_certificate', args)
            if environment:
                entry['environment'] = dict((k, files.get(v, v)) for k, v in environment.items())
            tasks.append(entry)
        run = ansible.run(play(tasks), name='tls')
        states = dict(tls=tls.tls_control.state()['projects'][PROJECT], mtls=tls.mtls_control.state()['projects'][PROJECT])
        writes = dict(tls=tls.tls_control.writes(), mtls=tls.mtls_control.writes())
        yield run, states, writes
    finally:
        tls.stop()


@pytest.mark.parametrize('name', [pytest.param(name, id=name, marks=pytest.mark.reliability(
    group='tls', description=case[0], expectation=case[1])) for name, case in CASES.items()])
def test_tls(name, tls_run, case_detail):
    run, states, writes = tls_run
    _description, _expectation, server, _options, _environment, succeeds, expect = CASES[name]
    record = run.record(name)
    result = record['result']
    message = result.get('msg', '')
    case_detail.append(message[:300])
    stored = [c['name'] for c in states[server]['certificates']]
    if succeeds:
        assert record['status'] == 'ok', message
        assert name in stored, 'the certificate is not on the server'
        warned = [w for w in result.get('warnings', []) if 'validate_certs is false' in w]
        if 'validate-certs-false' in name:
            assert warned, 'no warning: %s' % result.get('warnings')
            case_detail.append('warning: %s' % warned[0])
        else:
            assert not warned, warned
    else:
        assert record['status'] == 'failed', message
        missing = [e for e in expect if e not in message]
        assert not missing, 'message lacks %s: %s' % (missing, message)
        assert name not in stored and not [w for w in writes[server] if name in w['path']]
