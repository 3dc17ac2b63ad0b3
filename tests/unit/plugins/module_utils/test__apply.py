# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The executor: planned changes sent through a scripted client, and what it makes of each answer."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import threading
import time

from ansible_collections.apinizer.apiops.plugins.module_utils import _apply, _bundles, _server
from ansible_collections.apinizer.apiops.plugins.module_utils import _certificates as certs
from ansible_collections.apinizer.apiops.plugins.module_utils import _keys as keys
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError, SharedPause
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils.fakes import FakeClient, report
from apinizer_emulator.testcerts import make_certificate

OLD = make_certificate('old.example.com')
NEW = make_certificate('new.example.com')
PATH = '/apiops/projects/demo/certificates/api/'
LIST_PATH = '/apiops/projects/demo/certificates/'
KEY_PATH = '/apiops/projects/demo/keys/k/'
OPTIONS = certs.CertificateOptions('demo')
SECRET = base64.b64encode(b's' * 16).decode('ascii')


def server_entry(issued, content=True):
    return {'name': 'api', 'description': '', 'certificateEnvironmentList': [
        dict({'environmentName': e, 'alias': 'api', 'sha1Thumbprint': issued.sha1},
             **({'base64EncodedContent': base64.b64encode(issued.cert_der).decode('ascii')} if content else {}))
        for e in ('production', 'staging')]}


def listed(issued=OLD, content=True):
    return certs.current_certificate(server_entry(issued, content))


def desired(issued=NEW):
    return certs.desired_certificate('api', issued.cert_text, environments=['production', 'staging'])


def apply(client, changes, retries=3):
    return _apply.apply(client, changes, _server.replan, retries)


def not_found():
    return ApinizerError('gone', status=400, error='bad_request', description='Certificate (name: api) is not found!')


def test_a_create_sends_the_planned_request_and_reads_the_deployment_report():
    client = FakeClient([('POST', LIST_PATH, report('production', 'staging'))])
    applied = apply(client, [certs.plan(desired(), None, OPTIONS)])
    outcome = applied.outcomes[0]
    assert (applied.failure, outcome.action, outcome.changed) == (None, 'created', True)
    assert client.calls[0]['data']['environmentList'] == 'production,staging'
    assert outcome.deployment == {'success': True, 'message': 'Deployment completed successfully', 'environments': [
        {'name': 'production', 'success': True, 'message': 'Deployed successfully'},
        {'name': 'staging', 'success': True, 'message': 'Deployed successfully'}]}


def test_nothing_planned_sends_nothing():
    client = FakeClient()
    applied = apply(client, [certs.plan(desired(OLD), listed(), OPTIONS)])
    assert [o.action for o in applied.outcomes] == ['unchanged'] and client.calls == []


def test_a_failed_deployment_names_each_failed_environment_and_how_to_redeploy():
    client = FakeClient([('POST', LIST_PATH, report('production', 'staging', failed=('staging',)))])
    applied = apply(client, [certs.plan(desired(), None, OPTIONS)])
    assert applied.failure == ('Certificate api was stored, but its deployment failed in staging (staging: Pod '
                               'unreachable). The server keeps it stored, so a plain rerun finds nothing to do: run '
                               'again with force=true to deploy it again.')
    assert applied.outcomes[0].failure == applied.failure and applied.error is None
    assert applied.outcomes[0].undeployed == ('staging',) and applied.failures[0].undeployed == ('staging',)


def test_in_a_bundle_a_failed_deployment_leaves_the_way_to_redeploy_to_the_module():
    client = FakeClient([('POST', LIST_PATH, report('production', 'staging', failed=('staging',)))])
    applied = apply(client, [certs.plan(desired(), None, OPTIONS)._replace(group='api')])
    assert applied.failure == ('Certificate api was stored, but its deployment failed in staging (staging: Pod '
                               'unreachable). The server keeps it stored, so a plain rerun finds nothing to do.')
    assert applied.failures[0].undeployed == ('staging',)


def test_a_delete_whose_undeployment_failed_says_no_rerun_can_repeat_it():
    client = FakeClient([('DELETE', PATH, report('staging', failed=('staging',)))])
    applied = apply(client, [certs.plan(certs.absent('api'), listed(), certs.CertificateOptions('demo', state='absent'))])
    assert applied.failure == ('Certificate api was deleted, but undeploying it failed in staging (staging: Pod '
                               'unreachable). The server no longer holds it, so no rerun can undeploy it again there.')
    assert applied.failures[0].undeployed == () and applied.outcomes[0].action == 'deleted'


def test_the_first_failure_stops_every_later_change():
    client = FakeClient([('POST', LIST_PATH, ApinizerError('boom', status=500, method='POST', path=LIST_PATH))])
    stored_key = keys.current_key({'name': 'k', 'keyType': 'SECRET_KEY', 'cryptoKeyInfoEnvironmentList': []})
    changes = [certs.plan(desired(), None, OPTIONS),
               keys.plan(keys.absent('k'), stored_key, keys.KeyOptions('demo', state='absent'))]
    applied = apply(client, changes)
    assert applied.outcomes == [] and applied.failure == 'boom' and applied.error.status == 500
    assert client.writes == ['POST']


def test_a_replace_planned_from_a_list_without_content_reads_the_old_certificate_first():
    client = FakeClient([('GET', PATH, {'resultList': [server_entry(OLD)]}), ('PUT', PATH, report('production'))])
    applied = apply(client, [certs.plan(desired(), listed(content=False), OPTIONS)])
    assert [c['method'] for c in client.calls] == ['GET', 'PUT'] and applied.outcomes[0].action == 'updated'


def test_a_replace_whose_create_half_failed_puts_the_old_certificate_back():
    failure = ApinizerError('create failed', status=500, error='internal_error', description='create failed')
    client = FakeClient([('PUT', PATH, failure), ('GET', PATH, not_found()),
                         ('POST', LIST_PATH, report('production', 'staging'))])
    applied = apply(client, [certs.plan(desired(), listed(), OPTIONS)])
    restored = client.calls[2]
    assert restored['data'] == {'certificateName': 'api', 'alias': 'api', 'certificateDescription': '',
                                'environmentList': 'production,staging'}
    assert restored['files']['pemEncodedFile'][1] == OLD.cert_text
    assert applied.failure == ('Replacing certificate api failed after the server deleted the old one (500 '
                               'internal_error: create failed). The previous certificate (SHA-1 %s, alias api) was '
                               'put back in production, staging.' % OLD.sha1)
    assert applied.outcomes[0].after['sha1_thumbprint'] == OLD.sha1


def test_a_failed_restore_fails_naming_both_failures():
    client = FakeClient([('PUT', PATH, ApinizerError('create failed', status=500)), ('GET', PATH, not_found()),
                         ('POST', LIST_PATH, ApinizerError('restore failed', status=500))])
    applied = apply(client, [certs.plan(desired(), listed(), OPTIONS)])
    assert 'putting the previous certificate (SHA-1 %s) back failed too' % OLD.sha1 in applied.failure


def test_no_restore_when_the_outcome_is_unknown_or_the_old_certificate_is_still_there():
    still_there = FakeClient([('PUT', PATH, ApinizerError('alias used', status=400)),
                              ('GET', PATH, {'resultList': [server_entry(OLD)]})])
    assert apply(still_there, [certs.plan(desired(), listed(), OPTIONS)]).failure == 'alias used'
    assert still_there.writes == ['PUT']
    lost = FakeClient([('PUT', PATH, ApinizerError('dropped', outcome_unknown=True)),
                       ('GET', PATH, {'resultList': [server_entry(NEW)]})])
    applied = apply(lost, [certs.plan(desired(), listed(), OPTIONS)])
    assert lost.writes == ['PUT'] and applied.failure is None


def test_a_lost_write_that_took_effect_is_reported_as_done_without_sending_it_again():
    client = FakeClient([('POST', LIST_PATH, ApinizerError('dropped', outcome_unknown=True, method='POST')),
                         ('GET', PATH, {'resultList': [server_entry(NEW)]})])
    applied = apply(client, [certs.plan(desired(), None, OPTIONS)])
    outcome = applied.outcomes[0]
    assert (outcome.action, outcome.changed, outcome.deployment, client.writes) == ('created', True, None, ['POST'])


def test_a_lost_write_that_did_not_take_effect_is_planned_again_and_sent_once_more():
    client = FakeClient([('POST', LIST_PATH, ApinizerError('dropped', outcome_unknown=True, method='POST')),
                         ('GET', PATH, not_found()), ('POST', LIST_PATH, report('production'))])
    applied = apply(client, [certs.plan(desired(), None, OPTIONS)])
    assert client.writes == ['POST', 'POST'] and applied.outcomes[0].deployment['success']


def test_a_race_is_read_again_and_reported_as_what_the_read_finds():
    exists = ApinizerError('exists', status=400, description='Certificate (name: api) is already exist!',
                           method='POST')
    client = FakeClient([('POST', LIST_PATH, exists), ('GET', PATH, {'resultList': [server_entry(NEW)]})])
    applied = apply(client, [certs.plan(desired(), None, OPTIONS)])
    assert applied.outcomes[0].action == 'unchanged' and client.writes == ['POST']


def test_re_reads_are_bounded_by_retries():
    dropped = ApinizerError('dropped', outcome_unknown=True, method='PUT')
    key = keys.desired_key('k', 'secret_key', [dict(name='production', alias='', content=SECRET)])
    stored = {'name': 'k', 'description': '', 'keyType': 'SECRET_KEY',
              'cryptoKeyInfoEnvironmentList': [{'environmentName': 'production'}]}
    options = keys.KeyOptions('demo', force=True)
    client = FakeClient([('PUT', KEY_PATH, dropped), ('GET', KEY_PATH, {'resultList': [stored]}),
                         ('PUT', KEY_PATH, dropped)])
    applied = apply(client, [keys.plan(key, keys.current_key(stored), options)], retries=1)
    assert applied.failure == 'dropped' and client.writes == ['PUT', 'PUT']


def test_check_mode_predicts_every_change_from_the_plan_alone():
    changes = [certs.plan(desired(), None, OPTIONS), certs.plan(desired(OLD), listed(), OPTIONS)]
    assert [(o.action, o.deployment) for o in _apply.predict(changes).outcomes] == [('created', None),
                                                                                    ('unchanged', None)]


def test_field_diff_shows_changed_fields_only():
    assert _apply.field_diff('c', {'a': 1, 'b': 2}, {'a': 1, 'b': 3}) == {'before': {'name': 'c', 'b': 2},
                                                                          'after': {'name': 'c', 'b': 3}}
    assert _apply.field_diff('c', {}, {'a': 1}) == {'before': {}, 'after': {'a': 1}}
    assert _apply.field_diff('c', {'a': 1}, {}) == {'before': {'a': 1}, 'after': {}}


class RoutedClient(object):
    """Answers by (method, path), from any thread; delays holds seconds to wait before answering a path, and every
    answer is recorded in the order it was given."""

    def __init__(self, answers, delays=None):
        self.answers, self.delays = answers, delays or {}
        self.answered = []
        self.workers = 0
        self.lock = threading.Lock()

    def for_worker(self):
        with self.lock:
            self.workers += 1
        return self

    def request(self, method, path, params=None, **kwargs):
        time.sleep(self.delays.get(path, 0))
        answer = self.answers[(method, path)]
        named = (kwargs.get('json') or {}).get('name') or (kwargs.get('data') or {}).get('certificateName')
        with self.lock:
            self.answered.append((method, path, named))
        if isinstance(answer, Exception):
            raise answer
        return answer


def secret_key_change(name, group):
    key = keys.desired_key(name, 'secret_key', [dict(name='production', alias='', content=SECRET)])
    return keys.plan(key, None, keys.KeyOptions('demo'))._replace(group=group)


def test_parallel_groups_come_back_in_plan_order_whatever_order_they_finished_in():
    changes = [secret_key_change('k%d' % i, 'b%d' % i) for i in range(6)]
    client = RoutedClient({('POST', '/apiops/projects/demo/keys/'): report('production')})
    client.delays = {'/apiops/projects/demo/keys/': 0.01}
    applied = _apply.apply(client, changes, _server.replan, 3, parallel=4)
    assert [o.change.name for o in applied.outcomes] == ['k0', 'k1', 'k2', 'k3', 'k4', 'k5']
    assert applied.failures == [] and applied.started_groups == set('b%d' % i for i in range(6))
    assert client.workers == 3  # the client itself and three more


def test_a_group_keeps_its_order_while_groups_run_side_by_side():
    first = certs.plan(desired(), None, OPTIONS)._replace(group='api')
    key = secret_key_change('api', 'api')
    slow_path = '/apiops/projects/demo/keys/'
    client = RoutedClient({('POST', LIST_PATH): report('production'), ('POST', slow_path): report('production')},
                          delays={LIST_PATH: 0.05})
    applied = _apply.apply(client, [first, key, secret_key_change('other', 'other')], _server.replan, 3, parallel=2)
    order = [(path, name) for _method, path, name in client.answered]
    # the other bundle's key went while api's certificate was still being written; api's key waited for it
    assert order == [(slow_path, 'other'), (LIST_PATH, 'api'), (slow_path, 'api')]
    assert [o.change.key for o in applied.outcomes] == [('certificate', 'api'), ('key', 'api'), ('key', 'other')]


def test_the_first_failure_stops_new_groups_and_running_ones_finish():
    boom = ApinizerError('boom', status=500, method='POST', path='/apiops/projects/demo/keys/bad/')
    changes = [secret_key_change('k%d' % i, 'b%d' % i) for i in range(8)]
    changes[1] = changes[1]._replace(request=changes[1].request._replace(path='/apiops/projects/demo/keys/bad/'))
    client = RoutedClient({('POST', '/apiops/projects/demo/keys/'): report('production'),
                           ('POST', '/apiops/projects/demo/keys/bad/'): boom},
                          delays={'/apiops/projects/demo/keys/': 0.05})
    applied = _apply.apply(client, changes, _server.replan, 3, parallel=2)
    assert [f.change.name for f in applied.failures] == ['k1'] and applied.error is boom
    assert 'b0' in applied.started_groups and 'b7' not in applied.started_groups
    assert len(client.answered) == len(applied.started_groups)


def test_a_rate_limit_pauses_every_worker_but_the_one_that_waits_on_its_own():
    now = [100.0]
    pause = SharedPause(clock=lambda: now[0])
    first, second = object(), object()
    pause.extend(2.5, first)
    assert pause.remaining_for(first) == 0.0 and pause.remaining_for(second) == 2.5
    now[0] += 2.0
    assert pause.remaining_for(second) == 0.5
    pause.extend(0.2, second)  # a shorter pause does not cut the longer one short
    assert pause.remaining_for(first) == 0.5
    pause.extend(1.0, second)
    assert pause.remaining_for(first) == 1.0 and pause.remaining_for(second) == 0.0


# ---------------------------------------------------------------- a private key stays with its certificate

API_KEY_PATH = '/apiops/projects/demo/keys/api/'
THEIRS = make_certificate('theirs.example.com')
STORED_KEY = {'name': 'api', 'description': '', 'keyType': 'PRIVATE_KEY', 'cryptoKeyInfoEnvironmentList': [
    {'environmentName': e, 'alias': 'api'} for e in ('production', 'staging')]}


def rotation():
    """The plan of a bundle rotated from OLD to NEW: the leaf replaced, then its private key sent again."""
    bundle = _bundles.desired_bundle(dict(name='api', certificate=NEW.cert_text, private_key=NEW.key_text()),
                                     ['production', 'staging'])
    server = _server.ServerState([listed()], [keys.current_key(STORED_KEY)])
    changes = _bundles.plan([bundle], server, 'demo')
    assert [(c.kind, c.action) for c in changes] == [('certificate', 'update'), ('key', 'update')]
    return changes


def test_a_private_key_is_followed_by_a_read_of_its_certificate():
    ok = report('production', 'staging')
    client = FakeClient([('PUT', PATH, ok), ('PUT', API_KEY_PATH, ok), ('GET', PATH, {'resultList': [server_entry(NEW)]})])
    applied = apply(client, rotation())
    assert applied.failures == [] and [o.action for o in applied.outcomes] == ['updated', 'updated']
    assert client.writes == ['PUT', 'PUT']


def test_a_forced_bundle_whose_certificate_reads_back_as_ours_is_done():
    """force replaces what is the same already; the read after the key compares without it (it used to fail as if
    another run had replaced the certificate each time)."""
    bundle = _bundles.desired_bundle(dict(name='api', certificate=NEW.cert_text, private_key=NEW.key_text(), force=True),
                                     ['production', 'staging'])
    server = _server.ServerState([listed(NEW)], [keys.current_key(STORED_KEY)])
    changes = _bundles.plan([bundle], server, 'demo')
    assert [(c.kind, c.action) for c in changes] == [('certificate', 'update'), ('key', 'update')]
    ok = report('production', 'staging')
    client = FakeClient([('PUT', PATH, ok), ('PUT', API_KEY_PATH, ok), ('GET', PATH, {'resultList': [server_entry(NEW)]})])
    applied = apply(client, changes)
    assert applied.failures == [] and client.writes == ['PUT', 'PUT']


def test_a_certificate_replaced_by_another_run_before_our_key_is_sent_again_with_the_key():
    """Another run stored its certificate after ours and before our key: our key stood beside its certificate.
    The certificate and the key are sent again, so the server ends with our pair, as if we had run last."""
    ok = report('production', 'staging')
    client = FakeClient([('PUT', PATH, ok), ('PUT', API_KEY_PATH, ok),
                         ('GET', PATH, {'resultList': [server_entry(THEIRS)]}),
                         ('PUT', PATH, ok), ('GET', API_KEY_PATH, {'resultList': [STORED_KEY]}), ('PUT', API_KEY_PATH, ok),
                         ('GET', PATH, {'resultList': [server_entry(NEW)]})])
    applied = apply(client, rotation())
    assert applied.failures == [] and [o.action for o in applied.outcomes] == ['updated', 'updated']
    assert client.server.requests == [('PUT', PATH), ('PUT', API_KEY_PATH), ('GET', PATH), ('PUT', PATH),
                                      ('GET', API_KEY_PATH), ('PUT', API_KEY_PATH), ('GET', PATH)]
    assert client.calls[3]['files']['pemEncodedFile'][1] == NEW.cert_text


def test_a_pair_replaced_again_and_again_fails_saying_so():
    ok = report('production', 'staging')
    theirs = ('GET', PATH, {'resultList': [server_entry(THEIRS)]})
    client = FakeClient([('PUT', PATH, ok), ('PUT', API_KEY_PATH, ok), theirs,
                         ('PUT', PATH, ok), ('GET', API_KEY_PATH, {'resultList': [STORED_KEY]}), ('PUT', API_KEY_PATH, ok),
                         theirs])
    applied = apply(client, rotation(), retries=1)
    assert applied.failure == (
        'Another run replaced certificate api each time this run had written it and the private key api that belongs '
        'to it (1 times); the server may hold the certificate of one run beside the key of the other. Run again once '
        'no other run writes them.')
    assert client.writes == ['PUT'] * 4 and client.server.script == []


def test_a_secret_key_beside_a_certificate_is_not_followed_by_a_read():
    bundle = _bundles.desired_bundle(dict(name='api', certificate=NEW.cert_text, secret_key=SECRET), ['production'])
    client = FakeClient([('POST', LIST_PATH, report('production')), ('POST', '/apiops/projects/demo/keys/', report('production'))])
    applied = apply(client, _bundles.plan([bundle], _server.ServerState([], []), 'demo'))
    assert applied.failures == [] and client.server.requests == [('POST', LIST_PATH), ('POST', '/apiops/projects/demo/keys/')]


def test_a_key_another_run_created_first_is_replaced_by_ours_a_lost_create_is_not_sent_again():
    """The key of a bundle created in this run: another run's key, found after an "already exist", cannot be told
    from ours (key material cannot be read back), so ours is sent; after a create whose answer was lost, the key
    found is the one we sent, as for every lost write."""
    bundle = _bundles.desired_bundle(dict(name='api', certificate=NEW.cert_text, private_key=NEW.key_text()),
                                     ['production', 'staging'])
    ok = report('production', 'staging')
    exists = ApinizerError('exists', status=400, description='CryptoKey (name: api) is already exist!', method='POST')
    dropped = ApinizerError('dropped', outcome_unknown=True, method='POST')
    ours = ('GET', PATH, {'resultList': [server_entry(NEW)]})
    stored_key = ('GET', API_KEY_PATH, {'resultList': [STORED_KEY]})
    for answer, then, writes, action in ((exists, [stored_key, ('PUT', API_KEY_PATH, ok)], ['POST', 'POST', 'PUT'],
                                          'updated'),
                                         (dropped, [stored_key], ['POST', 'POST'], 'created')):
        client = FakeClient([('POST', LIST_PATH, ok), ('POST', '/apiops/projects/demo/keys/', answer)] + then + [ours])
        applied = apply(client, _bundles.plan([bundle], _server.ServerState([], []), 'demo'))
        assert applied.failures == [] and client.writes == writes and client.server.script == []
        assert [o.action for o in applied.outcomes] == ['created', action]
