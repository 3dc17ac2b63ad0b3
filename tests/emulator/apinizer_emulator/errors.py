# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one error type of the emulator: an API answer ``{"error", "error_description"}`` with a status."""

from __future__ import annotations


class ApiError(Exception):
    """Raised anywhere below the HTTP layer; turned into a JSON error answer by the app."""

    def __init__(self, status, error, description, headers=None, **extra):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self):
        body = {'error': self.error, 'error_description': self.description}
        body.update(self.extra)
        return body


def bad_request(description, error='bad_request', **extra):
    return ApiError(400, error, description, **extra)


def validation_failed(field, description):
    return ApiError(400, 'validation_failed', description, validation_errors=[{'field': field, 'message': description}])


def not_found(description):
    return ApiError(404, 'not_found', description)


# Default answers of a "status" fault, so a bare {"kind": "status", "status": 503} looks like a real server's.
DEFAULT_STATUS_ERRORS = {
    400: ('bad_request', 'Bad request'),
    401: ('invalid_token', 'Token is invalid or expired'),
    403: ('forbidden', 'Access denied'),
    404: ('not_found', 'Not found'),
    409: ('conflict', 'Conflict'),
    429: ('rate_limit_exceeded', 'Rate limit exceeded'),
    500: ('internal_error', 'Internal server error'),
    502: ('bad_gateway', 'Bad gateway'),
    503: ('service_unavailable', 'Service temporarily unavailable'),
    504: ('gateway_timeout', 'Gateway timeout'),
}


def default_error_for_status(status):
    if status in DEFAULT_STATUS_ERRORS:
        return DEFAULT_STATUS_ERRORS[status]
    if status >= 500:
        return ('server_error', 'Server error')
    return ('bad_request', 'Request failed')
