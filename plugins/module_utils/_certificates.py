# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""Certificates: desired state, what the server holds, comparison, requests, and reconcile()."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import datetime
import re

from ansible_collections.apinizer.apiops.plugins.module_utils import _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerClient, ApinizerError, Literal
from ansible_collections.apinizer.apiops.plugins.module_utils._common import (
    InvalidInput,
    changed_fields_diff,
    check_environments,
    check_name,
    deployment_failure_message,
    deployment_report,
    jwk_update_params,
    unwrap_one,
)

UTC = datetime.timezone.utc

# The fields compared with the server, and shown in diffs.
COMPARED_FIELDS = ('description', 'alias', 'environments', 'sha1_thumbprint')
DIFF_FIELDS = COMPARED_FIELDS + ('subject', 'not_after')
FACT_FIELDS = ('sha1_thumbprint', 'sha256_fingerprint', 'subject', 'issuer', 'serial_number', 'not_before', 'not_after',
               'expired')
JWK_UPDATE_ACTIONS = ('nullify', 'update')
JWK_UPDATE_SCOPES = ('same_project', 'all_projects')


def certificate_path(project, name=None):
    if name is None:
        return ApinizerClient.project_path(project, Literal('certificates'))
    return ApinizerClient.project_path(project, Literal('certificates'), name)


def parse_api_time(value):
    """A UTC datetime from the API's dates: ISO 8601 with or without milliseconds and offset, or epoch milliseconds
    (older servers), or None."""
    if value is None or value == '':
        return None
    if isinstance(value, (int, float)) or str(value).strip().isdigit():
        return datetime.datetime.fromtimestamp(int(value) / 1000.0, tz=UTC)
    text = re.sub(r'\.\d+', '', str(value).strip()).replace('Z', '+00:00')
    for pattern in ('%Y-%m-%dT%H:%M:%S%z', '%Y-%m-%dT%H:%M:%S'):
        try:
            parsed = datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def iso_utc(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ') if moment else None


def export_path(project, name):
    return ApinizerClient.project_path(project, Literal('certificates'), name, Literal('export'))


def desired_certificate(name, certificate, alias=None, description='', environments=None, option='certificate'):
    """The certificate as the user wants it; raises InvalidInput (or _pem.PemError) naming the option."""
    check_name(name)
    if alias is None:
        alias = name
    if not alias.strip():
        raise InvalidInput('alias must not be empty; leave it out to use the name (%s).' % name)
    environments = check_environments(environments or [])
    parsed = _pem.load_single_certificate(certificate, option=option)
    der = _pem.certificate_der(parsed)
    facts = _pem.certificate_facts(parsed)
    return dict(name=name, description=description or '', alias=alias, environments=environments,
                pem=_pem.certificate_pem(parsed), der=der, facts=facts)


def _decode_content(value):
    try:
        return base64.b64decode(value, validate=True) if value else None
    except (binascii.Error, TypeError, ValueError):
        return None


def _environment_entry(entry):
    der = _decode_content(entry.get('base64EncodedContent'))
    thumbprint = (entry.get('sha1Thumbprint') or '').upper() or (_pem.sha1_thumbprint(der) if der else None)
    return dict(name=entry.get('environmentName'), alias=entry.get('alias') or '', sha1_thumbprint=thumbprint,
                subject=entry.get('subjectDn'), not_before=entry.get('startDate'), not_after=entry.get('endDate'),
                der=der)


def current_certificate(entry):
    """What the server holds, normalised; `der` is None when the list left the content out."""
    environments = [_environment_entry(e) for e in entry.get('certificateEnvironmentList') or []]
    aliases = sorted(set(e['alias'] for e in environments))
    thumbprints = sorted(set(e['sha1_thumbprint'] for e in environments if e['sha1_thumbprint']))
    first = environments[0] if environments else {}
    return dict(
        name=entry.get('name'),
        description=entry.get('description') or '',
        # One alias (and one certificate) in every environment is the norm; a mix equals no desired value.
        alias=','.join(aliases),
        environments=sorted(e['name'] for e in environments),
        sha1_thumbprint=','.join(thumbprints),
        subject=first.get('subject'),
        not_before=first.get('not_before'),
        not_after=first.get('not_after'),
        der=next((e['der'] for e in environments if e['der']), None),
        per_environment=[dict((k, v) for k, v in e.items() if k != 'der') for e in environments],
    )


def certificate_info(current, now, expires_within_days=None):
    """What apinizer_certificate_info reports of one certificate: per environment, validity and days remaining."""
    environments = []
    for entry in current['per_environment']:
        not_after = parse_api_time(entry['not_after'])
        days = int((not_after - now).total_seconds() // 86400) if not_after else None
        environments.append(dict(name=entry['name'], alias=entry['alias'], sha1_thumbprint=entry['sha1_thumbprint'],
                                 subject=entry['subject'], not_before=iso_utc(parse_api_time(entry['not_before'])),
                                 not_after=iso_utc(not_after), expired=bool(not_after and not_after <= now),
                                 days_remaining=days))
    known_days = [e['days_remaining'] for e in environments if e['days_remaining'] is not None]
    info = dict(name=current['name'], description=current['description'],
                environments=sorted(environments, key=lambda e: e['name']),
                expired=any(e['expired'] for e in environments),
                days_remaining=min(known_days) if known_days else None)
    if expires_within_days is not None:
        info['expires_soon'] = bool(known_days) and min(known_days) < expires_within_days
    return info


def differences(desired, current):
    """The compared fields whose desired value differs from the server's."""
    wanted = dict(desired, sha1_thumbprint=desired['facts']['sha1_thumbprint'])
    return [field for field in COMPARED_FIELDS if wanted[field] != current[field]]


def plan(desired, current, state, force=False):
    """create, update, delete, or None when nothing is to be done."""
    if state == 'absent':
        return 'delete' if current else None
    if not current:
        return 'create'
    if force or differences(desired, current):
        return 'update'
    return None


def view(certificate):
    """The non-secret description of a desired or current certificate, as the modules return it."""
    if not certificate:
        return {}
    facts = certificate.get('facts')
    if facts is None and certificate.get('der'):
        try:
            facts = _pem.certificate_facts(_pem.load_certificates(certificate['der'])[0])
        except _pem.PemError:  # the server's copy does not parse: report what its list said
            facts = None
    result = dict(name=certificate['name'], description=certificate['description'], alias=certificate['alias'],
                  environments=list(certificate['environments']))
    if facts:
        result.update((key, facts[key]) for key in FACT_FIELDS)
    else:
        result.update(sha1_thumbprint=certificate['sha1_thumbprint'], sha256_fingerprint=None,
                      subject=certificate.get('subject'), issuer=None, serial_number=None,
                      not_before=certificate.get('not_before'), not_after=certificate.get('not_after'), expired=None)
    return result


def form(desired, include_name=True):
    """The multipart fields of a create (POST) or replace (PUT)."""
    data = dict(alias=desired['alias'], certificateDescription=desired['description'],
                environmentList=','.join(desired['environments']))
    if include_name:
        data['certificateName'] = desired['name']
    files = dict(pemEncodedFile=('%s.pem' % desired['name'], desired['pem'], 'application/x-pem-file'))
    return data, files


def fetch(client, project, name):
    """One certificate from the server (with content), or None."""
    entry = unwrap_one(client.get_optional(certificate_path(project, name)))
    return current_certificate(entry) if entry else None


def fetch_all(client, project):
    response = client.get(certificate_path(project))
    return [current_certificate(entry) for entry in response.get('resultList') or []]


def _diff_view(certificate):
    full = view(certificate)
    return dict((field, full.get(field)) for field in ('name',) + DIFF_FIELDS) if full else {}


def reconcile(client, project, desired, current, state='present', check_mode=False, force=False,
              jwk_update_action='nullify', jwk_update_scope=None, check_environments=None):
    """Bring one certificate to the desired state. Returns a result dict: action (created, updated, deleted,
    unchanged), changed, before, after (views), diff, deployment, and failure (a message, or None).
    check_environments(names), when given, refuses unknown environments before a create or update is sent --
    in check mode too, so that check mode fails where the real run would."""
    name = (desired or current or {}).get('name')
    action = plan(desired, current, state, force)
    after = desired if state == 'present' else None
    result = dict(action='unchanged', changed=False, before=view(current), after=view(after),
                  diff=dict(before={}, after={}), deployment=None, failure=None)
    if action is None:
        return result
    result.update(action={'create': 'created', 'update': 'updated', 'delete': 'deleted'}[action], changed=True,
                  diff=changed_fields_diff(name, _diff_view(current), _diff_view(after)))
    if check_environments and action != 'delete':
        check_environments(desired['environments'])
    if check_mode:
        return result
    try:
        return _write(client, project, name, action, desired, current, result, jwk_update_action, jwk_update_scope)
    except ApinizerError as exc:
        exc.planned_result = exc.planned_result or dict(result)
        raise


def _write(client, project, name, action, desired, current, result, jwk_update_action, jwk_update_scope):
    """Send the write that reconcile() planned; returns the result with the deployment report."""
    path = certificate_path(project, name)
    if action == 'create':
        data, files = form(desired)
        report = deployment_report(client.request('POST', certificate_path(project), data=data, files=files))
    elif action == 'delete':
        report = deployment_report(client.request('DELETE', path))
    else:
        if current.get('der') is None:
            # The list left the content out: keep the old certificate at hand in case the replace half-fails.
            current = fetch(client, project, name) or current
        report, restore_message = _replace(client, project, desired, current, jwk_update_action, jwk_update_scope)
        if restore_message:
            result.update(deployment=report, failure=restore_message, after=result['before'])
            return result
    result.update(deployment=report, failure=deployment_failure_message('Certificate', name, report))
    return result


def _short(failure):
    """status, code and description of a failure, for messages that tell a longer story."""
    if failure.status is None:
        return failure.message.rstrip('.')
    return '%s %s: %s' % (failure.status, failure.error or 'error', failure.description)


def _old_pem(current):
    """The PEM of the certificate a replace removes, to put it back if need be; None when the server's copy is
    missing or does not parse."""
    try:
        return _pem.certificate_pem(_pem.load_certificates(current['der'])[0]) if current.get('der') else None
    except _pem.PemError:
        return None


def _replace(client, project, desired, current, jwk_update_action, jwk_update_scope):
    """PUT is delete-then-create on the server. When it fails and the certificate is gone, put the old one back."""
    path = certificate_path(project, desired['name'])
    old_pem = _old_pem(current)
    data, files = form(desired, include_name=False)
    try:
        response = client.request('PUT', path, params=jwk_update_params(jwk_update_action, jwk_update_scope),
                                  data=data, files=files)
        return deployment_report(response), None
    except ApinizerError as exc:
        if exc.outcome_unknown or exc.is_race or old_pem is None or fetch(client, project, desired['name']):
            raise
        failure = exc
    old = dict(name=current['name'], description=current['description'], alias=current['alias'].split(',')[0],
               environments=current['environments'], pem=old_pem)
    data, files = form(old)
    try:
        restored = deployment_report(client.request('POST', certificate_path(project), data=data, files=files))
    except ApinizerError as restore_failure:
        raise ApinizerError(
            'Replacing certificate %s failed after the server deleted the old one (%s), and putting the previous '
            'certificate (SHA-1 %s) back failed too (%s). Re-run the task to create it.'
            % (desired['name'], _short(failure), current['sha1_thumbprint'], _short(restore_failure)),
            status=failure.status, error=failure.error, description=failure.description, method='PUT', path=path)
    message = ('Replacing certificate %s failed after the server deleted the old one (%s). The previous certificate '
               '(SHA-1 %s, alias %s) was put back in %s.'
               % (desired['name'], _short(failure), current['sha1_thumbprint'], old['alias'], ', '.join(old['environments'])))
    return restored, message
