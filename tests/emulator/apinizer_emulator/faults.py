# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fault injection: which requests get a wrong answer, a delay, a dropped connection, garbage in place of the API's
answer (an HTML page, cut-off JSON, a redirect, a huge body, ...) or a failed deployment."""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

# Answers that are not the API's: what a proxy, a broken server or a cut connection gives instead.
GARBAGE_KINDS = ('html_page', 'truncated_json', 'success_false', 'wrong_content_type', 'empty_body', 'huge_body',
                 'redirect')
REQUEST_KINDS = ('status', 'latency', 'drop', 'rate_limit') + GARBAGE_KINDS
KINDS = REQUEST_KINDS + ('deploy_failure', 'replace_create_fails')

COMMON_FIELDS = ('kind', 'method', 'path', 'count')
WRITE_METHODS = ('POST', 'PUT', 'DELETE')
KIND_FIELDS = {
    'status': ('status', 'error', 'error_description', 'headers'),
    'latency': ('seconds',),
    'drop': ('when',),
    'rate_limit': ('retry_after', 'header'),
    'deploy_failure': ('environment', 'message'),
    'replace_create_fails': ('error_description',),
    'html_page': ('status', 'title', 'processed'),
    'truncated_json': ('keep',),
    'success_false': ('message', 'processed'),
    'wrong_content_type': ('content_type',),
    'empty_body': ('status', 'processed'),
    'huge_body': ('bytes', 'content_length', 'processed'),
    'redirect': ('status', 'location', 'processed'),
}
# Garbage kinds that answer in place of the API, which processes the request first only with processed: true;
# truncated_json and wrong_content_type always process it (they spoil the API's own answer).
PROCESSED_FIELD_KINDS = ('html_page', 'success_false', 'empty_body', 'huge_body', 'redirect')
MAX_HUGE_BODY_BYTES = 4 * 1024 ** 3
DEFAULT_HUGE_BODY_BYTES = 300 * 1024 ** 2

DEFAULT_DEPLOY_FAILURE_MESSAGE = 'Connection refused to gateway pod'
DEFAULT_REPLACE_FAILURE_MESSAGE = 'Certificate could not be created after the old one was deleted'


class FaultSpecError(ValueError):
    pass


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _flag(spec, name, default):
    """A true/false field of a fault, or its default."""
    value = spec.get(name, default)
    if not isinstance(value, bool):
        raise FaultSpecError('%s must be true or false' % name)
    return value


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_fault(spec):
    """Check a fault as posted to /_emulator/faults and return it completed with its defaults.

    Unknown fields are refused so that a typo does not silently give a fault that never fires.
    """
    if not isinstance(spec, dict):
        raise FaultSpecError('a fault is a JSON object')
    kind = spec.get('kind')
    if kind not in KINDS:
        raise FaultSpecError('kind must be one of: %s' % ', '.join(KINDS))
    unknown = sorted(set(spec) - set(COMMON_FIELDS) - set(KIND_FIELDS[kind]))
    if unknown:
        raise FaultSpecError('unknown field(s) for kind %s: %s' % (kind, ', '.join(unknown)))
    fault = {'kind': kind}
    method = spec.get('method', '*')
    if not isinstance(method, str) or not method:
        raise FaultSpecError('method must be an HTTP method, "WRITE" (POST, PUT or DELETE) or "*"')
    fault['method'] = method.upper()
    path = spec.get('path', '.*')
    if not isinstance(path, str):
        raise FaultSpecError('path must be a regular expression (string)')
    try:
        re.compile(path)
    except re.error as exc:
        raise FaultSpecError('path is not a valid regular expression: %s' % exc) from exc
    fault['path'] = path
    count = spec.get('count', 1)
    if count is not None and (not _is_int(count) or count < 1):
        raise FaultSpecError('count must be a positive integer or null (until cleared)')
    fault['count'] = count
    fault.update(_validate_kind_fields(kind, spec))
    return fault


def _validate_kind_fields(kind, spec):
    fields = {}
    if kind == 'status':
        status = spec.get('status', 503)
        if not _is_int(status) or not 100 <= status <= 599:
            raise FaultSpecError('status must be an integer HTTP status')
        fields['status'] = status
        for name in ('error', 'error_description'):
            if spec.get(name) is not None and not isinstance(spec[name], str):
                raise FaultSpecError('%s must be a string' % name)
            fields[name] = spec.get(name)
        headers = spec.get('headers') or {}
        if not isinstance(headers, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
            raise FaultSpecError('headers must map header names to string values')
        fields['headers'] = headers
    elif kind == 'latency':
        seconds = spec.get('seconds', 1)
        if not _is_number(seconds) or not 0 <= seconds <= 600:
            raise FaultSpecError('seconds must be a number between 0 and 600')
        fields['seconds'] = seconds
    elif kind == 'drop':
        when = spec.get('when', 'before')
        if when not in ('before', 'after'):
            raise FaultSpecError('when must be "before" or "after"')
        fields['when'] = when
    elif kind == 'rate_limit':
        retry_after = spec.get('retry_after', 1)
        if not _is_int(retry_after) or retry_after < 0:
            raise FaultSpecError('retry_after must be a non-negative integer (seconds)')
        fields['retry_after'] = retry_after
        fields['header'] = _flag(spec, 'header', True)
    elif kind == 'deploy_failure':
        environment = spec.get('environment')
        if environment is not None and (not isinstance(environment, str) or not environment):
            raise FaultSpecError('environment must be an environment name, or null for every environment')
        message = spec.get('message', DEFAULT_DEPLOY_FAILURE_MESSAGE)
        if not isinstance(message, str) or not message:
            raise FaultSpecError('message must be a non-empty string')
        fields['environment'] = environment
        fields['message'] = message
    elif kind in GARBAGE_KINDS:
        fields.update(_validate_garbage_fields(kind, spec))
    else:
        description = spec.get('error_description', DEFAULT_REPLACE_FAILURE_MESSAGE)
        if not isinstance(description, str) or not description:
            raise FaultSpecError('error_description must be a non-empty string')
        fields['error_description'] = description
    return fields


def _validate_garbage_fields(kind, spec):
    fields = {}
    if kind in PROCESSED_FIELD_KINDS:
        fields['processed'] = _flag(spec, 'processed', False)
    if kind in ('html_page', 'empty_body', 'redirect'):
        low, high, default = {'html_page': (200, 599, 502), 'empty_body': (200, 299, 200), 'redirect': (300, 399, 302)}[kind]
        status = spec.get('status', default)
        if not _is_int(status) or not low <= status <= high:
            raise FaultSpecError('status must be an integer HTTP status from %d to %d' % (low, high))
        fields['status'] = status
    if kind == 'html_page':
        title = spec.get('title')
        if title is not None and not isinstance(title, str):
            raise FaultSpecError('title must be a string')
        fields['title'] = title
    elif kind == 'truncated_json':
        keep = spec.get('keep', 0.5)
        if not _is_number(keep) or not 0 <= keep < 1:
            raise FaultSpecError('keep must be a number from 0 up to (not including) 1: the share of the answer sent')
        fields['keep'] = keep
    elif kind == 'success_false':
        message = spec.get('message', 'Operation failed')
        if message is not None and not isinstance(message, str):
            raise FaultSpecError('message must be a string or null')
        fields['message'] = message
    elif kind == 'wrong_content_type':
        content_type = spec.get('content_type', 'text/plain; charset=utf-8')
        if not isinstance(content_type, str) or not content_type.strip():
            raise FaultSpecError('content_type must be a non-empty string')
        fields['content_type'] = content_type
    elif kind == 'huge_body':
        size = spec.get('bytes', DEFAULT_HUGE_BODY_BYTES)
        if not _is_int(size) or not 64 <= size <= MAX_HUGE_BODY_BYTES:
            raise FaultSpecError('bytes must be an integer from 64 to %d' % MAX_HUGE_BODY_BYTES)
        fields['bytes'] = size
        fields['content_length'] = _flag(spec, 'content_length', True)
    elif kind == 'redirect':
        location = spec.get('location')
        parts = urlsplit(location) if isinstance(location, str) else None
        if parts is None or parts.scheme not in ('http', 'https') or not parts.netloc:
            raise FaultSpecError('location must be an http:// or https:// URL (the request path is appended to it)')
        fields['location'] = location.rstrip('/')
    return fields


class RequestFaults:
    """What the request-level faults decided for one request."""

    def __init__(self):
        self.latency_seconds = 0.0
        self.answer = None  # a fired "status", "rate_limit" or "drop before" fault
        self.drop_after = None
        self.applied = []

    @property
    def drop_before(self):
        return self.answer is not None and self.answer['kind'] == 'drop'


class FaultBook:
    """The active faults. Each fault fires on at most ``count`` matching requests, then disappears."""

    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []
        self._next_id = 1

    def add(self, spec):
        fault = validate_fault(spec)
        with self._lock:
            fault['id'] = self._next_id
            fault['hits'] = 0
            self._next_id += 1
            self._faults.append(fault)
            return dict(fault)

    def list(self):
        with self._lock:
            return [dict(fault) for fault in self._faults]

    def remove(self, fault_id):
        with self._lock:
            for index, fault in enumerate(self._faults):
                if fault['id'] == fault_id:
                    del self._faults[index]
                    return True
            return False

    def clear(self):
        with self._lock:
            self._faults = []

    @staticmethod
    def _matches(fault, method, paths):
        if fault['method'] == 'WRITE':
            if method not in WRITE_METHODS:
                return False
        elif fault['method'] not in ('*', method):
            return False
        return any(re.search(fault['path'], path) for path in paths)

    def _consume(self, fault):
        # Called with the lock held.
        fault['hits'] += 1
        if fault['count'] is not None:
            fault['count'] -= 1
            if fault['count'] <= 0:
                self._faults.remove(fault)

    def take_request_faults(self, method, paths):
        """Decide the request-level faults of one request: every matching latency adds up; the first
        matching status/rate_limit/drop-before answers instead of the API; else the first drop-after fires."""
        decision = RequestFaults()
        with self._lock:
            matching = [fault for fault in self._faults if fault['kind'] in REQUEST_KINDS and self._matches(fault, method, paths)]
            fired = []
            for fault in matching:
                if fault['kind'] == 'latency':
                    decision.latency_seconds += fault['seconds']
                    fired.append(fault)
                elif fault['kind'] == 'drop' and fault['when'] == 'after':
                    if decision.drop_after is None and decision.answer is None:
                        decision.drop_after = dict(fault)
                        fired.append(fault)
                elif decision.answer is None:
                    decision.answer = dict(fault)
                    fired.append(fault)
            if decision.answer is not None and decision.drop_after is not None:
                # The answer wins; the drop-after fault stays for a later request.
                fired = [fault for fault in fired if fault['id'] != decision.drop_after['id']]
                decision.drop_after = None
            for fault in fired:
                decision.applied.append(fault['kind'] if fault['kind'] != 'drop' else 'drop_' + fault['when'])
                self._consume(fault)
        return decision

    def deploy_failures(self, method, paths, environment_names):
        """``{environment: message}`` for the environments whose deployment fails in this write.
        A fault is consumed once per write that it affects."""
        failures = {}
        with self._lock:
            for fault in list(self._faults):
                if fault['kind'] != 'deploy_failure' or not self._matches(fault, method, paths):
                    continue
                affected = [name for name in environment_names if fault['environment'] in (None, name) and name not in failures]
                if not affected:
                    continue
                for name in affected:
                    failures[name] = fault['message']
                self._consume(fault)
        return failures

    def take_replace_create_failure(self, method, paths):
        """The error description if a certificate replace must fail after its delete half, else None."""
        with self._lock:
            for fault in self._faults:
                if fault['kind'] == 'replace_create_fails' and self._matches(fault, method, paths):
                    description = fault['error_description']
                    self._consume(fault)
                    return description
        return None
