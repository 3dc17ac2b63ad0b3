# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""Checks of user input that need no server (names, environment lists, input files), and the refusal of
environments a project does not have. Each raises InvalidInput naming the option and the fix."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput

# Names travel in URL paths; keep them to what every Apinizer version stores and shows unchanged.
NAME_PATTERN = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$')
NAME_MAX_LENGTH = 128

# A PEM certificate or key is a few kilobytes; a file far larger is almost surely the wrong one.
MAX_INPUT_FILE_BYTES = 1024 * 1024


def is_http_url(url):
    """Whether url is an http or https address with a host (and a port, when one is given), without white space."""
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    return parts.scheme in ('http', 'https') and bool(parts.hostname) and port_ok and not any(c.isspace() for c in url)


def check_name(value, option='name'):
    if not value:
        raise InvalidInput('%s must not be empty.' % option)
    if len(value) > NAME_MAX_LENGTH:
        raise InvalidInput('%s is %d characters long; the limit is %d.' % (option, len(value), NAME_MAX_LENGTH))
    if not NAME_PATTERN.match(value):
        raise InvalidInput('%s %r holds characters the Apinizer API cannot keep in a name; use only letters A-Z and a-z, '
                           'digits, "_", "-" and "." (not first).' % (option, value))
    return value


def check_environment_list(environments, option='environments'):
    """A non-empty list of distinct, non-empty environment names, returned sorted."""
    if not environments:
        raise InvalidInput('%s must name at least one environment.' % option)
    if any(not e or not e.strip() for e in environments):
        raise InvalidInput('%s holds an empty environment name.' % option)
    seen, twice = set(), set()
    for environment in environments:
        (twice if environment in seen else seen).add(environment)
    if twice:
        raise InvalidInput('%s names %s more than once; list each environment once.' % (option, ', '.join(sorted(twice))))
    return sorted(environments)


def check_environment_mapping(item, where, fields):
    """An element of an environments list given as a mapping: a name, only known fields, and text in each (an
    unquoted YAML number would otherwise reach the server as a number)."""
    if not isinstance(item, dict) or not item.get('name'):
        raise InvalidInput('%s: give an environment name, or a mapping with a name and any of %s.'
                           % (where, ', '.join(sorted(set(fields) - set(['name'])))))
    unknown = sorted(set(item) - set(fields))
    if unknown:
        raise InvalidInput('%s: unknown field %s; an environment takes %s.'
                           % (where, ', '.join(unknown), ', '.join(sorted(fields))))
    for field, value in sorted(item.items()):
        if value is not None and not isinstance(value, str):
            raise InvalidInput('%s.%s must be text, not %s; quote it.' % (where, field, type(value).__name__))
    return item


def refuse_unknown_environments(wanted, known, project, option='environments'):
    """Refuse environments the project does not have (known: the names the server listed)."""
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise InvalidInput('%s: the project %s has no environment %s; it has %s.'
                           % (option, project, ', '.join(unknown), ', '.join(sorted(known)) or 'none'))


def read_input_file(path, option):
    """The bytes of a certificate or key file given by path; refuses missing, empty and oversized files."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read(MAX_INPUT_FILE_BYTES + 1)
    except (IOError, OSError) as exc:
        raise InvalidInput('%s: cannot read %s: %s.' % (option, path, exc.strerror or exc))
    except ValueError:  # a NUL character, which no file name can hold
        raise InvalidInput('%s: %r is not a file name: it holds a NUL character.' % (option, path))
    if not data.strip():
        raise InvalidInput('%s: %s is empty.' % (option, path))
    if len(data) > MAX_INPUT_FILE_BYTES:
        raise InvalidInput('%s: %s is larger than %d bytes; certificates and keys are a few kilobytes, so this is '
                           'probably not the intended file.' % (option, path, MAX_INPUT_FILE_BYTES))
    return data
