# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The documented ways in which real servers differ, one switch each, and the named profiles that set them all.

Each switch has the side the emulator shows by default first and the other documented side(s) after it; the
profile ``strict`` takes the other side of every switch at once. The contract (apinizer-api.md) is what each side
reproduces; tests/emulator/README.md says where."""

from __future__ import annotations

import collections

# name: (default, the side the strict profile takes, every accepted value)
SWITCHES = collections.OrderedDict([
    # "The reference says both that the list carries base64EncodedContent and that the list leaves the content out."
    ('omit_list_content', (False, True, (False, True))),
    # "A missing certificate or key is answered with 400 bad_request, not 404 ... (and should also accept 404)."
    ('not_found_status', (400, 404, (400, 404))),
    # The key list: environmentId and content (newer), or environmentName with publicKey/privateKey (older servers).
    ('key_list_shape', ('newer', 'older', ('newer', 'older'))),
    # The JWK query of a certificate replace or key update: jwkUpdateAction (newer), updateReferencedJwks (older),
    # none at all (the oldest pages).
    ('jwk_query', ('newer', 'older', ('newer', 'older', 'oldest'))),
    # 406 when the request's Accept does not admit the media type the endpoint answers.
    ('strict_accept', (False, True, (False, True))),
    # The keystore request: keyStoreType, password and alias per entry (newer); type and no password or alias (older);
    # environmentId in place of environmentName (the oldest request).
    ('keystore_request', ('newer', 'older', ('newer', 'older', 'oldest'))),
    # The JWK create, parse and generate bodies: environmentName, useType SIGNATURE/ENCRYPTION, algorithm, curveType
    # (newer); environmentId, SIGN/ENCRYPT, keystoreAlgorithm, crv and no kid (older).
    ('jwk_request', ('newer', 'older', ('newer', 'older'))),
    # The JWK generate and parse paths: documented without a trailing slash; the emulator also answers them with one
    # (both), or only as documented (documented).
    ('jwk_action_paths', ('both', 'documented', ('both', 'documented'))),
])

PROFILES = collections.OrderedDict([
    ('default', collections.OrderedDict((name, spec[0]) for name, spec in SWITCHES.items())),
    ('strict', collections.OrderedDict((name, spec[1]) for name, spec in SWITCHES.items())),
])
CUSTOM = 'custom'


def check_switch(name, value):
    """The value of one switch, checked (404 given as "404" is fine); raises ValueError with a message fit for a
    user."""
    if name not in SWITCHES:
        raise ValueError('unknown variant switch %r; the switches are %s' % (name, ', '.join(SWITCHES)))
    choices = SWITCHES[name][2]
    if choices == (False, True):
        if isinstance(value, bool):
            return value
    elif all(isinstance(choice, int) for choice in choices):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and value in choices:
            return value
    elif value in choices:
        return value
    raise ValueError('%s must be one of %s, not %r' % (name, ', '.join(_show(choice) for choice in choices), value))


def _show(value):
    return ('true' if value else 'false') if isinstance(value, bool) else str(value)


def resolve(variant=None, base=None, **switches):
    """Every switch's value: the profile ``variant`` (or ``base``, a dict of every switch, or the default profile),
    then each switch given (not None) on top. Raises ValueError for an unknown profile, switch or value."""
    if variant is not None:
        if variant not in PROFILES:
            raise ValueError('variant must be one of %s, not %r' % (', '.join(PROFILES), variant))
        values = collections.OrderedDict(PROFILES[variant])
    else:
        values = collections.OrderedDict(base if base is not None else PROFILES['default'])
    for name, value in switches.items():
        if value is not None:
            values[name] = check_switch(name, value)
        elif name not in SWITCHES:
            check_switch(name, value)
    return values


def profile_name(values):
    """The name of the profile that these switch values are exactly, else ``custom``."""
    for name, profile in PROFILES.items():
        if all(values.get(switch) == value for switch, value in profile.items()):
            return name
    return CUSTOM
