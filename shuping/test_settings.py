"""Settings for the test suite: immediate tasks, fast hashing, plain static files."""

from shuping.settings import *  # noqa: F403
from shuping.settings import STORAGES

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Argon2 is what production uses (asserted in accounts tests); MD5 keeps the suite fast.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]
# The tests spell their expectations in Beijing time (the default display zone), whatever SHUPING_TIME_ZONE the
# developer's shell has; shuping/core/tests/test_local_dates.py checks dates across the local midnight.
TIME_ZONE = "Asia/Shanghai"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
