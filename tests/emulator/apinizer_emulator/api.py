# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The /apiops/ endpoints, routed on the undecoded request path so that a name may hold an encoded slash."""

from __future__ import annotations

import functools
import json
from urllib.parse import quote

from flask import Response, g, request

from . import jwkrequest
from .errors import ApiError, bad_request, not_found
from .paths import decoded_path, split_segments, wire_path
from .x509util import CertificateParseError, parse_certificate_pem

FAULTS_ENVIRON_KEY = 'apinizer_emulator.faults'
# time.monotonic() when the request arrived, before any injected latency: a token is checked as of then.
ARRIVED_ENVIRON_KEY = 'apinizer_emulator.arrived'


def bearer_token(environ):
    """The token of a request's ``Authorization: Bearer`` header, or None."""
    scheme, _separator, token = environ.get('HTTP_AUTHORIZATION', '').strip().partition(' ')
    if scheme.lower() != 'bearer':
        return None
    return token.strip() or None


QUERY_CHOICES = {
    'jwkUpdateAction': ('NULLIFY', 'UPDATE'),
    'updateScope': ('SAME_PROJECT', 'ALL_PROJECTS'),
    'updateReferencedJwks': ('true', 'false'),
}
# The query parameters each jwk_query variant reads; a server ignores the others, as Spring does.
JWK_QUERY_PARAMETERS = {
    'newer': ('jwkUpdateAction', 'updateScope'),
    'older': ('updateReferencedJwks', 'updateScope'),
    'oldest': (),
}
JSON = 'application/json'
OCTET_STREAM = 'application/octet-stream'
JWK_ACTIONS = (jwkrequest.GENERATE_ACTION,) + tuple(jwkrequest.PARSE_ACTIONS)
DESCRIPTION_MISSING = "Required request parameter 'certificateDescription' for method parameter type String is not present"


def json_response(body, status=200, headers=None):
    return Response(json.dumps(body), status=status, headers=headers, mimetype='application/json')


def result_list(items, count=False):
    body = {'success': True, 'resultList': items}
    if count:
        body['resultCount'] = len(items)
    return body


def _is_jwk_action_without_slash(segments):
    """``projects/{p}/jwks/generate`` or ``.../parse-from-...``: documented without the trailing slash."""
    return len(segments) == 4 and segments[0] == 'projects' and segments[1] != '' and segments[2] == 'jwks' and segments[3] in JWK_ACTIONS


def _is_jwk_list(segments):
    return len(segments) == 4 and segments[0] == 'projects' and segments[2:] == ['jwks', '']


def _blank(value):
    return value is None or not value.strip()


def _content_disposition(filename):
    """``attachment; filename="..."``, plus an RFC 5987 ``filename*`` when the name is not plain ASCII."""
    ascii_name = filename.encode('ascii', 'replace').decode('ascii').replace('\\', '\\\\').replace('"', '\\"')
    value = 'attachment; filename="%s"' % ascii_name
    if ascii_name != filename:
        value += "; filename*=UTF-8''%s" % quote(filename, safe='')
    return value


class Route:
    """A handler, its methods, whether its first argument is a project name to resolve, and the media type of its
    answer."""

    def __init__(self, handler, methods, in_project=False, produces=JSON):
        self.handler = handler
        self.methods = methods
        self.in_project = in_project
        self.produces = produces


class UpdateQuery:
    """The query of a certificate replace or key update: as sent, and what it means to this server's jwk_query
    variant (the JWK action and scope; None where the variant has no such parameter)."""

    def __init__(self, sent, jwk_update_action, update_scope):
        self.sent = sent
        self.jwk_update_action = jwk_update_action
        self.update_scope = update_scope


class ApiOps:
    """Routing, authentication, permissions and the handlers of every documented endpoint."""

    def __init__(self, store, faults):
        self.store = store
        self.faults = faults

    # ---- routing ---------------------------------------------------------------------------------

    def _route(self, segments):
        """``(Route, arguments)`` for the decoded segments after ``/apiops/``, or None. Literal routes first,
        so ``certificates/truststore/{env}/`` is never taken for a certificate named "truststore"."""
        count = len(segments)
        if _is_jwk_action_without_slash(segments):
            return Route(self.jwk_action, ('POST',), True), [segments[1], segments[3]]
        if segments == ['projects', '', 'jwks', '']:
            # The JWK list page documents this answer to a blank project name.
            return Route(self.blank_project, ('GET', 'POST')), []
        if segments[:2] == ['auth', 'token'] and (count == 2 or (count == 3 and segments[2] == '')):
            return Route(self.issue_token, ('POST',)), []
        if segments[:1] == ['environments']:
            if segments[1:] == ['']:
                return Route(self.all_environments, ('GET',)), []
            if (count == 2 or (count == 3 and segments[2] == '')) and segments[1]:
                return Route(self.project_environments, ('GET',)), [segments[1]]
            return None
        if count < 4 or segments[0] != 'projects' or not segments[1] or segments[-1] != '':
            return None
        project, resource, rest = segments[1], segments[2], segments[3:-1]
        if resource == 'certificates' and rest == ['truststore', '']:
            # certificates/truststore//: the documented "environmentName value can not be empty!"
            return Route(self.truststore, ('GET',), True), [project, '']
        if '' in rest:
            return None
        if resource == 'certificates':
            if not rest:
                return Route(self.certificates, ('GET', 'POST'), True), [project]
            if len(rest) == 2 and rest[0] == 'truststore':
                return Route(self.truststore, ('GET',), True), [project, rest[1]]
            if len(rest) == 1:
                return Route(self.certificate, ('GET', 'PUT', 'DELETE'), True), [project, rest[0]]
            if len(rest) == 2 and rest[1] == 'export':
                return Route(self.export_certificate, ('GET',), True, produces=OCTET_STREAM), [project, rest[0]]
        elif resource == 'keys':
            if not rest:
                return Route(self.keys, ('GET', 'POST'), True), [project]
            if len(rest) == 1:
                return Route(self.key, ('GET', 'PUT', 'DELETE'), True), [project, rest[0]]
        elif resource == 'keystores':
            if not rest:
                return Route(self.keystores, ('GET', 'POST'), True), [project]
            if len(rest) == 1:
                return Route(self.keystore, ('GET', 'PUT', 'DELETE'), True), [project, rest[0]]
        elif resource == 'jwks':
            if not rest:
                return Route(self.jwks, ('GET', 'POST'), True), [project]
            if len(rest) == 1:
                # With the slash too (jwk_action_paths both): a POST is the action, other methods the JWK of that name.
                if rest[0] in JWK_ACTIONS and request.method == 'POST' and self.store.switch('jwk_action_paths') == 'both':
                    return Route(self.jwk_action, ('POST',), True), [project, rest[0]]
                return Route(self.jwk, ('GET', 'PUT', 'DELETE'), True), [project, rest[0]]
        return None

    def dispatch(self):
        path = wire_path(request.environ)
        try:
            segments = split_segments(path)
        except UnicodeDecodeError as exc:
            raise bad_request('The request path is not valid UTF-8 once percent-decoded') from exc
        if segments[:1] != ['apiops']:
            raise not_found('No endpoint %s %s' % (request.method, path))
        segments = segments[1:]
        is_token_endpoint = segments[:2] == ['auth', 'token']
        g.read_write, g.admin = False, False
        if not is_token_endpoint:
            try:
                g.read_write, g.admin = self.store.authenticate(bearer_token(request.environ), request.environ.get(ARRIVED_ENVIRON_KEY))
            except ApiError as exc:
                # The JWK list page documents its own answer to a bad token.
                if exc.error == 'invalid_token' and request.method == 'GET' and _is_jwk_list(segments):
                    raise ApiError(401, 'unauthorized_client', 'Invalid token', headers=exc.headers) from exc
                raise
        matched = self._route(segments)
        if matched is None:
            raise not_found('No endpoint %s %s' % (request.method, path))
        route, arguments = matched
        method = 'GET' if request.method == 'HEAD' else request.method
        if method not in route.methods:
            raise ApiError(405, 'method_not_allowed', "Request method '%s' is not supported" % request.method,
                           headers={'Allow': ', '.join(route.methods)})
        if self.store.switch('strict_accept') and not self._accepts(route.produces):
            raise ApiError(406, 'not_acceptable', 'No acceptable representation: this endpoint answers %s, the request '
                           'accepts %s' % (route.produces, request.headers.get('Accept')))
        if route.in_project:
            arguments[0] = self.store.project(arguments[0], g.admin)
            if method != 'GET' and not g.read_write:
                raise ApiError(403, 'forbidden', 'Access denied: this operation needs the SECRETS+MANAGE permission '
                               '(and SECRETS+DEPLOY_UNDEPLOY to deploy) in project (%s)!' % arguments[0].name)
        return route.handler(method, *arguments)

    @staticmethod
    def _accepts(media_type):
        """Whether the request's Accept admits media_type (wildcards and q-values count; no Accept admits all)."""
        if not request.headers.get('Accept', '').strip():
            return True
        return request.accept_mimetypes.quality(media_type) > 0

    # ---- fault hooks ---------------------------------------------------------------------------

    def _fault_paths(self):
        path = wire_path(request.environ)
        return [path, decoded_path(path)]

    def _note_fault(self, kind):
        request.environ.setdefault(FAULTS_ENVIRON_KEY, []).append(kind)

    def _deploy_failures(self, environment_names):
        failures = self.faults.deploy_failures(request.method, self._fault_paths(), environment_names)
        if failures:
            self._note_fault('deploy_failure')
        return failures

    def _replace_create_failure(self):
        description = self.faults.take_replace_create_failure(request.method, self._fault_paths())
        if description:
            self._note_fault('replace_create_fails')
        return description

    # ---- request bodies ------------------------------------------------------------------------

    @staticmethod
    def _require_media_type(expected):
        if request.mimetype != expected:
            raise ApiError(415, 'unsupported_media_type', "Content type '%s' not supported, use %s" % (request.content_type or '', expected))

    def _json_body(self):
        self._require_media_type('application/json')
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise bad_request('The request body must be a JSON object')
        return body

    def _update_query(self):
        """The query of a certificate replace, key update or keystore update. Only the parameters of this server's
        jwk_query variant are read and checked; the others are ignored."""
        variant = self.store.switch('jwk_query')
        known = JWK_QUERY_PARAMETERS[variant]
        sent = {}
        for name in request.args:
            value = request.args.get(name)
            choices = QUERY_CHOICES.get(name)
            if name in known and value not in choices:
                raise bad_request("Invalid value '%s' for parameter %s, expected one of %s" % (value, name, ', '.join(choices)),
                                  error='invalid_parameter')
            sent[name] = value
        if variant == 'oldest':
            return UpdateQuery(sent, None, None)
        scope = sent.get('updateScope')
        if variant == 'newer':
            return UpdateQuery(sent, sent.get('jwkUpdateAction', 'NULLIFY'), scope)
        if sent.get('updateReferencedJwks') == 'true':
            if scope is None:
                # The older pages call updateScope required when updateReferencedJwks=true.
                raise bad_request('updateScope value can not be empty!')
            return UpdateQuery(sent, 'UPDATE', scope)
        return UpdateQuery(sent, 'NULLIFY', scope)

    def _certificate_form(self, with_name):
        """The multipart fields of a create (with_name) or replace, checked in the documented order."""
        self._require_media_type('multipart/form-data')
        form = request.form
        if 'certificateDescription' not in form:
            raise bad_request(DESCRIPTION_MISSING)
        name = form.get('certificateName')
        if with_name and _blank(name):
            raise bad_request('certificateName value can not be empty!')
        alias = form.get('alias')
        if _blank(alias):
            raise bad_request('alias value can not be empty!')
        # Only a file part counts: a plain text field of that name is what a real (Spring) server ignores.
        upload = request.files.get('pemEncodedFile')
        pem = upload.read() if upload is not None else b''
        if not pem.strip():
            raise bad_request('pemEncodedFile value can not be empty!')
        # Spring joins a repeated request parameter with commas; so does this.
        environments = []
        for part in ','.join(form.getlist('environmentList')).split(','):
            part = part.strip()
            if part and part not in environments:
                environments.append(part)
        if not environments:
            raise bad_request('environmentList value can not be empty!')
        try:
            parsed = parse_certificate_pem(pem)
        except CertificateParseError as exc:
            raise bad_request('Certificate could not be parsed: %s' % exc) from exc
        return {'name': name, 'description': form.get('certificateDescription'), 'alias': alias,
                'environments': environments, 'parsed': parsed}

    # ---- handlers ------------------------------------------------------------------------------

    def issue_token(self, method):  # pylint: disable=unused-argument
        if request.form.get('grant_type') != 'client_credentials':
            raise bad_request('grant_type must be client_credentials', error='invalid_parameter')
        issued = self.store.issue_token(request.form.get('client_id') or '', request.form.get('client_secret') or '')
        if issued is None:
            raise ApiError(401, 'unauthorized_client', 'Bad credentials')
        token, ttl = issued
        return json_response({'access_token': token, 'token_type': 'Bearer', 'expires_in': ttl},
                             headers={'Cache-Control': 'no-store', 'Pragma': 'no-cache'})

    def all_environments(self, method):  # pylint: disable=unused-argument
        if not g.admin:
            raise ApiError(403, 'forbidden', 'Listing every environment needs an admin token')
        return json_response(result_list(self.store.all_environments(), count=True))

    def project_environments(self, method, project_name):  # pylint: disable=unused-argument
        return json_response(result_list(self.store.environments_of(project_name, g.admin), count=True))

    def certificates(self, method, project):
        if method == 'GET':
            return json_response(result_list(self.store.list_certificates(project)))
        fields = self._certificate_form(with_name=True)
        return json_response(self.store.create_certificate(project, deploy_failures=self._deploy_failures, **fields))

    def certificate(self, method, project, name):
        if method == 'GET':
            return json_response(result_list([self.store.get_certificate(project, name)]))
        if method == 'DELETE':
            return json_response(self.store.delete_certificate(project, name, deploy_failures=self._deploy_failures))
        query = self._update_query()
        fields = self._certificate_form(with_name=False)
        fields['name'] = name
        return json_response(self.store.replace_certificate(
            project, query=query, deploy_failures=self._deploy_failures, create_failure=self._replace_create_failure, **fields))

    def truststore(self, method, project, environment):  # pylint: disable=unused-argument
        if not self.store.is_admin_project(project.name):
            raise ApiError(403, 'forbidden', 'The truststore can only be listed in the admin project')
        if _blank(environment):
            raise bad_request('environmentName value can not be empty!')
        return json_response(result_list(self.store.truststore(environment)))

    def export_certificate(self, method, project, name):  # pylint: disable=unused-argument
        archive = self.store.export_certificate(project, name)
        return Response(archive, status=200, mimetype='application/octet-stream',
                        headers={'Content-Disposition': _content_disposition('%s-certificates.zip' % name)})

    def keys(self, method, project):
        if method == 'GET':
            return json_response(result_list(self.store.list_keys(project)))
        return json_response(self.store.create_key(project, self._json_body(), deploy_failures=self._deploy_failures))

    def key(self, method, project, name):
        if method == 'GET':
            return json_response(result_list([self.store.get_key(project, name)]))
        if method == 'DELETE':
            return json_response(self.store.delete_key(project, name, deploy_failures=self._deploy_failures))
        query = self._update_query()
        return json_response(self.store.update_key(project, name, self._json_body(), query, deploy_failures=self._deploy_failures))

    def keystores(self, method, project):
        if method == 'GET':
            return json_response(result_list(self.store.list_keystores(project)))
        return json_response(self.store.create_keystore(project, self._json_body(), deploy_failures=self._deploy_failures))

    def keystore(self, method, project, name):
        if method == 'GET':
            return json_response(result_list([self.store.get_keystore(project, name)]))
        if method == 'DELETE':
            return json_response(self.store.delete_keystore(project, name, deploy_failures=self._deploy_failures))
        query = self._update_query()
        return json_response(self.store.update_keystore(project, name, self._json_body(), query,
                                                        deploy_failures=self._deploy_failures))

    def blank_project(self, method):  # pylint: disable=unused-argument
        raise bad_request('projectName value can not be empty!')

    def jwks(self, method, project):
        if method == 'GET':
            return json_response(result_list(self.store.list_jwks(project)))
        parsed = jwkrequest.read_create(self._json_body(), self._jwk_fields(), self._environment_by_id(project))
        return self._add_parsed_jwk(project, parsed)

    def jwk(self, method, project, name):
        if method == 'GET':
            return json_response(result_list([self.store.get_jwk(project, name)]))
        if method == 'DELETE':
            return json_response(self.store.delete_jwk(project, name, deploy_failures=self._deploy_failures))
        return json_response(self.store.update_jwk(project, name, self._json_body(), deploy_failures=self._deploy_failures))

    def jwk_action(self, method, project, action):  # pylint: disable=unused-argument
        body = self._json_body()
        if action == jwkrequest.GENERATE_ACTION:
            generated = jwkrequest.read_generate(body, self._jwk_fields())
            self.store.jwk_name_free(project, generated.name)
            generated.generate()  # outside the store's lock: an RSA-4096 key takes a while
            return json_response(self.store.add_generated_jwk(project, generated, deploy_failures=self._deploy_failures))
        parsed = jwkrequest.read_parse(body, jwkrequest.PARSE_ACTIONS[action], self._jwk_fields(), self._environment_by_id(project))
        return self._add_parsed_jwk(project, parsed)

    def _jwk_fields(self):
        return jwkrequest.JwkFields(self.store.switch('jwk_request'))

    def _environment_by_id(self, project):
        return functools.partial(self.store.environment_by_id, project)

    def _add_parsed_jwk(self, project, parsed):
        if parsed.url is not None:
            self.store.jwk_name_free(project, parsed.name)
            # Outside the store's lock: the URL may be this emulator's own.
            jwkrequest.fetch_url(parsed)
        return json_response(self.store.add_parsed_jwk(project, parsed, deploy_failures=self._deploy_failures))
