# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The request path as the client sent it, before the WSGI server decoded %2F into a slash."""

from __future__ import annotations

from urllib.parse import quote, unquote_to_bytes, urlsplit

SECRET_QUERY_WORDS = ('token', 'secret', 'password', 'passwd', 'credential', 'content')


def wire_path(environ):
    """The percent-encoded path of the request line, as text (normally pure ASCII)."""
    raw = environ.get('RAW_URI') or environ.get('REQUEST_URI')
    if raw is None:
        return quote(_undo_wsgi_latin1(environ.get('PATH_INFO', '')), safe="/%!$&'()*+,;=:@-._~")
    if raw.startswith('/'):
        path = raw.split('?', 1)[0]
    else:
        path = urlsplit(raw).path  # absolute-form request target
    return _undo_wsgi_latin1(path)


def _undo_wsgi_latin1(text):
    # WSGI carries text as latin-1-decoded UTF-8 bytes; undo that so that non-ASCII bytes are shown as sent.
    try:
        return text.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def split_segments(path):
    """Percent-decoded path segments, split on the slashes of the wire path (so %2F stays inside a segment).

    ``/a/b%2Fc/`` gives ``['a', 'b/c', '']``: a trailing slash shows as a last empty segment.
    Raises ValueError when a segment does not decode to UTF-8.
    """
    parts = path.split('/')[1:] if path.startswith('/') else path.split('/')
    return [unquote_to_bytes(part).decode('utf-8') for part in parts]


def decoded_path(path):
    try:
        return '/'.join(unquote_to_bytes(part).decode('utf-8') for part in path.split('/'))
    except UnicodeDecodeError:
        return path


def redacted_query(environ):
    """The query string with the value of any parameter that looks secret replaced by ``***``."""
    query = _undo_wsgi_latin1(environ.get('QUERY_STRING', ''))
    if not query:
        return ''
    parts = []
    for item in query.split('&'):
        name, separator, _value = item.partition('=')
        try:
            readable_name = unquote_to_bytes(name.replace('+', ' ')).decode('utf-8', 'replace').lower()
        except ValueError:
            readable_name = name.lower()
        if separator and any(word in readable_name for word in SECRET_QUERY_WORDS):
            item = name + '=***'
        parts.append(item)
    return '&'.join(parts)
