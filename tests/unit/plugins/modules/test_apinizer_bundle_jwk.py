# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""apinizer_bundle with bundles[].jwk: the requests a run sends, against a scripted server."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.apinizer.apiops.plugins.module_utils import _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError
from ansible_collections.apinizer.apiops.plugins.modules import apinizer_bundle
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import report
from ansible_collections.apinizer.apiops.tests.unit.plugins.modules.test_apinizer_bundle import (
    CERTS,
    ENVIRONMENTS,
    KEYS,
    listed_certificate,
)
from apinizer_emulator.testcerts import make_certificate

LEAF = make_certificate('jwk-leaf.example.com')
OLD_LEAF = make_certificate('jwk-old.example.com')
JWKS = '/apiops/projects/demo/jwks/'
PRIVATE_D = 'private-exponent-7c1e9a3b5d2f4068-must-never-show'
ARGS = dict(environments=['production', 'staging'], parallel=1,
            bundles=[dict(name='api', description='TLS', certificate=LEAF.cert_text, jwk=dict(name='api-jwk'))])


def public_of(issued):
    return _pem.jwk_public_members(_pem.load_single_certificate(issued.cert_text).public_key())[1]


def listed_jwk(source_id='cert-id-1'):
    return dict(name='api-jwk', description='TLS', sourceType='CERTIFICATE', sourceId=source_id, sourceUrl=None,
                type='RSA', kid=None)


def jwk_answer(issued):
    return {'resultList': [dict(listed_jwk(), rsa=dict(public_of(issued), d=PRIVATE_D, p='p-prime', q='q-prime'))]}


def reads(leaf):
    return [ENVIRONMENTS, ('GET', CERTS, {'resultList': [dict(listed_certificate('api', leaf, 'api'), description='TLS')]}),
            ('GET', KEYS, {'resultList': []}), ('GET', JWKS, {'resultList': [listed_jwk()]})]


def test_a_converged_run_reads_the_jwk_list_once_and_no_jwk(run_module):
    for check_mode in (False, True):
        result, server = run_module(apinizer_bundle, ARGS, reads(LEAF), check_mode=check_mode)
        assert result.result['changed'] is False and server.writes == []
        assert server.requests[-1] == ('GET', JWKS) and len(server.requests) == 4
        assert result.result['summary_lines'][1] == 'api: certificate api unchanged; jwk api-jwk unchanged'
        assert result.result['bundles'][0]['jwk']['public_members'] == public_of(LEAF)


def test_a_rotation_sends_update_and_reads_the_jwk_once(run_module):
    result, server = run_module(apinizer_bundle, ARGS, reads(OLD_LEAF) + [
        ('PUT', CERTS + 'api/', report('production', 'staging')),
        ('GET', JWKS + 'api-jwk/', jwk_answer(LEAF))], diff=True)
    assert server.writes == ['PUT']
    assert server.calls[4]['params']['jwkUpdateAction'] == 'UPDATE' and server.calls[4]['params']['updateScope'] == 'SAME_PROJECT'
    resources = result.result['bundles'][0]['resources']
    assert [(r['type'], r['action']) for r in resources] == [('certificate', 'updated'), ('jwk', 'updated')]
    assert result.result['summary'] == {'created': 0, 'updated': 2, 'deleted': 0, 'unchanged': 0}
    assert result.result['diff'][-1]['after'] == dict(name='api-jwk', public_members=public_of(LEAF))
    assert PRIVATE_D not in repr(result.result) and 'q-prime' not in repr(result.result)


def test_a_rotation_the_server_did_not_follow_makes_the_jwk_again(run_module):
    gone = ApinizerError('gone', status=400, error='bad_request', description='JWK (name: api-jwk) is not found!')
    result, server = run_module(apinizer_bundle, ARGS, reads(OLD_LEAF) + [
        ('PUT', CERTS + 'api/', report('production', 'staging')),
        ('GET', JWKS + 'api-jwk/', jwk_answer(OLD_LEAF)),  # still the old key: the server ignored the action
        ('DELETE', JWKS + 'api-jwk/', report('production', 'staging')),
        ('GET', JWKS + 'api-jwk/', gone),
        ('POST', JWKS + 'parse-from-certificate', report('production', 'staging'))])
    assert server.writes == ['PUT', 'DELETE', 'POST']
    assert server.calls[-1]['json'] == dict(name='api-jwk', description='TLS', certificateName='api',
                                            environmentName='production', useType='SIGNATURE', algorithm='RS256')
    assert result.result['summary_lines'][1].endswith('; jwk api-jwk updated (production ok, staging ok)')
    assert PRIVATE_D not in repr(result.result)


def test_a_jwk_cut_loose_is_made_again_without_a_jwk_get(run_module):
    result, server = run_module(apinizer_bundle, ARGS, reads(LEAF)[:3] + [
        ('GET', JWKS, {'resultList': [listed_jwk(source_id=None)]}),
        ('DELETE', JWKS + 'api-jwk/', report('production')),
        ('POST', JWKS + 'parse-from-certificate', report('production'))])
    assert server.writes == ['DELETE', 'POST'] and ('GET', JWKS + 'api-jwk/') not in server.requests
    assert result.result['summary'] == {'created': 1, 'updated': 0, 'deleted': 1, 'unchanged': 1}


def test_bad_jwk_input_is_refused_before_any_request(run_module):
    bundle = dict(ARGS['bundles'][0], jwk_update_action='nullify')
    result, server = run_module(apinizer_bundle, dict(ARGS, bundles=[bundle]), [])
    assert result.failed and server.calls == []
    assert result.result['msg'] == (
        'bundle api: jwk and jwk_update_action=nullify cannot be combined: nullify cuts the JWK loose from the '
        'certificate on every rotation; leave jwk_update_action out (or set it to update), or remove jwk.')


def test_an_absent_bundle_deletes_its_jwk_before_its_certificate(run_module):
    result, server = run_module(apinizer_bundle, dict(ARGS, bundles=[dict(name='api', state='absent',
                                                                          jwk=dict(name='api-jwk'))]), reads(LEAF) + [
        ('DELETE', JWKS + 'api-jwk/', report('production')),
        ('DELETE', CERTS + 'api/', report('production', 'staging'))])
    assert server.writes == ['DELETE', 'DELETE'] and result.result['bundles'][0]['jwk'] == {}


def test_check_mode_predicts_the_rotation_without_reading_the_jwk(run_module):
    result, server = run_module(apinizer_bundle, ARGS, reads(OLD_LEAF), check_mode=True)
    assert server.writes == [] and len(server.requests) == 4
    assert result.result['summary_lines'][1] == 'api: certificate api would be updated; jwk api-jwk would be updated'
