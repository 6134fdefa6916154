"""One typed settings object, read once from the environment (prefix ``DKFI_``)."""
from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Node settings. Every field can be set as ``DKFI_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="DKFI_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Folder for the SQLite file and Parquet history")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///<data_dir>/dkfi.sqlite"
    )
    nation: str = Field(default="DNK", description="ISO 3166 alpha-3 code of the nation running this node")
    banner: str = Field(default="UNCLASSIFIED", description="classification banner of this node's pages")
    bus: str = Field(default="memory", description="Event bus: 'memory' (in-process) or 'nats'")
    nats_url: str = Field(default="nats://127.0.0.1:4222", description="NATS server of the event bus and of federation "
                          "over JetStream (with DKFI_BUS=nats or a partner given as NATION=nats)")
    ais_decoder: str | None = Field(default=None, description="AIS decoder of the NMEA import path: columnar "
                                    "(default, dkfi's own), pyais (the reference), aiscat or marlin (when installed)")
    mqtt_url: str = Field(default="mqtt://127.0.0.1:1883", description="Digitraffic-shaped MQTT broker")
    # identity
    secret_key: str | None = Field(default=None, description="HMAC key of this node's own tokens; default: a "
                                   "random key kept in <data_dir>/secret.key")
    token_ttl_s: int = Field(default=8 * 3600, description="lifetime of tokens this node issues (seconds)")
    login_attempts: int = Field(default=5, description="failed logins allowed per account name (from any "
                                "address) per window")
    login_attempts_per_address: int = Field(default=20, description="failed logins allowed per client address "
                                            "(for any names) per window: stops password spraying")
    login_window_s: float = Field(default=300.0, description="window of the login rate limit and of the "
                                  "failed-login audit summaries (seconds)")
    trusted_proxies: str = Field(default="", description="addresses or networks of reverse proxies whose "
                                 "X-Forwarded-For/-Proto are believed, comma-separated (e.g. 10.0.0.5,10.1.0.0/16); "
                                 "default none: the connection's address is the client's")
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=0, description="largest request body accepted "
                                "(bytes); larger ones get 413 while they stream, before they are read whole")
    metrics_allow: str = Field(default="127.0.0.1", description="addresses or networks that may read /metrics "
                               "without logging in, comma-separated (e.g. 127.0.0.1,10.2.0.0/24 for the Prometheus "
                               "server); anyone else needs an admin's token; empty: admins only")
    oidc_issuer: str | None = Field(default=None, description="OpenID Connect issuer whose tokens are accepted")
    oidc_audience: str | None = Field(default=None, description="expected 'aud' of identity-provider tokens")
    oidc_jwks: str | None = Field(default=None, description="JWKS of the issuer: a file path or an https URL")
    oidc_claim_name: str = Field(default="preferred_username", description="token claim holding the user name")
    oidc_claim_nation: str = Field(default="nation", description="token claim holding the ISO alpha-3 nation")
    oidc_claim_clearance: str = Field(default="clearance", description="token claim holding the clearance")
    oidc_claim_roles: str = Field(default="roles", description="token claim holding the list of roles")
    web_tls_cert: Path | None = Field(default=None, description="certificate chain (PEM) of the web pages and API: "
                                      "`dkfi serve` then answers HTTPS itself (else put a TLS proxy in front)")
    web_tls_key: Path | None = Field(default=None, description="private key (PEM) of web_tls_cert")
    # logs (docs/operations.md, "Logs"; dkfi.core.logs)
    log_format: str = Field(default="auto", description="log lines on stdout: json (one JSON object a line), text, "
                            "or auto: text on a terminal, JSON otherwise (a container's log)")
    log_level: str = Field(default="info", description="lowest level logged: debug, info (with access lines), "
                           "warning, error or critical")
    cookie_secure: bool = Field(default=False, description="mark the session cookie Secure (behind HTTPS)")
    tak_servers: str = Field(default="", description="TAK servers exports may be sent to: comma list of "
                             "tcp://host:port or udp://host:port (e.g. tcp://127.0.0.1:8087,udp://127.0.0.1:6969)")
    # audit (docs/sharing.md, "Audit")
    audit_anchor: Path | None = Field(default=None, description="append-only file of the audit chain's checkpoints "
                                      "(the head outside the database); default: beside the SQLite file "
                                      "(<file>.audit-anchor), else <data_dir>/<backend>-<host>-<port>-<database>"
                                      ".audit-anchor")
    audit_anchor_fsync: bool = Field(default=False, description="fsync the anchor after each checkpoint (survives "
                                     "power loss, at the cost of a disk flush per audited commit)")
    # federation (docs/decisions/0003-federation.md)
    partners: str = Field(default="", description="partner nodes: NATION=https://host:port or NATION=nats, "
                          "comma-separated (e.g. FIN=https://fin.example:8443)")
    tls_cert: Path | None = Field(default=None, description="this node's certificate (PEM) for federation mTLS")
    tls_key: Path | None = Field(default=None, description="private key of tls_cert (PEM)")
    tls_ca: Path | None = Field(default=None, description="CA certificate(s) (PEM) that sign the partner nodes")
    federation_host: str = Field(default="127.0.0.1", description="address the federation inbox listens on")
    federation_port: int = Field(default=8443, description="port of the federation inbox (HTTPS, mutual TLS)")
    federation_transport: str = Field(default="https", description="default transport to partners: https|nats")
    federation_stream: str = Field(default="DKFI_FED", description="JetStream stream of federation messages")

    @field_validator("log_format", "log_level")
    @classmethod
    def _log_choice(cls, value: str, info) -> str:
        """DKFI_LOG_FORMAT and DKFI_LOG_LEVEL name a known format and level (refused at start, naming the value)."""
        from dkfi.core import logs

        if info.field_name == "log_format":
            logs.resolve_format(value)
        else:
            logs.check_level(value)
        return value.strip().lower()

    @field_validator("metrics_allow")
    @classmethod
    def _networks(cls, value: str) -> str:
        """Every entry of DKFI_METRICS_ALLOW is an address or a network (refused at start, naming the entry)."""
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"DKFI_METRICS_ALLOW: {part!r} is not an address or network "
                                 "(e.g. 127.0.0.1 or 10.2.0.0/24)") from None
        return value

    def metrics_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The networks of ``metrics_allow``."""
        return [ipaddress.ip_network(p.strip(), strict=False) for p in self.metrics_allow.split(",") if p.strip()]

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dkfi.sqlite').as_posix()}"

    @property
    def history_dir(self) -> Path:
        return self.data_dir / "history"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
