#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) apinizer.apiops contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: apinizer_bundle
short_description: Deploy many certificate bundles (certificate, chain, key) to Apinizer environments in one run
version_added: 1.0.0
description:
  - Keeps many bundles -- a certificate, its chain and a key -- deployed to the environments of an Apinizer project,
    in one module run.
  - A bundle is stored as the certificate C(<name>) (the leaf), the certificates C(<name>-chain-1), C(<name>-chain-2),
    ... (the chain, in order) and the key C(<name>) (private, secret or public).
  - The certificate, chain and private key of a bundle come from PEM options, or from one PKCS#12 file
    (O(bundles[].pkcs12_path) or O(bundles[].pkcs12)).
  - A bundle may also store its certificate, chain and private key as a PKCS12 keystore (O(bundles[].keystore)),
    so that settings that want a keystore get the same material in the same run.
  - Before the first write, every bundle is checked -- every PEM and PKCS#12 file parses, the private key matches the certificate,
    each chain certificate issued the one before it, no certificate has expired, every environment exists in the
    project, no two bundles store the same name. One bad bundle means nothing is written, and the message names
    every bad bundle.
  - What is checked when. Always, for every bundle, before any request -- names, environments, PEM structure,
    certificate validity and chain order, the passphrase of an encrypted key or a PKCS#12 file, that a private or
    public key is RSA (the only kind the API holds as a key; a certificate may have any key), a secret key's length,
    and the private key's public half against the certificate. Before the first write, and only for the keys whose
    material is about to be sent -- the consistency check of the private key itself (for RSA, that its numbers
    belong together -- n = p q, e d = 1 modulo p - 1 and q - 1, and the CRT values; p and q are not tested for
    primality, which made OpenSSL's check cost 60 ms for an RSA-2048 key and 400 ms for RSA-4096), so that a run
    that sends nothing does no more than matching needs.
  - A converged run reads the certificate list, the key list and the environments once for all bundles (and the
    JWK list or the keystore list, when some bundle has O(bundles[].jwk) or O(bundles[].keystore)), and sends no
    write.
  - With O(bundles[].jwk), the certificate of a bundle is also published as a JWK, kept in step with it on every
    rotation; with O(bundles[].keystore), its certificate, chain and key are also stored as a PKCS#12 keystore.
  - When the certificate of a bundle changes, its private key is sent again in the same run, whatever
    O(bundles[].update_content) says, so a new certificate is never deployed beside a stale key.
  - A deployment that fails in an environment fails the task, naming the bundle, the object and each failed
    environment with the server's message; the bundle stops there (its later objects are not sent). The server
    keeps the object stored in that environment, so a plain rerun sees nothing to do and reports it unchanged
    while it stays undeployed there. The message and RV(force_bundles) name the bundles to deploy again; run once
    with O(force_bundles) set to that list.
  - After writing such a private key, the module reads its certificate again. When another run replaced the
    certificate in between, the certificate and the key are sent once more (up to O(retries) times, then the
    task fails saying so), so two runs that rotate the same bundle at once leave one of their pairs, complete.
author:
  - apinizer.apiops maintainers (@apinizer)
extends_documentation_fragment:
  - apinizer.apiops._connection
  - apinizer.apiops._cryptography
  - apinizer.apiops._attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the server as a real run does and predicts each resource's action; sends no write.
  diff_mode:
    support: full
    details:
      - One diff per changed certificate, key, keystore or JWK, with changed fields only; never key material, a
        keystore file or its password (a keystore shows the certificates inside by SHA-256 fingerprint), never a
        private JWK member.
  idempotent:
    support: partial
    details:
      - Certificates are compared exactly (thumbprint, alias, description, environments).
      - Key material cannot be read back, so a change of key material alone is not detected; see
        M(apinizer.apiops.apinizer_key) and O(bundles[].update_content).
      - A JWK's use and algorithm cannot be read back, so a change of O(bundles[].jwk.use) or
        O(bundles[].jwk.algorithm) alone is not detected; O(bundles[].force) makes the JWK again.
      - A bundle's keystore follows its certificate and key; a change of its password alone is not detected (see
        O(bundles[].keystore)).
options:
  bundles:
    description:
      - The bundles.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Name of the bundle, and of the objects that store it.
        type: str
        required: true
      state:
        description:
          - V(present) deploys the bundle; V(absent) deletes its key, certificate and chain certificates.
        type: str
        choices: [present, absent]
        default: present
      environments:
        description:
          - The exact set of environments the bundle lives in; defaults to O(environments).
          - Each element is an environment name, or a mapping with C(name) and the key material that differs in
            that environment (C(private_key), C(private_key_path), C(private_key_passphrase), C(secret_key),
            C(secret_key_path), C(public_key), C(public_key_path)) and the key's C(alias) there.
        type: list
        elements: raw
      description:
        description:
          - Description of the certificates and the key.
        type: str
        default: ''
      alias:
        description:
          - Alias of the certificate and the key in every environment; chain certificates get C(<alias>-chain-N).
          - Defaults to the name.
        type: str
      certificate:
        description:
          - The certificate as PEM. When it holds more certificates, the first is the leaf and the others its chain.
        type: str
      certificate_path:
        description:
          - A PEM file with the certificate, optionally followed by its chain.
        type: path
      chain:
        description:
          - More CA certificates (PEM), in order from the issuer of the certificate upward.
        type: str
      chain_path:
        description:
          - A PEM file with more CA certificates.
        type: path
      private_key:
        description:
          - The private key of the certificate, PEM. It must match the certificate.
          - An RSA key; the API holds no other kind. A certificate with an EC or Ed25519 key is deployed without
            O(bundles[].private_key).
        type: str
      private_key_path:
        description:
          - A PEM file with the private key.
        type: path
      private_key_passphrase:
        description:
          - Passphrase of an encrypted private key; the key is sent decrypted, as PKCS#8.
        type: str
      secret_key:
        description:
          - A secret key (8, 16, 24 or 32 bytes), written as base64 text.
        type: str
      secret_key_path:
        description:
          - A file holding the raw bytes of a secret key.
        type: path
      public_key:
        description:
          - A public key, PEM. An RSA key; the API holds no other kind.
        type: str
      public_key_path:
        description:
          - A PEM file with a public key.
        type: path
      pkcs12_path:
        description:
          - A PKCS#12 file (C(.p12), C(.pfx)) with the certificate, its private key and optionally its chain, instead
            of O(bundles[].certificate_path), O(bundles[].chain_path) and O(bundles[].private_key_path).
          - The certificate is the one of the file's private key. The file's other certificates come in no
            guaranteed order; they are ordered issuer by issuer from the certificate, and one that is not part of
            its chain is refused. From there, the certificate, chain and key are checked and sent exactly as if they
            were given as PEM (expiry, chain order, key matches certificate, RSA key only; the key is sent as
            PKCS#8).
          - Opening the file decrypts its key, and the C(cryptography) library checks an RSA key's numbers as it
            does so; that costs some 50 ms per file for RSA-2048 in every run, converged or not, where a PEM key that
            is not sent costs well under a millisecond.
          - Cannot be combined with O(bundles[].certificate), O(bundles[].chain), O(bundles[].private_key),
            O(bundles[].secret_key), O(bundles[].public_key) (or their C(_path) forms),
            O(bundles[].private_key_passphrase), or key material per environment in O(bundles[].environments).
        type: path
      pkcs12:
        description:
          - The content of a PKCS#12 file as base64 text, for example from a vault; otherwise as
            O(bundles[].pkcs12_path).
        type: str
      pkcs12_passphrase:
        description:
          - Passphrase of the PKCS#12 file of O(bundles[].pkcs12_path) or O(bundles[].pkcs12). Ignored for a file
            that has none.
        type: str
      update_content:
        description:
          - V(on_create) sends key material when the key is created or updated anyway; V(always) on every run.
        type: str
        choices: [on_create, always]
        default: on_create
      force:
        description:
          - Replace and redeploy the bundle's objects even when nothing differs.
          - To redeploy bundles for one run only, for example after a failed deployment, O(force_bundles) is simpler.
        type: bool
        default: false
      jwk:
        description:
          - Also publish the certificate of the bundle as a JWK, parsed by the server from the certificate's entry
            for O(bundles[].jwk.environment) (source type C(CERTIFICATE)), and keep it in step on every rotation;
            the certificate's replace is sent with O(bundles[].jwk_update_action=update), so the server re-parses
            the JWK from the new certificate, and the module then reads that JWK once and compares its public
            members with the new certificate's public key. When they differ (a server that ignored the action), the
            JWK is made again.
          - A converged run reads the JWK list once (it holds no key material) and no JWK itself. A JWK that keeps its
            reference to the certificate, with the type of the certificate's key and the description, is unchanged;
            one cut loose from its certificate (for example by a replace with V(nullify)), or with another type or
            description, is made again -- deleted, then created, which gives it a new id (JOSE policies that hold the
            old id must be pointed at the new one). The use and algorithm a JWK was made with cannot be read back;
            a change of them alone is not seen; O(bundles[].force) makes the JWK again.
          - Two things make the JWK again with a new id, a change of its description (which defaults to the
            bundle's O(bundles[].description); set O(bundles[].jwk.description) to keep the JWK when the bundle's
            changes) and O(bundles[].force), also when it comes from O(force_bundles).
          - With O(bundles[].state=absent), the JWK is deleted first, before the key and the certificates; only
            O(bundles[].jwk.name) is used then.
          - Leaving O(bundles[].jwk) out later does not delete the JWK, and O(prune) deletes certificates and keys
            only; delete a JWK no bundle publishes any more with M(apinizer.apiops.apinizer_jwk) and
            O(apinizer.apiops.apinizer_jwk#module:state=absent).
          - Needs a certificate (O(bundles[].certificate), O(bundles[].certificate_path), O(bundles[].pkcs12_path) or
            O(bundles[].pkcs12)) with an RSA, EC or Ed25519/X25519 key. Cannot be combined with
            O(bundles[].jwk_update_action=nullify).
          - Private JWK members are never read for the comparison's sake beyond that one read after a replace of the
            certificate, and never shown; the results show the public members only.
          - Older servers, which read C(environmentId), C(SIGN) and C(keystoreAlgorithm) for a JWK made from a
            certificate, refuse the JWK's create; the bundle fails saying so, with its certificate and key stored.
        type: dict
        suboptions:
          name:
            description:
              - Name of the JWK. Defaults to the name of the bundle.
            type: str
          environment:
            description:
              - The environment whose entry of the certificate the JWK is parsed from; one of the bundle's
                environments. Defaults to the first of them.
            type: str
          use:
            description:
              - What the JWK is for.
            type: str
            choices: [signature, encryption]
            default: signature
          algorithm:
            description:
              - The JOSE algorithm of the JWK; it must fit the certificate's key type and O(bundles[].jwk.use), and is
                checked before any request.
              - Defaults by the certificate's key, for V(signature) -- RSA V(RS256), EC P-256 V(ES256), P-384
                V(ES384), P-521 V(ES512), secp256k1 V(ES256K), Ed25519 V(EdDSA) -- and for an RSA key with
                V(encryption), V(RSA-OAEP-256). Other combinations need it given.
            type: str
          description:
            description:
              - Description of the JWK. Defaults to O(bundles[].description).
            type: str
      jwk_update_action:
        description:
          - What a write of the bundle's certificate, key or keystore does to the JWKs made from it, as
            O(apinizer.apiops.apinizer_certificate#module:jwk_update_action) of that module; sent on the replace of
            the certificate (not on its chain certificates') and on the update of the key and of the keystore.
          - Defaults to V(update) when the bundle has O(bundles[].jwk) (what keeps that JWK in step), else to
            V(nullify).
        type: str
        choices: [nullify, update]
      jwk_update_scope:
        description:
          - Which JWKs are updated with O(bundles[].jwk_update_action=update), as
            O(apinizer.apiops.apinizer_certificate#module:jwk_update_scope); V(same_project) is sent when not given.
        type: str
        choices: [same_project, all_projects]
      allow_expired:
        description:
          - Deploy certificates that have expired or are not valid yet.
        type: bool
        default: false
      keystore:
        description:
          - Store the bundle's certificate, chain and private key also as a PKCS12 keystore, for the settings (mTLS,
            for example) that want a keystore rather than a certificate and a key.
          - The keystore is built with C(cryptography) from the checked leaf, the chain in order and the private key
            (PEM or O(bundles[].pkcs12_path)), encrypted with O(bundles[].keystore.password), and deployed to every
            environment of the bundle, the same file everywhere, after the certificate and the key.
          - A built PKCS12 file differs byte-wise on every build, so the stored file is not compared. The keystore
            follows its bundle as the key follows its certificate -- created when missing, sent again when the
            certificate, a chain certificate or the private key is sent (or a chain certificate deleted) in the same
            run, when its environments, type or description differ from the server's, or with O(bundles[].force) or
            O(bundles[].update_content=always); otherwise unchanged. The file is only built for a keystore that is
            sent.
          - The password and the alias never come back from the server, so a change of either alone is not seen;
            nor is a keystore that a failed run left behind its certificate (the certificate and key were sent,
            the keystore's own write failed). Use O(bundles[].update_content=always) or O(bundles[].force) once to
            send it again.
          - Its update carries O(bundles[].jwk_update_action) and O(bundles[].jwk_update_scope), so JWKs made from
            the keystore (M(apinizer.apiops.apinizer_jwk) with O(apinizer.apiops.apinizer_jwk#module:source=keystore))
            follow it as those made from the certificate do.
          - With O(bundles[].state=absent), the keystore is deleted (before the key and the certificates).
          - Refused before any request, for a bundle without a certificate or without a private key, an empty
            password, and a keystore name given to two bundles of the run.
          - O(prune) never deletes keystores.
        type: dict
        suboptions:
          password:
            description:
              - The password of the PKCS12 keystore; sent with the file, as the API asks. Never returned.
              - Required unless O(bundles[].state=absent), which deletes the keystore without it.
            type: str
          name:
            description:
              - Name of the keystore. Keystores are their own namespace, so it may be the bundle's name.
              - Defaults to O(bundles[].name).
            type: str
          alias:
            description:
              - The friendly name of the key entry in the file, and the alias sent for every environment.
              - Defaults to O(bundles[].alias), else O(bundles[].name).
            type: str
          description:
            description:
              - Description of the keystore; defaults to O(bundles[].description).
            type: str
  environments:
    description:
      - The environments of the bundles that name none.
    type: list
    elements: str
    default: []
  validate_only:
    description:
      - Check every bundle, including that its environments exist, and write nothing.
    type: bool
    default: false
  parallel:
    description:
      - How many bundles are written at once, each over a connection of its own.
      - The objects of one bundle are always written in order (chain certificates, the leaf, then its key); the
        results and the summary come back in the order the bundles are given, whatever order they finished in.
      - The first failure stops new bundles from starting; bundles already being written finish, and the result
        names every bundle that was not processed.
      - A rate limit (429) or an unavailable server (503) makes every connection wait, not only the one that got
        the answer.
      - Each write makes the server deploy the object to every one of its environments, so O(parallel) is also
        how many deployments this task asks of the server at once. The default, V(4), writes three to four times
        faster than V(1) against a server that takes its time over each write, while never asking a management
        API that other pipelines share for more than four deployments at once; V(8) or V(16) suit a gateway known
        to cope. Against a server that answers at once more workers gain little, the work being the module's own.
        V(1) writes one bundle after another.
    type: int
    default: 4
  force_bundles:
    description:
      - Names of bundles to replace and redeploy in this run even when nothing differs, as if each had
        O(bundles[].force=true). Every name must be a bundle of O(bundles).
      - Meant for the run after a failed deployment, which the server keeps stored so that a plain rerun cannot
        see it -- the failed task's RV(force_bundles) lists exactly those bundles. The other bundles are compared
        as usual.
    type: list
    elements: str
    default: []
  prune:
    description:
      - Also delete the certificates and keys of the project that no bundle of O(bundles) declares, among those
        whose name O(prune_match) matches, so that the project holds exactly what is declared. Objects whose names
        do not match are never touched, so objects that others manage in the same project stay.
      - A bundle declares its name (its certificate and key) and every C(<name>-chain-N); those are never pruned,
        whatever O(prune_match) says. A bundle with O(bundles[].state=absent) declares its names too (it deletes
        them itself). A present bundle deletes the chain certificates it no longer has itself.
      - For each pruned name, the key is deleted before the certificate. Pruning comes after every bundle, in the
        result and in RV(summary_lines) (a last line); RV(pruned) lists what was deleted.
      - Check mode and diff mode show what would be deleted. With O(validate_only), nothing is read or pruned.
      - With an empty O(bundles), the task is refused unless O(prune_allow_empty=true).
    type: bool
    default: false
  prune_match:
    description:
      - A Python regular expression that the B(whole) name of an object must match to be pruned, as with
        C(re.fullmatch). V(payments-.*) matches C(payments-api) but not C(old-payments-api); V(.*) matches every
        name.
      - Required when O(prune=true). Checked before any request, also when O(prune=false).
    type: str
  prune_allow_empty:
    description:
      - With O(prune=true) and an empty O(bundles), delete every certificate and key whose name O(prune_match)
        matches. Without it, such a run is refused before any request, since an empty list is more often a
        mistake (an unset variable) than a wish.
    type: bool
    default: false
seealso:
  - module: apinizer.apiops.apinizer_certificate
    description: Manage one certificate and its environments.
  - module: apinizer.apiops.apinizer_key
    description: Manage one crypto key and its material per environment.
  - name: Apinizer API Ops reference
    description: The management API these modules speak (certificates, keys, deployment reports).
    link: https://docs.apinizer.com/
"""

EXAMPLES = r"""
---
- name: Keep three bundles deployed to production and staging
  apinizer.apiops.apinizer_bundle:
    url: https://apinizer.example.com
    token: "{{ apinizer_token }}"
    project: payments
    environments: [production, staging]
    bundles:
      - name: api-example-com
        certificate_path: files/api.example.com-fullchain.pem
        private_key_path: files/api.example.com.key
        private_key_passphrase: "{{ vault_key_passphrase }}"
      - name: partner-acme-mtls
        description: mTLS client certificate of ACME
        certificate_path: files/partner-acme.pem
      - name: billing-example-com
        description: Certificate, chain and key from the CA's .p12 file
        pkcs12_path: files/billing.example.com.p12
        pkcs12_passphrase: "{{ vault_billing_p12_passphrase }}"
      - name: signing-example-com
        description: Signing certificate, also published as a JWK that follows each rotation
        certificate_path: files/signing.example.com.pem
        jwk:
          name: signing-jwk
          environment: production
      - name: token-encryption
        environments:
          - name: production
            secret_key: "{{ vault_production_aes_key_b64 }}"
          - name: staging
            secret_key: "{{ vault_staging_aes_key_b64 }}"
  register: deployed

- name: Deploy a bundle and store it also as a PKCS12 keystore for an mTLS setting that wants one
  apinizer.apiops.apinizer_bundle:
    environments: [production, staging]
    bundles:
      - name: partner-mtls-client
        description: mTLS client of the partner API
        certificate_path: files/partner-client.pem
        private_key_path: files/partner-client.key
        keystore:
          password: "{{ vault_partner_keystore_password }}"
          name: partner-mtls-keystore
          alias: partner-client

- name: Retire a bundle
  apinizer.apiops.apinizer_bundle:
    bundles:
      - name: partner-old
        state: absent

- name: Keep exactly these bundles among the payments-* objects; others' objects in the project stay
  apinizer.apiops.apinizer_bundle:
    environments: [production]
    bundles:
      - name: payments-api
        certificate_path: files/payments-api.pem
    prune: true
    prune_match: "payments-.*"
  register: deployed

- name: Show what was pruned
  ansible.builtin.debug:
    msg: "{{ deployed.pruned | map(attribute='name') | list }}"

- name: Deploy, and once more forced for exactly the bundles whose deployment failed (the server kept them stored)
  block:
    - name: Deploy the gateway's bundles
      apinizer.apiops.apinizer_bundle:
        environments: [production, staging]
        bundles: "{{ gateway_bundles }}"
      register: deployed
  rescue:
    - name: Deploy again the bundles the failure names
      apinizer.apiops.apinizer_bundle:
        environments: [production, staging]
        bundles: "{{ gateway_bundles }}"
        force_bundles: "{{ deployed.force_bundles }}"
      when: deployed.force_bundles | default([]) | length > 0
"""

RETURN = r"""
bundles:
  description: One entry per bundle, in the order given. After a failure, the bundles processed so far.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the bundle.
      type: str
      sample: api-example-com
    state:
      description: The state asked for.
      type: str
      sample: present
    changed:
      description: Whether any of its objects changed.
      type: bool
      sample: true
    resources:
      description: One entry per stored object.
      type: list
      elements: dict
      contains:
        type:
          description:
            - V(certificate), V(key), V(keystore) (O(bundles[].keystore)) or V(jwk) (O(bundles[].jwk)).
            - A JWK made again (deleted, then created) is two entries; a JWK checked after its certificate's
              rotation is one, V(updated), whether the server re-parsed it or the module made it again.
          type: str
          sample: certificate
        name:
          description: Name of the object.
          type: str
          sample: api-example-com-chain-1
        action:
          description: What was done (or would be, in check mode).
          type: str
          sample: created
          choices: [created, updated, deleted, unchanged]
        deployment:
          description:
            - The deployment report of the write, per environment; null when nothing was written.
          type: dict
          contains:
            success:
              description: Whether the deployment succeeded in every environment.
              type: bool
              sample: true
            message:
              description: The server's summary.
              type: str
              sample: Deployment completed successfully
            environments:
              description: One entry per environment.
              type: list
              elements: dict
              contains:
                name:
                  description: Environment name.
                  type: str
                  sample: production
                success:
                  description: Whether the deployment to this environment succeeded.
                  type: bool
                  sample: true
                message:
                  description: The server's message for this environment.
                  type: str
                  sample: Deployed successfully
    jwk:
      description:
        - The public fields of the bundle's JWK as this run leaves it (in check mode, would leave it); an empty
          dict once deleted. Never a private member.
      returned: when the bundle has O(bundles[].jwk)
      type: dict
      contains:
        name:
          description: Name of the JWK.
          type: str
          sample: api-example-com
        description:
          description: Description of the JWK.
          type: str
          sample: TLS of api.example.com
        source_type:
          description: Where its material comes from; V(CERTIFICATE).
          type: str
          sample: CERTIFICATE
        type:
          description: The JWK type, from the certificate's key (V(RSA), V(EC) or V(OKP)).
          type: str
          sample: RSA
        kid:
          description: Its key id; the server sets none for a JWK made from a certificate.
          type: str
          sample: null
        public_members:
          description: The public members of the certificate's key (C(n), C(e); C(crv), C(x), C(y)).
          type: dict
          sample: {e: AQAB, n: 0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4...}
summary_lines:
  description:
    - What the R(apinizer.apiops.apinizer_deploy,ansible_collections.apinizer.apiops.apinizer_deploy_role) role
      prints; a line for the project with the counts (and C(FAILED), C(check mode) or C(validate only) when so),
      then one line per bundle in the order given, with each object's action and the deployment per environment;
      bundles that a failure kept from starting are C(not processed). With O(prune), a last line that starts
      with C(prune) and the pattern, then each object pruned, or C(nothing to delete).
    - Holds no key material.
  returned: always
  type: list
  elements: str
  sample:
    - "project payments: created 3, updated 0, deleted 0, unchanged 2"
    - "api-example-com: certificate api-example-com-chain-1 unchanged; certificate api-example-com created
      (production ok, staging ok); key api-example-com created (production ok, staging ok)"
summary:
  description: How many objects were created, updated, deleted, or left unchanged.
  returned: always
  type: dict
  sample: {created: 3, updated: 1, deleted: 0, unchanged: 2}
force_bundles:
  description:
    - The bundles, in the order given, with an object that the server stored but could not deploy in some
      environment. A plain rerun finds nothing to do for them; give this list as O(force_bundles) to deploy them
      again. Empty when every deployment succeeded.
  returned: always
  type: list
  elements: str
  sample: [api-example-com]
pruned:
  description:
    - The objects that O(prune) deleted (in check mode, would delete), in the order deleted -- per name, the key
      before the certificate. Empty without O(prune). After a failure, those deleted so far.
  returned: always
  type: list
  elements: dict
  sample: [{type: key, name: payments-old}, {type: certificate, name: payments-old}]
  contains:
    type:
      description: V(certificate) or V(key).
      type: str
      sample: certificate
    name:
      description: Name of the object.
      type: str
      sample: payments-old
"""


from ansible_collections.apinizer.apiops.plugins.module_utils import _bundles, _certificates, _jwks, _server
from ansible_collections.apinizer.apiops.plugins.module_utils._apply import DONE_ACTIONS as ACTIONS
from ansible_collections.apinizer.apiops.plugins.module_utils._client import ApinizerClient, module_kwargs
from ansible_collections.apinizer.apiops.plugins.module_utils._errors import InvalidInput
from ansible_collections.apinizer.apiops.plugins.module_utils._module import (
    CONNECTION_SECRETS,
    ApinizerModule,
    TaskFailed,
    apply_or_predict,
    hide_sent_key_material,
    require_libraries,
    run_and_exit,
)


# Bundles written at once. A real server deploys to every environment on each write, which takes time; a few
# writes in flight hide most of it without crowding the server (429 answers slow every worker down).
DEFAULT_PARALLEL = 4


def copy_options():
    """The options of a bundle's copies of its certificate: a JWK, and a PKCS#12 keystore."""
    return dict(
        jwk=dict(type='dict', options=dict(
            name=dict(type='str'),
            environment=dict(type='str'),
            use=dict(type='str', default='signature', choices=sorted(_jwks.USES)),
            algorithm=dict(type='str'),
            description=dict(type='str'),
        )),
        jwk_update_action=dict(type='str', choices=list(_certificates.JWK_UPDATE_ACTIONS)),
        jwk_update_scope=dict(type='str', choices=list(_certificates.JWK_UPDATE_SCOPES)),
        keystore=dict(type='dict', no_log=False, options=dict(
            password=dict(type='str', no_log=True),
            name=dict(type='str'),
            alias=dict(type='str'),
            description=dict(type='str'),
        )),
    )


def argument_spec():
    pairs = [('certificate', 'certificate_path'), ('chain', 'chain_path'), ('private_key', 'private_key_path'),
             ('secret_key', 'secret_key_path'), ('public_key', 'public_key_path'), ('pkcs12', 'pkcs12_path')]
    bundle = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        environments=dict(type='list', elements='raw'),
        description=dict(type='str', default=''),
        alias=dict(type='str'),
        certificate=dict(type='str'),
        certificate_path=dict(type='path'),
        chain=dict(type='str'),
        chain_path=dict(type='path'),
        private_key=dict(type='str', no_log=True),
        private_key_path=dict(type='path'),
        private_key_passphrase=dict(type='str', no_log=True),
        secret_key=dict(type='str', no_log=True),
        secret_key_path=dict(type='path'),
        public_key=dict(type='str'),
        public_key_path=dict(type='path'),
        pkcs12=dict(type='str', no_log=True),
        pkcs12_path=dict(type='path'),
        pkcs12_passphrase=dict(type='str', no_log=True),
        update_content=dict(type='str', default='on_create', choices=['on_create', 'always'], no_log=False),
        force=dict(type='bool', default=False),
        allow_expired=dict(type='bool', default=False),
        **copy_options()
    )
    return dict(
        bundles=dict(type='list', elements='dict', required=True, options=bundle, mutually_exclusive=pairs),
        environments=dict(type='list', elements='str', default=[]),
        validate_only=dict(type='bool', default=False),
        parallel=dict(type='int', default=DEFAULT_PARALLEL),
        force_bundles=dict(type='list', elements='str', default=[]),
        prune=dict(type='bool', default=False),
        prune_match=dict(type='str'),
        prune_allow_empty=dict(type='bool', default=False),
    )


REQUIRED_IF = [('prune', True, ['prune_match'])]


def resources_of(outcomes):
    return [dict(type=o.change.kind, name=o.change.name, action=o.action, deployment=o.deployment) for o in outcomes]


def bundle_entry(bundle, outcomes):
    resources = resources_of(outcomes)
    entry = dict(name=bundle['name'], state=bundle['state'], changed=any(o.changed for o in outcomes),
                 resources=resources)
    entry.update(jwk_entry(bundle, outcomes))
    return entry


def jwk_entry(bundle, outcomes):
    """{jwk: its public fields as the run leaves it (or would)} for a bundle with a JWK, else {}."""
    if not bundle.get('jwk'):
        return {}
    return dict(jwk=next((o.after for o in reversed(outcomes) if o.change.kind == 'jwk'), {}))


def diffs(outcomes):
    return [dict(before_header=o.change.label.lower(), after_header=o.change.label.lower(),
                 before=o.change.diff['before'], after=o.change.diff['after'])
            for o in outcomes if o.changed]


def resource_line(resource, check_mode):
    """certificate api created (production ok, staging FAILED: <why>)"""
    environments = ['%s ok' % e['name'] if e['success'] else '%s FAILED: %s' % (e['name'], e['message'] or 'no message')
                    for e in (resource['deployment'] or {}).get('environments') or []]
    action = resource['action']
    if check_mode and action != 'unchanged':
        action = 'would be ' + action
    return '%s %s %s%s' % (resource['type'], resource['name'], action,
                           ' (%s)' % ', '.join(environments) if environments else '')


def summary_lines(project, names, entries, summary, failed, check_mode, validate_only):
    """What the role prints: a line for the project, then one per bundle, in the order given. entries: {bundle
    name: its entry} for the bundles that were processed; the others were not."""
    notes = ['FAILED'] if failed else []
    if validate_only:
        notes.append('validate only, nothing written')
    elif check_mode:
        notes.append('check mode, nothing written')
    counts = ('%d bundle(s) checked' % len(entries) if validate_only
              else ', '.join('%s %d' % (action, summary[action]) for action in ACTIONS))
    lines = ['project %s: %s%s' % (project, counts, ' (%s)' % '; '.join(notes) if notes else '')]
    for name in names:
        entry = entries.get(name)
        if entry is None:
            text = 'not processed'
        elif entry['resources']:
            text = '; '.join(resource_line(r, check_mode) for r in entry['resources'])
        elif validate_only and not failed:
            text = 'valid'
        else:
            text = 'nothing to delete' if entry['state'] == 'absent' else 'nothing done'
        lines.append('%s: %s' % (name, text))
    return lines


def prune_line(pattern, outcomes, changes, check_mode):
    """The summary line of the pruning: each object deleted (outcomes: those of the prune changes), those a
    failure kept from being processed, or nothing."""
    done = set(o.change.key for o in outcomes)
    not_processed = [c for c in changes if _bundles.is_prune_group(c.group) and c.key not in done]
    parts = [resource_line(r, check_mode) for r in resources_of(outcomes)]
    if not_processed:
        parts.append('not processed: %s' % ', '.join(change.label.lower() for change in not_processed))
    return 'prune (prune_match %s): %s' % (pattern, '; '.join(parts) or 'nothing to delete')


def processed(bundles, changes, applied):
    """The bundles that were processed: those with nothing to do, and those whose changes were started."""
    with_changes = set(change.group for change in changes)
    return [b for b in bundles if b['name'] not in with_changes or b['name'] in applied.started_groups]


def redeploy_bundles(applied):
    """The bundles, in the order given, with an object that the server stored but did not deploy everywhere: a
    plain rerun finds nothing to do for them, force_bundles deploys them again."""
    names = []
    for failure in applied.failures:
        if failure.undeployed and failure.change.group not in names:
            names.append(failure.change.group)
    return names


def group_label(group):
    return 'prune' if _bundles.is_prune_group(group) else 'bundle %s' % group


def failure_message(applied, bundles, done):
    """The first failure (in the order given) naming its bundle, any other, how to deploy again the bundles whose
    deployment failed, and the bundles not processed."""
    message = ' '.join('%s: %s' % (group_label(failure.change.group), failure.message) for failure in applied.failures)
    redeploy = redeploy_bundles(applied)
    if redeploy:
        message += ' To deploy %s again, run once with force_bundles: [%s] (role apinizer_deploy: -e ' \
                   'apinizer_deploy_force_bundles=%s).' % ('those bundles' if len(redeploy) > 1 else 'that bundle',
                                                           ', '.join(redeploy), ','.join(redeploy))
    skipped = [b['name'] for b in bundles if b not in done]
    if skipped:
        message += ' Not processed: %s; the next run continues with %s.' % (
            ', '.join(skipped), 'them' if len(skipped) > 1 else 'it')
    return message


def prune_problems(params):
    """Why the prune options cannot be used as given: [] or messages naming the option and the fix."""
    if not params['prune'] and not params['prune_match']:  # the role passes '' when unset
        return []
    try:
        _bundles.prune_pattern(params['prune_match'])
    except InvalidInput as exc:
        return [str(exc)]
    if params['prune'] and not params['bundles'] and not params['prune_allow_empty']:
        return ['bundles (role apinizer_deploy: apinizer_deploy_bundles) is empty and prune is true, which would delete '
                'every certificate and key whose name matches prune_match %r; give the bundles to keep, or set '
                'prune_allow_empty (apinizer_deploy_prune_allow_empty) to true to delete them all.'
                % params['prune_match']]
    return []


def checked_bundles(module):
    """Every bundle checked -- input refused before any request, naming each bad bundle --, and the client."""
    params = module.params
    if params['parallel'] < 1:
        raise InvalidInput('parallel must be 1 or more; it is %d.' % params['parallel'])
    bundles, problems = [], []
    for spec in params['bundles']:
        try:
            bundles.append(_bundles.desired_bundle(spec, params['environments']))
        except InvalidInput as exc:
            problems.append(str(exc))
    for check in (_bundles.check_names_unique, _bundles.check_copy_names_unique):
        try:
            check(bundles)
        except InvalidInput as exc:
            problems.append(str(exc))
    forced = set(params['force_bundles'])
    given = set(spec['name'] for spec in params['bundles'])
    unknown = [name for name in params['force_bundles'] if name not in given]
    if unknown:
        problems.append('force_bundles (role apinizer_deploy: apinizer_deploy_force_bundles): no bundle is named %s; '
                        'give names of bundles in bundles (apinizer_deploy_bundles).' % ', '.join(unknown))
    problems.extend(prune_problems(params))
    if problems:
        raise InvalidInput(' '.join(problems))
    for bundle in bundles:
        if bundle['state'] == 'present' and bundle['name'] in forced:
            bundle['force'] = True
    client = ApinizerClient.from_module(module)
    hide_sent_key_material(client, [b['key'] for b in bundles] + [b.get('keystore') for b in bundles])
    _bundles.hide_built_keystores(bundles, client.hide)
    _bundles.refuse_unknown_environments_of(bundles, client.environment_names(params['project']), params['project'])
    return bundles, client


def applied_result(module, names, bundles, changes, applied):
    """The task result of an apply (or a check-mode prediction), per bundle in the order given; raises TaskFailed
    with that result after a failure."""
    by_bundle = dict((name, []) for name in names)
    pruning = []
    summary = dict((action, 0) for action in ACTIONS)
    for outcome in applied.outcomes:
        if not _bundles.is_prune_group(outcome.change.group):
            by_bundle[outcome.change.group].append(outcome)
        else:
            pruning.append(outcome)
        summary[outcome.action] += 1
    done = processed(bundles, changes, applied)
    entries = [bundle_entry(bundle, by_bundle[bundle['name']]) for bundle in done]
    failed = bool(applied.failures)
    lines = summary_lines(module.params['project'], names, dict((e['name'], e) for e in entries), summary, failed,
                          module.check_mode, False)
    pruned = [dict(type=o.change.kind, name=o.change.name) for o in pruning if o.changed]
    if module.params['prune']:
        lines.append(prune_line(module.params['prune_match'], pruning, changes, module.check_mode))
    output = dict(changed=any(o.changed for o in applied.outcomes), bundles=entries, summary=summary,
                  force_bundles=redeploy_bundles(applied), pruned=pruned, summary_lines=lines)
    if module._diff:
        output['diff'] = diffs(applied.outcomes)
    if failed:
        output.update(applied.error.result_fields() if applied.error is not None else {})
        raise TaskFailed(failure_message(applied, bundles, done), **output)
    verb = 'would be ' if module.check_mode else ''
    output['msg'] = '%d bundles: %s.' % (len(bundles), ', '.join(
        '%d %s%s' % (summary[a], verb if a != 'unchanged' else '', a) for a in ACTIONS))
    if module.params['prune']:
        output['msg'] += ' %s %d (prune_match %s).' % ('Would prune' if module.check_mode else 'Pruned', len(pruned),
                                                       module.params['prune_match'])
    return output


def apply_bundles(module):
    require_libraries()
    params = module.params
    project, validate_only = params['project'], params['validate_only']
    names = [spec['name'] for spec in params['bundles']]
    zero = dict((action, 0) for action in ACTIONS)
    try:
        bundles, client = checked_bundles(module)
    except InvalidInput as exc:
        raise TaskFailed(str(exc), bundles=[], summary=zero, force_bundles=[], pruned=[], summary_lines=summary_lines(
            project, names, {}, zero, True, module.check_mode, validate_only))
    if validate_only:
        entries = [bundle_entry(b, []) for b in bundles]
        return dict(changed=False, msg='%d bundles are valid.' % len(bundles), bundles=entries, summary=zero,
                    force_bundles=[], pruned=[],
                    summary_lines=summary_lines(project, names, dict((e['name'], e) for e in entries), zero, False,
                                                module.check_mode, True))
    pattern = _bundles.prune_pattern(params['prune_match']) if params['prune'] else None
    # The keys prune may delete are read by name too, so that their diffs name the environments.
    server = _server.ServerState.read(client, project, key_names=names, resolve=pattern.fullmatch if pattern else None,
                                      with_jwks=bool(_bundles.jwk_names(bundles)),
                                      with_keystores=any(b.get('keystore') for b in bundles))
    changes = _bundles.plan(bundles, server, project)
    if pattern:
        changes += _bundles.plan_prune(bundles, server, project, pattern)
    applied = apply_or_predict(module, client, changes, parallel=params['parallel'])
    return applied_result(module, names, bundles, changes, applied)


def echoed_arguments(params):
    """What the result's invocation shows: every option but the bundles, which are shown by name and state, and
    the connection's secrets, shown as ansible-core shows a no_log option."""
    shown = dict((option, 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' if option in CONNECTION_SECRETS and value else value)
                 for option, value in params.items() if option != 'bundles')
    shown['bundles'] = [dict(name=b['name'], state=b['state']) for b in params['bundles']]
    return shown


def main():
    module = ApinizerModule(**module_kwargs(argument_spec(), supports_check_mode=True, required_if=REQUIRED_IF))
    module.echoed_arguments = echoed_arguments(module.params)
    run_and_exit(module, apply_bundles)


if __name__ == '__main__':
    main()
