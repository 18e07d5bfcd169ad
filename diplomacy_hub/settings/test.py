"""The test suite's settings: the same stack, faster password hashing, mail in memory."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECRET_KEY = env("SECRET_KEY", default="test-secret-key-not-for-production-" + "y" * 20)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A fixed key ring for tests only.
CREDENTIALS_KEYS = env(
    "CREDENTIALS_KEYS",
    default="test2:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM,test1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
)
