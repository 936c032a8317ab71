"""Argument checks shared by every layer: one message format for bad input.

Each failure names the argument, the value it got, what is allowed and, for names,
the close matches. Public functions call these; kernels never validate.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from numbers import Integral, Real


def close_matches(name: str, options: Iterable[str], n: int = 3) -> list[str]:
    """Options that look like ``name`` (case-insensitive), best first."""
    options = list(options)
    lowered = {o.lower(): o for o in options}
    hits = difflib.get_close_matches(str(name).lower(), list(lowered), n=n, cutoff=0.5)
    return [lowered[h] for h in hits]


def unknown_name(kind: str, name: str, options: Iterable[str], exc: type[Exception] = KeyError):
    """Build the error for an unknown name: ``exc`` naming ``kind``, the options and close matches."""
    options = sorted(options)
    hint = close_matches(name, options)
    did_you_mean = f" Did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
    shown = ", ".join(options) if len(options) <= 20 else ", ".join(options[:20]) + ", …"
    message = f"unknown {kind} {name!r}.{did_you_mean} Known {kind}s: {shown}."
    err = exc(message)
    # KeyError quotes its argument in str(); keep the message readable for the CLI.
    err.message = message  # type: ignore[attr-defined]
    return err


def message_of(exc: BaseException) -> str:
    """The human-readable message of an exception (KeyError's str() adds quotes)."""
    message = getattr(exc, "message", None)
    if message:
        return str(message)
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]
    return str(exc)  # OSError's args[0] is an errno; str() gives "[Errno 13] ...: 'path'"


def finite_number(name: str, value, *, low=None, high=None, low_open=False, high_open=False) -> float:
    """Check that ``value`` is a finite real number within [low, high] (bounds optional).

    ``low_open``/``high_open`` make a bound strict. Returns it as ``float``.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value:g}{_range(low, high, low_open, high_open)}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high:g}, got {value:g}{_range(low, high, low_open, high_open)}")
    return value


def whole_number(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Check that ``value`` is an integer (an integral float such as 600.0 is accepted)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if isinstance(value, Integral):
        value = int(value)
    elif isinstance(value, Real) and math.isfinite(float(value)) and float(value).is_integer():
        value = int(float(value))
    else:
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def choice(name: str, value, options: Iterable[str]) -> str:
    """Check that ``value`` is one of ``options`` (ValueError with close matches)."""
    options = list(options)
    if value in options:
        return value
    raise unknown_name(name, value, options, exc=ValueError)


def _range(low, high, low_open, high_open) -> str:
    if low is None or high is None:
        return ""
    return f" (allowed: {low:g} {'<' if low_open else '<='} {{}} {'<' if high_open else '<='} {high:g})".replace("{}", "value")


def replace_fields(obj, kind: str, changes: dict):
    """``dataclasses.replace(obj, **changes)``, refusing unknown field names (named as ``kind``,
    with close matches) before anything is built."""
    import dataclasses

    names = [f.name for f in dataclasses.fields(obj)]
    for key in changes:
        if key not in names:
            raise unknown_name(kind, key, names, exc=ValueError)
    return dataclasses.replace(obj, **changes)
