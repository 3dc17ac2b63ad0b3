# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.apinizer.apiops.plugins.module_utils import _common
from ansible_collections.apinizer.apiops.tests.unit.plugins.module_utils import pki

LEAF = pki.make_certificate('leaf.example.com', key_kind='ec')


class Module(object):
    def __init__(self, **params):
        self.params = params
        self.no_log_values = set()


def test_a_private_key_in_an_option_that_is_not_secret_is_masked():
    combined = LEAF.pem + LEAF.key_pem()
    module = Module(certificate=LEAF.key_pem(), description='no key here',
                    bundles=[dict(name='b', certificate=combined, chain=LEAF.pem, environments=['production'])])
    _common.hide_private_keys(module)
    assert module.no_log_values == set([LEAF.key_pem(), combined])
