"""Configuration: every setting comes from the environment, read here and nowhere else."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import zoneinfo
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message is one line meant for the operator."""


def _normalise_db_url(url: str) -> str:
    # Heroku-style "postgres://" is not a dialect name SQLAlchemy knows.
    if url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://") :]
    return url


def _dev_secret_key(instance_dir: Path) -> str:
    """Create a random key once and keep it, so sessions survive restarts in development."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _dev_secrets_key(instance_dir: Path) -> str:
    """Create an encryption key for stored secrets once (mode 0600) and keep it, as for SECRET_KEY."""
    path = instance_dir / "secrets_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others, not even briefly
    except FileExistsError:  # another process created it meanwhile
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    path.chmod(0o600)
    return key


def _secrets_keys(raw: str) -> tuple[str, ...]:
    """MHC_SECRETS_KEY: one Fernet key, or several comma-separated (the first encrypts, all decrypt)."""
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for number, key in enumerate(keys, start=1):
        try:
            valid = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
        except (binascii.Error, ValueError):
            valid = False
        if not valid:
            raise ConfigError(f"MHC_SECRETS_KEY key {number} is not a Fernet key (32 bytes, url-safe base64)")
    if not keys:
        raise ConfigError("MHC_SECRETS_KEY holds no key")
    return keys


def _range(env: dict, name: str, default: tuple[float, float]) -> tuple[float, float]:
    """A delay range written "3-5" (seconds)."""
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        low, _, high = raw.partition("-")
        return float(low), float(high or low)
    except ValueError as exc:
        raise ConfigError(f"{name} must look like 3-5 (seconds), got {raw!r}") from exc


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _positive(env: dict, name: str, default: int) -> int:
    value = _int(env, name, default)
    if value <= 0:
        raise ConfigError(f"{name} must be a positive integer, got {value}")
    return value


def _timezone(env: dict, name: str, default: str) -> str:
    """An IANA time zone name such as Europe/Berlin, checked against the system's zone database."""
    raw = (env.get(name) or "").strip() or default
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{name} must be an IANA time zone name such as Europe/Berlin, got {raw!r}") from exc
    return raw


def _http(env: dict, cfg) -> None:
    """HTTP_* settings of outbound requests (docs/production.md, "Outbound HTTP"): numbers, never negative."""
    for key in ("HTTP_BACKOFF", "HTTP_CONNECT_TIMEOUT", "HTTP_READ_TIMEOUT", "HTTP_RETRY_AFTER_MAX"):
        raw = env.get(key)
        if raw in (None, ""):
            continue
        try:
            value = float(raw)
        except ValueError as exc:
            raise ConfigError(f"{key} must be a number of seconds, got {raw!r}") from exc
        if value < 0 or (value == 0 and key.endswith("TIMEOUT")):
            raise ConfigError(f"{key} must be {'positive' if key.endswith('TIMEOUT') else 'at least 0'}, got {raw}")
        setattr(cfg, key, value)
    cfg.HTTP_RETRIES = _int(env, "HTTP_RETRIES", cfg.HTTP_RETRIES)
    if cfg.HTTP_RETRIES < 0:
        raise ConfigError(f"HTTP_RETRIES must be at least 0, got {cfg.HTTP_RETRIES}")
    cfg.HTTP_USER_AGENT = env.get("HTTP_USER_AGENT") or cfg.HTTP_USER_AGENT


def _logging(env: dict) -> tuple[str | None, str]:
    """MHC_LOG_LEVEL (None when unset) and MHC_LOG_FORMAT, checked."""
    level = (env.get("MHC_LOG_LEVEL") or "").strip().upper() or None
    if level not in (None, "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"MHC_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {level!r}")
    fmt = (env.get("MHC_LOG_FORMAT") or "text").strip().lower()
    if fmt not in ("text", "json"):
        raise ConfigError(f"MHC_LOG_FORMAT must be text or json, got {env['MHC_LOG_FORMAT']!r}")
    return level, fmt


def _check_heartbeat(cfg) -> None:
    """A bound of a few missed beats, so one slow database write never makes a live worker look dead."""
    beat, dead = cfg.WORKER_HEARTBEAT_SECONDS, cfg.WORKER_DEAD_AFTER_SECONDS
    if beat < 1 or cfg.WORKER_REDIS_RETRY_SECONDS < 1:
        raise ConfigError("WORKER_HEARTBEAT_SECONDS and WORKER_REDIS_RETRY_SECONDS must be at least 1")
    if dead < 3 * beat:
        raise ConfigError(f"WORKER_DEAD_AFTER_SECONDS ({dead}) must be at least 3 x WORKER_HEARTBEAT_SECONDS ({beat})")


class Config:
    """Settings shared by every environment; `from_env` fills them from environment variables."""

    MHC_ENV = "development"
    TESTING = False
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'mhc.sqlite3'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT = 15.0  # seconds a SQLite writer waits for the write lock (docs/reliability.md)
    REDIS_URL: str | None = None
    SECRET_KEY: str | None = None
    # Logging (docs/production.md, "Logging"): MHC_LOG_LEVEL (unset = INFO, and ERROR for CLI commands) and
    # MHC_LOG_FORMAT, "text" or "json" (one JSON object per line).
    LOG_LEVEL: str | None = None
    LOG_FORMAT = "text"
    SECRETS_KEYS: tuple[str, ...] = ()  # MHC_SECRETS_KEY: encrypt stored cookies and tokens (first key encrypts)
    OWNER_USERNAME = "hudson"
    OWNER_DISPLAY_NAME = "Hudson"
    # The owner's time zone (an IANA name): the Hudson heatmap's weekdays and hours, cohort months and times.
    OWNER_TIMEZONE = "UTC"
    CHATURBATE_BASE_URL = "https://chaturbate.com"
    AFFILIATE_API_URL = "https://chaturbate.com/api/public/affiliates/onlinerooms/"
    AFFILIATE_WM = ""
    EVENTS_API_URL = "https://eventsapi.chaturbate.com/events/"
    STATS_API_URL = "https://chaturbate.com/statsapi/"
    EVENTS_LONGPOLL_TIMEOUT = 30  # seconds the Events API holds an idle request (0-90)
    EVENTS_CLIENT_MARGIN = 15.0  # client timeout = longpoll timeout + this margin
    EVENTS_RETRY_BACKOFF = (5.0, 60.0)  # first and longest wait after a retryable error
    BROADCAST_SESSION_GAP_MINUTES = 30  # broadcast segments this close form one session
    STATS_POLL_SECONDS = 300  # Stats API refreshes every 5 minutes
    EVENTS_PAGE_REFRESH_SECONDS = 5  # the Events page fetches new rows this often while open
    CHROMIUM_PATH = "/usr/bin/chromium"
    ADMIN_PASSWORD: str | None = None
    JOB_QUEUES = ("default", "scrape")
    QUEUE_PREFIX = ""
    AFFILIATE_POLL_SECONDS = 300
    P2_SCRAPE_SECONDS = 86400
    AFFILIATE_PAGE_DELAY = 0.5  # seconds between feed pages (stay near 1 request/s)
    AFFILIATE_TIMEOUT = 30.0  # seconds per feed request
    AFFILIATE_GENDERS = ""  # optional feed filter, e.g. "m" or "m,f"; empty = all
    AFFILIATE_ROOM_CAP = 0  # stop paging after this many rooms; 0 = the whole feed
    # Seconds one Affiliate cycle may page for (a whole feed takes ~30 s); what was read by then is recorded
    # as a partial cycle. Default: 120 s, or half the poll interval when that is shorter.
    AFFILIATE_CYCLE_SECONDS = 120.0
    SCHEDULER_ENABLED = True  # enqueue affiliate polls and P2 scrapes on their intervals
    # Workers write a heartbeat this often; a running run silent for longer than the bound is abandoned
    # (docs/reliability.md, "Jobs: dead workers are noticed").
    WORKER_HEARTBEAT_SECONDS = 10
    WORKER_DEAD_AFTER_SECONDS = 60
    WORKER_REDIS_RETRY_SECONDS = 5  # python worker.py waits this long between tries while Redis is down
    # Room thumbnails, taken while an Affiliate API cycle sees the room online (docs/domain.md#placeholder-images).
    THUMBNAILS_PER_CYCLE = 300  # downloads started per cycle, missing ones first
    THUMBNAIL_MAX_AGE_HOURS = 24  # refresh a stored thumbnail this old when the room is online
    THUMBNAIL_BUDGET_SECONDS = 60.0  # stop starting downloads after this long in one cycle
    THUMBNAIL_TIMEOUT = 10.0  # seconds per image
    THUMBNAIL_HOSTS = (".mmcdn.com", ".highwebmedia.com")  # only these hosts (suffixes) are fetched
    # Outbound HTTP (Affiliate, Stats, images; docs/production.md "Outbound HTTP"): GET retries on connection
    # errors, timeouts, 429 and 5xx with exponential backoff; Retry-After honoured up to HTTP_RETRY_AFTER_MAX.
    HTTP_RETRIES = 3
    HTTP_BACKOFF = 0.5  # seconds, doubled per retry (urllib3 backoff_factor)
    HTTP_CONNECT_TIMEOUT = 5.0  # seconds; every request has a (connect, read) timeout
    HTTP_READ_TIMEOUT = 30.0
    HTTP_RETRY_AFTER_MAX = 30.0  # never wait longer than this on a Retry-After, nor past a cycle's budget
    HTTP_USER_AGENT: str | None = None  # None: "mhc-control-panel/1.0 python-requests/<version>"
    BROWSER_PAGE_DELAY = (3.0, 5.0)
    BROWSER_PROFILE_DELAY = (2.0, 3.0)
    BROWSER_NAV_TIMEOUT_MS = 30000
    BROWSER_CHALLENGE_WAIT = 15.0  # seconds to let a Cloudflare "Just a moment" page clear, once
    PROFILE_SCRAPE_CAP = 200
    FOLLOW_COUNT_TOLERANCE = 2
    MASS_REMOVAL_SHARE = 0.20
    MASS_REMOVAL_MIN = 10
    # A follower missing from a read with no count to check against waits this long for a second read
    FOLLOW_PENDING_MINUTES = 10
    BATCH_INLINE_LIMIT = 500  # persons a Users batch action changes inside the request; above it a background job
    # Request bodies (uploaded list pages, a pasted list) larger than this are refused with 413 (MHC_MAX_UPLOAD_MB).
    MAX_UPLOAD_MB = 16
    MAX_CONTENT_LENGTH = MAX_UPLOAD_MB * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH  # a pasted list is one form field: it may be as large as an upload
    # Screenshots and saved HTML of failed browser runs are database rows (docs/production.md, "Nothing on local
    # disk"): each capped at ARTIFACT_MAX_BYTES, deleted after ARTIFACT_RETENTION_DAYS by the artifact_cleanup job
    # the scheduler starts every ARTIFACT_CLEANUP_SECONDS (0 = never).
    ARTIFACT_MAX_BYTES = 5 * 1024 * 1024
    ARTIFACT_RETENTION_DAYS = 30
    ARTIFACT_CLEANUP_SECONDS = 86400
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    # Login throttling (docs/production.md, "Login throttling"): a client with LOGIN_MAX_FAILURES failed logins in
    # LOGIN_WINDOW_SECONDS waits; an account with more than LOGIN_ACCOUNT_FREE_FAILURES failures in a row (since its
    # last login, over at most LOGIN_ACCOUNT_MEMORY_SECONDS) makes each next attempt wait 2, 4, 8 ... seconds, capped.
    LOGIN_MAX_FAILURES = 5
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_ACCOUNT_FREE_FAILURES = 10
    LOGIN_BACKOFF_MAX_SECONDS = 15 * 60
    LOGIN_ACCOUNT_MEMORY_SECONDS = 24 * 3600
    # Reverse proxies in front of the panel whose X-Forwarded-For/-Proto/-Host are trusted (0 = none).
    PROXY_HOPS = 0
    HSTS_MAX_AGE = 365 * 24 * 3600  # Strict-Transport-Security, sent only when MHC_ENV=production
    # A login session ends after this long without a request, and this long after login whatever happens.
    SESSION_IDLE_MINUTES = 120
    SESSION_MAX_HOURS = 168
    PASSWORD_HASH_TIME_COST = 3  # argon2id cost (argon2-cffi's defaults)
    PASSWORD_HASH_MEMORY_KIB = 65536
    # Two-factor login: the step between a correct password and the code is valid this long; the issuer names
    # the panel in authenticator apps (docs/production.md, "Two-factor login").
    TWO_FACTOR_PENDING_SECONDS = 300
    TWO_FACTOR_ISSUER = "MHC Control Panel"

    @classmethod
    def from_env(cls, env: dict | None = None) -> Config:
        """Build a config object from environment variables (os.environ by default)."""
        env = dict(os.environ if env is None else env)
        cfg = cls()
        cfg.MHC_ENV = env.get("MHC_ENV", "development")
        instance_dir = Path(env.get("MHC_INSTANCE_DIR", INSTANCE_DIR))
        cfg.SQLALCHEMY_DATABASE_URI = _normalise_db_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'mhc.sqlite3'}"
        )
        cfg.SQLITE_BUSY_TIMEOUT = float(_int(env, "SQLITE_BUSY_TIMEOUT", int(cls.SQLITE_BUSY_TIMEOUT)))
        cfg.REDIS_URL = env.get("REDIS_URL") or None
        cfg.MAX_UPLOAD_MB = _int(env, "MHC_MAX_UPLOAD_MB", cls.MAX_UPLOAD_MB)
        if not 1 <= cfg.MAX_UPLOAD_MB <= 1024:
            raise ConfigError(f"MHC_MAX_UPLOAD_MB must be between 1 and 1024 (megabytes), got {cfg.MAX_UPLOAD_MB}")
        cfg.MAX_CONTENT_LENGTH = cfg.MAX_FORM_MEMORY_SIZE = cfg.MAX_UPLOAD_MB * 1024 * 1024
        cfg.OWNER_USERNAME = (env.get("MHC_OWNER_USERNAME") or cls.OWNER_USERNAME).strip().lower()
        cfg.OWNER_DISPLAY_NAME = env.get("MHC_OWNER_DISPLAY_NAME") or cls.OWNER_DISPLAY_NAME
        cfg.OWNER_TIMEZONE = _timezone(env, "MHC_OWNER_TIMEZONE", cls.OWNER_TIMEZONE)
        for key in ("CHATURBATE_BASE_URL", "AFFILIATE_API_URL", "EVENTS_API_URL", "STATS_API_URL"):
            setattr(cfg, key, env.get(key) or getattr(cls, key))
        cfg.AFFILIATE_WM = env.get("AFFILIATE_WM", "")
        cfg.CHROMIUM_PATH = env.get("CHROMIUM_PATH") or cls.CHROMIUM_PATH
        cfg.ADMIN_PASSWORD = env.get("MHC_ADMIN_PASSWORD") or None
        cfg.AFFILIATE_POLL_SECONDS = _int(env, "AFFILIATE_POLL_SECONDS", cls.AFFILIATE_POLL_SECONDS)
        cfg.P2_SCRAPE_SECONDS = _int(env, "P2_SCRAPE_SECONDS", cls.P2_SCRAPE_SECONDS)
        cfg.FOLLOW_PENDING_MINUTES = _int(env, "FOLLOW_PENDING_MINUTES", cls.FOLLOW_PENDING_MINUTES)
        cfg.QUEUE_PREFIX = env.get("MHC_QUEUE_PREFIX", cls.QUEUE_PREFIX)
        cfg.AFFILIATE_GENDERS = env.get("AFFILIATE_GENDERS", cls.AFFILIATE_GENDERS)
        cfg.EVENTS_LONGPOLL_TIMEOUT = _int(env, "EVENTS_LONGPOLL_TIMEOUT", cls.EVENTS_LONGPOLL_TIMEOUT)
        cfg.BROADCAST_SESSION_GAP_MINUTES = _int(
            env, "BROADCAST_SESSION_GAP_MINUTES", cls.BROADCAST_SESSION_GAP_MINUTES
        )
        cfg.STATS_POLL_SECONDS = _int(env, "STATS_POLL_SECONDS", cls.STATS_POLL_SECONDS)
        cfg.AFFILIATE_ROOM_CAP = _int(env, "AFFILIATE_ROOM_CAP", cls.AFFILIATE_ROOM_CAP)
        cycle_default = min(cls.AFFILIATE_CYCLE_SECONDS, max(cfg.AFFILIATE_POLL_SECONDS / 2, 1.0))
        cfg.AFFILIATE_CYCLE_SECONDS = float(_int(env, "AFFILIATE_CYCLE_SECONDS", int(cycle_default)))
        cfg.SCHEDULER_ENABLED = env.get("MHC_SCHEDULER", "1") not in ("0", "false", "off")
        for key in ("WORKER_HEARTBEAT_SECONDS", "WORKER_DEAD_AFTER_SECONDS", "WORKER_REDIS_RETRY_SECONDS"):
            setattr(cfg, key, _int(env, key, getattr(cls, key)))
        _check_heartbeat(cfg)
        cfg.THUMBNAILS_PER_CYCLE = _int(env, "THUMBNAILS_PER_CYCLE", cls.THUMBNAILS_PER_CYCLE)
        if env.get("THUMBNAIL_HOSTS"):
            cfg.THUMBNAIL_HOSTS = tuple(h.strip().lower() for h in env["THUMBNAIL_HOSTS"].split(",") if h.strip())
        _http(env, cfg)
        cfg.BROWSER_PAGE_DELAY = _range(env, "BROWSER_PAGE_DELAY", cls.BROWSER_PAGE_DELAY)
        cfg.BROWSER_PROFILE_DELAY = _range(env, "BROWSER_PROFILE_DELAY", cls.BROWSER_PROFILE_DELAY)
        for key in ("ARTIFACT_MAX_BYTES", "ARTIFACT_RETENTION_DAYS"):
            setattr(cfg, key, _positive(env, key, getattr(cls, key)))
        cfg.ARTIFACT_CLEANUP_SECONDS = _int(env, "ARTIFACT_CLEANUP_SECONDS", cls.ARTIFACT_CLEANUP_SECONDS)
        cfg.SESSION_IDLE_MINUTES = _positive(env, "MHC_SESSION_IDLE_MINUTES", cls.SESSION_IDLE_MINUTES)
        cfg.SESSION_MAX_HOURS = _positive(env, "MHC_SESSION_MAX_HOURS", cls.SESSION_MAX_HOURS)
        cfg.LOG_LEVEL, cfg.LOG_FORMAT = _logging(env)
        cfg.PROXY_HOPS = _int(env, "MHC_PROXY_HOPS", cls.PROXY_HOPS)
        if not 0 <= cfg.PROXY_HOPS <= 5:
            raise ConfigError(f"MHC_PROXY_HOPS must be between 0 and 5 (trusted proxies), got {cfg.PROXY_HOPS}")
        if cfg.MHC_ENV == "production":
            cfg.SECRET_KEY = env.get("SECRET_KEY")
            if not cfg.SECRET_KEY:
                raise ConfigError("SECRET_KEY must be set when MHC_ENV=production")
            cfg.SESSION_COOKIE_SECURE = True
            cfg.REMEMBER_COOKIE_SECURE = True
        else:
            cfg.SECRET_KEY = env.get("SECRET_KEY") or _dev_secret_key(instance_dir)
        if cfg.MHC_ENV == "production" and not env.get("MHC_SECRETS_KEY"):
            raise ConfigError("MHC_SECRETS_KEY must be set when MHC_ENV=production")
        cfg.SECRETS_KEYS = _secrets_keys(env.get("MHC_SECRETS_KEY") or _dev_secrets_key(instance_dir))
        return cfg


TEST_RUN_ID = secrets.token_hex(4)


class TestConfig(Config):
    """Settings for the test suite: explicit database, no real waits, CSRF on (tests send tokens)."""

    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 (tests only)
    SECRETS_KEYS = ("dGVzdC1zZWNyZXRzLWtleS0wMDAwMDAwMDAwMDAwMDA=",)  # fixed Fernet key (tests only)
    BROWSER_PAGE_DELAY = (0.0, 0.0)
    BROWSER_PROFILE_DELAY = (0.0, 0.0)
    BROWSER_NAV_TIMEOUT_MS = 10000
    BROWSER_CHALLENGE_WAIT = 0.5
    LOGIN_WINDOW_SECONDS = 15 * 60
    PASSWORD_HASH_TIME_COST = 1  # still argon2id, cheap enough for hundreds of test logins
    PASSWORD_HASH_MEMORY_KIB = 1024
    AFFILIATE_PAGE_DELAY = 0.0
    AFFILIATE_TIMEOUT = 5.0
    SCHEDULER_ENABLED = False
    EVENTS_LONGPOLL_TIMEOUT = 1
    EVENTS_CLIENT_MARGIN = 5.0
    EVENTS_RETRY_BACKOFF = (0.0, 0.0)
    THUMBNAIL_HOSTS = ("127.0.0.1",)  # the fake Chaturbate's image route
    THUMBNAIL_TIMEOUT = 5.0
    HTTP_BACKOFF = 0.0  # retries still happen, without the waits between them

    def __init__(self, database_url: str, instance_dir: Path, **overrides):
        self.SQLALCHEMY_DATABASE_URI = database_url
        # Queue names unique to this test session, so parallel runs on one Redis never steal jobs.
        self.QUEUE_PREFIX = f"test-{TEST_RUN_ID}-"
        for key, value in overrides.items():
            setattr(self, key, value)
