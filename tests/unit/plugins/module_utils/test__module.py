# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible.module_utils import basic
from ansible_collections.apinizer.apiops.plugins.module_utils import _module
from apinizer_emulator import testcerts

LEAF = testcerts.make_certificate('leaf.example.com')
SECRET = 'c2VjcmV0LWtleS0xMjM0NTY3ODkwYWJjZGVm'


def test_a_private_key_in_an_option_that_is_not_secret_is_masked():
    combined = LEAF.cert_text + LEAF.key_text()
    params = dict(certificate=LEAF.key_text(), description='no key here',
                  bundles=[dict(name='b', certificate=combined, chain=LEAF.cert_text, environments=['production'])])
    assert _module.free_form_secrets(params) == set([LEAF.key_text(), combined])


def test_every_value_of_an_environments_mapping_but_name_alias_and_paths_is_masked():
    mapping = dict(name='production', alias='prod', content=SECRET, passphrase='pw-1', contnet='typo-secret',
                   content_path='/k.bin', priority=3)
    params = dict(environments=['staging', mapping],
                  bundles=[dict(name='b', environments=[dict(name='dev', secret_key=SECRET + 'x')])],
                  description='plain')
    assert _module.free_form_secrets(params) == set([SECRET, 'pw-1', 'typo-secret', SECRET + 'x'])


def test_an_argument_spec_failure_does_not_echo_environment_secrets(monkeypatch, capsys):
    # Both content forms in one environment list entry, and a failing required_if: the module fails in its
    # constructor, before any code of ours runs; the invocation it returns must not hold the secret.
    args = dict(ANSIBLE_MODULE_ARGS=dict(name='k', environments=[dict(name='production', content=SECRET)]))
    monkeypatch.setattr(basic, '_ANSIBLE_ARGS', json.dumps(args).encode('utf-8'))
    monkeypatch.setattr(basic, '_ANSIBLE_PROFILE', 'legacy', raising=False)
    with pytest.raises(SystemExit):
        _module.ApinizerModule(argument_spec=dict(name=dict(type='str'), key_type=dict(type='str'),
                                                  environments=dict(type='list', elements='raw')),
                               required_if=[('name', 'k', ('key_type',))])
    output = capsys.readouterr().out
    assert 'missing: key_type' in output
    assert SECRET not in output


def test_the_key_material_sent_is_scrubbed_from_client_messages():
    class Client(object):
        hidden = []

        def hide(self, values):
            self.hidden.extend(values)

    desired_key = dict(name='k', environments=[dict(name='production', content='QUJDREVGR0g='), dict(name='staging')])
    client = Client()
    _module.hide_sent_key_material(client, [desired_key, None])
    assert client.hidden == ['QUJDREVGR0g=']
