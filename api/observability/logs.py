"""Log lines: text or JSON on stderr, each with the id of the request that wrote it, none with a
secret in it.

Lines with structured fields pass them as `extra=fields(...)`: text shows them as `key=value`,
JSON as keys of the line's object. Whatever a line says (its message, fields and traceback) is
scrubbed before it is written: the configured secrets (CHAT_SECRET, METRICS_TOKEN, the Redis
password), signed tokens, a Bearer credential, `password=`/`token=`/`secret=`/`cookie=` values and
passwords in URLs.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from urllib.parse import urlsplit

from api.config import Settings

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
REDACTED = "[redacted]"

_KEY = r"(?i)(password|passwd|secret|token|cookie)([\"']?\s*[:=]\s*)"
_PATTERNS = (
    # A JWT (the session token and cookie): header.payload.signature, base64url.
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+"), r"\1" + REDACTED),
    # password="a b", 'password': 'a b', token=abc: the whole value, quoted or not.
    (re.compile(_KEY + r'"(?:[^"\\]|\\.)*"'), r'\1\2"' + REDACTED + '"'),
    (re.compile(_KEY + r"'(?:[^'\\]|\\.)*'"), r"\1\2'" + REDACTED + "'"),
    (re.compile(_KEY + r"(?![\"'\[])[^\s\"'&,;}]+"), r"\1\2" + REDACTED),
    (re.compile(r"(://[^/\s:@]*:)[^@\s/]+@"), r"\1" + REDACTED + "@"),  # user:password@host
)


def fields(**values: object) -> dict[str, object]:
    """`extra=` for a line with fields: `logger.info("request", extra=fields(status=200))`."""
    return {"fields": values}


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Short values would redact ordinary words; the configured secrets are long.
        self._secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text


def secrets_of(settings: Settings) -> list[str]:
    password = urlsplit(settings.redis_url).password
    return [s for s in (settings.chat_secret, settings.metrics_token, password) if s]


def _utc(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


def _fields(record: logging.LogRecord) -> Mapping[str, object]:
    values = getattr(record, "fields", None)
    return values if isinstance(values, Mapping) else {}


def _text_value(value: object) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "=\\') or not text.isprintable():
        return json.dumps(text, ensure_ascii=False)
    return text


class TextFormatter(logging.Formatter):
    """`TIME LEVEL logger: message key=value ... request_id=ID`, then any traceback."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        parts = [_utc(record), record.levelname, record.name + ":", record.getMessage()]
        parts += [f"{key}={_text_value(value)}" for key, value in _fields(record).items()]
        request_id = REQUEST_ID.get()
        if request_id:
            parts.append(f"request_id={request_id}")
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        return self._redact(text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, the fields, exception."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        redact = self._redact
        line: dict[str, object] = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        request_id = REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        for key, value in _fields(record).items():
            plain = value is None or isinstance(value, bool | int | float)
            line.setdefault(key, value if plain else redact(str(value)))
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(settings: Settings) -> None:
    """Every line of the process, uvicorn's included, through one stderr handler in LOG_FORMAT at
    LOG_LEVEL. uvicorn's access log is turned off: the app logs each request itself, without the
    query string's other values (uvicorn's line has them all)."""
    redact = Redactor(secrets_of(settings))
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(redact) if settings.log_format == "json" else TextFormatter(redact))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn = logging.getLogger(name)
        for old in list(uvicorn.handlers):
            uvicorn.removeHandler(old)
        uvicorn.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
