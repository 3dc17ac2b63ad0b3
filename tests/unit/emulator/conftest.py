# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Helpers of the emulator's own tests: an HTTP helper bound to the emulator, and test certificates."""

from __future__ import annotations

import base64

import pytest

requests = pytest.importorskip('requests')
pytest.importorskip('flask')
pytest.importorskip('cryptography')

from apinizer_emulator import testcerts  # noqa: E402 pylint: disable=wrong-import-position

DEFAULT_TOKEN = object()


class Api:
    """Real HTTP calls to the emulator of one test, with the read-write token unless told otherwise."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.url = emulator.url

    def request(self, method, path, token=DEFAULT_TOKEN, **kwargs):
        headers = dict(kwargs.pop('headers', {}))
        if token is DEFAULT_TOKEN:
            token = self.emulator.token
        if token is not None:
            headers['Authorization'] = 'Bearer %s' % token
        kwargs.setdefault('timeout', 10)
        return requests.request(method, self.url + path, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.request('GET', path, **kwargs)

    def post(self, path, **kwargs):
        return self.request('POST', path, **kwargs)

    def put(self, path, **kwargs):
        return self.request('PUT', path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request('DELETE', path, **kwargs)

    @staticmethod
    def certificate_form(pem, alias='my-cert-alias', environments='production,staging', description='SSL certificate for API', name=None):
        """The multipart fields of a create (with name) or replace (name None)."""
        fields = {}
        if name is not None:
            fields['certificateName'] = (None, name)
        fields['alias'] = (None, alias)
        fields['certificateDescription'] = (None, description)
        fields['environmentList'] = (None, environments)
        fields['pemEncodedFile'] = ('certificate.pem', pem, 'application/x-pem-file')
        return fields

    def create_certificate(self, name, pem, project='demo', token=DEFAULT_TOKEN, **form):
        return self.post('/apiops/projects/%s/certificates/' % project, files=self.certificate_form(pem, name=name, **form), token=token)

    def replace_certificate(self, path_name, pem, project='demo', params=None, **form):
        return self.put('/apiops/projects/%s/certificates/%s/' % (project, path_name), files=self.certificate_form(pem, **form),
                        params=params)

    def create_key(self, name, environments, key_type='SECRET_KEY', description='Key for API encryption', project='demo',
                   token=DEFAULT_TOKEN):
        """``environments``: ``{environment: (content bytes, alias)}``."""
        body = {'name': name, 'description': description, 'keyType': key_type, 'cryptoKeyInfoEnvironmentList': [
            {'environmentName': environment, 'content': base64.b64encode(content).decode('ascii'), 'alias': alias}
            for environment, (content, alias) in environments.items()]}
        return self.post('/apiops/projects/%s/keys/' % project, json=body, token=token)

    @staticmethod
    def expect_error(response, status, error, description=None):
        assert response.status_code == status, response.text
        body = response.json()
        assert body['error'] == error, body
        if description is not None:
            assert body['error_description'] == description, body
        return body

    @staticmethod
    def expect_deployed(response, environments, undeploy=False):
        assert response.status_code == 200, response.text
        body = response.json()
        word = 'Undeploy' if undeploy else 'Deploy'
        assert body == {'success': True, 'deploymentResult': {
            'success': True, 'message': '%sment completed successfully' % word,
            'environmentResults': [{'environmentName': name, 'success': True, 'message': '%sed successfully' % word}
                                   for name in environments]}}
        return body


@pytest.fixture
def api(apinizer_emulator):
    return Api(apinizer_emulator)


@pytest.fixture(scope='session')
def ca():
    return testcerts.make_ca()


@pytest.fixture(scope='session')
def example_cert(ca):
    """``CN=example.com, O=Example Inc, C=US`` signed by the test CA."""
    return testcerts.make_certificate('example.com', organization='Example Inc', country='US', issuer=ca)


@pytest.fixture(scope='session')
def other_cert(ca):
    return testcerts.make_certificate('other.example.com', organization='Example Inc', country='US', issuer=ca)
