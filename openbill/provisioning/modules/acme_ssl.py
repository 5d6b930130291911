"""SSL certificates from an ACME certificate authority (Let's Encrypt, any RFC 8555 CA; Debian's
pebble in tests), with certbot's ``acme`` library.

``open`` orders a certificate for the service's ``domain`` parameter: from the client's CSR
(``csr`` parameter) or with a private key generated here, which Openbill stores encrypted
(the result's ``private_key``; provisioning.actions keeps it in Certificate, never in the task
row). The order is validated by

- HTTP-01 through a ``webroot`` responder: the token file is written under
  ``<webroot>/.well-known/acme-challenge/`` of a folder the domain's web server serves, or
- DNS-01 (also for wildcards) through the domain's authoritative DNS server, by RFC 2136
  dynamic updates signed with a TSIG key (``rfc2136`` responder: Knot, BIND, PowerDNS…), or
- either challenge through a responder with an HTTP management API compatible with
  pebble-challtestsrv (``api`` responder: ``/set-txt``, ``/clear-txt``, ``/add-http01``,
  ``/del-http01``).

``prolong`` (renewal) reissues with the same key or CSR; ``close`` (deletion) revokes.
Suspending a certificate has no remote meaning: suspend and resume are local only.

The ACME account key is a secret setting of the instance; when none is set, one is generated
and returned as ``account_key`` for provisioning to store (encrypted) on the instance.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import josepy as jose
import requests
from acme import challenges, client, crypto_util, errors, messages
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.utils.translation import gettext_lazy as _

from openbill.core import dnsupdate

from .base import ConfigField, Module, ModuleError, ServiceSpec, register

USER_AGENT = "openbill"
TIMEOUT = 20  # seconds, per HTTP request to the CA or the responder


def _pem_key(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _split_chain(fullchain: str) -> tuple[str, str]:
    marker = "-----END CERTIFICATE-----"
    parts = [p.strip() + "\n" + marker + "\n" for p in fullchain.split(marker) if p.strip()]
    return parts[0], "".join(parts[1:])


@register
class AcmeModule(Module):
    name = "acme"
    label = str(_("ACME SSL certificates"))
    config_schema = {
        "directory_url": ConfigField(
            str(_("ACME directory URL")), required=True, default="https://acme-v02.api.letsencrypt.org/directory"
        ),
        "email": ConfigField(str(_("Account email"))),
        "challenge": ConfigField(str(_("Challenge (http-01 or dns-01)")), default="http-01"),
        "responder": ConfigField(str(_("Responder (webroot, rfc2136 or api)")), default="webroot"),
        "webroot": ConfigField(str(_("Webroot folder (HTTP-01)"))),
        "responder_url": ConfigField(str(_("Responder API URL (challtestsrv-compatible)"))),
        "dns_server": ConfigField(str(_("DNS server for RFC 2136 updates (address)"))),
        "dns_port": ConfigField(str(_("DNS server port")), default="53"),
        "dns_zone": ConfigField(str(_("Zone to update"))),
        "tsig_key_name": ConfigField(str(_("TSIG key name"))),
        "tsig_algorithm": ConfigField(str(_("TSIG algorithm")), default="hmac-sha256"),
        "tsig_secret": ConfigField(str(_("TSIG secret (base64)")), secret=True),
        "ca_bundle": ConfigField(str(_("CA bundle to trust for the ACME server (tests)"))),
        "account_key": ConfigField(str(_("ACME account key (PEM)")), secret=True),
    }
    capabilities = frozenset({"certificate", "check_connection"})

    # --- plumbing -----------------------------------------------------------------------------
    def _account_key(self, spec: ServiceSpec) -> tuple[jose.JWKRSA, str]:
        pem = spec.secrets.get("account_key", "")
        generated = ""
        if not pem:
            generated = pem = _pem_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        return jose.JWKRSA(key=key), generated

    def _client(self, spec: ServiceSpec) -> tuple[client.ClientV2, jose.JWKRSA, str]:
        config = spec.config
        url = config.get("directory_url")
        if not url:
            raise ModuleError("the module has no ACME directory URL", retryable=False)
        key, generated = self._account_key(spec)
        verify: Any = config.get("ca_bundle") or True
        try:
            net = client.ClientNetwork(key, user_agent=USER_AGENT, verify_ssl=verify, timeout=TIMEOUT)
            directory = client.ClientV2.get_directory(str(url), net)
            acme = client.ClientV2(directory, net=net)
            registration = messages.NewRegistration.from_data(
                email=config.get("email") or None, terms_of_service_agreed=True
            )
            try:
                acme.new_account(registration)
            except errors.ConflictError as exc:  # the key already has an account: use it
                acme.net.account = messages.RegistrationResource(uri=exc.location, body=messages.Registration())
        except (requests.RequestException, errors.Error, messages.Error) as exc:
            raise ModuleError(f"ACME server: {exc}", retryable=True) from None
        return acme, key, generated

    def _responder(self, spec: ServiceSpec) -> tuple[str, str]:
        challenge = spec.config.get("challenge") or "http-01"
        responder = spec.config.get("responder") or "webroot"
        if challenge not in ("http-01", "dns-01") or responder not in ("webroot", "api", "rfc2136"):
            raise ModuleError(f"unsupported challenge/responder {challenge}/{responder}", retryable=False)
        if (challenge, responder) in (("dns-01", "webroot"), ("http-01", "rfc2136")):
            raise ModuleError(f"{challenge} cannot be answered through {responder}", retryable=False)
        return challenge, responder

    def _publish(self, spec: ServiceSpec, kind: str, responder: str, chall: Any, key: jose.JWK, domain: str) -> Any:
        """Make the validation reachable; returns an undo callable."""
        config = spec.config
        if kind == "http-01":
            response, validation = chall.response_and_validation(key)
            token = chall.encode("token")
            if responder == "webroot":
                folder = Path(str(config.get("webroot", ""))) / ".well-known" / "acme-challenge"
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / token
                path.write_text(validation)
                return response, lambda: path.unlink(missing_ok=True)
            base = str(config.get("responder_url", "")).rstrip("/")
            self._api(f"{base}/add-http01", {"token": token, "content": validation})
            return response, lambda: self._api(f"{base}/del-http01", {"token": token}, quiet=True)
        response, validation = chall.response_and_validation(key)
        host = chall.validation_domain_name(domain.removeprefix("*.")) + "."
        if responder == "rfc2136":
            self._dns_update(spec, host, validation, add=True)
            return response, lambda: self._dns_update(spec, host, validation, add=False, quiet=True)
        base = str(config.get("responder_url", "")).rstrip("/")
        self._api(f"{base}/set-txt", {"host": host, "value": validation})
        return response, lambda: self._api(f"{base}/clear-txt", {"host": host}, quiet=True)

    @staticmethod
    def _dns_update(spec: ServiceSpec, host: str, value: str, *, add: bool, quiet: bool = False) -> None:
        """Add or remove the TXT record by an RFC 2136 update signed with the TSIG key
        (core.dnsupdate, shared with reverse DNS)."""
        config = spec.config
        server = dnsupdate.Server(
            host=str(config.get("dns_server", "")),
            port=int(config.get("dns_port") or 53),
            zone=str(config.get("dns_zone", "")),
            key_name=str(config.get("tsig_key_name") or ""),
            secret=str(spec.secrets.get("tsig_secret", "")),
            algorithm=str(config.get("tsig_algorithm") or "hmac-sha256"),
        )
        record = f'"{value}"'
        try:
            if add:
                dnsupdate.update(server, host, "TXT", add=[record], ttl=60)
            else:
                dnsupdate.update(server, host, "TXT", delete=[record])
        except dnsupdate.DnsUpdateError as exc:
            if quiet:
                return
            raise ModuleError(f"DNS update of {host}: {exc}", retryable=exc.retryable) from None

    @staticmethod
    def _api(url: str, body: dict[str, str], *, quiet: bool = False) -> None:
        try:
            requests.post(url, json=body, timeout=TIMEOUT).raise_for_status()
        except requests.RequestException as exc:
            if not quiet:
                raise ModuleError(f"challenge responder: {exc}", retryable=True) from None

    def _key_and_csr(self, spec: ServiceSpec, domain: str) -> tuple[bytes, str]:
        """The client's CSR, or the stored key (renewal), or a new key; returns (csr, key pem
        Openbill must keep — empty when the client holds its own key)."""
        csr = str(spec.parameters.get("csr", "") or "").strip()
        if csr:
            try:
                request = x509.load_pem_x509_csr(csr.encode())
            except ValueError:
                raise ModuleError("the CSR is not a valid PEM certificate signing request", retryable=False) from None
            try:
                san = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                names = set(san.get_values_for_type(x509.DNSName))
            except x509.ExtensionNotFound:
                names = set()
            common = [a.value for a in request.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
            if domain not in names and domain not in common:
                raise ModuleError(f"the CSR is not for {domain}", retryable=False)
            return csr.encode(), ""
        key_pem = str(spec.stored.get("private_key", "")) or _pem_key(ec.generate_private_key(ec.SECP256R1()))
        return crypto_util.make_csr(key_pem.encode(), [domain]), key_pem

    def _issue(self, spec: ServiceSpec) -> dict[str, Any]:
        domain = str(spec.parameters.get("domain", "")).strip().lower()
        if not domain:
            raise ModuleError("the service has no domain", retryable=False)
        kind, responder = self._responder(spec)
        csr, key_pem = self._key_and_csr(spec, domain)
        acme, account_key, generated = self._client(spec)
        undo: list[Any] = []
        try:
            order = acme.new_order(csr)
            for authz in order.authorizations:
                if authz.body.status == messages.STATUS_VALID:
                    continue
                wanted = challenges.HTTP01 if kind == "http-01" else challenges.DNS01
                chall = next((c for c in authz.body.challenges if isinstance(c.chall, wanted)), None)
                if chall is None:
                    raise ModuleError(f"the CA offers no {kind} challenge for {domain}", retryable=False)
                response, cleanup = self._publish(spec, kind, responder, chall.chall, account_key, domain)
                undo.append(cleanup)
                acme.answer_challenge(chall, response)
            deadline = dt.datetime.now() + dt.timedelta(seconds=90)  # noqa: DTZ005 - acme compares naive
            order = acme.poll_and_finalize(order, deadline=deadline)
        except errors.ValidationError as exc:
            problems = "; ".join(str(a.body.challenges) for a in exc.failed_authzrs)[:1000]
            raise ModuleError(f"validation of {domain} failed: {problems}", retryable=False) from None
        except errors.TimeoutError:
            raise ModuleError(f"the CA did not finish the order for {domain} in time", retryable=True) from None
        except messages.Error as exc:
            retryable = exc.code in ("rateLimited", "serverInternal", "badNonce")
            raise ModuleError(f"ACME error for {domain}: {exc}", retryable=retryable) from None
        except (requests.RequestException, errors.Error) as exc:
            raise ModuleError(f"ACME server: {exc}", retryable=True) from None
        finally:
            for cleanup in undo:
                cleanup()
        leaf, chain = _split_chain(order.fullchain_pem)
        cert = x509.load_pem_x509_certificate(leaf.encode())
        return {
            "remote_id": format(cert.serial_number, "x"),
            "domain": domain,
            "certificate": leaf,
            "chain": chain,
            "private_key": key_pem,
            "not_after": cert.not_valid_after_utc.isoformat(),
            "account_key": generated,
        }

    # --- operations ---------------------------------------------------------------------------
    def open(self, spec: ServiceSpec) -> dict[str, Any]:
        return self._issue(spec)

    def prolong(self, spec: ServiceSpec) -> dict[str, Any]:
        """Renewal reissues the certificate (same key or CSR)."""
        return self._issue(spec)

    def close(self, spec: ServiceSpec) -> dict[str, Any]:
        """Revoke the certificate; without one (never issued) there is nothing to do."""
        pem = str(spec.stored.get("certificate", ""))
        if not pem:
            return {"revoked": False, "remote_id": ""}
        acme, _key, _generated = self._client(spec)
        try:
            acme.revoke(x509.load_pem_x509_certificate(pem.encode()), 5)  # 5 = cessationOfOperation
        except messages.Error as exc:
            if exc.code != "alreadyRevoked":
                raise ModuleError(f"revocation failed: {exc}", retryable=exc.code == "serverInternal") from None
        except (requests.RequestException, errors.Error) as exc:
            raise ModuleError(f"ACME server: {exc}", retryable=True) from None
        return {"revoked": True, "remote_id": ""}

    def suspend(self, spec: ServiceSpec) -> dict[str, Any]:
        return {}

    def resume(self, spec: ServiceSpec) -> dict[str, Any]:
        return {}

    def check_connection(self, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
        verify: Any = config.get("ca_bundle") or True
        try:
            answer = requests.get(str(config.get("directory_url", "")), verify=verify, timeout=TIMEOUT)
            answer.raise_for_status()
        except requests.RequestException as exc:
            raise ModuleError(f"ACME server: {exc}", retryable=True) from None
        return {"directory": sorted(answer.json())}
