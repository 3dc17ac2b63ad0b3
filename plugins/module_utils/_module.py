# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""What every module's main() shares: the AnsibleModule that masks free-form secrets, run_and_exit() -- the one place that
ends a module and turns the collection's exceptions into the task result --, the body of a module that manages one
object (read, plan, apply, report) and the reader of the _info modules."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.apinizer.apiops.plugins.module_utils import _apply, _client, _keys, _pem, _server
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import CollectionError
from ansible_collections.apinizer.apiops.plugins.module_utils._validation import check_name, refuse_unknown_environments

# Fields of an environments mapping that are not secret; every other value in one (key material, passphrases,
# and a mistyped field name, whatever it holds) is masked.
PUBLIC_ENVIRONMENT_FIELDS = frozenset(['name', 'alias', 'keystore_type'])


class TaskFailed(CollectionError):
    """The task fails with this message and these result fields (what was done before the failure, say)."""

    def __init__(self, message, **result):
        super(TaskFailed, self).__init__(message)
        self.result = result

    def result_fields(self):
        return self.result


class MissingLibrary(CollectionError):

    def __init__(self, name, import_error):
        super(MissingLibrary, self).__init__(missing_required_lib(name))
        self.import_error = import_error

    def result_fields(self):
        return dict(exception=self.import_error)


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


class ApinizerModule(AnsibleModule):
    """AnsibleModule that masks free-form secrets from the moment the parameters are read, so that not even a
    failure of the argument spec's own checks echoes them in its invocation.

    echoed_arguments, when a module sets it, is what the result's invocation shows instead of every parameter
    (a bundle list holds key material and can be thousands of entries long)."""

    echoed_arguments = None

    def _load_params(self):
        super(ApinizerModule, self)._load_params()
        self.no_log_values.update(free_form_secrets(self.params))


CONNECTION_SECRETS = ('token', 'password')


def _echo_only(module, result):
    """With echoed_arguments set, the invocation shows them, and only the secrets that can still appear in the
    result -- the connection's -- stay registered for masking: ansible-core's masking walks every string of the
    result once per registered value."""
    if module.echoed_arguments is None or 'invocation' in result:
        return result
    module.no_log_values = set(module.params[option] for option in CONNECTION_SECRETS if module.params.get(option))
    return dict(result, invocation=dict(module_args=module.echoed_arguments))


def run_and_exit(module, task):
    """Run task(module), which returns the task result or raises; the one place that ends a module."""
    try:
        result = task(module)
    except CollectionError as exc:
        module.fail_json(msg=str(exc), **_echo_only(module, exc.result_fields()))
    module.exit_json(**_echo_only(module, result))


def require_libraries(cryptography=True):
    """Raise MissingLibrary (missing_required_lib()'s message) when requests or cryptography cannot be imported."""
    if not _client.HAS_REQUESTS:
        raise MissingLibrary('requests', _client.REQUESTS_IMPORT_ERROR)
    if cryptography and not _pem.HAS_CRYPTOGRAPHY:
        raise MissingLibrary('cryptography', _pem.CRYPTOGRAPHY_IMPORT_ERROR)


# The fields of a desired environment entry that are sent and secret: key content, keystore file and password.
SENT_SECRET_FIELDS = ('content', 'file', 'password')


def hide_sent_key_material(client, desired_keys):
    """The key material and keystore files the desired keys or keystores send (base64 that appears nowhere in the
    parameters when it was read from a file or re-encoded), and keystore passwords, are scrubbed from the client's
    messages, the only place where they could surface (a server error that echoes the request). Results never carry
    them, so they are not registered for masking."""
    secrets = set()
    for desired in desired_keys:
        for entry in (desired or {}).get('environments') or []:
            if isinstance(entry, dict):
                secrets.update(entry[field] for field in SENT_SECRET_FIELDS if entry.get(field))
    client.hide(sorted(secrets))


def environments_of(desired):
    """The environment names a desired certificate or key deploys to."""
    return [e['name'] if isinstance(e, dict) else e for e in desired.get('environments') or []]


def apply_or_predict(module, client, changes, parallel=1):
    """Check mode predicts from the plan alone; otherwise the executor sends the changes. Either way the key
    material about to be sent is checked in full first, so that bad material fails before any write."""
    _keys.check_sent_material(changes)
    if module.check_mode:
        return _apply.predict(changes)
    return _apply.apply(client, changes, _server.replan, module.params['retries'], parallel)


def manage_one(module, kind, desired_from_params, options, return_key, updated_verb='updated'):
    """The body of a module that manages one object: the desired state (input refused before any request), one
    read, the plan, unknown environments refused before the write (in check mode too), then apply and report."""
    require_libraries()
    params = module.params
    desired = desired_from_params(module)
    client = _client.ApinizerClient.from_module(module)
    if kind in ('key', 'keystore'):
        hide_sent_key_material(client, [desired])
    current = _server.READERS[kind](client, params['project'], desired['name'])
    change = _server.PLANNERS[kind](desired, current, options)
    if change.action in ('create', 'update'):
        refuse_unknown_environments(environments_of(desired), client.environment_names(params['project']),
                                    params['project'])
    applied = apply_or_predict(module, client, [change])
    if applied.error is not None:
        raise applied.error
    outcome = applied.outcomes[0]
    output = {'changed': outcome.changed, 'action': outcome.action, return_key: outcome.after}
    if module._diff:
        output['diff'] = outcome.change.diff
    if outcome.deployment is not None:
        output['deployment'] = outcome.deployment
    if outcome.failure:
        raise TaskFailed(outcome.failure, **output)
    if outcome.action == 'unchanged':
        output['msg'] = '%s is up to date.' % outcome.change.label
    else:
        verb = updated_verb if outcome.action == 'updated' else outcome.action
        output['msg'] = '%s %s%s.' % (outcome.change.label, 'would be ' if module.check_mode else '', verb)
    return output


def read_one_or_all(module, kind, cryptography=True):
    """What an _info module reads: the object named by the option name (or none), or every object of the project."""
    require_libraries(cryptography=cryptography)
    params = module.params
    if params['name'] is not None:
        check_name(params['name'])
    client = _client.ApinizerClient.from_module(module)
    if params['name'] is None:
        return _server.LIST_READERS[kind](client, params['project'])
    found = _server.READERS[kind](client, params['project'], params['name'])
    return [found] if found else []
