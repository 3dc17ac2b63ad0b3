# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""JWKs over real HTTP: generate, the five parse endpoints and create, list, get, update, delete; what comes back
(no material in lists and answers, all of it in a GET); how JWKs follow a write of their certificate, key or keystore;
the variants jwk_request and jwk_action_paths; auth, faults and the request log."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import threading
import time

import pytest

from apinizer_emulator import testcerts
from apinizer_emulator.jwk import from_key

JWKS = '/apiops/projects/demo/jwks/'
KEYSTORES = '/apiops/projects/demo/keystores/'
KEYS = '/apiops/projects/demo/keys/'
ENVIRONMENTS = ['production', 'staging', 'development']
PASSWORD = 'keystore-password-0e4c7b21d9'
PRIVATE_MEMBERS = {'RSA': {'d', 'p', 'q'}, 'EC': {'d'}, 'OKP': {'d'}, 'OCT': {'k'}}


def _b64(data):
    return base64.b64encode(data).decode('ascii')


def _state_jwks(api):
    return {item['name']: item for item in api.emulator.control.state()['projects']['demo']['jwks']}


def _state_ids(api, resource):
    return {item['name']: item['id'] for item in api.emulator.control.state()['projects']['demo'][resource]}


def _get(api, name):
    response = api.get(JWKS + name + '/')
    assert response.status_code == 200, response.text
    [item] = response.json()['resultList']
    return item


def _public(material):
    return {name: value for name, value in material.items() if name not in ('d', 'p', 'q')}


def generate_body(name='generated-rsa-jwk', jwk_type='RSA', kid=None, **options):
    defaults = {'RSA': {'keySize': 2048}, 'EC': {'curveType': 'P256'}, 'OCT': {'keySize': 256}, 'OKP': {'curveType': 'ED25519'}}
    body = {'name': name, 'description': 'Auto-generated JWK', 'type': jwk_type,
            jwk_type.lower(): dict(defaults[jwk_type], **options)}
    if kid is not None:
        body['kid'] = kid
    return body


def from_certificate_body(name='cert-jwk', certificate='my-certificate', environment='production', use='SIGNATURE',
                          algorithm='RS256'):
    return {'name': name, 'description': 'JWK from certificate', 'certificateName': certificate,
            'environmentName': environment, 'useType': use, 'algorithm': algorithm}


def from_keystore_body(name='keystore-jwk', alias='my-alias', environment='production', algorithm='RS256'):
    return {'name': name, 'description': 'JWK from keystore', 'keyStoreName': 'my-keystore', 'environmentName': environment,
            'aliasName': alias, 'useType': 'SIGNATURE', 'algorithm': algorithm}


def from_key_body(name='key-jwk', key='my-key', environment='production', algorithm='RS256'):
    return {'name': name, 'keyName': key, 'environmentName': environment, 'useType': 'SIGNATURE', 'algorithm': algorithm}


@pytest.fixture(scope='module')
def rsa_cert(ca):
    return testcerts.make_certificate('jwk.example.com', issuer=ca, key=testcerts.cached_key('rsa', 40))


@pytest.fixture(scope='module')
def rsa_cert_2(ca):
    return testcerts.make_certificate('jwk2.example.com', issuer=ca, key=testcerts.cached_key('rsa', 41))


@pytest.fixture(scope='module')
def ec_cert(ca):
    return testcerts.make_certificate('ec.example.com', issuer=ca, key_kind='ec')


def _cert(api, certificate, name='my-certificate', environments='production,staging', params=None, replace=False):
    alias = name + '-alias'
    if replace:
        response = api.replace_certificate(name, certificate.cert_pem, environments=environments, params=params, alias=alias)
    else:
        response = api.create_certificate(name, certificate.cert_pem, environments=environments, alias=alias)
    assert response.status_code == 200, response.text


def _keystore(api, data, environments=('production',), keystore_type='PKCS12', password=PASSWORD, method='POST', params=None):
    body = {'name': 'my-keystore', 'description': '', 'keyStoreEnvironmentList': [
        {'environmentName': environment, 'file': _b64(data), 'password': password, 'keyStoreType': keystore_type}
        for environment in environments]}
    path = KEYSTORES if method == 'POST' else KEYSTORES + 'my-keystore/'
    response = api.request(method, path, json=body, params=params)
    assert response.status_code == 200, response.text


def _expect_jwk_deployed(api, response):
    body = api.expect_deployed(response, ENVIRONMENTS)
    assert 'rsa' not in json.dumps(body) and '"n"' not in json.dumps(body)


# ---- generate ------------------------------------------------------------------------------------------------------

def test_generate_answers_the_report_and_the_get_holds_the_material(api):
    response = api.post(JWKS + 'generate', json=generate_body(kid='rsa-key-1', keyUseType='SIGNATURE', algorithm='RSA256'))
    _expect_jwk_deployed(api, response)
    project_id = api.emulator.control.state()['projects']['demo']['id']
    listed = api.get(JWKS).json()
    assert listed == {'success': True, 'resultList': [{
        'name': 'generated-rsa-jwk', 'description': 'Auto-generated JWK', 'projectId': project_id, 'sourceType': 'GENERATE',
        'sourceId': None, 'sourceUrl': None, 'type': 'RSA', 'kid': 'rsa-key-1'}]}
    got = _get(api, 'generated-rsa-jwk')
    assert set(got) == set(listed['resultList'][0]) | {'rsa'}
    assert set(got['rsa']) == {'n', 'e', 'd', 'p', 'q'} and got['rsa']['e'] == 'AQAB'
    modulus = base64.urlsafe_b64decode(got['rsa']['n'] + '==')
    assert len(modulus) == 256 and '=' not in got['rsa']['n']
    # What no response carries is stored only.
    options = _state_jwks(api)['generated-rsa-jwk']['options']
    assert options['use'] == 'SIGNATURE' and options['algorithm'] == 'RSA256' and options['size'] == 2048
    assert 'RSA256' not in api.get(JWKS + 'generated-rsa-jwk/').text


@pytest.mark.parametrize('jwk_type, options, member, expected', [
    ('EC', {'curveType': 'P384'}, 'crv', 'P-384'),
    ('EC', {'curveType': 'SECP256K1', 'algorithm': 'ES256K'}, 'crv', 'secp256k1'),
    ('OKP', {'curveType': 'X25519', 'keyUseType': 'ENCRYPTION', 'algorithm': 'ECDH_ES_A128KW'}, 'crv', 'X25519'),
    ('OKP', {'curveType': 'ED25519', 'algorithm': 'EdDSA'}, 'crv', 'Ed25519'),
])
def test_generate_each_curve(api, jwk_type, options, member, expected):
    assert api.post(JWKS + 'generate', json=generate_body('k', jwk_type, **options)).status_code == 200
    got = _get(api, 'k')
    assert got['type'] == jwk_type and got[jwk_type.lower()][member] == expected and 'd' in got[jwk_type.lower()]


@pytest.mark.parametrize('size', [128, 192, 256])
def test_generate_oct_sizes(api, size):
    assert api.post(JWKS + 'generate', json=generate_body('k', 'OCT', keySize=size, algorithm='HS256')).status_code == 200
    octet = _get(api, 'k')['oct']
    assert set(octet) == {'k'} and len(base64.urlsafe_b64decode(octet['k'] + '==')) == size // 8


def test_generate_key_id_types(api):
    for name, key_id_type in (('t', 'TIMESTAMP'), ('s256', 'SHA256'), ('s1', 'SHA1'), ('iso', 'ISO_DATE'), ('none', 'NONE')):
        assert api.post(JWKS + 'generate', json=generate_body(name, 'EC', keyIdType=key_id_type)).status_code == 200
    assert re.fullmatch(r'\d{13}', _get(api, 't')['kid'])
    assert re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z', _get(api, 'iso')['kid'])
    assert _get(api, 'none')['kid'] is None
    ec_members = _get(api, 's256')['ec']
    canonical = json.dumps({'crv': ec_members['crv'], 'kty': 'EC', 'x': ec_members['x'], 'y': ec_members['y']},
                           sort_keys=True, separators=(',', ':')).encode('ascii')
    assert _get(api, 's256')['kid'] == base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b'=').decode('ascii')
    assert len(_get(api, 's1')['kid']) == 27  # 20 bytes, base64url without padding
    # A given kid wins over keyIdType.
    assert api.post(JWKS + 'generate', json=generate_body('given', 'EC', kid='mine', keyIdType='NONE')).status_code == 200
    assert _get(api, 'given')['kid'] == 'mine'


@pytest.mark.parametrize('body, description', [
    ({'type': 'RSA', 'rsa': {'keySize': 2048}}, 'JWK name can not be empty!'),
    ({'name': 'k', 'rsa': {'keySize': 2048}}, 'JWK type can not be empty!'),
    ({'name': 'k', 'type': 'DSA'}, 'type value (DSA) is not valid!'),
    ({'name': 'k', 'type': 'RSA'}, 'rsa value can not be empty!'),
    ({'name': 'k', 'type': 'EC', 'ec': {}}, 'curveType value can not be empty!'),
    ({'name': 'k', 'type': 'RSA', 'rsa': {'keySize': 1024}}, 'keySize value (1024) is not valid!'),
    ({'name': 'k', 'type': 'OKP', 'okp': {'curveType': 'ED448'}}, 'curveType value (ED448) is not valid!'),
    ({'name': 'k', 'type': 'OKP', 'okp': {'curveType': ['ED25519']}}, "curveType value (['ED25519']) is not valid!"),
    ({'name': 'k', 'type': 'EC', 'ec': {'crv': 'P-256'}}, 'curveType value can not be empty!'),
    ({'name': 'k', 'type': 'RSA', 'rsa': {'keySize': 2048, 'algorithm': 'RS256'}},
     'Algorithm (RS256) is not valid for RSA SIGNATURE keys!'),
    ({'name': 'k', 'type': 'RSA', 'rsa': {'keySize': 2048, 'keyUseType': 'ENCRYPTION', 'algorithm': 'PS256'}},
     'Algorithm (PS256) is not valid for RSA ENCRYPTION keys!'),
    ({'name': 'k', 'type': 'RSA', 'rsa': {'keySize': 2048, 'keyUseType': 'SIGN'}}, 'keyUseType value (SIGN) is not valid!'),
    ({'name': 'k', 'type': 'EC', 'ec': {'curveType': 'P256', 'keyIdType': 'UUID'}}, 'keyIdType value (UUID) is not valid!'),
    ({'name': 'k', 'type': 'EC', 'ec': {'curveType': 'P256', 'notBeforeTime': 'yesterday'}},
     'notBeforeTime value (yesterday) is not valid!'),
])
def test_generate_refusals(api, body, description):
    api.expect_error(api.post(JWKS + 'generate', json=body), 400, 'bad_request', description)
    assert api.get(JWKS).json()['resultList'] == []


def test_generate_refuses_a_taken_name(api):
    assert api.post(JWKS + 'generate', json=generate_body('generated-jwk', 'EC')).status_code == 200
    api.expect_error(api.post(JWKS + 'generate', json=generate_body('generated-jwk', 'OCT')), 400, 'bad_request',
                     'JWK (name: generated-jwk) is already exist! Try update operation if want to change its value.')


# ---- copy and paste, URL -------------------------------------------------------------------------------------------

def _jwk_text(key, kid=None, private=False):
    material = from_key(key if private else key.public_key())
    members = dict(material.members, kty=material.type)
    if kid:
        members['kid'] = kid
    return members


def test_parse_from_clipboard_keeps_what_the_jwk_holds(api):
    public = _jwk_text(testcerts.cached_key('rsa', 42), kid='pasted')
    response = api.post(JWKS + 'parse-from-clipboard', json={'name': 'pasted', 'jwkStr': json.dumps(public)})
    _expect_jwk_deployed(api, response)
    got = _get(api, 'pasted')
    assert got['sourceType'] == 'COPY_PASTE' and got['kid'] == 'pasted' and got['sourceUrl'] is None
    assert got['rsa'] == {'n': public['n'], 'e': public['e']}
    private = _jwk_text(testcerts.cached_key('ec'), private=True)
    assert api.post(JWKS, json={'name': 'private', 'sourceType': 'COPY_PASTE', 'jwkStr': json.dumps(private)}).status_code == 200
    assert _get(api, 'private')['ec'] == {name: private[name] for name in ('crv', 'x', 'y', 'd')}


def test_a_jwk_set_needs_a_kid_when_it_holds_several_keys(api):
    keys = [_jwk_text(testcerts.cached_key('rsa', 42), kid='one'), _jwk_text(testcerts.cached_key('ec'), kid='two')]
    text = json.dumps({'keys': keys})
    api.expect_error(api.post(JWKS + 'parse-from-clipboard', json={'name': 'set', 'jwkStr': text}), 400, 'bad_request',
                     'kid is required for a JWK Set with more than one key!')
    api.expect_error(api.post(JWKS + 'parse-from-clipboard', json={'name': 'set', 'jwkStr': text, 'kid': 'three'}), 400,
                     'bad_request', 'JWK (kid: three) is not found in the JWK Set!')
    assert api.post(JWKS + 'parse-from-clipboard', json={'name': 'set', 'jwkStr': text, 'kid': 'two'}).status_code == 200
    got = _get(api, 'set')
    assert got['type'] == 'EC' and got['kid'] == 'two' and got['ec']['x'] == keys[1]['x']


@pytest.mark.parametrize('text, reason', [
    ('not json', 'not JSON'),
    ('[1, 2]', 'a JWK is a JSON object'),
    ('{"kty": "DSA"}', 'kty (DSA) is not RSA, EC, oct or OKP'),
    ('{"kty": "RSA", "e": "AQAB"}', 'RSA JWK without n'),
])
def test_parse_from_clipboard_refuses_what_is_no_jwk(api, text, reason):
    body = api.expect_error(api.post(JWKS + 'parse-from-clipboard', json={'name': 'bad', 'jwkStr': text}), 400, 'bad_request')
    assert body['error_description'].startswith('JWK could not be parsed: ' + reason)


class _JwkServer:
    """A JWK Set served on 127.0.0.1, as a URL source."""

    def __init__(self, body, status=200):
        payload, code = body, status

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 pylint: disable=invalid-name
                self.send_response(code)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d/.well-known/jwks.json' % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jwk_server():
    servers = []

    def serve(body, status=200):
        servers.append(_JwkServer(body, status))
        return servers[-1].url

    yield serve
    for server in servers:
        server.close()


def test_parse_from_url_reads_the_url_once(api, jwk_server):
    keys = [_jwk_text(testcerts.cached_key('rsa', 42), kid='key-id-1')]
    url = jwk_server(json.dumps({'keys': keys}).encode('ascii'))
    response = api.post(JWKS + 'parse-from-url', json={'name': 'my-jwk', 'url': url, 'description': 'JWK for API authentication'})
    _expect_jwk_deployed(api, response)
    [listed] = api.get(JWKS).json()['resultList']
    assert (listed['sourceType'], listed['sourceUrl'], listed['sourceId'], listed['kid']) == ('URL', url, None, 'key-id-1')
    assert _get(api, 'my-jwk')['rsa'] == {'n': keys[0]['n'], 'e': 'AQAB'}
    assert _state_jwks(api)['my-jwk']['options']['urlOptionSizeLimit'] == 1048576


def test_parse_from_url_refusals(api, jwk_server):
    api.expect_error(api.post(JWKS + 'parse-from-url', json={'name': 'u'}), 400, 'bad_request', 'URL is required for URL source type!')
    api.expect_error(api.post(JWKS, json={'name': 'u', 'sourceType': 'URL'}), 400, 'bad_request', 'URL is required for URL source type!')
    remote = 'https://example.com/.well-known/jwks.json'
    api.expect_error(api.post(JWKS + 'parse-from-url', json={'name': 'u', 'url': remote}), 400, 'bad_request',
                     'JWK could not be read from URL (%s): the emulator reads URLs on this machine only (127.0.0.1, ::1, '
                     'localhost)' % remote)
    missing = jwk_server(b'{"error": "nothing here"}', status=404)
    api.expect_error(api.post(JWKS + 'parse-from-url', json={'name': 'u', 'url': missing}), 400, 'bad_request',
                     'JWK could not be read from URL (%s): HTTP status 404' % missing)
    big = jwk_server(json.dumps({'keys': [_jwk_text(testcerts.cached_key('rsa', 42))]}).encode('ascii'))
    api.expect_error(api.post(JWKS + 'parse-from-url', json={'name': 'u', 'url': big, 'urlOptionSizeLimit': 10}), 400,
                     'bad_request', 'JWK could not be read from URL (%s): the answer is larger than urlOptionSizeLimit (10 bytes)' % big)
    api.expect_error(api.post(JWKS + 'parse-from-url', json={'name': 'u', 'url': big, 'urlOptionReadTimeout': 0}), 400,
                     'bad_request', 'urlOptionReadTimeout value (0) is not valid!')
    assert api.get(JWKS).json()['resultList'] == []


def test_a_url_may_be_the_emulators_own(api):
    """The URL is read outside the store's lock: a request to the emulator itself does not wait for it."""
    url = api.url + '/_emulator/health'
    started = time.monotonic()
    api.expect_error(api.post(JWKS + 'parse-from-url', json={'name': 'u', 'url': url, 'urlOptionReadTimeout': 3000}), 400,
                     'bad_request', 'JWK could not be read from URL (%s): kty (None) is not RSA, EC, oct or OKP' % url)
    assert time.monotonic() - started < 3


# ---- certificates, keys, keystores -------------------------------------------------------------------------------

def test_parse_from_certificate_holds_the_public_key_only(api, rsa_cert, ec_cert):
    _cert(api, rsa_cert)
    _expect_jwk_deployed(api, api.post(JWKS + 'parse-from-certificate', json=from_certificate_body()))
    got = _get(api, 'cert-jwk')
    assert got['sourceType'] == 'CERTIFICATE' and got['kid'] is None and got['sourceUrl'] is None
    assert got['sourceId'] == _state_ids(api, 'certificates')['my-certificate']
    assert got['rsa'] == from_key(rsa_cert.key.public_key()).members
    _cert(api, ec_cert, name='ec-certificate')
    body = dict(from_certificate_body('ec-jwk', 'ec-certificate', algorithm='ES256'), sourceType='CERTIFICATE')
    assert api.post(JWKS, json=body).status_code == 200
    assert set(_get(api, 'ec-jwk')['ec']) == {'crv', 'x', 'y'}


@pytest.mark.parametrize('change, description', [
    ({'name': ''}, 'JWK name can not be empty!'),
    ({'certificateName': None}, 'certificateName is required for CERTIFICATE source type!'),
    ({'environmentName': None}, 'environmentName is required for CERTIFICATE source type!'),
    ({'useType': None}, 'useType is required for CERTIFICATE source type!'),
    ({'algorithm': None}, 'algorithm is required for CERTIFICATE source type!'),
    ({'useType': 'SIGN'}, 'useType value (SIGN) is not valid!'),
    ({'certificateName': 'nothing'}, 'Certificate (name: nothing) is not found!'),
    ({'environmentName': 'qa'}, 'Environment (name: qa) is not found!'),
    ({'environmentName': 'development'}, 'Certificate (name: my-certificate) is not deployed to environment (development)!'),
    ({'algorithm': 'RSA'}, 'Algorithm (RSA) is not valid for RSA SIGNATURE keys!'),
    ({'algorithm': 'ES256'}, 'Algorithm (ES256) is not valid for RSA SIGNATURE keys!'),
    ({'useType': 'ENCRYPTION'}, 'Algorithm (RS256) is not valid for RSA ENCRYPTION keys!'),
])
def test_parse_from_certificate_refusals(api, rsa_cert, change, description):
    _cert(api, rsa_cert)
    body = {name: value for name, value in dict(from_certificate_body(), **change).items() if value is not None}
    api.expect_error(api.post(JWKS + 'parse-from-certificate', json=body), 400, 'bad_request', description)
    assert api.get(JWKS).json()['resultList'] == []


@pytest.mark.parametrize('apinizer_emulator_variant', [{'not_found_status': 404}])
def test_a_missing_source_certificate_stays_the_documented_400(api):
    api.expect_error(api.post(JWKS + 'parse-from-certificate', json=from_certificate_body()), 400, 'bad_request',
                     'Certificate (name: my-certificate) is not found!')


def test_create_refusals(api):
    api.expect_error(api.post(JWKS, json={'name': 'x'}), 400, 'bad_request', 'Source type is required!')
    api.expect_error(api.post(JWKS, json={'name': 'x', 'sourceType': 'GENERATE'}), 400, 'bad_request',
                     'Source type GENERATE is not supported here, use the generate endpoint!')
    api.expect_error(api.post(JWKS, json={'name': 'x', 'sourceType': 'COPY_PASTE'}), 400, 'bad_request',
                     'jwkStr is required for COPY_PASTE source type!')
    api.expect_error(api.post(JWKS, json={'name': 'x', 'sourceType': 'PUBLIC_KEY'}), 400, 'bad_request',
                     'keyName is required for PUBLIC_KEY source type!')
    api.expect_error(api.post(JWKS, json={'sourceType': 'URL'}), 400, 'bad_request', 'JWK name can not be empty!')
    api.expect_error(api.post(JWKS, data='x', headers={'Content-Type': 'text/plain'}), 415, 'unsupported_media_type')


def test_parse_from_key_takes_the_key_type(api):
    private = testcerts.cached_key('rsa', 43)
    assert api.create_key('my-key', {'production': (testcerts.private_key_text(private).encode('ascii'), None)},
                          key_type='PRIVATE_KEY').status_code == 200
    assert api.create_key('public', {'production': (testcerts.public_key_text(private).encode('ascii'), None)},
                          key_type='PUBLIC_KEY').status_code == 200
    assert api.create_key('secret', {'production': (b'0123456789abcdef', None)}).status_code == 200
    _expect_jwk_deployed(api, api.post(JWKS + 'parse-from-key', json=from_key_body()))
    got = _get(api, 'key-jwk')
    assert got['sourceType'] == 'PRIVATE_KEY' and got['rsa'] == from_key(private).members
    assert got['sourceId'] == _state_ids(api, 'keys')['my-key']
    assert api.post(JWKS + 'parse-from-key', json=from_key_body('public-jwk', 'public')).status_code == 200
    got = _get(api, 'public-jwk')
    assert got['sourceType'] == 'PUBLIC_KEY' and set(got['rsa']) == {'n', 'e'}
    api.expect_error(api.post(JWKS + 'parse-from-key', json=from_key_body('s', 'secret')), 400, 'bad_request',
                     'Key (name: secret) is not a public or private key!')
    api.expect_error(api.post(JWKS, json=dict(from_key_body('s', 'public'), sourceType='PRIVATE_KEY')), 400, 'bad_request',
                     'Key (name: public) is not a PRIVATE_KEY!')
    api.expect_error(api.post(JWKS + 'parse-from-key', json=from_key_body('s', 'nothing')), 400, 'bad_request',
                     'Key (name: nothing) is not found!')
    api.expect_error(api.post(JWKS + 'parse-from-key', json=from_key_body('s', environment='staging')), 400, 'bad_request',
                     'Key (name: my-key) is not deployed to environment (staging)!')
    api.expect_error(api.post(JWKS + 'parse-from-key', json={'name': 's'}), 400, 'bad_request',
                     'keyName is required for PUBLIC_KEY or PRIVATE_KEY source type!')


def test_parse_from_keystore_reads_pkcs12_entries(api, rsa_cert, ca):
    _keystore(api, testcerts.pkcs12_keystore(PASSWORD, rsa_cert, alias='my-alias', trusted={'root': ca}))
    _expect_jwk_deployed(api, api.post(JWKS + 'parse-from-keystore', json=from_keystore_body()))
    got = _get(api, 'keystore-jwk')
    assert got['sourceType'] == 'KEYSTORE' and got['rsa'] == from_key(rsa_cert.key).members
    assert got['sourceId'] == _state_ids(api, 'keystores')['my-keystore']
    assert api.post(JWKS, json=dict(from_keystore_body('root-jwk', 'root'), sourceType='KEYSTORE')).status_code == 200
    assert _get(api, 'root-jwk')['rsa'] == from_key(ca.key.public_key()).members
    api.expect_error(api.post(JWKS + 'parse-from-keystore', json=from_keystore_body('x', 'other')), 400, 'bad_request',
                     'Alias (other) is not found in keystore (name: my-keystore)!')
    api.expect_error(api.post(JWKS + 'parse-from-keystore', json=from_keystore_body('x', environment='staging')), 400,
                     'bad_request', 'Keystore (name: my-keystore) is not deployed to environment (staging)!')
    api.expect_error(api.post(JWKS + 'parse-from-keystore', json=dict(from_keystore_body('x'), aliasName='')), 400,
                     'bad_request', 'aliasName is required for KEYSTORE source type!')


def test_parse_from_keystore_cannot_read_jks_or_a_wrong_password(api, rsa_cert, ca):
    _keystore(api, testcerts.jks_keystore(PASSWORD, {'root': ca}), keystore_type='JKS')
    api.expect_error(api.post(JWKS + 'parse-from-keystore', json=from_keystore_body(alias='root')), 400, 'bad_request',
                     'Keystore (name: my-keystore) could not be read: the emulator reads PKCS12 files only, not JKS')
    _keystore(api, testcerts.pkcs12_keystore(PASSWORD, rsa_cert), method='PUT', password='wrong-password')
    api.expect_error(api.post(JWKS + 'parse-from-keystore', json=from_keystore_body()), 400, 'bad_request',
                     'Keystore (name: my-keystore) could not be read: not a PKCS12 file or a wrong password')
    api.expect_error(api.post(JWKS + 'parse-from-keystore', json=dict(from_keystore_body(), keyStoreName='nothing')), 400,
                     'bad_request', 'Keystore (name: nothing) is not found!')


# ---- update, delete, missing -------------------------------------------------------------------------------------

def test_update_renames_changes_the_description_and_detaches(api, rsa_cert):
    _cert(api, rsa_cert)
    assert api.post(JWKS + 'parse-from-certificate', json=from_certificate_body()).status_code == 200
    before = _get(api, 'cert-jwk')
    assert before['sourceId'] is not None
    _expect_jwk_deployed(api, api.put(JWKS + 'cert-jwk/', json={'name': 'updated-jwk', 'description': 'Updated JWK description'}))
    after = _get(api, 'updated-jwk')
    assert after['sourceId'] is None and after['sourceType'] == 'CERTIFICATE' and after['rsa'] == before['rsa']
    assert after['description'] == 'Updated JWK description'
    api.expect_error(api.get(JWKS + 'cert-jwk/'), 400, 'bad_request', 'JWK (name: cert-jwk) is not found!')
    # Nothing but name and description changes.
    assert api.put(JWKS + 'updated-jwk/', json={'kid': 'new', 'type': 'EC'}).status_code == 200
    assert _get(api, 'updated-jwk')['kid'] is None and _get(api, 'updated-jwk')['type'] == 'RSA'


def test_update_detaches_a_url_jwk_and_refuses_with_the_documented_texts(api, jwk_server):
    url = jwk_server(json.dumps(_jwk_text(testcerts.cached_key('ec'))).encode('ascii'))
    assert api.post(JWKS + 'parse-from-url', json={'name': 'my-jwk', 'url': url}).status_code == 200
    assert api.post(JWKS + 'generate', json=generate_body('updated-jwk', 'EC')).status_code == 200
    api.expect_error(api.put(JWKS + 'nothing/', json={}), 400, 'bad_request', 'JWK (name: nothing) is not found! Try create operation.')
    api.expect_error(api.put(JWKS + 'my-jwk/', json={'name': 'updated-jwk'}), 400, 'bad_request', 'JWK (name: updated-jwk) is already exist!')
    assert api.put(JWKS + 'my-jwk/', json={}).status_code == 200
    got = _get(api, 'my-jwk')
    assert got['sourceUrl'] is None and got['sourceType'] == 'URL'


def test_delete_undeploys_everywhere(api):
    assert api.post(JWKS + 'generate', json=generate_body('k', 'OCT')).status_code == 200
    api.expect_deployed(api.delete(JWKS + 'k/'), ENVIRONMENTS, undeploy=True)
    api.expect_error(api.delete(JWKS + 'k/'), 400, 'bad_request', 'JWK (name: k) is not found!')
    assert api.get(JWKS).json()['resultList'] == []


# ---- how JWKs follow their sources -------------------------------------------------------------------------------

def test_a_certificate_replace_nullifies_by_default(api, rsa_cert, rsa_cert_2):
    _cert(api, rsa_cert)
    assert api.post(JWKS + 'parse-from-certificate', json=from_certificate_body()).status_code == 200
    _cert(api, rsa_cert_2, replace=True)
    got = _get(api, 'cert-jwk')
    assert got['sourceId'] is None and got['rsa'] == from_key(rsa_cert.key.public_key()).members


@pytest.mark.parametrize('apinizer_emulator_variant, params', [
    ({}, {'jwkUpdateAction': 'UPDATE', 'updateScope': 'SAME_PROJECT'}),
    ({}, {'jwkUpdateAction': 'UPDATE', 'updateScope': 'ALL_PROJECTS'}),
    ({'jwk_query': 'older'}, {'updateReferencedJwks': 'true', 'updateScope': 'SAME_PROJECT'}),
], ids=['newer', 'newer-all-projects', 'older'])
def test_a_certificate_replace_with_update_reparses(api, rsa_cert, rsa_cert_2, params):
    _cert(api, rsa_cert)
    assert api.post(JWKS + 'parse-from-certificate', json=from_certificate_body()).status_code == 200
    old_id = _state_ids(api, 'certificates')['my-certificate']
    _cert(api, rsa_cert_2, replace=True, params=params)
    got = _get(api, 'cert-jwk')
    assert got['rsa'] == from_key(rsa_cert_2.key.public_key()).members
    assert got['sourceId'] == _state_ids(api, 'certificates')['my-certificate'] != old_id, 'a replace makes a new certificate'


@pytest.mark.parametrize('apinizer_emulator_variant, params', [
    ({'jwk_query': 'older'}, {'updateReferencedJwks': 'false'}),
    ({'jwk_query': 'older'}, {'jwkUpdateAction': 'UPDATE'}),
    ({'jwk_query': 'oldest'}, {'jwkUpdateAction': 'UPDATE', 'updateReferencedJwks': 'true'}),
], ids=['older-false', 'older-ignores-newer', 'oldest'])
def test_other_queries_nullify(api, rsa_cert, rsa_cert_2, params):
    _cert(api, rsa_cert)
    assert api.post(JWKS + 'parse-from-certificate', json=from_certificate_body()).status_code == 200
    _cert(api, rsa_cert_2, replace=True, params=params)
    got = _get(api, 'cert-jwk')
    assert got['sourceId'] is None and got['rsa'] == from_key(rsa_cert.key.public_key()).members


def test_update_nullifies_a_jwk_whose_environment_or_algorithm_is_gone(api, rsa_cert, ec_cert):
    _cert(api, rsa_cert)
    assert api.post(JWKS + 'parse-from-certificate', json=from_certificate_body(environment='staging')).status_code == 200
    assert api.post(JWKS + 'parse-from-certificate', json=from_certificate_body('prod-jwk')).status_code == 200
    update = {'jwkUpdateAction': 'UPDATE'}
    _cert(api, ec_cert, replace=True, environments='production', params=update)
    jwks = {item['name']: item for item in api.get(JWKS).json()['resultList']}
    assert jwks['cert-jwk']['sourceId'] is None, 'staging left the certificate'
    assert jwks['prod-jwk']['sourceId'] is None, 'RS256 does not fit the new EC key'
    assert jwks['prod-jwk']['type'] == 'RSA'


def test_a_failed_replace_and_a_delete_nullify(api, rsa_cert, rsa_cert_2):
    _cert(api, rsa_cert)
    assert api.post(JWKS + 'parse-from-certificate', json=from_certificate_body()).status_code == 200
    api.emulator.control.add_fault('replace_create_fails')
    response = api.replace_certificate('my-certificate', rsa_cert_2.cert_pem, params={'jwkUpdateAction': 'UPDATE'},
                                       alias='my-certificate-alias')
    assert response.status_code == 500
    assert _get(api, 'cert-jwk')['sourceId'] is None
    _cert(api, rsa_cert, name='second')
    assert api.post(JWKS + 'parse-from-certificate', json=from_certificate_body('second-jwk', 'second')).status_code == 200
    assert api.delete('/apiops/projects/demo/certificates/second/').status_code == 200
    got = _get(api, 'second-jwk')
    assert got['sourceId'] is None and got['rsa'] == from_key(rsa_cert.key.public_key()).members


def test_a_key_update_follows_the_action_even_for_a_description(api):
    first, second = testcerts.cached_key('rsa', 43), testcerts.cached_key('rsa', 44)
    assert api.create_key('my-key', {'production': (testcerts.private_key_text(first).encode('ascii'), None)},
                          key_type='PRIVATE_KEY').status_code == 200
    assert api.post(JWKS + 'parse-from-key', json=from_key_body()).status_code == 200
    key_id = _state_ids(api, 'keys')['my-key']
    content = _b64(testcerts.private_key_text(second).encode('ascii'))
    body = {'cryptoKeyInfoEnvironmentList': [{'environmentName': 'production', 'content': content}]}
    assert api.put(KEYS + 'my-key/', json=body, params={'jwkUpdateAction': 'UPDATE'}).status_code == 200
    got = _get(api, 'key-jwk')
    assert got['rsa'] == from_key(second).members and got['sourceId'] == key_id, 'an updated key is the same object'
    assert api.put(KEYS + 'my-key/', json={'description': 'only this'}).status_code == 200
    got = _get(api, 'key-jwk')
    assert got['sourceId'] is None and got['rsa'] == from_key(second).members
    assert api.post(JWKS + 'parse-from-key', json=from_key_body('again')).status_code == 200
    assert api.delete(KEYS + 'my-key/').status_code == 200
    assert _get(api, 'again')['sourceId'] is None


def test_a_key_whose_type_changed_is_not_followed(api):
    private = testcerts.cached_key('rsa', 43)
    assert api.create_key('my-key', {'production': (testcerts.private_key_text(private).encode('ascii'), None)},
                          key_type='PRIVATE_KEY').status_code == 200
    assert api.post(JWKS + 'parse-from-key', json=from_key_body()).status_code == 200
    for key_type in ('PUBLIC_KEY', 'SECRET_KEY'):
        assert api.put(KEYS + 'my-key/', json={'keyType': key_type}, params={'jwkUpdateAction': 'UPDATE'}).status_code == 200
    got = _get(api, 'key-jwk')
    assert got['sourceId'] is None and got['sourceType'] == 'PRIVATE_KEY' and got['rsa'] == from_key(private).members
    # A parse from a key whose content no longer fits its keyType.
    assert api.put(KEYS + 'my-key/', json={'keyType': 'PUBLIC_KEY'}).status_code == 200
    api.expect_error(api.post(JWKS + 'parse-from-key', json=from_key_body('again')), 400, 'bad_request',
                     'Key (name: my-key) could not be read: not a PEM PUBLIC_KEY')


def test_a_keystore_update_follows_the_action(api, rsa_cert, rsa_cert_2):
    _keystore(api, testcerts.pkcs12_keystore(PASSWORD, rsa_cert))
    assert api.post(JWKS + 'parse-from-keystore', json=from_keystore_body()).status_code == 200
    keystore_id = _state_ids(api, 'keystores')['my-keystore']
    _keystore(api, testcerts.pkcs12_keystore(PASSWORD, rsa_cert_2), method='PUT', params={'jwkUpdateAction': 'UPDATE'})
    got = _get(api, 'keystore-jwk')
    assert got['rsa'] == from_key(rsa_cert_2.key).members and got['sourceId'] == keystore_id
    _keystore(api, testcerts.pkcs12_keystore(PASSWORD, rsa_cert_2, alias='renamed'), method='PUT',
              params={'jwkUpdateAction': 'UPDATE'})
    got = _get(api, 'keystore-jwk')
    assert got['sourceId'] is None and got['rsa'] == from_key(rsa_cert_2.key).members, 'the alias is gone'
    assert api.post(JWKS + 'parse-from-keystore', json=from_keystore_body('again', 'renamed')).status_code == 200
    assert api.delete(KEYSTORES + 'my-keystore/').status_code == 200
    assert _get(api, 'again')['sourceId'] is None


# ---- variants ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('action, body', [
    ('generate', generate_body('k', 'EC')),
    ('parse-from-clipboard', {'name': 'k', 'jwkStr': json.dumps({'kty': 'oct', 'k': 'AAAA'})}),
])
def test_action_paths_answer_with_and_without_the_slash_by_default(api, action, body):
    assert api.post(JWKS + action + '/', json=body).status_code == 200
    assert api.post(JWKS + action, json=dict(body, name='k2')).status_code == 200
    assert [item['name'] for item in api.get(JWKS).json()['resultList']] == ['k', 'k2']


@pytest.mark.parametrize('apinizer_emulator_variant', ['strict', {'jwk_action_paths': 'documented'}])
def test_documented_action_paths_have_no_slash(api):
    body = generate_body('k', 'EC')
    response = api.post(JWKS + 'generate/', json=body)
    api.expect_error(response, 405, 'method_not_allowed')
    assert response.headers['Allow'] == 'GET, PUT, DELETE'
    assert api.post(JWKS + 'generate', json=body).status_code == 200


def test_a_jwk_named_like_an_action_is_reachable(api):
    assert api.post(JWKS + 'generate', json=generate_body('generate', 'EC')).status_code == 200
    assert _get(api, 'generate')['type'] == 'EC'
    assert api.delete(JWKS + 'generate/').status_code == 200
    api.expect_error(api.get(JWKS + 'generate'), 405, 'method_not_allowed')


@pytest.mark.parametrize('apinizer_emulator_variant', ['strict', {'jwk_request': 'older'}])
def test_older_requests_use_the_older_names(api, rsa_cert):
    _cert(api, rsa_cert)
    environment_id = api.emulator.control.state()['environment_ids']['production']
    older = {'name': 'older', 'certificateName': 'my-certificate', 'environmentId': environment_id, 'useType': 'SIGN',
             'keystoreAlgorithm': 'RSA'}
    assert api.post(JWKS + 'parse-from-certificate', json=older).status_code == 200
    assert _state_jwks(api)['older']['options']['environment'] == 'production'
    assert api.post(JWKS + 'parse-from-certificate', json=dict(older, name='named', keystoreAlgorithm='PS256')).status_code == 200
    api.expect_error(api.post(JWKS + 'parse-from-certificate', json=dict(older, name='x', keystoreAlgorithm='EC')), 400,
                     'bad_request', 'Algorithm (EC) is not valid for RSA SIGNATURE keys!')
    api.expect_error(api.post(JWKS + 'parse-from-certificate', json=from_certificate_body('x')), 400, 'bad_request',
                     'environmentId is required for CERTIFICATE source type!')
    api.expect_error(api.post(JWKS + 'parse-from-certificate', json=dict(older, name='x', useType='SIGNATURE')), 400,
                     'bad_request', 'useType value (SIGNATURE) is not valid!')
    # Generate: no type object at all, then crv; no kid.
    assert api.post(JWKS + 'generate', json={'name': 'bare', 'type': 'RSA', 'kid': 'ignored'}).status_code == 200
    assert len(base64.urlsafe_b64decode(_get(api, 'bare')['rsa']['n'] + '==')) == 256
    assert re.fullmatch(r'\d{13}', _get(api, 'bare')['kid'])
    assert api.post(JWKS + 'generate', json={'name': 'ed448', 'type': 'OKP', 'okp': {'crv': 'Ed448'}}).status_code == 200
    assert _get(api, 'ed448')['okp']['crv'] == 'Ed448'
    # curveType is not read: the older default curve.
    assert api.post(JWKS + 'generate', json={'name': 'p256', 'type': 'EC', 'ec': {'curveType': 'P384'}}).status_code == 200
    assert _get(api, 'p256')['ec']['crv'] == 'P-256'
    api.expect_error(api.post(JWKS + 'generate', json={'name': 'x', 'type': 'EC', 'ec': {'crv': 'P384'}}), 400,
                     'bad_request', 'crv value (P384) is not valid!')


def test_newer_requests_refuse_the_older_names(api, rsa_cert):
    _cert(api, rsa_cert)
    body = dict(from_certificate_body(), useType='SIGN')
    api.expect_error(api.post(JWKS + 'parse-from-certificate', json=body), 400, 'bad_request', 'useType value (SIGN) is not valid!')
    body = {name: value for name, value in from_certificate_body().items() if name != 'algorithm'}
    body['keystoreAlgorithm'] = 'RS256'
    api.expect_error(api.post(JWKS + 'parse-from-certificate', json=body), 400, 'bad_request',
                     'algorithm is required for CERTIFICATE source type!')


# ---- auth, faults, request log -----------------------------------------------------------------------------------

def test_the_jwk_list_answers_its_documented_bad_token_text(api):
    body = api.expect_error(api.get(JWKS, token='no-such-token'), 401, 'unauthorized_client', 'Invalid token')
    assert body == {'error': 'unauthorized_client', 'error_description': 'Invalid token'}
    api.expect_error(api.get(JWKS, token=None), 401, 'unauthorized_client', 'Invalid token')
    api.expect_error(api.post(JWKS + 'generate', json={}, token=None), 401, 'invalid_token')
    api.expect_error(api.get(JWKS + 'x/', token=None), 401, 'invalid_token')
    api.expect_error(api.get('/apiops/projects//jwks/'), 400, 'bad_request', 'projectName value can not be empty!')


def test_permissions_faults_and_the_request_log_apply(api):
    response = api.post(JWKS + 'generate', json=generate_body('k', 'EC'), token=api.emulator.read_only_token)
    api.expect_error(response, 403, 'forbidden')
    assert api.get(JWKS, token=api.emulator.read_only_token).status_code == 200
    control = api.emulator.control
    control.add_fault('latency', seconds=0.3, method='WRITE', count=None)
    control.add_fault('deploy_failure', environment='development', message='Connection refused to gateway pod')
    started = time.monotonic()
    response = api.post(JWKS + 'generate', json=generate_body('k', 'EC'))
    assert time.monotonic() - started >= 0.3
    report = response.json()['deploymentResult']
    assert report['success'] is False and report['message'] == 'Deployment failed for 1 environment(s)'
    assert _state_jwks(api)['k']['failed_environments'] == ['development']
    refused, write = control.writes()
    assert refused['status'] == 403
    assert (write['method'], write['path'], write['status']) == ('POST', JWKS + 'generate', 200)
    assert sorted(write['faults']) == ['deploy_failure', 'latency']
    started = time.monotonic()
    assert api.get(JWKS + 'k/').status_code == 200
    assert time.monotonic() - started < 0.3


def test_no_private_member_outside_the_get(api):
    assert api.post(JWKS + 'generate', json=generate_body('k', 'RSA')).status_code == 200
    private = _get(api, 'k')['rsa']['d']
    assert private not in api.get(JWKS).text
    assert private not in json.dumps(api.emulator.control.state())
    assert private not in json.dumps(api.emulator.control.requests())
