# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""Certificates: the desired state from options, what the server holds, and plan(): the one function that decides
what to send for one certificate. Pure: no I/O."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import datetime
import functools
import re
from collections import namedtuple

from ansible_collections.apinizer.apiops.plugins.module_utils import _pem
from ansible_collections.apinizer.apiops.plugins.module_utils._apply import (
    Change,
    Request,
    Restore,
    field_diff,
    planned_action,
    unchanged,
)
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerClient, Literal, jwk_update_params, object_path
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._validation import check_environment_list, check_name

UTC = datetime.timezone.utc

# The fields compared with the server, and shown in diffs.
COMPARED_FIELDS = ('description', 'alias', 'environments', 'sha1_thumbprint')
DIFF_FIELDS = COMPARED_FIELDS + ('subject', 'not_after')
FACT_FIELDS = ('sha1_thumbprint', 'sha256_fingerprint', 'subject', 'issuer', 'serial_number', 'not_before', 'not_after',
               'expired')
JWK_UPDATE_ACTIONS = ('nullify', 'update')
JWK_UPDATE_SCOPES = ('same_project', 'all_projects')


class CertificateOptions(namedtuple('CertificateOptions', ['project', 'state', 'force', 'jwk_update_action',
                                                           'jwk_update_scope'])):
    """How one certificate is planned: its project, state (present/absent), force, and the JWK query of a replace."""

    __slots__ = ()

    def __new__(cls, project, state='present', force=False, jwk_update_action='nullify', jwk_update_scope=None):
        return super(CertificateOptions, cls).__new__(cls, project, state, force, jwk_update_action, jwk_update_scope)


def certificate_path(project, name=None):
    return object_path(project, 'certificates', name)


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


def desired_certificate(name, certificate, alias=None, description='', environments=None, option='certificate',
                        now=None):
    """The certificate as the user wants it: certificate is PEM text or bytes, or a certificate already parsed
    (a bundle's), so that each is parsed once and its facts computed once. Raises InvalidInput (or _pem.PemError)
    naming the option."""
    check_name(name)
    if alias is None:
        alias = name
    if not alias.strip():
        raise InvalidInput('alias must not be empty; leave it out to use the name (%s).' % name)
    environments = check_environment_list(environments or [])
    if isinstance(certificate, (str, bytes)):
        certificate = _pem.load_single_certificate(certificate, option=option)
    return dict(name=name, description=description or '', alias=alias, environments=environments,
                pem=_pem.certificate_pem(certificate), der=_pem.certificate_der(certificate),
                facts=_pem.certificate_facts(certificate, now=now))


def absent(name):
    """The desired state of a certificate that must not exist."""
    return dict(name=name)


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


def current_certificate(entry, complete=False):
    """What the server holds, normalised; `der` is None when the list left the content out. complete: the entry
    is the answer of the certificate's own GET, which is as much as the server can tell."""
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
        complete=complete,
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


def public_fields(certificate):
    """The non-secret description of a desired or current certificate, as the modules return it."""
    if not certificate:
        return {}
    facts = certificate.get('facts')
    result = dict(name=certificate['name'], description=certificate['description'], alias=certificate['alias'],
                  environments=list(certificate['environments']))
    if facts:
        result.update((key, facts[key]) for key in FACT_FIELDS)
    else:
        result.update(sha1_thumbprint=certificate['sha1_thumbprint'], sha256_fingerprint=None,
                      subject=certificate.get('subject'), issuer=None, serial_number=None,
                      not_before=certificate.get('not_before'), not_after=certificate.get('not_after'), expired=None)
    return result


def multipart_fields(desired, include_name=True):
    """The multipart fields of a create (POST) or replace (PUT), as keyword arguments of the client's request()."""
    data = dict(alias=desired['alias'], certificateDescription=desired['description'],
                environmentList=','.join(desired['environments']))
    if include_name:
        data['certificateName'] = desired['name']
    files = dict(pemEncodedFile=('%s.pem' % desired['name'], desired['pem'], 'application/x-pem-file'))
    return dict(data=data, files=files)


def _diff_fields(shown):
    return dict((field, shown.get(field)) for field in ('name',) + DIFF_FIELDS) if shown else {}


def _server_copy(current):
    """The server's copy of a certificate, parsed once; None when the answer held none or it does not parse (then
    what the list said is shown, and there is nothing to put back)."""
    if not current.get('der'):
        return None
    try:
        return _pem.load_certificates(current['der'])[0]
    except _pem.PemError:
        return None


def _restore(current, copy, project):
    """How to put the server's copy back should a replace half-fail; None when it holds no parsable copy."""
    if copy is None:
        return None
    old = dict(name=current['name'], description=current['description'], alias=current['alias'].split(',')[0],
               environments=current['environments'], pem=_pem.certificate_pem(copy))
    request = Request('POST', certificate_path(project), None, functools.partial(multipart_fields, old))
    return Restore(request, current['sha1_thumbprint'], old['alias'], old['environments'])


def plan(desired, current, options):
    """The one change that brings a certificate from current (None: absent on the server) to desired
    (absent(name) with options.state absent). Pure."""
    name = desired['name']
    present = options.state == 'present'
    after = public_fields(desired) if present else {}
    update_wanted = bool(present and current and (options.force or differences(desired, current)))
    action = planned_action(present, bool(current), update_wanted)
    if action == 'none':
        return unchanged('certificate', name, after, desired, options)
    copy = _server_copy(current) if current else None
    before = public_fields(dict(current, facts=_pem.certificate_facts(copy)) if copy is not None else current)
    path = certificate_path(options.project, name)
    restore, read_first = None, False
    if action == 'create':
        request = Request('POST', certificate_path(options.project), None, functools.partial(multipart_fields, desired))
    elif action == 'delete':
        request = Request('DELETE', path, None, None)
    else:
        request = Request('PUT', path, jwk_update_params(options.jwk_update_action, options.jwk_update_scope),
                          functools.partial(multipart_fields, desired, include_name=False))
        restore = _restore(current, copy, options.project)
        # A list without content gave no copy to put back: read the certificate itself before replacing it.
        read_first = restore is None and not current['complete']
    return Change('certificate', name, action, before, after, field_diff(name, _diff_fields(before), _diff_fields(after)),
                  request, (), None, desired, options, restore, read_first)


def entry_from_answer(answer):
    """The certificate object of a GET answer (the client unwrapped it), normalised, or None."""
    return current_certificate(answer, complete=True) if answer else None


def entries_from_list(response):
    return [current_certificate(entry) for entry in (response or {}).get('resultList') or []]
