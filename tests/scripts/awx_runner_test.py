#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""make awx: run examples/deploy.yml the way an AWX job template does, with ansible-runner.

Usage: python tests/scripts/awx_runner_test.py COLLECTIONS_PATH [--work-dir DIR] [--keep] [--playbook PLAYBOOK]

COLLECTIONS_PATH is the collection installed from the built tarball (build/collections, from
`make build`); nothing is built here. The steps:

1. docs/awx/credential_type.yml is checked the way AWX checks a credential type when it is saved
   (awx/main/fields.py: the inputs and injectors schema, reserved names, every template rendered
   with StrictUndefined), and rendered the way AWX renders it when a job starts
   (awx/main/models/credential.py, CredentialType.inject_credential): booleans left out are false,
   empty inputs are undefined, each file template becomes a 0600 file in env/.
2. The emulator starts (in this process, HTTPS with a certificate of a throw-away CA, new random
   token). The credential holds its URL, the token, project demo, validate_certs and that CA.
3. A private data directory as AWX writes one:
   env/envvars     the credential's injected environment (APINIZER_URL, APINIZER_TOKEN,
                   APINIZER_PROJECT, APINIZER_VALIDATE_CERTS, APINIZER_CA_PATH -> the injected CA
                   file) plus ANSIBLE_COLLECTIONS_PATH, as AWX adds it for the execution environment;
   env/extravars   the job template's extra variables, file paths and names only, tagged !unsafe
                   as AWX's safe_dump writes them;
   env/passwords   the answer to ansible-playbook's vault password prompt, as AWX answers it for a
                   Vault credential;
   env/cmdline     --ask-vault-pass (the Vault credential), --diff -vvv (Show Changes and
                   Verbosity 3 (Debug): the settings that print most);
   env/settings    a job timeout;
   inventory/hosts localhost, ansible_connection=local, this Python;
   project/        deploy.yml and files/: a certificate, its chain of two CA certificates, its RSA
                   private key and a 32-byte secret key (base64 text), both keys ansible-vault
                   encrypted, as they would be kept in a project's repository.
4. `ansible-runner run DIR -p deploy.yml --ident first`, then `--ident second`: both must exit 0 with
   status successful and no failed or unreachable host; the playbook_on_stats event of the second
   must show changed=0; the emulator's request log must show writes during the first run and none
   during the second; the emulator must hold the bundle (certificate, two chain certificates,
   private key, secret key) in production and staging.
5. Leaks, scanned by apinizer_emulator.leaks (the collection's one leak scanner) with the secrets read
   back from the private data directory (job_secrets): the token; the vault password; the private key,
   decrypted (every PEM body line that holds private bytes, as written and as the PKCS#8 the module
   sends, and 24-character pieces of the base64 the module sends); the secret key as raw bytes, base64,
   URL-safe base64 and hex. Each form is found as it is, JSON-escaped or wrapped over lines. Searched
   in: what ansible-runner printed (stdout and stderr) and every file under artifacts/ -- stdout,
   job_events/*.json, fact_cache/, status, rc and command; the outputs must be the -vvv run with its
   recap, and the job events must be there. None may hold key material. None may hold the token, except
   artifacts/<ident>/command: ansible-runner records there, by design, the command and the complete
   environment it ran the job with, which includes what the credential injected -- the same
   environment as env/envvars, the input of the job. That file is written 0600 (checked here) and
   is not output: AWX keeps it only inside the job's private data directory, which it deletes when
   the job ends, and stores the environment in its database with secret values replaced by
   asterisks. The token must be found there (else the scan is broken). Neither the job's output
   (stdout, the job events, the fact cache) nor anything else may carry the token. A leak fails the
   test naming the file and what leaked, never the value.
6. The emulator stops, whatever happened; the work directory is removed unless --keep.
"""

from __future__ import annotations

import argparse
import base64
import glob
import json
import os
import pathlib
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import types

import yaml
from jinja2 import StrictUndefined
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CREDENTIAL_TYPE = os.path.join(ROOT, 'docs', 'awx', 'credential_type.yml')
PLAYBOOK = os.path.join(ROOT, 'examples', 'deploy.yml')
EMULATOR_DIR = os.path.join(ROOT, 'tests', 'emulator')
if EMULATOR_DIR not in sys.path:
    sys.path.insert(0, EMULATOR_DIR)

from apinizer_emulator import leaks, testcerts  # noqa: E402 pylint: disable=wrong-import-position,import-error

PROJECT = 'demo'
ENVIRONMENTS = ['production', 'staging']  # the emulator's project demo also has development
TLS_NAME = 'api-tls'
SECRET_KEY_NAME = 'api-signing-key'
JOB_TIMEOUT = 600
# The prompt AWX answers with a Vault credential's password (awx/main/tasks/jobs.py, RunJob.get_password_prompts).
VAULT_PROMPT = r'Vault password:\s*?$'

# What awx/main/fields.py accepts (CredentialTypeInputField, CredentialTypeInjectorField).
FIELD_ID = re.compile(r'^[a-zA-Z_]+[a-zA-Z0-9_]*$')
FILE_LABEL = re.compile(r'^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$')
ENV_NAME = re.compile(r'^[a-zA-Z_]+[a-zA-Z0-9_]*$')
FIELD_KEYS = frozenset(('id', 'label', 'help_text', 'type', 'format', 'choices', 'secret', 'multiline', 'default', 'ask_at_runtime'))
STRING_ONLY_KEYS = ('choices', 'multiline', 'format', 'secret')


class TestFailure(Exception):
    """A check failed; the message never holds a secret."""


# ---- the credential type, as AWX checks and renders it -----------------------------------------------------------

def check_credential_type(definition):
    """Return the problems AWX would refuse the credential type for (an empty list when it is valid)."""
    problems = []
    if set(definition) - {'name', 'description', 'kind', 'inputs', 'injectors'}:
        problems.append('unknown top-level keys: %s' % sorted(set(definition) - {'name', 'description', 'kind', 'inputs', 'injectors'}))
    if not definition.get('name'):
        problems.append('name is required')
    if definition.get('kind') not in ('cloud', 'net'):
        problems.append('kind must be cloud or net for a custom credential type')
    inputs = definition.get('inputs') or {}
    injectors = definition.get('injectors') or {}
    if set(inputs) - {'fields', 'required'}:
        problems.append('inputs: unknown keys %s' % sorted(set(inputs) - {'fields', 'required'}))
    ids = []
    for field in inputs.get('fields', []):
        field_id = field.get('id')
        where = 'inputs field %r' % field_id
        if not isinstance(field_id, str) or not FIELD_ID.match(field_id):
            problems.append('%s: invalid id' % where)
        if field_id == 'tower':
            problems.append('%s: "tower" is a reserved field name' % where)
        if field_id in ids:
            problems.append('%s: field IDs must be unique' % where)
        ids.append(field_id)
        if not isinstance(field.get('label'), str):
            problems.append('%s: label is required' % where)
        if set(field) - FIELD_KEYS:
            problems.append('%s: unknown keys %s' % (where, sorted(set(field) - FIELD_KEYS)))
        field_type = field.get('type', 'string')
        if field_type not in ('string', 'boolean'):
            problems.append('%s: type must be string or boolean' % where)
            continue
        if 'format' in field and field['format'] not in ('ssh_private_key', 'url'):
            problems.append('%s: format must be ssh_private_key or url' % where)
        if 'default' in field and type(field['default']) is not {'string': str, 'boolean': bool}[field_type]:  # pylint: disable=unidiomatic-typecheck
            problems.append('%s: default is not a %s' % (where, field_type))
        for key in STRING_ONLY_KEYS:
            if key in field and field_type != 'string':
                problems.append('%s: %s not allowed for a boolean' % (where, key))
    for required in inputs.get('required', []):
        if required not in ids:
            problems.append('inputs: required names an unknown field %r' % required)
    if set(injectors) - {'file', 'env', 'extra_vars'}:
        problems.append('injectors: unknown keys %s' % sorted(set(injectors) - {'file', 'env', 'extra_vars'}))
    labels = list(injectors.get('file', {}))
    for label in labels:
        if not FILE_LABEL.match(label) or not isinstance(injectors['file'][label], str):
            problems.append('injectors file %r: the key must be template or template.<name>, the value a string' % label)
    if 'template' in labels and len(labels) > 1:
        problems.append('injectors file: must use multi-file syntax when injecting multiple files')
    for name, value in injectors.get('env', {}).items():
        if not ENV_NAME.match(name):
            problems.append('injectors env %r: invalid variable name' % name)
        if name.startswith('ANSIBLE_'):
            problems.append('injectors env %r: names starting with ANSIBLE_ are not allowed' % name)
        if not isinstance(value, str) or not all(ord(character) < 128 for character in value):
            problems.append('injectors env %r: the value must be an ASCII string' % name)

    # Every template must render with every field defined (AWX uses 'EXAMPLE') and StrictUndefined.
    namespace = {field_id: 'EXAMPLE' for field_id in ids}
    filename = 'EXAMPLE_FILENAME' if 'template' in labels else types.SimpleNamespace(
        **{label.split('.', 1)[1]: 'EXAMPLE_FILENAME' for label in labels if '.' in label})
    namespace['tower'] = types.SimpleNamespace(filename=filename)
    environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind in ('file', 'env'):
        for key, template in injectors.get(kind, {}).items():
            try:
                environment.from_string(template).render(namespace)
            except (UndefinedError, SecurityError, TemplateSyntaxError) as exc:
                problems.append('injectors %s %r: %s' % (kind, key, exc))
    return problems


def inject_credential(definition, inputs, private_data_dir):
    """Return the environment AWX injects for a credential of this type with these inputs, writing its files."""
    namespace = {}
    for name, value in inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[name] = value
    for field in definition['inputs'].get('fields', []):
        if field.get('type', 'string') == 'boolean' and field['id'] not in inputs:
            namespace[field['id']] = False
    environment = ImmutableSandboxedEnvironment()
    tower = types.SimpleNamespace()
    namespace['tower'] = tower
    for label, template in definition['injectors'].get('file', {}).items():
        data = environment.from_string(template).render(**namespace)
        handle, path = tempfile.mkstemp(dir=os.path.join(private_data_dir, 'env'))
        with os.fdopen(handle, 'w') as stream:
            stream.write(data)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        if '.' not in label:
            tower.filename = path
        else:
            if not hasattr(tower, 'filename'):
                tower.filename = types.SimpleNamespace()
            setattr(tower.filename, label.split('.', 1)[1], path)
    return {name: environment.from_string(template).render(**namespace)
            for name, template in definition['injectors'].get('env', {}).items()}


def check_credential_injection(definition, work):
    """The injected environment for a complete credential and for one with the optional inputs left out."""
    problems = []
    scratch = os.path.join(work, 'injection-check')
    os.makedirs(os.path.join(scratch, 'env'))
    full = inject_credential(definition, {
        'url': 'https://apinizer.example.test', 'token': 'T' * 40, 'project': 'p',
        'validate_certs': True, 'ca_certificate': '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n'}, scratch)
    expected = {'APINIZER_URL', 'APINIZER_TOKEN', 'APINIZER_PROJECT', 'APINIZER_VALIDATE_CERTS', 'APINIZER_CA_PATH'}
    if set(full) != expected:
        problems.append('the credential injects %s, expected %s' % (sorted(full), sorted(expected)))
    elif full['APINIZER_VALIDATE_CERTS'] != 'True' or full['APINIZER_TOKEN'] != 'T' * 40:
        problems.append('APINIZER_VALIDATE_CERTS or APINIZER_TOKEN is not rendered from the inputs')
    elif not os.path.isfile(full['APINIZER_CA_PATH']) or 'BEGIN CERTIFICATE' not in read_text(full['APINIZER_CA_PATH']):
        problems.append('APINIZER_CA_PATH does not name a file holding the CA certificate')
    bare = inject_credential(definition, {'url': 'https://apinizer.example.test', 'token': 'T' * 40, 'project': 'p'}, scratch)
    if bare.get('APINIZER_CA_PATH') != '':
        problems.append('without a CA certificate, APINIZER_CA_PATH must be empty (an empty CA file fails TLS verification)')
    if bare.get('APINIZER_VALIDATE_CERTS') != 'False':
        problems.append('a credential without validate_certs must inject False (AWX defaults missing booleans to false)')
    shutil.rmtree(scratch)
    return problems


# ---- test material ----------------------------------------------------------------------------------------------

def make_material(work, project_dir, vault_password):
    """The emulator's TLS certificate (own CA) and the bundle files, the keys vault-encrypted. Returns the server's files."""
    management_ca = testcerts.make_ca('Apinizer management CA (awx_runner_test)')
    server = testcerts.make_server_certificate(management_ca)
    tls_cert, tls_key = server.write(pathlib.Path(work), 'emulator-tls')

    root = testcerts.make_certificate('AWX Test Root CA', organization='apinizer.apiops tests', is_ca=True, days=60)
    intermediate = testcerts.make_certificate('AWX Test Issuing CA', organization='apinizer.apiops tests', issuer=root,
                                              is_ca=True, days=60)
    leaf = testcerts.make_certificate('api.awx.example.test', issuer=intermediate, days=30)
    files = os.path.join(project_dir, 'files')
    os.makedirs(files)
    traditional = leaf.key_text('traditional').encode('ascii')
    secret_key = secrets.token_bytes(32)
    for name, data in (('api-tls.pem', leaf.cert_pem), ('api-tls-chain.pem', intermediate.cert_pem + root.cert_pem),
                       ('api-tls.key', traditional), ('api-signing.key', base64.b64encode(secret_key) + b'\n')):
        path = os.path.join(files, name)
        with open(path, 'wb') as stream:
            stream.write(data)
        os.chmod(path, 0o600)
    vault_encrypt(work, vault_password, [os.path.join(files, 'api-tls.key'), os.path.join(files, 'api-signing.key')])

    return {'ca_pem': management_ca.cert_pem.decode('ascii'), 'tls_cert': tls_cert, 'tls_key': tls_key}


def vault_encrypt(work, vault_password, paths):
    """ansible-vault encrypt the files in place, as keys are kept in a project's repository."""
    password_file = os.path.join(work, 'vault-password')
    with open(password_file, 'w') as stream:
        stream.write(vault_password + '\n')
    os.chmod(password_file, 0o600)
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-vault'), 'encrypt', '--vault-password-file', password_file]
    completed = subprocess.run(command + paths, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    os.remove(password_file)
    if completed.returncode != 0:
        raise TestFailure('ansible-vault encrypt failed: %s' % completed.stdout.decode('utf-8', 'replace').strip())


def unsafe_yaml(value):
    """Extra variables as AWX writes them (awx.main.utils.safe_yaml.safe_dump): every string tagged !unsafe."""
    if isinstance(value, str):
        return '!unsafe ' + json.dumps(value)
    if isinstance(value, list):
        return '[' + ', '.join(unsafe_yaml(item) for item in value) + ']'
    raise TypeError(type(value))


def write_private_data_dir(private_data_dir, collections, definition, credential_inputs, playbook, vault_password):
    """env/, inventory/, project/ as AWX prepares them; returns the injected environment."""
    for sub_dir in ('env', 'inventory', 'project'):
        os.makedirs(os.path.join(private_data_dir, sub_dir), mode=0o700, exist_ok=True)
    injected = inject_credential(definition, credential_inputs, private_data_dir)
    envvars = dict(injected, ANSIBLE_COLLECTIONS_PATH=collections)
    extravars = {
        'deploy_environments': ENVIRONMENTS,
        'deploy_tls_name': TLS_NAME,
        'deploy_tls_certificate_path': 'files/api-tls.pem',
        'deploy_tls_chain_path': 'files/api-tls-chain.pem',
        'deploy_tls_private_key_path': 'files/api-tls.key',
        'deploy_secret_key_name': SECRET_KEY_NAME,
        'deploy_secret_key_path': 'files/api-signing.key',
    }
    contents = {
        'envvars': json.dumps(envvars, indent=2) + '\n',
        'extravars': '---\n' + ''.join('%s: %s\n' % (name, unsafe_yaml(value)) for name, value in extravars.items()),
        'cmdline': '--ask-vault-pass --diff -vvv',
        'passwords': json.dumps({VAULT_PROMPT: vault_password}) + '\n',
        'settings': json.dumps({'job_timeout': JOB_TIMEOUT}) + '\n',
    }
    for name, content in contents.items():
        path = os.path.join(private_data_dir, 'env', name)
        with open(path, 'w') as stream:
            stream.write(content)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    with open(os.path.join(private_data_dir, 'inventory', 'hosts'), 'w') as stream:
        stream.write('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    shutil.copy(playbook, os.path.join(private_data_dir, 'project', 'deploy.yml'))
    return injected


# ---- running and reading a job ----------------------------------------------------------------------------------

def run_job(private_data_dir, ident):
    """ansible-runner run DIR -p deploy.yml --ident IDENT; returns (rc, output bytes, seconds)."""
    bin_dir = os.path.dirname(sys.executable)
    runner = os.path.join(bin_dir, 'ansible-runner')
    if not os.access(runner, os.X_OK):
        runner = shutil.which('ansible-runner')
    if not runner:
        raise TestFailure('ansible-runner is not installed (requirements-dev.txt pins it; make venv)')
    environment = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get('PATH', ''))
    for name in list(environment):
        if name.startswith('APINIZER_'):
            del environment[name]  # only the credential may connect the job
    start = time.monotonic()
    completed = subprocess.run([runner, 'run', private_data_dir, '-p', 'deploy.yml', '--ident', ident], env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=JOB_TIMEOUT + 60, check=False)
    return completed.returncode, completed.stdout, time.monotonic() - start


def job_stats(artifact_dir):
    """The event data of the job's playbook_on_stats event."""
    for path in sorted(glob.glob(os.path.join(artifact_dir, 'job_events', '*.json'))):
        with open(path) as stream:
            event = json.load(stream)
        if event.get('event') == 'playbook_on_stats':
            return event['event_data']
    raise TestFailure('%s has no playbook_on_stats event' % os.path.relpath(artifact_dir))


def read_text(path):
    with open(path) as stream:
        return stream.read().strip()


def check_job(private_data_dir, ident, rc, expect_changes):
    """rc, status and the recap of one job. Returns the recap counts for localhost."""
    artifact_dir = os.path.join(private_data_dir, 'artifacts', ident)
    status = read_text(os.path.join(artifact_dir, 'status')) if os.path.exists(os.path.join(artifact_dir, 'status')) else None
    if rc != 0 or status != 'successful':
        raise TestFailure('job %s: ansible-runner exited %s with status %s (see %s)' % (ident, rc, status, artifact_dir))
    stats = job_stats(artifact_dir)
    counts = {name: (stats.get(name) or {}).get('localhost', 0)
              for name in ('ok', 'changed', 'failures', 'dark', 'ignored', 'skipped', 'rescued')}
    if not stats.get('ok', {}).get('localhost'):
        raise TestFailure('job %s: localhost ran no task' % ident)
    if counts['failures'] or counts['dark'] or counts['ignored']:
        raise TestFailure('job %s: failed=%d unreachable=%d ignored=%d' % (ident, counts['failures'], counts['dark'], counts['ignored']))
    if expect_changes and not counts['changed']:
        raise TestFailure('job %s: changed=0 on the first run, expected changes' % ident)
    if not expect_changes and counts['changed']:
        raise TestFailure('job %s: changed=%d, expected changed=0 on the second run' % (ident, counts['changed']))
    return counts


def check_server_state(control):
    """The bundle as the emulator holds it after the first run."""
    state = control.state()['projects'][PROJECT]
    certificates = {item['name']: item for item in state['certificates']}
    keys = {item['name']: item for item in state['keys']}
    problems = []
    for name in (TLS_NAME, TLS_NAME + '-chain-1', TLS_NAME + '-chain-2'):
        if name not in certificates:
            problems.append('certificate %s missing' % name)
        elif certificates[name]['environments'] != sorted(ENVIRONMENTS):
            problems.append('certificate %s is in %s' % (name, certificates[name]['environments']))
    for name, key_type in ((TLS_NAME, 'PRIVATE_KEY'), (SECRET_KEY_NAME, 'SECRET_KEY')):
        if name not in keys:
            problems.append('key %s missing' % name)
            continue
        if keys[name]['key_type'] != key_type:
            problems.append('key %s is a %s, expected %s' % (name, keys[name]['key_type'], key_type))
        environments = sorted(entry['name'] for entry in keys[name]['environments'])
        if environments != sorted(ENVIRONMENTS):
            problems.append('key %s is in %s' % (name, environments))
    if problems:
        raise TestFailure('the emulator does not hold the bundle: ' + '; '.join(problems))
    return sorted(certificates), sorted(keys)


# ---- leaks ------------------------------------------------------------------------------------------------------

def job_secrets(private_data_dir):
    """What the leak scan looks for, read back from the private data directory: the token the credential injected
    (env/envvars), the vault password (env/passwords) and the project's key material, decrypted with it."""
    from ansible.parsing.vault import VaultLib, VaultSecret  # pylint: disable=import-outside-toplevel

    with open(os.path.join(private_data_dir, 'env', 'envvars')) as stream:
        token = json.load(stream)['APINIZER_TOKEN']
    with open(os.path.join(private_data_dir, 'env', 'passwords')) as stream:
        vault_password = list(json.load(stream).values())[0]
    vault = VaultLib([('default', VaultSecret(vault_password.encode('utf-8')))])
    files = os.path.join(private_data_dir, 'project', 'files')
    found = leaks.Secrets().add('token', token).add('vault password', vault_password)
    with open(os.path.join(files, 'api-tls.key'), 'rb') as stream:
        found.add_private_key('private key api-tls.key', vault.decrypt(stream.read()))
    with open(os.path.join(files, 'api-signing.key'), 'rb') as stream:
        found.add_secret_key('secret key api-signing.key', base64.b64decode(vault.decrypt(stream.read()).strip()))
    return found


def scan_job(private_data_dir, ident, output, secrets_known):
    """Leaks in one job's output and artifacts, and proof of what was scanned; returns (problems, report)."""
    artifact_dir = os.path.join(private_data_dir, 'artifacts', ident)
    command_file = os.path.join(artifact_dir, 'command')
    paths = sorted(set([command_file] + [os.path.join(directory, name) for directory, _sub_dirs, names in os.walk(artifact_dir)
                                         for name in names if os.path.isfile(os.path.join(directory, name))]))
    # The command file records the job's environment (see the module docstring): the token must be there.
    report = leaks.scan([('ansible-runner stdout/stderr of job %s' % ident, output)] + paths, secrets_known,
                        markers=[leaks.VERBOSE, leaks.RECAP], expected={command_file: ['token']}, min_secrets=4,
                        relative_to=private_data_dir)
    problems = report.messages()
    if os.path.isfile(command_file) and stat.S_IMODE(os.stat(command_file).st_mode) != 0o600:
        problems.append('artifacts/%s/command: holds the environment but is not mode 0600' % ident)
    if not glob.glob(os.path.join(artifact_dir, 'job_events', '*.json')):
        problems.append('artifacts/%s/job_events: no job event files: nothing was scanned' % ident)
    return problems, report


# ---- main -------------------------------------------------------------------------------------------------------

def run(collections, work, playbook):
    timings = []
    with open(CREDENTIAL_TYPE) as stream:
        definition = yaml.safe_load(stream)
    problems = check_credential_type(definition) + check_credential_injection(definition, work)
    if problems:
        raise TestFailure('docs/awx/credential_type.yml: ' + '; '.join(problems))
    print('ok: docs/awx/credential_type.yml is a valid AWX credential type and injects the APINIZER_* variables')

    private_data_dir = os.path.join(work, 'private_data_dir')
    os.makedirs(os.path.join(private_data_dir, 'project'), mode=0o700)
    vault_password = secrets.token_urlsafe(30)
    server_files = make_material(work, os.path.join(private_data_dir, 'project'), vault_password)
    token = secrets.token_hex(40)

    from apinizer_emulator.client import EmulatorControl  # pylint: disable=import-outside-toplevel,import-error
    from apinizer_emulator.server import EmulatorServer  # pylint: disable=import-outside-toplevel,import-error

    server = EmulatorServer(projects={PROJECT: ['production', 'staging', 'development']}, tokens=[token],
                            tls_cert=server_files['tls_cert'], tls_key=server_files['tls_key'])
    server.start()
    try:
        print('emulator listening on %s (HTTPS, certificate of a throw-away CA)' % server.url)
        ca_file = os.path.join(work, 'management-ca.pem')
        with open(ca_file, 'w') as stream:
            stream.write(server_files['ca_pem'])
        control = EmulatorControl(server.url, verify=ca_file)
        injected = write_private_data_dir(private_data_dir, collections, definition, {
            'url': server.url, 'token': token, 'project': PROJECT, 'validate_certs': True,
            'ca_certificate': server_files['ca_pem']}, playbook, vault_password)
        print('private data directory %s: credential injected %s' % (private_data_dir, ', '.join(sorted(injected))))
        secrets_known = job_secrets(private_data_dir)

        problems, summaries = [], []
        writes = {}
        for ident, expect_changes in (('first', True), ('second', False)):
            control.clear_requests()
            rc, output, seconds = run_job(private_data_dir, ident)
            timings.append((ident, seconds))
            with open(os.path.join(work, '%s-runner-output.log' % ident), 'wb') as stream:
                stream.write(output)
            try:
                counts = check_job(private_data_dir, ident, rc, expect_changes)
            except TestFailure:
                sys.stdout.write('--- last lines of the job output (scanned for secrets first)\n')
                if secrets_known.find(output):
                    sys.stdout.write('(not shown: it holds a secret)\n')
                else:
                    sys.stdout.write(b'\n'.join(output.splitlines()[-40:]).decode('utf-8', 'replace') + '\n')
                raise
            writes[ident] = ['%s %s' % (entry['method'], entry['path']) for entry in control.writes()]
            job_problems, report = scan_job(private_data_dir, ident, output, secrets_known)
            problems += job_problems
            summaries.append('job %s: %s' % (ident, report.summary()))
            print('ok: job %s: rc 0, status successful, ok=%d changed=%d failed=0 (%.1fs); %d write(s) to the API; '
                  '%d artifact file(s) scanned' % (ident, counts['ok'], counts['changed'], seconds, len(writes[ident]),
                                                   report.outputs - 1))
            if ident == 'first':
                certificates, keys = check_server_state(control)
                print('ok: the emulator holds certificates %s and keys %s in %s'
                      % (', '.join(certificates), ', '.join(keys), ', '.join(ENVIRONMENTS)))
        if not writes['first']:
            raise TestFailure('the first job sent no write to the API')
        if writes['second']:
            raise TestFailure('the second job sent writes: %s' % ', '.join(writes['second']))
        print('ok: writes in the first job only (%s)' % ', '.join(writes['first']))
        if problems:
            raise TestFailure('secrets leaked: ' + '; '.join(problems))
        print('ok: no token and no key material in the job output (stdout, job events, fact cache, every artifact; '
              'the token only in the 0600 artifacts/<ident>/command environment record): %s' % '; '.join(summaries))
    finally:
        server.stop()
        print('emulator stopped')
    return timings


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('collections', help='the installed collection: a directory holding ansible_collections/apinizer/apiops')
    parser.add_argument('--work-dir', help='where to put the private data directory (default: a new temporary directory)')
    parser.add_argument('--keep', action='store_true', help='keep the work directory')
    parser.add_argument('--playbook', default=PLAYBOOK,
                        help='run this playbook instead of examples/deploy.yml (same extra variables; to try the checks)')
    args = parser.parse_args()

    collections = os.path.abspath(args.collections)
    if not os.path.isfile(os.path.join(collections, 'ansible_collections', 'apinizer', 'apiops', 'MANIFEST.json')):
        parser.error('%s holds no installed apinizer.apiops (make build installs it into build/collections)' % collections)
    if args.work_dir:
        work = os.path.abspath(args.work_dir)
        if os.path.exists(work):
            shutil.rmtree(work)
        os.makedirs(work, mode=0o700)
    else:
        work = tempfile.mkdtemp(prefix='apinizer-awx.')
    start = time.monotonic()
    failed = False
    try:
        timings = run(collections, work, os.path.abspath(args.playbook))
    except (TestFailure, subprocess.TimeoutExpired) as exc:
        failed = True
        sys.stdout.flush()
        print('awx runner test FAILED: %s' % exc, file=sys.stderr)
        sys.stderr.flush()
    finally:
        if args.keep or failed:
            print('work directory kept: %s' % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if failed:
        return 1
    jobs = ', '.join('job %s %.1fs' % timing for timing in timings)
    print('awx runner test: passed in %.1fs (%s)' % (time.monotonic() - start, jobs))
    return 0


if __name__ == '__main__':
    sys.exit(main())
