"""Shuping settings: one file, configured by SHUPING_* environment variables.

SQLite (WAL) in the data folder by default; PostgreSQL when SHUPING_DATABASE_URL is set.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.environ.get(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [s.strip() for s in os.environ.get(name, default).split(",") if s.strip()]


DATA_DIR = Path(os.environ.get("SHUPING_DATA_DIR", BASE_DIR / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SHUPING_SECRET_KEY, else a random key kept in the data folder (made once)."""
    if key := os.environ.get("SHUPING_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def database_from_url(url: str) -> dict:
    """postgres://user:pass@host:port/name?sslmode=require → Django DATABASES entry."""
    u = urlparse(url)
    if u.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"SHUPING_DATABASE_URL: unsupported scheme {u.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(u.path.lstrip("/")) or "shuping",
        "USER": unquote(u.username or "postgres"),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "127.0.0.1",
        "PORT": str(u.port or 5432),
        # Persistent connections per sync worker; bounded by worker count.
        "CONN_MAX_AGE": envint("SHUPING_CONN_MAX_AGE", "60"),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": dict(parse_qsl(u.query)),
        # Behind pgbouncer in transaction mode, server-side cursors (iterator()) cannot be used.
        "DISABLE_SERVER_SIDE_CURSORS": envbool("SHUPING_PGBOUNCER", "0"),
        "TEST": {"NAME": os.environ.get("SHUPING_TEST_DB_NAME", "test_shuping")},
    }


SECRET_KEY = _secret_key()
DEBUG = envbool("SHUPING_DEBUG", "0")
ALLOWED_HOSTS = envlist("SHUPING_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = envlist("SHUPING_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "shuping.core",
    "shuping.audit",
    "shuping.accounts",
    "shuping.orgs",
    "shuping.campaigns",
    "shuping.ballots",
    "shuping.scoring",
    "shuping.results",
    "shuping.meetings",
    "shuping.reports",
    "shuping.rectification",
    "shuping.speeches",
    "shuping.exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shuping.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shuping.urls"
WSGI_APPLICATION = "shuping.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shuping.core.context_processors.nav",
            ],
        },
    },
]

if os.environ.get("SHUPING_DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["SHUPING_DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SHUPING_SQLITE_PATH", str(DATA_DIR / "shuping.sqlite3")),
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE avoids
                # "database is locked" upgrades inside transactions.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }

if os.environ.get("SHUPING_REPLICA_DATABASE_URL"):
    # A streaming replica of the primary; used only inside shuping.core.dbrouter.use_replica().
    DATABASES["replica"] = database_from_url(os.environ["SHUPING_REPLICA_DATABASE_URL"])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["shuping.core.dbrouter.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lockout: this many failures for one username within the window locks it for the window.
LOGIN_MAX_FAILURES = envint("SHUPING_LOGIN_MAX_FAILURES", "5")
LOGIN_LOCKOUT_MINUTES = envint("SHUPING_LOGIN_LOCKOUT_MINUTES", "15")

# Sessions and cookies.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = envint("SHUPING_SESSION_HOURS", "10") * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
HTTPS = envbool("SHUPING_HTTPS", "0")  # set behind a TLS-terminating proxy
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "shuping" / "locale"]
TIME_ZONE = os.environ.get("SHUPING_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_ROOT = DATA_DIR / "media"
# 民主测评's urn keys (shuping.ballots.urn): one small file per open ballot box, deleted at 封箱. Kept out of
# the database and out of `shuping backup` on purpose; with several app servers it must be shared like media.
URN_KEY_DIR = Path(os.environ.get("SHUPING_URN_KEY_DIR", DATA_DIR / "urn-keys")).resolve()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 3600

# Background work: django-tasks with its database backend (`shuping worker`).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The address voters' phones reach the server at: printed into the QR codes on ballot sheets.
SHUPING_PUBLIC_URL = os.environ.get("SHUPING_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

# Optional polishing of drafts (讲话与点评) by an OpenAI-compatible chat endpoint on the intranet; off when
# the base URL is empty. Drafts are complete without it.
SHUPING_LLM_BASE_URL = os.environ.get("SHUPING_LLM_BASE_URL", "").strip().rstrip("/")
SHUPING_LLM_MODEL = os.environ.get("SHUPING_LLM_MODEL", "")
SHUPING_LLM_API_KEY = os.environ.get("SHUPING_LLM_API_KEY", "")
SHUPING_LLM_TIMEOUT = envint("SHUPING_LLM_TIMEOUT", "30")

# Roster imports larger than this are refused before they are parsed.
MAX_UPLOAD_BYTES = envint("SHUPING_MAX_UPLOAD_MB", "20") * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SHUPING_LOG_LEVEL", "WARNING")},
}
