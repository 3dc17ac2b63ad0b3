# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""What the resource layers share: input errors, name and environment checks, deployment reports, diffs."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.apinizer.apiops.plugins.module_utils import _client, _pem

# Names travel in URL paths; keep them to what every Apinizer version stores and shows unchanged.
NAME_PATTERN = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$')
NAME_MAX_LENGTH = 128


class InvalidInput(ValueError):
    """Input refused before any request; the message names the option and the fix."""


def check_name(value, option='name'):
    if not value:
        raise InvalidInput('%s must not be empty.' % option)
    if len(value) > NAME_MAX_LENGTH:
        raise InvalidInput('%s is %d characters long; the limit is %d.' % (option, len(value), NAME_MAX_LENGTH))
    if not NAME_PATTERN.match(value):
        raise InvalidInput('%s %r holds characters the Apinizer API cannot keep in a name; use only letters A-Z and a-z, '
                           'digits, "_", "-" and "." (not first).' % (option, value))
    return value


def check_environments(environments, option='environments'):
    """A non-empty list of distinct, non-empty environment names, returned sorted."""
    if not environments:
        raise InvalidInput('%s must name at least one environment.' % option)
    blank = [e for e in environments if not e or not e.strip()]
    if blank:
        raise InvalidInput('%s holds an empty environment name.' % option)
    duplicates = sorted(set(e for e in environments if environments.count(e) > 1))
    if duplicates:
        raise InvalidInput('%s names %s more than once; list each environment once.' % (option, ', '.join(duplicates)))
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


def deployment_report(response):
    """The deployment report of a write answer, in the collection's return format."""
    result = (response or {}).get('deploymentResult') or {}
    environments = [dict(name=entry.get('environmentName'), success=bool(entry.get('success')),
                         message=entry.get('message') or '')
                    for entry in result.get('environmentResults') or []]
    success = result.get('success')
    if success is None:
        success = all(entry['success'] for entry in environments)
    return dict(success=bool(success), message=result.get('message') or '', environments=environments)


def deployment_failure_message(kind, name, report):
    """None when every environment deployed; else a message naming each failed environment."""
    if not report or report['success']:
        return None
    failed = [e for e in report['environments'] if not e['success']]
    details = '; '.join('%s: %s' % (e['name'] or '?', e['message']) for e in failed) or report['message']
    return ('%s %s was stored, but its deployment failed in %s (%s). Run again with force=true to deploy it '
            'again (a server that leaves the failed environment out of the %s is redeployed by a plain run too).'
            % (kind, name, ', '.join(e['name'] or '?' for e in failed) or 'some environment', details, kind.lower()))


def jwk_update_params(jwk_update_action='nullify', jwk_update_scope=None):
    """Query of a certificate replace or key update. Newer servers read jwkUpdateAction, older ones
    updateReferencedJwks; send both."""
    params = dict(jwkUpdateAction=jwk_update_action.upper(),
                  updateReferencedJwks='true' if jwk_update_action == 'update' else 'false')
    if jwk_update_scope:
        params['updateScope'] = jwk_update_scope.upper()
    return params


def unwrap_one(response):
    """The one object of a GET answer: inside resultList, or the answer itself on servers that skip the wrapper."""
    if not response:
        return None
    if 'resultList' in response:
        return (response.get('resultList') or [None])[0]
    return response if 'name' in response else None


def changed_fields_diff(name, before, after):
    """Ansible diff of the fields that differ; before={} on create, after={} on delete."""
    if not before:
        return dict(before={}, after=after or {})
    if not after:
        return dict(before=before, after={})
    fields = [key for key in after if before.get(key) != after.get(key)]
    return dict(before=dict([('name', name)] + [(key, before.get(key)) for key in fields]),
                after=dict([('name', name)] + [(key, after.get(key)) for key in fields]))


# A PEM certificate or key is a few kilobytes; a file far larger is almost surely the wrong one.
MAX_INPUT_FILE_BYTES = 1024 * 1024


def read_input_file(path, option):
    """The bytes of a certificate or key file given by path; refuses missing, empty and oversized files."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read(MAX_INPUT_FILE_BYTES + 1)
    except (IOError, OSError) as exc:
        raise InvalidInput('%s: cannot read %s: %s.' % (option, path, exc.strerror or exc))
    if not data.strip():
        raise InvalidInput('%s: %s is empty.' % (option, path))
    if len(data) > MAX_INPUT_FILE_BYTES:
        raise InvalidInput('%s: %s is larger than %d bytes; certificates and keys are a few kilobytes, so this is '
                           'probably not the intended file.' % (option, path, MAX_INPUT_FILE_BYTES))
    return data


# Fields of an environments mapping that are not secret; every other value in one (key material, passphrases,
# and a mistyped field name, whatever it holds) is masked.
PUBLIC_ENVIRONMENT_FIELDS = frozenset(['name', 'alias'])


def free_form_secrets(value, in_environments=False):
    """Secrets that the argument spec cannot mark no_log: values inside environments mappings (elements of type
    raw), and a private key given where none belongs (the certificate option by mistake, or a certificate file's
    text that also holds its key)."""
    found = set()
    if isinstance(value, str):
        if 'PRIVATE KEY-----' in value:
            found.add(value)
    elif isinstance(value, dict):
        for field, item in value.items():
            if in_environments and field not in PUBLIC_ENVIRONMENT_FIELDS and not field.endswith('_path') \
                    and isinstance(item, str) and item:
                found.add(item)
            found.update(free_form_secrets(item, in_environments=field == 'environments'))
    elif isinstance(value, list):
        for item in value:
            found.update(free_form_secrets(item, in_environments=in_environments))
    return found


def sent_key_material(desired):
    """The key material a desired key (or a bundle's key) sends: base64 that appears nowhere in the parameters
    when it was read from a file or re-encoded, so it is masked separately."""
    environments = (desired or {}).get('environments') or []
    return set(e['content'] for e in environments if isinstance(e, dict) and e.get('content'))


def hide_sent_key_material(module, client, desired_keys):
    secrets = set()
    for desired in desired_keys:
        secrets.update(sent_key_material(desired))
    module.no_log_values.update(secrets)
    client.hide(sorted(secrets))


class ApinizerModule(AnsibleModule):
    """AnsibleModule that masks free-form secrets from the moment the parameters are read, so that not even a
    failure of the argument spec's own checks echoes them in its invocation."""

    def _load_params(self):
        super(ApinizerModule, self)._load_params()
        self.no_log_values.update(free_form_secrets(self.params))


def fail_if_missing_libraries(module, cryptography=True):
    """Fail with missing_required_lib()'s message when requests (or cryptography) cannot be imported."""
    if not _client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=_client.REQUESTS_IMPORT_ERROR)
    if cryptography and not _pem.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=_pem.CRYPTOGRAPHY_IMPORT_ERROR)


def exit_with_result(module, result, kind, return_key, updated_verb='updated'):
    """End a managing module: its return value, the diff in diff mode, the deployment report, and a failure when a
    deployment or a replacement failed (with changed=true, since something was written)."""
    name = (result['after'] or result['before'] or {}).get('name') or module.params['name']
    output = {'changed': result['changed'], 'action': result['action'], return_key: result['after']}
    if module._diff:
        output['diff'] = result['diff']
    if result['deployment'] is not None:
        output['deployment'] = result['deployment']
    if result['failure']:
        module.fail_json(msg=result['failure'], **output)
    if result['action'] == 'unchanged':
        text = '%s %s is up to date.' % (kind, name)
    else:
        verb = {'created': 'created', 'updated': updated_verb, 'deleted': 'deleted'}[result['action']]
        text = '%s %s %s%s.' % (kind, name, 'would be ' if module.check_mode else '', verb)
    module.exit_json(msg=text, **output)


def environments_paths(project):
    """The reference writes this path without the trailing slash every other path has; try both."""
    with_slash = _client.ApinizerClient.path(_client.Literal('apiops/environments'), project)
    return [with_slash[:-1], with_slash]


def fetch_environment_names(client, project):
    """Names of the environments the project reaches (one read)."""
    without_slash, with_slash = environments_paths(project)
    try:
        response = client.get(without_slash)
    except _client.ApinizerError as exc:
        if exc.status != 404:
            raise
        response = client.get(with_slash)
    return [entry.get('name') for entry in response.get('resultList') or []]


class EnvironmentCheck(object):
    """Refuses environments the project does not have, before the first write; reads them once, when needed."""

    def __init__(self, client, project):
        self.client, self.project, self.known = client, project, None

    def __call__(self, environments):
        if self.known is None:
            self.known = fetch_environment_names(self.client, self.project)
        unknown = sorted(set(environments) - set(self.known))
        if unknown:
            raise InvalidInput('environments: the project %s has no environment %s; it has %s.'
                               % (self.project, ', '.join(unknown), ', '.join(sorted(self.known)) or 'none'))


def manage_one(module, desired_from_params, fetch, reconcile, kind, return_key, updated_verb='updated', **options):
    """The body of a module that manages one object: desired state (input refused before any request), then
    read, compare and write -- again after a lost write or a race -- and exit."""
    fail_if_missing_libraries(module)
    params = module.params
    try:
        desired = desired_from_params(module)
    except (InvalidInput, _pem.PemError) as exc:
        module.fail_json(msg=str(exc))
    client = _client.ApinizerClient.from_module(module)
    hide_sent_key_material(module, client, [desired])
    project, name = params['project'], params['name']
    check_environments = EnvironmentCheck(client, project)

    def attempt():
        return reconcile(client, project, desired, fetch(client, project, name), state=params['state'],
                         check_mode=module.check_mode, force=params['force'], check_environments=check_environments,
                         **options)

    try:
        result = _client.converge(attempt, params['retries'])
    except InvalidInput as exc:
        module.fail_json(msg=str(exc))
    except _client.ApinizerError as exc:
        module.fail_json(msg=str(exc), **exc.to_result())
    exit_with_result(module, result, kind, return_key, updated_verb)


def read_one_or_all(module, fetch, fetch_all, cryptography=True):
    """What an _info module reads: the object named by the option name (or none), or every object of the project."""
    fail_if_missing_libraries(module, cryptography=cryptography)
    params = module.params
    try:
        if params['name'] is not None:
            check_name(params['name'])
    except InvalidInput as exc:
        module.fail_json(msg=str(exc))
    client = _client.ApinizerClient.from_module(module)
    try:
        if params['name'] is None:
            return fetch_all(client, params['project'])
        found = fetch(client, params['project'], params['name'])
        return [found] if found else []
    except _client.ApinizerError as exc:
        module.fail_json(msg=str(exc), **exc.to_result())
