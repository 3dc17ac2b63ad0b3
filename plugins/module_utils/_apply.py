# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or your own plugins!

"""Plan values and the one executor that writes them.

The resource layers (_certificates, _keys, _bundles) plan: they return Change values and do no I/O. apply() is the
only code that sends a write. It reads the deployment report of each answer, re-reads and re-plans after a write
whose outcome is unknown or that raced another run (never repeating the write blindly), and puts back a
certificate whose replace failed after the server had deleted the old one. Results come back in plan order."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from collections import namedtuple, deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerError

ACTIONS = ('create', 'update', 'delete', 'none')
# What an applied change did, as the modules report it.
DONE = dict(create='created', update='updated', delete='deleted', none='unchanged')
DONE_ACTIONS = tuple(DONE[action] for action in ACTIONS)
KIND_LABELS = dict(certificate='Certificate', key='Key', keystore='Keystore', jwk='JWK')


class Request(namedtuple('Request', ['method', 'path', 'params', 'body'])):
    """One write. body() builds the keyword arguments of the client's request() (json=..., or data=... and
    files=...) when the write is sent, so that what a plan holds stays cheap and free of material until then."""

    __slots__ = ()

    def send(self, client):
        return client.request(self.method, self.path, params=self.params, **(self.body() if self.body else {}))


class Restore(namedtuple('Restore', ['request', 'sha1_thumbprint', 'alias', 'environments'])):
    """How to put back the certificate a replace deletes first: its create, and what the message tells of it."""

    __slots__ = ()


class Change(namedtuple('Change', ['kind', 'name', 'action', 'before', 'after', 'diff', 'request', 'depends_on',
                                   'group', 'desired', 'options', 'restore', 'read_first'])):
    """One planned change of one stored object.

    kind: certificate, key or keystore; action: create, update, delete or none; before/after: non-secret views of the
    object as the server holds it and as it will be; diff: the changed non-secret fields; request: the write
    (None for none); depends_on: (kind, name) of the changes that must succeed first; group: the bundle it belongs
    to, or None; desired and options: what it was planned from, so that it can be planned again from a fresh
    read; restore: a Restore for a certificate replace, or None; read_first: the current object must be read in
    full before the write (a list without content gave no copy to restore)."""

    __slots__ = ()

    @property
    def key(self):
        return (self.kind, self.name)

    @property
    def label(self):
        return '%s %s' % (KIND_LABELS[self.kind], self.name)

    @property
    def sends_material(self):
        """A key, or a keystore (a bundle's is built from the bundle's private key), about to be sent."""
        return self.kind in ('key', 'keystore') and self.action in ('create', 'update')


class Outcome(namedtuple('Outcome', ['change', 'action', 'deployment', 'failure', 'undeployed'])):
    """What applying (or, in check mode, predicting) one change gave: action is created, updated, deleted or
    unchanged; deployment the report of the write (None when nothing was sent); failure a message, or None;
    undeployed the environments the object was stored in but whose deployment failed (a plain rerun cannot see
    them: only force deploys there again)."""

    __slots__ = ()

    def __new__(cls, change, action, deployment, failure, undeployed=()):
        return super(Outcome, cls).__new__(cls, change, action, deployment, failure, tuple(undeployed))

    @property
    def changed(self):
        return self.action != 'unchanged'

    @property
    def after(self):
        return self.change.after


class Failure(namedtuple('Failure', ['change', 'message', 'error', 'undeployed'])):
    """Why applying a change failed: a failed deployment or a restored replace (error None), or an API error;
    undeployed as in Outcome (empty unless the deployment failed)."""

    __slots__ = ()

    def __new__(cls, change, message, error, undeployed=()):
        return super(Failure, cls).__new__(cls, change, message, error, tuple(undeployed))


class Applied(namedtuple('Applied', ['outcomes', 'failures', 'started_groups'])):
    """What apply() did: the outcomes of the changes that were processed, in plan order; the failures, in plan
    order (after the first one, no new group was started); and the groups that were started."""

    __slots__ = ()

    @property
    def failure(self):
        """The message of the first failure in plan order, or None."""
        return self.failures[0].message if self.failures else None

    @property
    def error(self):
        """The ApinizerError behind the first failure, or None."""
        return self.failures[0].error if self.failures else None


def planned_action(present, exists, update_wanted):
    """create, update, delete or none: from whether the object should exist, whether it does, and whether the
    stored one should be sent again (it differs, or force)."""
    if not present:
        return 'delete' if exists else 'none'
    if not exists:
        return 'create'
    return 'update' if update_wanted else 'none'


def unchanged(kind, name, shown, desired, options):
    """The change of an object that needs none: before and after are the same fields."""
    return Change(kind, name, 'none', shown, shown, dict(before={}, after={}), None, (), None, desired, options, None,
                  False)


def field_diff(name, before, after):
    """Ansible diff of the fields that differ; before={} on create, after={} on delete."""
    if not before:
        return dict(before={}, after=after or {})
    if not after:
        return dict(before=before, after={})
    fields = [key for key in after if before.get(key) != after.get(key)]
    return dict(before=dict([('name', name)] + [(key, before.get(key)) for key in fields]),
                after=dict([('name', name)] + [(key, after.get(key)) for key in fields]))


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


def undeployed_environments(report):
    """The environments a deployment report names as failed, in its order."""
    return tuple(e['name'] or '?' for e in report['environments'] if not e['success'])


def deployment_failure_message(change, report):
    """None when every environment deployed; else a message naming each failed environment with the server's
    message. The server keeps the object stored, so a plain rerun finds nothing to do: a change of its own (no
    group) says to run again with force=true; for a group (a bundle), the module says how once for all of them. A
    delete that failed to undeploy cannot be repeated: the object is gone."""
    if report['success']:
        return None
    failed = [e for e in report['environments'] if not e['success']]
    names = ', '.join(undeployed_environments(report)) or 'some environment'
    details = '; '.join('%s: %s' % (e['name'] or '?', e['message']) for e in failed) or report['message']
    if change.action == 'delete':
        return ('%s was deleted, but undeploying it failed in %s (%s). The server no longer holds it, so no rerun '
                'can undeploy it again there.' % (change.label, names, details))
    message = ('%s was stored, but its deployment failed in %s (%s). The server keeps it stored, so a plain rerun '
               'finds nothing to do' % (change.label, names, details))
    if change.group is None:
        return message + ': run again with force=true to deploy it again.'
    return message + '.'


def predict(changes):
    """Check mode: the outcome each change would have, nothing sent."""
    return Applied([Outcome(change, DONE[change.action], None, None) for change in changes], [],
                   set(change.group for change in changes))


def _groups(changes):
    """[(group, [(plan index, change), ...])] in plan order. The changes of one group (a bundle) depend on one
    another and run in order; a change without a group is a group of its own."""
    groups, members_of = [], {}
    for index, change in enumerate(changes):
        members = members_of.get(change.group) if change.group is not None else None
        if members is None:
            members = []
            groups.append((change.group, members))
            if change.group is not None:
                members_of[change.group] = members
        members.append((index, change))
    return groups


def _apply_group(client, members, replan, retries):
    """The changes of one group, in order, up to the first failure: ([(index, outcome)], Failure or None)."""
    done = []
    written = {}  # the certificates of the group written in this run, as they were sent, by key
    for index, change in members:
        # A private key that follows a certificate written in this run belongs to that certificate.
        leaf = next((written[key] for key in change.depends_on if key in written), None)
        follows = leaf is not None and change.kind == 'key' and change.desired.get('key_type') == 'private_key'
        try:
            outcome = _check_follower(client, change, replan, retries) if is_follower(change) \
                else _apply_change(client, change, replan, retries, follows)
            if outcome.changed and follows:
                outcome = _keep_the_pair(client, outcome, leaf, replan, retries)
        except ApinizerError as exc:
            return done, (index, Failure(change, str(exc), exc))
        done.append((index, outcome))
        if outcome.failure:
            return done, (index, Failure(change, outcome.failure, None, outcome.undeployed))
        if outcome.changed and change.kind == 'certificate':
            written[change.key] = outcome.change
    return done, None


def is_follower(change):
    """A change with no write of its own that must be read (read_first): an object the server brings in step with
    the source written before it in the group -- a bundle's JWK, re-parsed by its certificate's replace with
    jwkUpdateAction=UPDATE."""
    return change.request is None and change.read_first and change.action != 'none'


def _check_follower(client, change, replan, retries):
    """Read a follower once, after its source's write: when the fresh plan has nothing to do, the server brought it
    in step (updated, nothing sent). Otherwise (a server that ignored the action) it is brought in step here: the
    fresh plan's first change and, when that was the delete of a replace, the create planned from another read."""
    fresh = replan(client, change)
    if fresh.action == 'none':
        return Outcome(change, DONE[change.action], None, None)
    outcome = _apply_change(client, fresh, replan, retries)
    if not outcome.failure and fresh.action == 'delete':
        outcome = _apply_change(client, replan(client, change), replan, retries)
    return Outcome(change._replace(after=outcome.change.after), DONE[change.action], outcome.deployment,
                   outcome.failure, outcome.undeployed)


def _keep_the_pair(client, outcome, leaf, replan, retries):
    """A private key written in this run after its certificate (leaf, the change as sent) belongs to that
    certificate. Another run that replaced the certificate in between left this key beside a certificate it does
    not belong to, and nothing in a single write can tell: so the certificate is read again after the key, and
    when it is no longer ours, the certificate and then the key are sent again -- up to retries times -- so that
    the server ends with a pair that belongs together (the one written last, as when the runs follow each other)."""
    # Compared as planned without force: a forced certificate would always differ from the server's copy.
    leaf = leaf._replace(options=leaf.options._replace(force=False))
    for _attempt in range(max(retries, 1)):
        again = replan(client, leaf)
        if again.action == 'none':
            return outcome
        resent = _apply_change(client, again, replan, retries)
        if resent.failure:
            return outcome._replace(failure=resent.failure)
        key = outcome.change
        outcome = _apply_change(client, replan(client, key._replace(options=key.options._replace(force=True))), replan,
                                retries, True)
        if outcome.failure:
            return outcome
    if replan(client, leaf).action == 'none':
        return outcome
    return outcome._replace(failure=(
        'Another run replaced certificate %s each time this run had written it and the private key %s that belongs '
        'to it (%d times); the server may hold the certificate of one run beside the key of the other. Run again '
        'once no other run writes them.' % (leaf.name, outcome.change.name, max(retries, 1))))


def apply(client, changes, replan, retries, parallel=1):
    """Send the planned changes. Groups (bundles) run one after another, or up to parallel at once, each with a
    client of its own (client.for_worker()); inside a group, in plan order, which keeps every change after those
    it depends on. The first failure stops new groups from starting; groups already running finish.
    replan(client, change) reads the object again and returns a fresh Change from the same desired state and
    options; retries bounds the re-reads after lost or raced writes. Results come back in plan order."""
    groups = deque(_groups(changes))
    outcomes, failures, started = {}, [], set()

    def run_group(worker, name, members):
        started.add(name)
        return _apply_group(worker, members, replan, retries)

    def collect(result):
        done, failed = result
        outcomes.update(done)
        if failed:
            failures.append(failed)

    if parallel <= 1 or len(groups) <= 1:
        while groups and not failures:
            collect(run_group(client, *groups.popleft()))
    else:
        _run_side_by_side(client, groups, min(parallel, len(groups)), run_group, collect, lambda: bool(failures))
    failures.sort(key=lambda item: item[0])
    return Applied([outcomes[index] for index in sorted(outcomes)], [failure for _index, failure in failures],
                   started)


def _run_side_by_side(client, groups, workers, run_group, collect, stopped):
    """Run the groups on a pool of workers, each with its own client; no new group starts once stopped()."""
    idle = deque([client] + [client.for_worker() for _worker in range(workers - 1)])
    running = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while groups or running:
            while groups and idle and not stopped():
                worker = idle.popleft()
                running[pool.submit(run_group, worker, *groups.popleft())] = worker
            if not running:
                break
            finished, _pending = wait(list(running), return_when=FIRST_COMPLETED)
            for future in finished:
                idle.append(running.pop(future))
                collect(future.result())


def _apply_change(client, change, replan, retries, follows=False):
    """One change: send its write; after a write whose outcome is unknown, or one that raced another run (the
    object appeared or went between our read and our write), read again and converge. When the re-read shows
    nothing left to do after a lost write, that write did take effect. follows: the change is a private key that
    belongs to a certificate written in this run; when another run created it first, ours is sent all the same,
    since key material cannot be read back and compared."""
    lost = None
    attempts = 0
    while True:
        attempts += 1
        if change.read_first:
            change = replan(client, change)
        if change.action == 'none':
            if lost is not None:
                return Outcome(lost._replace(after=change.after), DONE[lost.action], None, None)
            return Outcome(change, 'unchanged', None, None)
        try:
            response = change.request.send(client)
        except ApinizerError as exc:
            if not (exc.outcome_unknown or exc.is_race):
                if change.restore is not None:
                    return _restore(client, change, exc, replan)
                raise
            if attempts > max(retries, 1):
                raise
            if exc.outcome_unknown and lost is None:
                lost = change
            if exc.is_race and follows:
                change = change._replace(options=change.options._replace(force=True))
            change = replan(client, change)
            continue
        report = deployment_report(response)
        failure = deployment_failure_message(change, report)
        undeployed = (undeployed_environments(report) or ('?',)) if failure and change.action != 'delete' else ()
        return Outcome(change, DONE[change.action], report, failure, undeployed)


def _restore(client, change, failure, replan):
    """A replace is a delete then a create on the server. When it failed and the old certificate is gone, put
    it back; when it is still there, the failure is reported as it is."""
    if replan(client, change).action != 'create':
        raise failure
    restore = change.restore
    try:
        report = deployment_report(restore.request.send(client))
    except ApinizerError as restore_failure:
        raise ApinizerError(
            'Replacing certificate %s failed after the server deleted the old one (%s), and putting the previous '
            'certificate (SHA-1 %s) back failed too (%s). Re-run the task to create it.'
            % (change.name, failure.short, restore.sha1_thumbprint, restore_failure.short),
            status=failure.status, error=failure.error, description=failure.description, method=failure.method,
            path=failure.path)
    message = ('Replacing certificate %s failed after the server deleted the old one (%s). The previous certificate '
               '(SHA-1 %s, alias %s) was put back in %s.'
               % (change.name, failure.short, restore.sha1_thumbprint, restore.alias, ', '.join(restore.environments)))
    return Outcome(change._replace(after=change.before), 'updated', report, message)
