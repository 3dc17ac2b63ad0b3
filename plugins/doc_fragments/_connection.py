# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this doc fragment is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # The connection options of every module; plugins/module_utils/_client.py connection_argument_spec() defines them.
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Base URL of the Apinizer management console, for example V(https://apinizer.example.com).
      - The API Ops paths (V(/apiops/...)) are appended to it.
      - If not set, the value of the E(APINIZER_URL) environment variable is used.
    type: str
    required: true
  token:
    description:
      - "Personal API Access Token, sent as C(Authorization: Bearer <token>)."
      - If not set, the value of the E(APINIZER_TOKEN) environment variable is used.
      - One of O(token) or O(username) and O(password) is required. When both are given, O(token) is used.
    type: str
  username:
    description:
      - User name exchanged, together with O(password), for a token at V(/apiops/auth/token).
      - If not set, the value of the E(APINIZER_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password for O(username).
      - If not set, the value of the E(APINIZER_PASSWORD) environment variable is used.
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificate of the management API.
      - Setting this to V(false) is insecure and makes the module warn; prefer O(ca_path).
      - If not set, the value of the E(APINIZER_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file with the CA certificate(s) that signed the management API's certificate.
      - Used only when O(validate_certs=true).
      - If not set, the value of the E(APINIZER_CA_PATH) environment variable is used.
    type: path
  client_cert:
    description:
      - A PEM file with a client certificate for servers that require mutual TLS.
      - It may also hold the private key; otherwise set O(client_key).
    type: path
  client_key:
    description:
      - A PEM file with the unencrypted private key of O(client_cert).
    type: path
  timeout:
    description:
      - Seconds to wait for the server to answer one request.
      - If not set, the value of the E(APINIZER_TIMEOUT) environment variable is used.
    type: float
    default: 30
  retries:
    description:
      - How many times a request is repeated after a rate limit (429, honouring C(Retry-After)), an unavailable
        server (503), or, for reads only, a gateway error (502, 504) or a lost connection, with exponential backoff.
      - A write whose outcome is unknown is never repeated blindly; the module reads the server again and converges.
    type: int
    default: 3
  project:
    description:
      - Name of the Apinizer project that holds the objects.
      - If not set, the value of the E(APINIZER_PROJECT) environment variable is used.
    type: str
    required: true
requirements:
  - requests >= 2.25.0
notes:
  - All connection options can be set once for every module of this collection with
    C(module_defaults) and the action group C(group/apinizer.apiops.apinizer).
  - Only what the API answers is accepted. An HTML page, a body that is not JSON or breaks off, another content type,
    an empty body, or an answer whose C(success) is V(false) without a deployment report fails the task with a message naming the call;
    for a write, the module reads the object again and converges instead.
  - An answer is read no further than 64 MiB (a JSON answer, or the certificate export, which is streamed to a file);
    a larger one is refused.
  - Redirects are never followed, so the token is sent to O(url) only.
"""
