# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64

import pytest

from ansible_collections.apinizer.apiops.plugins.module_utils import _bundles as bundles
from ansible_collections.apinizer.apiops.plugins.module_utils import _certificates, _keys
from ansible_collections.apinizer.apiops.plugins.module_utils._common import EnvironmentCheck
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils import pki
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import FakeClient, report

CHAIN = pki.make_chain('api.example.com', key_kind='ec')
OTHER = pki.make_certificate('other.example.com', key_kind='ec')
SECRET = base64.b64encode(b'k' * 16).decode('ascii')


def spec(**fields):
    base = dict(name='api', state='present', environments=None, description='', alias=None, certificate=None,
                certificate_path=None, chain=None, chain_path=None, private_key=None, private_key_path=None,
                private_key_passphrase=None, secret_key=None, secret_key_path=None, public_key=None,
                public_key_path=None, update_content='on_create', force=False, allow_expired=False)
    base.update(fields)
    return base


def test_a_full_chain_pem_is_split_into_leaf_and_numbered_chain_certificates():
    bundle = bundles.desired_bundle(spec(certificate=CHAIN.bundle(), private_key=CHAIN.leaf.key_pem(), alias='a'),
                                    ['production'])
    assert [(c['name'], c['alias']) for c in bundle['certificates']] == [
        ('api', 'a'), ('api-chain-1', 'a-chain-1'), ('api-chain-2', 'a-chain-2')]
    assert [c['der'] for c in bundle['certificates']] == [CHAIN.leaf.der, CHAIN.intermediate.der, CHAIN.root.der]
    assert bundle['key']['key_type'] == 'private_key'
    assert bundle['key']['environments'][0]['alias'] == 'a'


@pytest.mark.parametrize('fields, text', [
    (dict(certificate=CHAIN.leaf.pem, private_key=OTHER.key_pem()), 'bundle api: the private key for production does not match'),
    (dict(certificate=CHAIN.leaf.pem, chain=CHAIN.root.pem + CHAIN.intermediate.pem), 'bundle api: chain certificate 1'),
    (dict(certificate=pki.expired_certificate().pem), 'bundle api: the certificate (CN=expired.example.com) expired on'),
    (dict(certificate=pki.not_yet_valid_certificate().pem), 'is not valid before'),
    (dict(chain=CHAIN.root.pem), 'bundle api: chain needs certificate'),
    (dict(), 'bundle api: nothing to deploy'),
    (dict(certificate=CHAIN.leaf.pem, environments=[]), None),
    (dict(secret_key=base64.b64encode(b'x' * 15).decode()), 'bundle api: secret_key: a secret key is 8 (DES), 16, 24 or 32'),
    (dict(environments=[{'name': 'production', 'secret_key': SECRET}, 'staging']), 'bundle api: no secret_key for environment staging'),
    (dict(certificate='garbage'), 'bundle api: certificate: expected'),
    (dict(name='a b', certificate=CHAIN.leaf.pem), "bundle a b: name 'a b' holds characters"),
    (dict(certificate=CHAIN.leaf.pem, private_key=CHAIN.leaf.key_pem(passphrase='pw')),
     'bundle api: private_key: the private key is encrypted; set private_key_passphrase'),
    (dict(certificate=CHAIN.leaf.pem, private_key=CHAIN.leaf.key_pem(passphrase='pw'), private_key_passphrase='wrong'),
     'bundle api: private_key: could not decrypt the private key: private_key_passphrase is wrong'),
])
def test_bad_bundles_are_refused_naming_the_bundle(fields, text):
    if text is None:  # no environments here and none by default
        with pytest.raises(bundles.BundleError, match='no environments'):
            bundles.desired_bundle(spec(**fields), [])
        return
    with pytest.raises(bundles.BundleError) as caught:
        bundles.desired_bundle(spec(**fields), ['production'])
    assert text in str(caught.value)


def test_allow_expired_accepts_an_expired_certificate():
    bundle = bundles.desired_bundle(spec(certificate=pki.expired_certificate().pem, allow_expired=True), ['production'])
    assert bundle['certificates'][0]['facts']['expired'] is True


def test_names_must_not_collide_across_bundles():
    first = bundles.desired_bundle(spec(certificate=CHAIN.leaf.pem, chain=CHAIN.intermediate.pem), ['production'])
    second = bundles.desired_bundle(spec(name='api-chain-1', certificate=OTHER.pem), ['production'])
    with pytest.raises(bundles.BundleError, match='bundle api-chain-1: the name is one that bundle api keeps for its chain'):
        bundles.check_names_unique([first, second])
    # even when bundle api has no chain now: it would delete a stored api-chain-1 as a chain left over
    leaf_only = bundles.desired_bundle(spec(certificate=CHAIN.leaf.pem), ['production'])
    with pytest.raises(bundles.BundleError, match='keeps for its chain'):
        bundles.check_names_unique([leaf_only, second])


def test_environments_must_exist():
    bundle = bundles.desired_bundle(spec(certificate=CHAIN.leaf.pem, environments=['production', 'moon']), [])
    client = FakeClient([('GET', '/apiops/environments/p', {'resultList': [{'name': 'staging'}, {'name': 'production'}]})])
    with pytest.raises(bundles.BundleError) as caught:
        bundles.check_environments_exist([bundle], EnvironmentCheck(client, 'p'))
    assert str(caught.value) == ('bundle api: environments: the project p has no environment moon; '
                                 'it has production, staging.')


def server_state(certificates=(), keys=()):
    return bundles.ServerState(list(certificates), list(keys))


def stored(desired):
    """The server's view of a desired certificate, as the list would give it."""
    return _certificates.current_certificate({'name': desired['name'], 'description': desired['description'],
                                              'certificateEnvironmentList': [
                                                  {'environmentName': e, 'alias': desired['alias'],
                                                   'sha1Thumbprint': desired['facts']['sha1_thumbprint'],
                                                   'base64EncodedContent': base64.b64encode(desired['der']).decode()}
                                                  for e in desired['environments']]})


def test_a_new_leaf_sends_the_private_key_again_whatever_update_content_says():
    old = bundles.desired_bundle(spec(certificate=OTHER.pem, private_key=OTHER.key_pem()), ['production'])
    new = bundles.desired_bundle(spec(certificate=CHAIN.leaf.pem, private_key=CHAIN.leaf.key_pem()), ['production'])
    key_now = _keys.current_key({'name': 'api', 'keyType': 'PRIVATE_KEY', 'description': '',
                                 'cryptoKeyInfoEnvironmentList': [{'environmentName': 'production', 'alias': 'api'}]})
    client = FakeClient([('PUT', '/apiops/projects/p/certificates/api/', report('production')),
                         ('PUT', '/apiops/projects/p/keys/api/', report('production'))])
    resources = []
    failure = bundles.reconcile_bundle(client, 'p', new, server_state([stored(old['certificates'][0])], [key_now]),
                                       check_mode=False, retries=1, resources=resources)
    assert failure is None
    assert [(r['type'], r['action']) for r in resources] == [('certificate', 'updated'), ('key', 'updated')]
    assert client.calls[1]['json']['cryptoKeyInfoEnvironmentList'][0]['content'] == new['key']['environments'][0]['content']


def test_a_key_create_lost_after_a_new_leaf_is_re_read_not_sent_again():
    desired = bundles.desired_bundle(spec(certificate=CHAIN.leaf.pem, private_key=CHAIN.leaf.key_pem()), ['production'])
    lost = ApinizerError('POST /keys/ dropped', method='POST', path='/apiops/projects/p/keys/', outcome_unknown=True)
    created = {'resultList': [{'name': 'api', 'keyType': 'PRIVATE_KEY', 'description': '',
                               'cryptoKeyInfoEnvironmentList': [{'environmentName': 'production', 'alias': 'api'}]}]}
    client = FakeClient([('POST', '/apiops/projects/p/certificates/', report('production')),
                         ('POST', '/apiops/projects/p/keys/', lost),
                         ('GET', '/apiops/projects/p/keys/api/', created)])
    resources = []
    assert bundles.reconcile_bundle(client, 'p', desired, server_state(), False, 2, resources) is None
    assert [(r['type'], r['action']) for r in resources] == [('certificate', 'created'), ('key', 'created')]
    assert client.writes == ['POST', 'POST']


def test_a_converged_bundle_sends_nothing_and_extra_chain_certificates_are_deleted():
    with_chain = bundles.desired_bundle(spec(certificate=CHAIN.bundle(with_root=False)), ['production'])
    leaf_only = bundles.desired_bundle(spec(certificate=CHAIN.leaf.pem), ['production'])
    state = server_state([stored(c) for c in with_chain['certificates']])
    client = FakeClient()
    resources = []
    assert bundles.reconcile_bundle(client, 'p', with_chain, state, False, 1, resources) is None
    assert client.calls == [] and [r['action'] for r in resources] == ['unchanged', 'unchanged']
    client = FakeClient([('DELETE', '/apiops/projects/p/certificates/api-chain-1/', report('production'))])
    resources = []
    bundles.reconcile_bundle(client, 'p', leaf_only, state, False, 1, resources)
    assert [(r['name'], r['action']) for r in resources] == [('api', 'unchanged'), ('api-chain-1', 'deleted')]


def test_a_deployment_failure_stops_the_bundle_and_keeps_what_was_done():
    desired = bundles.desired_bundle(spec(certificate=CHAIN.leaf.pem, chain=CHAIN.intermediate.pem), ['production'])
    client = FakeClient([('POST', '/apiops/projects/p/certificates/', report('production', failed=('production',)))])
    resources = []
    failure = bundles.reconcile_bundle(client, 'p', desired, server_state(), False, 1, resources)
    assert 'deployment failed in production' in failure
    assert [r['name'] for r in resources] == ['api'] and len(client.calls) == 1


def test_an_unquoted_number_in_an_environment_mapping_is_refused_before_any_write():
    with pytest.raises(bundles.BundleError) as caught:
        bundles.desired_bundle(spec(certificate=CHAIN.leaf.pem, environments=[{'name': 'production', 'alias': 2024}]), [])
    assert str(caught.value) == 'bundle api: environments[0].alias must be text, not int; quote it.'
