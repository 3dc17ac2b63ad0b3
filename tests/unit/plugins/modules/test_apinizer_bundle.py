# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError
from ansible_collections.apinizer.apiops.plugins.modules import apinizer_bundle
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import report
from ansible_collections.apinizer.apiops.tests.unit.plugins.modules.conftest import TOKEN
from apinizer_emulator.testcerts import (
    cached_key,
    make_certificate,
    make_chain,
    private_key_text,
)

CHAIN = make_chain('api.example.com')
CERTS = '/apiops/projects/demo/certificates/'
KEYS = '/apiops/projects/demo/keys/'
ENVIRONMENTS = ('GET', '/apiops/environments/demo', {'resultList': [{'name': 'production'}, {'name': 'staging'}]})
AES = base64.b64encode(b'k' * 32).decode('ascii')
BUNDLES = [dict(name='api', certificate=CHAIN.leaf.cert_text, chain=CHAIN.intermediate.cert_text, private_key=CHAIN.leaf.key_text()),
           dict(name='aes', secret_key=AES, environments=['production'])]


def listed_certificate(name, issued, alias):
    return {'name': name, 'description': '', 'certificateEnvironmentList': [
        {'environmentName': e, 'alias': alias, 'sha1Thumbprint': issued.sha1,
         'base64EncodedContent': base64.b64encode(issued.cert_der).decode('ascii')} for e in ('production', 'staging')]}


def listed_key(name, key_type, environments):
    return {'name': name, 'description': '', 'keyType': key_type, 'cryptoKeyInfoEnvironmentList': [
        {'environmentName': e, 'alias': name, 'content': 'ENCRYPTED'} for e in environments]}


CONVERGED = [ENVIRONMENTS,
             ('GET', CERTS, {'resultList': [listed_certificate('api', CHAIN.leaf, 'api'),
                                            listed_certificate('api-chain-1', CHAIN.intermediate, 'api-chain-1')]}),
             ('GET', KEYS, {'resultList': [listed_key('api', 'PRIVATE_KEY', ('production', 'staging')),
                                           listed_key('aes', 'SECRET_KEY', ('production',))]})]


def test_a_first_run_writes_chain_leaf_key_in_order_and_returns_the_summary_lines(run_module):
    ok = report('production', 'staging')
    result, server = run_module(apinizer_bundle, dict(bundles=BUNDLES, environments=['production', 'staging'],
                                                      parallel=1), [
        ENVIRONMENTS, ('GET', CERTS, {'resultList': []}), ('GET', KEYS, {'resultList': []}),
        ('POST', CERTS, ok), ('POST', CERTS, ok), ('POST', KEYS, ok),
        # after the private key, its certificate is read again: still ours, so the pair belongs together
        ('GET', CERTS + 'api/', {'resultList': [listed_certificate('api', CHAIN.leaf, 'api')]}),
        ('POST', KEYS, report('production'))])
    assert result.result['changed'] is True
    assert [c['data']['certificateName'] for c in server.calls if c['method'] == 'POST' and c['data']] == [
        'api-chain-1', 'api']
    assert result.result['summary'] == {'created': 4, 'updated': 0, 'deleted': 0, 'unchanged': 0}
    assert result.result['msg'] == '2 bundles: 4 created, 0 updated, 0 deleted, 0 unchanged.'
    assert result.result['summary_lines'] == [
        'project demo: created 4, updated 0, deleted 0, unchanged 0',
        'api: certificate api-chain-1 created (production ok, staging ok); certificate api created (production ok, '
        'staging ok); key api created (production ok, staging ok)',
        'aes: key aes created (production ok)']
    assert AES not in repr(result.result) and 'PRIVATE KEY' not in repr(result.result)


def test_a_converged_run_reads_three_times_and_writes_nothing(run_module):
    result, server = run_module(apinizer_bundle, dict(bundles=BUNDLES, environments=['production', 'staging']),
                                CONVERGED)
    assert result.result['changed'] is False and server.writes == []
    assert result.result['summary'] == {'created': 0, 'updated': 0, 'deleted': 0, 'unchanged': 4}
    assert result.result['summary_lines'][1] == ('api: certificate api-chain-1 unchanged; certificate api unchanged; '
                                                 'key api unchanged')


def test_check_mode_and_diff_predict_a_rotation_without_writing(run_module):
    rotated = make_chain('api.example.com')
    bundles = [dict(BUNDLES[0], certificate=rotated.leaf.cert_text, chain=CHAIN.intermediate.cert_text,
                    private_key=rotated.leaf.key_text()), BUNDLES[1]]
    # The rotated leaf has another issuer: keep the chain honest by rotating with the same intermediate.
    bundles[0]['chain'] = rotated.intermediate.cert_text
    result, server = run_module(apinizer_bundle, dict(bundles=bundles, environments=['production', 'staging']),
                                CONVERGED, check_mode=True, diff=True)
    assert server.writes == []
    assert result.result['summary'] == {'created': 0, 'updated': 3, 'deleted': 0, 'unchanged': 1}
    assert [d['before_header'] for d in result.result['diff']] == ['certificate api-chain-1', 'certificate api',
                                                                   'key api']
    assert result.result['diff'][2]['after'] == {'name': 'api', 'content': 'replaced'}
    assert result.result['summary_lines'][0] == ('project demo: created 0, updated 3, deleted 0, unchanged 1 '
                                                 '(check mode, nothing written)')
    assert result.result['summary_lines'][1].startswith('api: certificate api-chain-1 would be updated;')


def test_bad_input_in_one_bundle_fails_before_any_request_and_lists_every_bundle_as_not_processed(run_module):
    bundles = [BUNDLES[1], dict(name='bad', certificate=CHAIN.leaf.cert_text, private_key=CHAIN.root.key_text())]
    result, server = run_module(apinizer_bundle, dict(bundles=bundles, environments=['production']))
    assert result.failed and server.calls == []
    assert result.result['msg'].startswith('bundle bad: the private key for production does not match the certificate')
    assert result.result['summary_lines'][1:] == ['aes: not processed', 'bad: not processed']


def test_a_failure_in_the_second_bundle_keeps_the_first_and_says_the_rest_were_not_processed(run_module):
    failure = ApinizerError('The Apinizer server failed (500 internal_error: boom) on POST %s.' % KEYS, status=500,
                            error='internal_error', description='boom', method='POST', path=KEYS)
    bundles = [BUNDLES[1], dict(name='aes2', secret_key=AES), dict(name='aes3', secret_key=AES)]
    result, server = run_module(apinizer_bundle, dict(bundles=bundles, environments=['production'], parallel=1), [
        ENVIRONMENTS, ('GET', CERTS, {'resultList': []}), ('GET', KEYS, {'resultList': []}),
        ('POST', KEYS, report('production')), ('POST', KEYS, failure)])
    assert result.failed and result.result['status'] == 500
    assert result.result['msg'] == ('bundle aes2: The Apinizer server failed (500 internal_error: boom) on POST %s. '
                                    'Not processed: aes3; the next run continues with it.' % KEYS)
    assert [b['name'] for b in result.result['bundles']] == ['aes', 'aes2']
    assert result.result['summary_lines'][1:] == ['aes: key aes created (production ok)', 'aes2: nothing done',
                                                  'aes3: not processed']
    assert len(server.writes) == 2


def test_a_failed_deployment_names_the_bundles_to_force_and_force_bundles_redeploys_exactly_them(run_module):
    bundles = [dict(name='aes', secret_key=AES), dict(name='aes2', secret_key=AES), dict(name='aes3', secret_key=AES)]
    args = dict(bundles=bundles, environments=['production', 'staging'], parallel=1)
    failed = report('production', 'staging', failed=('staging',))
    result, server = run_module(apinizer_bundle, args, [
        ENVIRONMENTS, ('GET', CERTS, {'resultList': []}), ('GET', KEYS, {'resultList': []}),
        ('POST', KEYS, report('production', 'staging')), ('POST', KEYS, failed)])
    assert result.failed and result.result['force_bundles'] == ['aes2']
    assert result.result['msg'] == (
        'bundle aes2: Key aes2 was stored, but its deployment failed in staging (staging: Pod unreachable). The server '
        'keeps it stored, so a plain rerun finds nothing to do. To deploy that bundle again, run once with '
        'force_bundles: [aes2] (role apinizer_deploy: -e apinizer_deploy_force_bundles=aes2). Not processed: aes3; '
        'the next run continues with it.')
    assert result.result['summary_lines'][2] == 'aes2: key aes2 created (production ok, staging FAILED: Pod unreachable)'
    # The rerun with force_bundles: the server holds both keys as asked, so only the forced one is sent again.
    stored = [listed_key(name, 'SECRET_KEY', ('production', 'staging')) for name in ('aes', 'aes2')]
    result, server = run_module(apinizer_bundle, dict(args, force_bundles=result.result['force_bundles']), [
        ENVIRONMENTS, ('GET', CERTS, {'resultList': []}), ('GET', KEYS, {'resultList': stored}),
        ('PUT', KEYS + 'aes2/', report('production', 'staging')), ('POST', KEYS, report('production', 'staging'))])
    assert not result.failed and result.result['force_bundles'] == []
    assert result.result['summary'] == {'created': 1, 'updated': 1, 'deleted': 0, 'unchanged': 1}
    assert server.writes == ['PUT', 'POST']


def test_force_bundles_must_name_bundles_of_the_run(run_module):
    result, server = run_module(apinizer_bundle, dict(bundles=BUNDLES, environments=['production'],
                                                      force_bundles=['api', 'apl', 'aes3']))
    assert result.failed and server.calls == []
    assert result.result['msg'] == ('force_bundles (role apinizer_deploy: apinizer_deploy_force_bundles): no bundle is '
                                    'named apl, aes3; give names of bundles in bundles (apinizer_deploy_bundles).')


def test_every_bad_bundle_is_named_in_one_message(run_module):
    bundles = [dict(name='twice', secret_key=AES, environments=['production']),
               dict(name='twice', secret_key=AES, environments=['staging']), dict(name='nowhere', secret_key=AES)]
    result, server = run_module(apinizer_bundle, dict(bundles=bundles))
    assert result.failed and server.calls == []
    assert result.result['msg'] == ('bundle nowhere: no environments; set environments on the bundle or the default '
                                    'environments. bundle twice: the name is given to more than one bundle; give each '
                                    'bundle its own name.')


def test_an_inconsistent_private_key_fails_before_the_first_write_when_it_would_be_sent(run_module):
    key = cached_key('rsa')
    numbers = key.private_numbers()
    broken = rsa.RSAPrivateNumbers(numbers.p, numbers.q, numbers.d, numbers.dmp1 + 2, numbers.dmq1, numbers.iqmp,
                                   numbers.public_numbers).private_key(unsafe_skip_rsa_key_validation=True)
    issued = make_certificate('broken.example.com', key=key)
    bundles = [dict(name='api', certificate=issued.cert_text, private_key=private_key_text(broken))]
    result, server = run_module(apinizer_bundle, dict(bundles=bundles, environments=['production']), [
        ENVIRONMENTS, ('GET', CERTS, {'resultList': []}), ('GET', KEYS, {'resultList': []})])
    assert result.failed and server.writes == []
    assert result.result['msg'] == 'bundle api: private_key: the private key (PRIVATE KEY) is damaged and could not be loaded'


def test_the_invocation_names_the_bundles_without_their_material_and_only_connection_secrets_stay_masked(run_module):
    result, _server = run_module(apinizer_bundle, dict(bundles=BUNDLES, environments=['production', 'staging']),
                                 CONVERGED)
    echoed = result.result['invocation']['module_args']
    assert echoed['bundles'] == [{'name': 'api', 'state': 'present'}, {'name': 'aes', 'state': 'present'}]
    assert echoed['token'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' and echoed['parallel'] == 4
    assert AES not in repr(result.result) and 'PRIVATE KEY' not in repr(result.result) and TOKEN not in repr(result.result)
    assert result.module.no_log_values == set([TOKEN])


# Beside the converged bundles: a stale certificate and key of ours, a chain certificate bundle api no longer has,
# and a certificate of another team that the pattern does not match.
WITH_STALE = [ENVIRONMENTS,
              ('GET', CERTS, {'resultList': CONVERGED[1][2]['resultList'] + [
                  listed_certificate('api-old', CHAIN.leaf, 'api-old'),
                  listed_certificate('api-chain-2', CHAIN.root, 'api-chain-2'),
                  listed_certificate('web', CHAIN.leaf, 'web')]}),
              ('GET', KEYS, {'resultList': CONVERGED[2][2]['resultList'] + [
                  listed_key('api-old', 'PRIVATE_KEY', ('production', 'staging'))]})]
PRUNE = dict(bundles=BUNDLES, environments=['production', 'staging'], prune=True, prune_match='a.*', parallel=1)


def test_check_mode_and_diff_show_what_prune_would_delete_and_send_nothing(run_module):
    result, server = run_module(apinizer_bundle, PRUNE, WITH_STALE, check_mode=True, diff=True)
    assert server.writes == [] and result.result['changed'] is True
    assert result.result['pruned'] == [{'type': 'key', 'name': 'api-old'}, {'type': 'certificate', 'name': 'api-old'}]
    # api-chain-2 is the bundle's own to delete, once; web does not match.
    assert [(d['before_header'], d['after']) for d in result.result['diff']] == [
        ('certificate api-chain-2', {}), ('key api-old', {}), ('certificate api-old', {})]
    assert result.result['summary_lines'][-1] == ('prune (prune_match a.*): key api-old would be deleted; '
                                                  'certificate api-old would be deleted')
    assert result.result['msg'] == ('2 bundles: 0 would be created, 0 would be updated, 3 would be deleted, '
                                    '4 unchanged. Would prune 2 (prune_match a.*).')


def test_prune_deletes_the_stale_key_then_its_certificate_and_a_rerun_writes_nothing(run_module):
    deleted = report('production', 'staging')
    result, server = run_module(apinizer_bundle, PRUNE, WITH_STALE + [
        ('DELETE', CERTS + 'api-chain-2/', deleted), ('DELETE', KEYS + 'api-old/', deleted),
        ('DELETE', CERTS + 'api-old/', deleted)])
    assert server.writes == ['DELETE'] * 3
    assert result.result['pruned'] == [{'type': 'key', 'name': 'api-old'}, {'type': 'certificate', 'name': 'api-old'}]
    assert result.result['summary'] == {'created': 0, 'updated': 0, 'deleted': 3, 'unchanged': 4}
    assert result.result['summary_lines'][-1] == (
        'prune (prune_match a.*): key api-old deleted (production ok, staging ok); certificate api-old deleted '
        '(production ok, staging ok)')
    again, server = run_module(apinizer_bundle, PRUNE, CONVERGED)
    assert again.result['changed'] is False and server.writes == [] and again.result['pruned'] == []
    assert again.result['summary_lines'][-1] == 'prune (prune_match a.*): nothing to delete'


def test_a_failed_prune_delete_fails_the_task_and_says_what_was_not_processed(run_module):
    failure = ApinizerError('The Apinizer server failed (500 internal_error: boom) on DELETE %sapi-old/.' % KEYS,
                            status=500, error='internal_error', description='boom', method='DELETE',
                            path=KEYS + 'api-old/')
    result, server = run_module(apinizer_bundle, PRUNE, WITH_STALE + [
        ('DELETE', CERTS + 'api-chain-2/', report('production')), ('DELETE', KEYS + 'api-old/', failure)])
    assert result.failed and server.writes == ['DELETE', 'DELETE']
    assert result.result['msg'] == ('prune: The Apinizer server failed (500 internal_error: boom) on DELETE '
                                    '%sapi-old/.' % KEYS)
    assert result.result['pruned'] == []
    assert result.result['summary_lines'][-1] == 'prune (prune_match a.*): not processed: key api-old, certificate api-old'


def test_prune_options_are_refused_before_any_request_naming_the_option_and_the_fix(run_module):
    without_match, server = run_module(apinizer_bundle, dict(bundles=BUNDLES, prune=True))
    assert without_match.failed and server.calls == []
    assert without_match.result['msg'] == 'prune is True but all of the following are missing: prune_match'
    # The role passes prune_match '' when unset.
    empty_match, server = run_module(apinizer_bundle, dict(PRUNE, prune_match=''))
    assert empty_match.failed and server.calls == []
    assert empty_match.result['msg'].startswith('prune_match (role apinizer_deploy: apinizer_deploy_prune_match) is '
                                                'empty; give a regular expression')
    unused, server = run_module(apinizer_bundle, dict(PRUNE, prune=False, prune_match=''), CONVERGED)
    assert not unused.failed and unused.result['pruned'] == [] and server.writes == []
    assert not unused.result['summary_lines'][-1].startswith('prune')
    bad, server = run_module(apinizer_bundle, dict(PRUNE, prune_match='api-(old'))
    assert bad.failed and server.calls == []
    assert bad.result['msg'] == ("prune_match (role apinizer_deploy: apinizer_deploy_prune_match) 'api-(old' is not a "
                                 'valid Python regular expression: missing ), unterminated subpattern at position 4; '
                                 'fix the pattern (it must match the whole name).')
    empty, server = run_module(apinizer_bundle, dict(PRUNE, bundles=[]))
    assert empty.failed and server.calls == []
    assert empty.result['msg'] == (
        "bundles (role apinizer_deploy: apinizer_deploy_bundles) is empty and prune is true, which would delete every "
        "certificate and key whose name matches prune_match 'a.*'; give the bundles to keep, or set prune_allow_empty "
        '(apinizer_deploy_prune_allow_empty) to true to delete them all.')


def test_an_empty_bundle_list_prunes_every_match_once_allowed(run_module):
    deleted = report('production', 'staging')
    result, server = run_module(apinizer_bundle, dict(PRUNE, bundles=[], prune_allow_empty=True, prune_match='api.*'),
                                WITH_STALE + [('DELETE', KEYS + 'api/', deleted), ('DELETE', CERTS + 'api/', deleted),
                                              ('DELETE', CERTS + 'api-chain-1/', deleted),
                                              ('DELETE', CERTS + 'api-chain-2/', deleted),
                                              ('DELETE', KEYS + 'api-old/', deleted),
                                              ('DELETE', CERTS + 'api-old/', deleted)])
    assert [p['name'] for p in result.result['pruned']] == ['api', 'api', 'api-chain-1', 'api-chain-2', 'api-old',
                                                            'api-old']
    assert server.writes == ['DELETE'] * 6


P12_PASSPHRASE = 'module-p12-passphrase-58d0c7e1'
P12_BUNDLE = dict(name='api', pkcs12_passphrase=P12_PASSPHRASE, pkcs12=base64.b64encode(
    CHAIN.leaf.pkcs12([CHAIN.intermediate], passphrase=P12_PASSPHRASE)).decode('ascii'))


def test_a_pkcs12_bundle_that_the_server_holds_as_pem_gave_it_writes_nothing(run_module):
    result, server = run_module(apinizer_bundle, dict(bundles=[P12_BUNDLE, BUNDLES[1]],
                                                      environments=['production', 'staging']), CONVERGED)
    assert result.result['changed'] is False and server.writes == []
    assert result.result['summary'] == {'created': 0, 'updated': 0, 'deleted': 0, 'unchanged': 4}


def test_a_wrong_pkcs12_passphrase_fails_before_any_request_without_the_passphrase_or_the_file(run_module):
    bundles = [dict(P12_BUNDLE, pkcs12_passphrase=P12_PASSPHRASE + '-wrong')]
    result, server = run_module(apinizer_bundle, dict(bundles=bundles, environments=['production']))
    assert result.failed and server.calls == []
    assert result.result['msg'] == 'bundle api: pkcs12: could not open the PKCS#12 file: pkcs12_passphrase is wrong'
    assert P12_PASSPHRASE not in repr(result.result) and P12_BUNDLE['pkcs12'][:40] not in repr(result.result)


def test_a_pkcs12_file_and_a_pem_certificate_in_one_bundle_fail_before_any_request(run_module):
    bundles = [dict(P12_BUNDLE, certificate=CHAIN.leaf.cert_text)]
    result, server = run_module(apinizer_bundle, dict(bundles=bundles, environments=['production']))
    assert result.failed and server.calls == []
    assert result.result['msg'].startswith('bundle api: pkcs12 and certificate cannot be combined')


KEYSTORES = '/apiops/projects/demo/keystores/'
KEYSTORE_PASSWORD = 'bundle-keystore-password-51b0e7aa'
WITH_KEYSTORE = [dict(BUNDLES[0], keystore=dict(password=KEYSTORE_PASSWORD, alias='client')), BUNDLES[1]]


def listed_keystore(name):
    return {'name': name, 'description': '', 'keyStoreEnvironmentList': [
        {'environmentName': e, 'type': 'PKCS12', 'file': base64.b64encode(b'stored').decode('ascii')}
        for e in ('production', 'staging')]}


def test_a_bundle_keystore_is_created_after_the_key_and_holds_the_leaf_chain_and_key(run_module):
    ok = report('production', 'staging')
    result, server = run_module(apinizer_bundle, dict(bundles=WITH_KEYSTORE, environments=['production', 'staging'],
                                                      parallel=1), [
        ENVIRONMENTS, ('GET', CERTS, {'resultList': []}), ('GET', KEYS, {'resultList': []}),
        ('GET', KEYSTORES, {'resultList': []}),
        ('POST', CERTS, ok), ('POST', CERTS, ok), ('POST', KEYS, ok),
        ('GET', CERTS + 'api/', {'resultList': [listed_certificate('api', CHAIN.leaf, 'api')]}),
        ('POST', KEYSTORES, ok), ('POST', KEYS, report('production'))], diff=True)
    sent = server.calls[-2]['json']
    assert [(e['environmentName'], e['keyStoreType'], e['alias'], e['password']) for e in sent['keyStoreEnvironmentList']] == [
        ('production', 'PKCS12', 'client', KEYSTORE_PASSWORD), ('staging', 'PKCS12', 'client', KEYSTORE_PASSWORD)]
    loaded = pkcs12.load_pkcs12(base64.b64decode(sent['keyStoreEnvironmentList'][0]['file']), KEYSTORE_PASSWORD.encode())
    assert loaded.cert.certificate.public_bytes(serialization.Encoding.DER) == CHAIN.leaf.cert_der
    assert loaded.key.public_key().public_numbers() == CHAIN.leaf.key.public_key().public_numbers()
    assert result.result['summary'] == {'created': 5, 'updated': 0, 'deleted': 0, 'unchanged': 0}
    assert result.result['summary_lines'][1].endswith('; key api created (production ok, staging ok); keystore api '
                                                      'created (production ok, staging ok)')
    assert [r['type'] for r in result.result['bundles'][0]['resources']] == ['certificate', 'certificate', 'key',
                                                                             'keystore']
    assert result.result['diff'][3]['before_header'] == 'keystore api'
    shown = result.result['diff'][3]['after']['environments'][0]['certificates']
    assert [c['sha256_fingerprint'] for c in shown] == [hashlib.sha256(c.cert_der).hexdigest().upper()
                                                        for c in (CHAIN.leaf, CHAIN.intermediate)]
    output = repr(result.result)
    assert KEYSTORE_PASSWORD not in output and sent['keyStoreEnvironmentList'][0]['file'][:64] not in output


def test_a_converged_run_with_a_bundle_keystore_reads_the_keystore_list_once_more_and_writes_nothing(run_module):
    result, server = run_module(apinizer_bundle, dict(bundles=WITH_KEYSTORE, environments=['production', 'staging']),
                                CONVERGED + [('GET', KEYSTORES, {'resultList': [listed_keystore('api')]})])
    assert result.result['changed'] is False and server.writes == [] and len(server.calls) == 4
    assert result.result['summary_lines'][1] == ('api: certificate api-chain-1 unchanged; certificate api unchanged; '
                                                 'key api unchanged; keystore api unchanged')


def test_check_mode_predicts_the_bundle_keystore_and_sends_nothing(run_module):
    result, server = run_module(apinizer_bundle, dict(bundles=WITH_KEYSTORE, environments=['production', 'staging']),
                                CONVERGED + [('GET', KEYSTORES, {'resultList': []})], check_mode=True)
    assert server.writes == [] and result.result['changed'] is True
    assert result.result['summary_lines'][1].endswith('; keystore api would be created')


def test_a_bundle_keystore_without_a_private_key_fails_before_any_request(run_module):
    bundles = [dict(name='api', certificate=CHAIN.leaf.cert_text, keystore=dict(password=KEYSTORE_PASSWORD))]
    result, server = run_module(apinizer_bundle, dict(bundles=bundles, environments=['production']))
    assert result.failed and server.calls == []
    assert result.result['msg'] == ('bundle api: keystore: a keystore holds the certificate and its private key, but '
                                    'the bundle has no private key; give certificate and private_key (or their _path '
                                    'forms, or pkcs12_path), or leave keystore out.')
