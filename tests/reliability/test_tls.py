# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TLS to the management API: the emulator served over HTTPS with a throw-away CA -- without and with a required
client certificate, with an expired server certificate, and with one issued for another host. Every case is one
task of one playbook run (REQUESTS_CA_BUNDLE set per task with the environment keyword); each creates its own
certificate, so the servers' state and request logs tell which requests got through."""

from __future__ import annotations

import datetime
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
        now = datetime.datetime.now(datetime.timezone.utc)
        expired = testcerts.make_server_certificate(ca, not_before=now - datetime.timedelta(days=40),
                                                    not_after=now - datetime.timedelta(days=10)).write(directory, 'expired')
        # Issued for localhost only: https://127.0.0.1 does not match it.
        elsewhere = testcerts.make_certificate('localhost', issuer=ca, dns_names=['localhost'], days=30).write(
            directory, 'localhost-only')
        self.servers = dict(
            tls=EmulatorServer(tokens=[self.token], tls_cert=self.server_cert, tls_key=self.server_key),
            mtls=EmulatorServer(tokens=[self.token], tls_cert=self.server_cert, tls_key=self.server_key,
                                tls_client_ca=self.ca_path),
            expired=EmulatorServer(tokens=[self.token], tls_cert=expired[0], tls_key=expired[1]),
            wrong_host=EmulatorServer(tokens=[self.token], tls_cert=elsewhere[0], tls_key=elsewhere[1]))
        for server in self.servers.values():
            server.start()
        # The control surface is reached without verification where the server's certificate is the fault under test.
        self.controls = dict(
            tls=EmulatorControl(self.servers['tls'].url, verify=self.ca_path),
            mtls=EmulatorControl(self.servers['mtls'].url, verify=self.ca_path, cert=(self.client_cert, self.client_key)),
            expired=EmulatorControl(self.servers['expired'].url, verify=False),
            wrong_host=EmulatorControl(self.servers['wrong_host'].url, verify=False))

    def stop(self):
        for server in self.servers.values():
            server.stop()


INSECURE = 'validate_certs=false (APINIZER_VALIDATE_CERTS) would skip the check, which is insecure.'
# The exact message of a refused server certificate; {url} is the server's, {name} the case's.
REFUSED = 'The TLS handshake with {url} failed on GET /apiops/projects/demo/certificates/{name}/: '

# name: (description, expectation, server (tls|mtls|expired|wrong_host), connection options, task environment,
#        succeeds, message fragments -- or, as a str, the exact message)
CASES = {
    'tls-default-validation-refuses': (
        'default validate_certs against a server whose certificate a private CA signed (REQUESTS_CA_BUNDLE = the '
        'system bundle)', 'fails saying the server\'s certificate is not signed by a CA this host trusts, and to set '
        'ca_path; nothing written', 'tls', {}, {'REQUESTS_CA_BUNDLE': SYSTEM_BUNDLE}, False,
        REFUSED + "the server's certificate is not signed by a CA this host trusts (certificate verify failed: unable "
        "to get local issuer certificate). Set ca_path (APINIZER_CA_PATH) to the CA that signed it."),
    'tls-expired-server-certificate': (
        'a server whose certificate (signed by the CA in ca_path) expired ten days ago',
        'fails saying the server\'s certificate has expired, to renew it on the server, that ca_path cannot help and '
        'that validate_certs=false would skip the check; no request reaches the server', 'expired', {'ca_path': 'CA'},
        {}, False,
        REFUSED + "the server's certificate has expired (certificate verify failed: certificate has expired). Renew "
        "the certificate of the management API on the server; ca_path cannot help, and " + INSECURE),
    'tls-hostname-mismatch': (
        'url https://127.0.0.1:<port> to a server whose certificate (signed by the CA in ca_path) is issued for '
        'localhost only', 'fails saying the certificate is not valid for host 127.0.0.1, that it holds localhost, '
        'and to set url to a name it holds; no request reaches the server', 'wrong_host', {'ca_path': 'CA'}, {}, False,
        REFUSED + "the server's certificate is not valid for host 127.0.0.1 -- it holds localhost (certificate verify "
        "failed: IP address mismatch, certificate is not valid for '127.0.0.1'.). Set url (APINIZER_URL) to a host "
        "name the certificate holds, or have it issued for 127.0.0.1; ca_path cannot help, and " + INSECURE),
    'tls-ca-path-accepts': (
        'ca_path pointing at the CA that signed the server certificate', 'the certificate is created over HTTPS',
        'tls', {'ca_path': 'CA'}, {}, True, []),
    'tls-validate-certs-false-warns': (
        'validate_certs: false against the same server', 'works, and warns that the TLS certificate is not verified',
        'tls', {'validate_certs': False}, {}, True, []),
    'tls-env-bundle-cannot-override-ca-path': (
        'ca_path names another CA while REQUESTS_CA_BUNDLE names the right one',
        'fails: the certificate is not signed by a CA this host trusts (ca_path wins over REQUESTS_CA_BUNDLE); '
        'nothing written', 'tls', {'ca_path': 'OTHER_CA'}, {'REQUESTS_CA_BUNDLE': 'CA'}, False,
        ['The TLS handshake with https://127.0.0.1:', "the server's certificate is not signed by a CA this host "
         "trusts (certificate verify failed: unable to get local issuer certificate)"]),
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
            url = tls.servers[server].url
            args = dict(name=name, certificate=material.cert(material.other), environments=['production'], url=url,
                        token=tls.token, project=PROJECT, timeout=10, retries=0)
            args.update((k, files.get(v, v) if isinstance(v, str) else v) for k, v in options.items())
            entry = task(name, 'apinizer_certificate', args)
            if environment:
                entry['environment'] = dict((k, files.get(v, v)) for k, v in environment.items())
            tasks.append(entry)
        run = ansible.run(play(tasks), name='tls')
        states = dict((server, control.state()['projects'][PROJECT]) for server, control in tls.controls.items())
        logged = dict((server, control.requests()) for server, control in tls.controls.items())
        urls = dict((server, running.url) for server, running in tls.servers.items())
        yield run, states, logged, urls
    finally:
        tls.stop()


@pytest.mark.parametrize('name', [pytest.param(name, id=name, marks=pytest.mark.reliability(
    group='tls', description=case[0], expectation=case[1])) for name, case in CASES.items()])
def test_tls(name, tls_run, case_detail):
    run, states, logged, urls = tls_run
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
        if isinstance(expect, str):
            expected = expect.format(url=urls[server], name=name)
            assert message == expected, '\n%s\n%s' % (message, expected)
        else:
            missing = [e for e in expect if e not in message]
            assert not missing, 'message lacks %s: %s' % (missing, message)
        assert name not in stored
        # A refused handshake: no request of this case reached the server.
        assert not [r for r in logged[server] if name in r['path']], logged[server]
