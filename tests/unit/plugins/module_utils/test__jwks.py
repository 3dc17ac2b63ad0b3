# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json

import pytest

from ansible_collections.apinizer.apiops.plugins.module_utils import _apply, _pem, _server
from ansible_collections.apinizer.apiops.plugins.module_utils import _certificates as certs
from ansible_collections.apinizer.apiops.plugins.module_utils import _jwks as jwks
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError, jwk_action_path, jwk_path
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import FakeClient, report
from apinizer_emulator.testcerts import make_certificate

OLD = make_certificate('old.example.com')
NEW = make_certificate('new.example.com')
OPTIONS = jwks.JwkOptions('demo')
PATH = '/apiops/projects/demo/jwks/j/'
# Long, unique private values: a leak would be found by a plain substring search.
PRIVATE = dict(d='PRIVATE-d-' + 'x' * 40, p='PRIVATE-p-' + 'y' * 40, q='PRIVATE-q-' + 'z' * 40)


def members(issued):
    return _pem.jwk_public_members(issued.key.public_key())[1]


def certificate_on_server(issued):
    return certs.current_certificate({'name': 'c', 'description': '', 'certificateEnvironmentList': [
        {'environmentName': 'production', 'alias': 'c', 'sha1Thumbprint': issued.sha1,
         'base64EncodedContent': base64.b64encode(issued.cert_der).decode('ascii')}]}, complete=True)


def from_certificate(issued=OLD, description=''):
    desired = jwks.desired_jwk('j', 'certificate', description, certificate_name='c', environment='production',
                               algorithm='RS256')
    return jwks.with_certificate(desired, certificate_on_server(issued))


def answer(issued=OLD, source_id='cert-id', description='', source_type='CERTIFICATE', kid=None):
    """A JWK GET answer, private members in clear as the server sends them."""
    return {'name': 'j', 'description': description, 'sourceType': source_type, 'sourceId': source_id,
            'sourceUrl': None, 'type': 'RSA', 'kid': kid, 'rsa': dict(members(issued), **PRIVATE)}


def current(**kwargs):
    return jwks.current_jwk(answer(**kwargs))


def actions(changes):
    return [(c.action, c.request.method if c.request else None) for c in changes]


def test_the_paths_percent_encode_names_and_the_actions_have_no_trailing_slash():
    assert jwk_path('my project', 'a/b') == '/apiops/projects/my%20project/jwks/a%2Fb/'
    assert jwk_path('demo') == '/apiops/projects/demo/jwks/'
    assert jwk_action_path('demo', 'generate') == '/apiops/projects/demo/jwks/generate'
    assert jwk_action_path('demo', 'parse-from-certificate') == '/apiops/projects/demo/jwks/parse-from-certificate'
    with pytest.raises(ValueError):
        jwk_action_path('demo', 'parse-from-anything')


def test_a_get_answer_keeps_only_public_members():
    kept = current()
    assert kept['public'] == members(OLD)
    assert not any(value in json.dumps(kept) for value in PRIVATE.values())
    assert set(jwks.public_fields(kept)['public_members']) == set(['n', 'e'])


def test_a_certificate_jwk_that_matches_is_left_alone():
    assert actions(jwks.plan(from_certificate(), current(), OPTIONS)) == [('none', None)]


def test_a_missing_jwk_is_parsed_from_the_certificate_without_a_trailing_slash():
    (change,) = jwks.plan(from_certificate(), None, OPTIONS)
    assert (change.action, change.request.path) == ('create', '/apiops/projects/demo/jwks/parse-from-certificate')
    assert change.request.body()['json'] == {'name': 'j', 'description': '', 'certificateName': 'c',
                                             'environmentName': 'production', 'useType': 'SIGNATURE',
                                             'algorithm': 'RS256'}
    assert change.after['public_members'] == members(OLD)


@pytest.mark.parametrize('server, field', [
    (dict(issued=NEW), 'public_members'),        # the certificate was rotated without the JWK following
    (dict(source_id=None), 'source_id'),         # jwkUpdateAction=NULLIFY cut it loose
    (dict(description='old'), 'description'),    # a PUT would cut it loose: made again instead
])
def test_a_certificate_jwk_that_differs_is_deleted_then_created_in_one_group(server, field):
    changes = jwks.plan(from_certificate(), current(**server), OPTIONS)
    assert actions(changes) == [('delete', 'DELETE'), ('create', 'POST')]
    assert changes[0].group == changes[1].group == 'jwk:j'
    assert changes[1].depends_on == (('jwk', 'j'),)
    assert field in changes[1].diff['after']
    assert not any(value in json.dumps([c.diff for c in changes]) for value in PRIVATE.values())


def test_a_pasted_jwk_description_change_is_one_put_of_name_and_description():
    pasted = json.dumps(dict(members(OLD), kty='RSA', kid='k1'))
    desired = jwks.desired_jwk('j', 'json', 'new', jwk_json=pasted)
    (change,) = jwks.plan(desired, current(source_type='COPY_PASTE', source_id=None, kid='k1'), OPTIONS)
    assert (change.action, change.request.method, change.request.path) == ('update', 'PUT', PATH)
    assert change.request.body() == {'json': {'name': 'j', 'description': 'new'}}
    assert change.diff == {'before': {'name': 'j', 'description': ''}, 'after': {'name': 'j', 'description': 'new'}}


def test_a_generated_jwk_is_never_generated_again_unless_forced():
    desired = jwks.desired_jwk('j', 'generate', jwk_type='rsa', algorithm='RS256')
    stored = current(source_type='GENERATE', source_id=None, issued=NEW, kid='1700000000000')
    assert actions(jwks.plan(desired, stored, OPTIONS)) == [('none', None)]
    forced = jwks.plan(desired, stored, OPTIONS._replace(force=True))
    assert actions(forced) == [('delete', 'DELETE'), ('create', 'POST')]
    assert forced[1].diff['after']['public_members'] == 'made again'
    assert forced[1].options.force is False


def test_generate_bodies_use_the_generate_spelling_and_both_curve_fields():
    rsa_body = jwks.desired_jwk('j', 'generate', jwk_type='rsa', algorithm='RSA-OAEP-256', use='encryption')['fields']
    assert rsa_body == {'name': 'j', 'description': '', 'type': 'RSA',
                        'rsa': {'keySize': 2048, 'keyUseType': 'ENCRYPTION', 'algorithm': 'RSA_OAEP_256'}}
    ec_body = jwks.desired_jwk('j', 'generate', jwk_type='ec', curve='P-384', kid='k')['fields']
    assert ec_body['ec'] == {'curveType': 'P384', 'crv': 'P-384', 'keyUseType': 'SIGNATURE'}
    assert ec_body['kid'] == 'k'
    assert [jwks.generate_algorithm(a) for a in ('RS512', 'PS256', 'ECDH-ES+A128KW', 'PBES2-HS256+A128KW')] == [
        'RSA512', 'PS256', 'ECDH_ES_A128KW', 'PBES2_HS256_A128KW']


@pytest.mark.parametrize('kwargs, message', [
    (dict(source='certificate', certificate_name='c', environment='production'),
     'algorithm is required with source=certificate.'),
    (dict(source='certificate', certificate_name='c', environment='production', algorithm='HS256', use='encryption'),
     'algorithm: HS256 is not an algorithm for RSA/EC/OKP/OCT encryption keys;'),
    (dict(source='generate'), 'jwk_type is required with source=generate: rsa, ec, oct or okp.'),
    (dict(source='generate', jwk_type='ec', curve='X25519'), 'curve: X25519 is not a curve of ec keys; give one of '
     'P-256, P-384, P-521, secp256k1.'),
    (dict(source='generate', jwk_type='oct', key_size=512), 'key_size: a generated oct key is 128, 192, 256 bits;'),
    (dict(source='json'), 'jwk_json is required with source=json: the JWK or JWK Set as JSON.'),
    (dict(source='json', jwk_json='{"keys": [{"kty": "RSA", "n": "AQ", "e": "AQAB", "kid": "a"}, '
                                  '{"kty": "RSA", "n": "AQ", "e": "AQAB", "kid": "b"}]}'),
     'jwk_json: the JWK Set holds 2 keys; set kid to the one to take.'),
    (dict(source='json', jwk_json='{"kty": "RSA", "e": "AQAB", "d": "%s"}' % PRIVATE['d']),
     'jwk_json: the RSA JWK lacks its member n.'),
])
def test_bad_input_is_refused_naming_the_option(kwargs, message):
    with pytest.raises(InvalidInput) as caught:
        jwks.desired_jwk('j', **kwargs)
    assert str(caught.value).startswith(message)
    assert PRIVATE['d'] not in str(caught.value)


def test_a_certificate_the_project_lacks_or_has_elsewhere_is_refused_before_any_write():
    desired = jwks.desired_jwk('j', 'certificate', certificate_name='c', environment='staging', algorithm='RS256')
    with pytest.raises(InvalidInput, match='^certificate_name: the project has no certificate c;'):
        jwks.with_certificate(desired, None)
    with pytest.raises(InvalidInput, match=r'^environment: certificate c is not deployed to staging; it is deployed '
                                           r'to production\.$'):
        jwks.with_certificate(desired, certificate_on_server(OLD))


def test_a_pasted_jwk_set_entry_is_taken_by_kid_and_private_values_are_found_for_masking():
    text = json.dumps({'keys': [dict(members(OLD), kty='RSA', kid='a', **PRIVATE), dict(members(NEW), kty='RSA', kid='b')]})
    desired = jwks.desired_jwk('j', 'json', jwk_json=text, kid='b')
    assert (desired['jwk_type'], desired['public'], desired['kid']) == ('RSA', members(NEW), 'b')
    assert jwks.private_values(text) == set(PRIVATE.values())


def test_delete_and_absent():
    (change,) = jwks.plan(jwks.absent('j'), current(), OPTIONS._replace(state='absent'))
    assert (change.action, change.request.method, change.request.path, change.after) == ('delete', 'DELETE', PATH, {})
    (nothing,) = jwks.plan(jwks.absent('j'), None, OPTIONS._replace(state='absent'))
    assert nothing.action == 'none'


def test_the_executor_replaces_in_order_and_reads_the_jwk_through_its_get():
    client = FakeClient([('DELETE', PATH, report('production')),
                         ('POST', '/apiops/projects/demo/jwks/parse-from-certificate', report('production'))])
    changes = jwks.plan(from_certificate(NEW), current(), OPTIONS)
    applied = _apply.apply(client, changes, _server.replan, 3)
    assert [o.action for o in applied.outcomes] == ['deleted', 'created'] and applied.failure is None
    reader = FakeClient([('GET', PATH, {'success': True, 'resultList': [answer(NEW)]})])
    assert _server.read_jwk(reader, 'demo', 'j')['public'] == members(NEW)
    missing = ApinizerError('gone', status=400, error='bad_request', description='JWK (name: j) is not found!')
    assert _server.read_jwk(FakeClient([('GET', PATH, missing)]), 'demo', 'j') is None
