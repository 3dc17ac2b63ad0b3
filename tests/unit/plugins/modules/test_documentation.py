# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the module documentation promises in the same words everywhere."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
import yaml

from ansible_collections.apinizer.apiops.plugins.modules import (
    apinizer_bundle,
    apinizer_certificate,
    apinizer_certificate_export,
    apinizer_certificate_info,
    apinizer_key,
    apinizer_key_info,
    apinizer_keystore,
    apinizer_keystore_info,
)


def _shape(entry):
    """A return value's structure: types and fields, all the way down (descriptions aside)."""
    shape = dict((k, v) for k, v in entry.items() if k in ('type', 'elements', 'sample'))
    if 'contains' in entry:
        shape['contains'] = dict((name, _shape(sub)) for name, sub in entry['contains'].items())
    return shape


def test_the_deployment_report_has_one_documented_shape():
    certificate = yaml.safe_load(apinizer_certificate.RETURN)['deployment']
    key = yaml.safe_load(apinizer_key.RETURN)['deployment']
    keystore = yaml.safe_load(apinizer_keystore.RETURN)['deployment']
    in_bundle = yaml.safe_load(apinizer_bundle.RETURN)['bundles']['contains']['resources']['contains']['deployment']
    assert _shape(key) == _shape(keystore) == _shape(certificate) == _shape(in_bundle)
    assert sorted(_shape(certificate)['contains']) == ['environments', 'message', 'success']


@pytest.mark.parametrize('module', [apinizer_bundle, apinizer_certificate, apinizer_certificate_export,
                                    apinizer_certificate_info, apinizer_key, apinizer_key_info, apinizer_keystore,
                                    apinizer_keystore_info])
def test_every_documentation_block_is_yaml(module):
    for block in ('DOCUMENTATION', 'EXAMPLES', 'RETURN'):
        assert yaml.safe_load(getattr(module, block)), block
