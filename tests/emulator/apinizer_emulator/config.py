# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The emulator's start configuration."""

from __future__ import annotations

import collections
import copy

from .variants import SWITCHES, profile_name, resolve

DEFAULT_PROJECTS = collections.OrderedDict([('demo', ['production', 'staging', 'development'])])
DEFAULT_ADMIN_PROJECT = 'admin'
DEFAULT_TOKEN_TTL = 3600


def normalize_projects(projects):
    """Check a ``{project: [environment, ...]}`` mapping and return an ordered copy.

    Raises ValueError with a message fit for a user.
    """
    if projects is None:
        return copy.deepcopy(DEFAULT_PROJECTS)
    if not isinstance(projects, dict) or not projects:
        raise ValueError('projects must be a non-empty mapping of project name to a list of environment names')
    result = collections.OrderedDict()
    for name, environments in projects.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError('project names must be non-empty strings')
        if isinstance(environments, str):
            environments = [part for part in environments.split(',') if part.strip()]
        if not isinstance(environments, (list, tuple)):
            raise ValueError('project %r: environments must be a list of names' % name)
        cleaned = []
        for environment in environments:
            if not isinstance(environment, str) or not environment.strip():
                raise ValueError('project %r: environment names must be non-empty strings' % name)
            environment = environment.strip()
            if environment not in cleaned:
                cleaned.append(environment)
        result[name] = cleaned
    return result


class EmulatorConfig:
    """Everything the emulator is started with. Tokens and passwords live only here and in memory.

    ``variant`` names a profile of the server variants (``default`` or ``strict``, see variants.py); each switch
    given (``omit_list_content``, ``not_found_status``, ``key_list_shape``, ``jwk_query``, ``strict_accept``,
    ``keystore_request``, ``jwk_request``, ``jwk_action_paths``) overrides the profile's side."""

    def __init__(self, projects=None, tokens=None, read_only_tokens=None, users=None, admin_project=DEFAULT_ADMIN_PROJECT,
                 omit_list_content=None, token_ttl=DEFAULT_TOKEN_TTL, tls_cert=None, tls_key=None, tls_client_ca=None,
                 host='127.0.0.1', port=0, log_requests=False, variant=None, not_found_status=None, key_list_shape=None,
                 jwk_query=None, strict_accept=None, keystore_request=None, jwk_request=None, jwk_action_paths=None):
        self.projects = normalize_projects(projects)
        self.tokens = list(tokens or [])
        self.read_only_tokens = list(read_only_tokens or [])
        self.users = dict(users or {})
        self.admin_project = admin_project or DEFAULT_ADMIN_PROJECT
        switches = resolve(variant, omit_list_content=omit_list_content, not_found_status=not_found_status,
                           key_list_shape=key_list_shape, jwk_query=jwk_query, strict_accept=strict_accept,
                           keystore_request=keystore_request, jwk_request=jwk_request, jwk_action_paths=jwk_action_paths)
        self.variant = profile_name(switches)
        for name, value in switches.items():
            setattr(self, name, value)
        self.token_ttl = int(token_ttl)
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.tls_client_ca = tls_client_ca
        self.host = host
        self.port = int(port)
        self.log_requests = bool(log_requests)
        self.validate()

    def validate(self):
        for token in self.tokens + self.read_only_tokens:
            if not isinstance(token, str) or not token or any(char.isspace() for char in token):
                raise ValueError('tokens must be non-empty strings without white space')
        overlap = set(self.tokens) & set(self.read_only_tokens)
        if overlap:
            raise ValueError('a token cannot be both read-write and read-only')
        for user, password in self.users.items():
            if not isinstance(user, str) or not user or not isinstance(password, str):
                raise ValueError('users must map non-empty user names to password strings')
        if self.token_ttl < 0:
            raise ValueError('token_ttl must not be negative')
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError('tls_cert and tls_key go together')
        if self.tls_client_ca and not self.tls_cert:
            raise ValueError('tls_client_ca needs tls_cert and tls_key')

    @property
    def tls(self):
        return bool(self.tls_cert)

    @property
    def switches(self):
        """Every variant switch and its value."""
        return collections.OrderedDict((name, getattr(self, name)) for name in SWITCHES)

    def replace(self, **changes):
        """A copy with some settings changed (used when keyword arguments override a given config). A new
        ``variant`` starts from that profile: the switches of this config are dropped unless given again."""
        values = dict(self.__dict__)
        values.pop('variant')  # the name of what the switches are; they say it themselves
        if changes.get('variant') is not None:
            for name in SWITCHES:
                values.pop(name)
        values.update(changes)
        return EmulatorConfig(**values)
