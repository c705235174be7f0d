"""Privacy canaries: unique values that sensitive APIs return, and their detection in every data sink.

Each run draws its own canaries from the seed, so a value found in a sink can only have come from the API that
returned it. They look like what a device returns (no marker a bundle could test for to learn it is
reviewed). Detection looks through the encodings bundles commonly apply before sending data out: JSON, URL
encoding, base64 (standard and URL-safe), hex, and the rounding of coordinates; and through three cheap ones that
cannot match by chance: the reversed text, character codes (an array of numbers, or numbers joined in a string),
and base 36 of a long digit string (``Number(phone).toString(36)``, 7 characters or more).

Not guessed here, by choice: scaled or offset numbers, XOR with a key, base 36 of a coordinate (5 characters: met
by chance in any large payload), a value split over several requests. Each has too many keys or too short a form
for a fast search without false matches. The differential walk finds them whatever the transform: a second walk
with the canaries of another ``variant`` (same shapes, every random digit and character different) and a
comparison of every sink (apis/sink_digest.py, review/audits/flows.py). This pass stays its fast first pass and
its explanation ("encoding: base64").
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import re
import struct
import urllib.parse
from dataclasses import dataclass
from typing import Any, Iterable

# kind -> privacy category; the kinds API results may reference as "$canary:<kind>"
CANARY_KINDS: dict[str, str] = {
    "latitude": "location",
    "longitude": "location",
    "phoneNumber": "phone-number",
    "purePhoneNumber": "phone-number",
    "nickName": "user-profile",
    "avatarUrl": "user-profile",
    "openid": "identity",
    "unionid": "identity",
    "code": "identity",
    "authCode": "identity",
    "anonymousCode": "identity",
    "encryptedData": "identity",
    "ticket": "identity",
    "clipboard": "clipboard",
    "tempFilePath": "file",
    "userName": "address",
    "telNumber": "address",
    "detailInfo": "address",
    "postalCode": "address",
    "deviceId": "device-id",
    "ssid": "device-id",
    "bssid": "device-id",
    "contactName": "contacts",
    "scanResult": "camera",
    "recordFilePath": "microphone",
    "idNumber": "identity",  # what the walk types into an ID-number field
}

# Values shorter than this are not scanned for in encoded forms (too many false positives).
_MIN_ENCODED = 6


@dataclass(frozen=True)
class Canary:
    kind: str
    value: str  # textual form; numbers are kept as their shortest decimal text
    source_api: str
    category: str
    numeric: float | None = None


@dataclass
class Hit:
    canary: Canary
    encoding: str  # plain, json, url, base64, hex, rounded
    path: str  # where in the sink payload


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _token(rng: random.Random, n: int, alphabet: str = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


class _Shifted:
    """The seed's random draws, each moved part-way round its range: the canaries of a variant keep the seed's
    shapes (kinds, lengths, alphabets, order of issue) while every random digit and character differs."""

    def __init__(self, rng: random.Random, variant: int):
        self._rng = rng
        self._variant = variant

    def _shift(self, size: int) -> int:
        return 1 + (self._variant * (size // 2) - 1) % (size - 1)  # never 0: every draw moves; variant 1: half-way

    def choice(self, seq: Any) -> Any:
        i = self._rng.randrange(len(seq))
        return seq[(i + self._shift(len(seq))) % len(seq)] if len(seq) > 1 else seq[i]

    def randint(self, a: int, b: int) -> int:
        x, size = self._rng.randint(a, b), b - a + 1
        return a + (x - a + self._shift(size)) % size if size > 1 else x


class CanaryRegistry:
    """The canaries of one run. ``issue`` gives the value an API returns; ``scan`` finds them in sinks.

    ``variant`` 0 is the seed's canaries; another variant gives, for the same seed, values of the same shapes that
    differ in every random digit and character (the differential walk's sources, see review/audits/flows.py)."""

    def __init__(self, seed: int = 0, variant: int = 0):
        self.variant = int(variant)
        rng = random.Random(f"mpsandbox-canary:{seed}")
        self._rng: Any = _Shifted(rng, self.variant) if self.variant else rng
        self._by_kind: dict[tuple[str, str], Canary] = {}
        self._all: list[Canary] = []
        self._needles: list[tuple[str, Canary, str]] | None = None
        self._forms: tuple[list, list[tuple[str, Canary]]] | None = None

    @property
    def canaries(self) -> list[Canary]:
        return list(self._all)

    def issue(self, kind: str, source_api: str) -> Any:
        """The canary value of ``kind`` for ``source_api`` (stable within a run), as the API returns it."""
        key = (kind, source_api)
        c = self._by_kind.get(key)
        if c is None:
            c = self._make(kind, source_api)
            self._by_kind[key] = c
            self._all.append(c)
            self._needles = None
        return c.numeric if c.numeric is not None else c.value

    def _make(self, kind: str, api: str) -> Canary:
        rng = self._rng
        category = CANARY_KINDS.get(kind, "identity")
        if kind in ("latitude", "longitude"):
            # six distinctive decimals inside mainland China; last digits never 0 so the text form is stable
            base = 30 if kind == "latitude" else 120
            value = float(f"{base + rng.randint(0, 9)}.{_digits(rng, 5)}{rng.randint(1, 9)}")
            # rounded or truncated to 3 to 5 decimals, it still has them all (30.510 would read as 30.51)
            while any(f"{value:.{n}f}".endswith("0") or f"{value:.6f}"[n - 7] == "0" for n in (3, 4, 5)):
                value = float(f"{base + rng.randint(0, 9)}.{_digits(rng, 5)}{rng.randint(1, 9)}")
            return Canary(kind, repr(value), api, category, numeric=value)
        if kind in ("phoneNumber", "purePhoneNumber", "telNumber"):
            value = "1" + rng.choice("3589") + _digits(rng, 9)
            return Canary(kind, value, api, category)
        if kind == "nickName":
            return Canary(kind, "用户" + _token(rng, 8), api, category)
        if kind == "avatarUrl":
            # shaped as a real profile picture's URL: a fixed placeholder host would tell the bundle it is reviewed
            hexa = "0123456789abcdef"
            return Canary(kind, f"https://p3-passport.byteacctimg.com/img/user-avatar/{_token(rng, 32, hexa)}"
                                f"~300x300.image", api, category)
        if kind in ("tempFilePath", "recordFilePath"):
            ext = "mp3" if kind == "recordFilePath" else "jpg"
            return Canary(kind, f"ttfile://temp/{_token(rng, 16)}.{ext}", api, category)
        if kind == "postalCode":
            return Canary(kind, "3" + _digits(rng, 5), api, category)
        if kind == "userName":
            return Canary(kind, "收件人" + _token(rng, 6), api, category)
        if kind == "detailInfo":
            return Canary(kind, f"科技园路{rng.randint(100, 999)}号{_token(rng, 6)}", api, category)
        if kind == "clipboard":
            return Canary(kind, f"复制口令{_token(rng, 14)}", api, category)
        if kind == "scanResult":
            return Canary(kind, f"https://u.example-qr.cn/s/{_token(rng, 14)}", api, category)
        if kind == "idNumber":  # 18 digits shaped like a resident ID (region, birth date, sequence)
            return Canary(kind, "1101" + _digits(rng, 2) + "1990" + "0101" + _digits(rng, 4), api, category)
        if kind == "ssid":
            return Canary(kind, f"TP-LINK_{_token(rng, 10)}", api, category)
        if kind == "bssid":
            return Canary(kind, ":".join(f"{rng.randrange(256):02x}" for _ in range(6)), api, category)
        return Canary(kind, _token(rng, 24), api, category)

    def forms(self) -> list[tuple[str, Canary]]:
        """Every text form the scan knows of every canary (plain and encoded), longest first."""
        if self._needles is None:
            self._needles = self._build_needles()
        if self._forms is None or self._forms[0] is not self._needles:
            ordered = sorted({(text, c) for text, c, _ in self._needles}, key=lambda f: (-len(f[0]), f[0]))
            self._forms = (self._needles, ordered)
        return self._forms[1]

    # ---- detection ------------------------------------------------------------------------------------------
    def _build_needles(self) -> list[tuple[str, Canary, str]]:
        needles: list[tuple[str, Canary, str]] = []
        for c in self._all:
            forms = {"plain": c.value}
            raw = c.value.encode("utf-8")
            if len(c.value) >= _MIN_ENCODED:
                forms["url"] = urllib.parse.quote(c.value, safe="")
                forms["url-plus"] = urllib.parse.quote_plus(c.value)
                forms["json"] = json.dumps(c.value)[1:-1]
                forms["hex"] = raw.hex()
                forms["HEX"] = raw.hex().upper()
                forms["reversed"] = c.value[::-1]
                base36 = _base36_of_digits(c.value)
                if base36 is not None:
                    forms["base36"] = base36
                # base64 of the value at each of the three alignments inside a larger encoded string
                # base64 of the value at each of the three byte alignments inside a larger encoded string: keep
                # only the 4-char groups made of the value's bytes alone
                for shift in range(3):
                    enc = base64.b64encode(b"\0" * shift + raw).decode()
                    first = 1 if shift else 0
                    last = (shift + len(raw)) // 3
                    core = enc[first * 4 : last * 4]
                    if len(core) >= _MIN_ENCODED:
                        forms[f"base64@{shift}"] = core
                        forms[f"base64url@{shift}"] = core.replace("+", "-").replace("/", "_")
            for enc, text in forms.items():
                if enc != "plain" and text == c.value:
                    continue
                needles.append((text, c, enc.split("@")[0].replace("url-plus", "url").replace("HEX", "hex")))
        return needles

    def scan(self, payload: Any, path: str = "$", skipped: list[int] | None = None) -> list[Hit]:
        """Every canary found in ``payload`` (any JSON-able value, searched whole: every string, number and binary
        body at any depth), with its encoding and location. The lengths of texts too long to decode are appended
        to ``skipped`` (a cap the caller records)."""
        if not self._all:
            return []
        if self._needles is None:
            self._needles = self._build_needles()
        hits: list[Hit] = []
        seen: set[tuple[str, str]] = set()
        plain, numbers, binaries = _leaves(payload, path)
        for where, data in binaries:
            for canary in self._all:
                if canary.numeric is None or (canary.kind, canary.source_api) in seen:
                    continue
                if any(packed in data for packed in _packed(canary.numeric)):
                    seen.add((canary.kind, canary.source_api))
                    hits.append(Hit(canary, "binary", where))
        for where, text, outer in _strings(plain, binaries, skipped, payload, path):
            for needle, canary, encoding in self._needles:
                if needle in text and (canary.kind, canary.source_api) not in seen:
                    seen.add((canary.kind, canary.source_api))
                    hits.append(Hit(canary, _combine(outer, encoding), where))
            for canary in self._all:
                if canary.numeric is None or (canary.kind, canary.source_api) in seen:
                    continue
                if _rounded_in(canary.numeric, text):
                    seen.add((canary.kind, canary.source_api))
                    hits.append(Hit(canary, _combine(outer, "rounded"), where))
        for where, number in numbers:
            for canary in self._all:
                if canary.numeric is None or (canary.kind, canary.source_api) in seen:
                    continue
                if number == canary.numeric:
                    seen.add((canary.kind, canary.source_api))
                    hits.append(Hit(canary, "plain", where))
                elif _rounded_equal(canary.numeric, number):
                    seen.add((canary.kind, canary.source_api))
                    hits.append(Hit(canary, "rounded", where))
        return hits


def _combine(outer: str | None, inner: str) -> str:
    if outer is None:
        return inner
    return outer if inner == "plain" else f"{outer}+{inner}"


def _strings(plain: list[tuple[str, str]], binaries: list[tuple[str, bytes]], skipped: list[int] | None,
             payload: Any, path: str) -> Iterable[tuple[str, str, str | None]]:
    """Every string, then the texts of the binary bodies, then their whole-token decodings (checked after the
    plain strings), then the text of every array of character codes in ``payload``."""
    texts: list[tuple[str, str, str | None]] = [(where, text, None) for where, text in plain]
    for where, data in binaries:
        texts.extend((f"{where}<{codec}>", text, "binary") for codec, text in _binary_texts(data))
    yield from texts
    for where, text, outer in texts:
        if len(text) > MAX_DECODED_TEXT:
            if skipped is not None:
                skipped.append(len(text))
            continue
        for enc, decoded in _try_decodings(text):
            yield f"{where}<{enc}>", decoded, enc if outer is None else f"{outer}+{enc}"
    for where, decoded in _char_code_arrays(payload, path):
        yield f"{where}<char-codes>", decoded, "char-codes"


_MAX_CHAR_CODE = 0x10FFFF
_MIN_BASE36 = 7  # shorter base-36 texts (a latitude's 8 digits give 5 characters) are too easily met by chance


def _base36_of_digits(value: str) -> str | None:
    """``Number(digits).toString(36)`` of a canary made of digits (a dot allowed: the scaled coordinate), when
    long enough to be unambiguous."""
    digits = value.replace(".", "", 1)
    if not digits.isdigit() or len(digits) > 15:  # beyond 15 digits a JS number loses the value
        return None
    n, out = int(digits), ""
    while n:
        n, r = divmod(n, 36)
        out = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + out
    return out if len(out) >= _MIN_BASE36 else None


def _char_code_arrays(value: Any, path: str) -> Iterable[tuple[str, str]]:
    """The text of every array of character codes (at least 4) in ``value``, walked without recursion."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, dict):
            stack.extend((v, _sub(where, k)) for k, v in item.items())
        elif isinstance(item, list):
            if len(item) >= 4 and all(type(v) is int and 0 <= v <= _MAX_CHAR_CODE for v in item):
                yield where, "".join(chr(v) for v in item)
            else:
                stack.extend((v, _item(where, i)) for i, v in enumerate(item))


MAX_PATH = 1000  # where a hit is in a payload: key names and depth are the bundle's, so the text is bounded


def _sub(path: str, key: Any) -> str:
    name = str(key)
    if len(name) > 64:
        name = name[:64] + "…"
    return path if len(path) >= MAX_PATH else f"{path}.{name}"


def _item(path: str, index: int) -> str:
    return path if len(path) >= MAX_PATH else f"{path}[{index}]"


MAX_DECODED_TEXT = 16 * 1024 * 1024  # longer texts are searched as they are but not decoded (a cap: reported)
BINARY_KEY = "$binary"  # {"$binary": base64, "type": "Uint8Array", "bytes": n}: binary data from the bridge


def _leaves(value: Any, path: str) -> tuple[list[tuple[str, str]], list[tuple[str, float]], list[tuple[str, bytes]]]:
    """The strings (object keys too), numbers and binary bodies of a JSON-like value at any depth, with their
    paths; iterative, so a deep value cannot exhaust the stack."""
    strings: list[tuple[str, str]] = []
    numbers: list[tuple[str, float]] = []
    binaries: list[tuple[str, bytes]] = []
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, v = stack.pop()
        if isinstance(v, str):
            strings.append((where, v))
        elif isinstance(v, bool) or v is None:
            continue
        elif isinstance(v, (int, float)):
            numbers.append((where, float(v)))
        elif isinstance(v, dict):
            data = v.get(BINARY_KEY)
            if isinstance(data, str):
                try:
                    binaries.append((f"{where}<{v.get('type') or 'binary'}>", base64.b64decode(data)))
                    continue
                except (binascii.Error, ValueError):
                    pass
            items = list(v.items())
            for k, child in reversed(items):
                stack.append((_sub(where, k), child))
                stack.append((f"{where}.<key>" if len(where) < MAX_PATH else where, str(k)))
        elif isinstance(v, list):
            stack.extend((_item(where, i), v[i]) for i in range(len(v) - 1, -1, -1))
    return strings, numbers, binaries


def _binary_texts(data: bytes) -> list[tuple[str, str]]:
    """A binary body read as text the ways a server might: UTF-8, Latin-1, UTF-16 (both byte orders)."""
    out = [("utf-8", data.decode("utf-8", "ignore")), ("latin-1", data.decode("latin-1"))]
    for codec in ("utf-16-le", "utf-16-be"):
        for start in (0, 1):  # the text may start at an odd offset
            out.append((codec, data[start:].decode(codec, "ignore")))
    return out


def _packed(number: float) -> tuple[bytes, bytes]:
    """A number as a binary body holds it: a float64, either byte order (4-byte forms would match at random in
    large bodies)."""
    return struct.pack("<d", number), struct.pack(">d", number)


_B64 = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){4,}")
_CHAR_CODES = re.compile(r"\d{1,7}(?:[,; ]+\d{1,7}){3,}")  # "51,54,46,55": character codes joined in a string


def _try_decodings(text: str) -> list[tuple[str, str]]:
    """Whole-token decodings (base64 and hex of structured data, e.g. base64 of a JSON body)."""
    out: list[tuple[str, str]] = []
    if "%" in text:
        try:
            out.append(("url", urllib.parse.unquote_plus(text)))
        except Exception:
            pass
    for m in _B64.finditer(text):
        token = m.group(0)
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_" if ("-" in token or "_" in token) else None)
            out.append(("base64", raw.decode("utf-8", "ignore")))
        except (binascii.Error, ValueError):
            pass
    if _CHAR_CODES.fullmatch(text):
        codes = [int(c) for c in re.split(r"[,; ]+", text)]
        if all(c <= _MAX_CHAR_CODE for c in codes):
            out.append(("char-codes", "".join(chr(c) for c in codes)))
    for m in _HEX.finditer(text):
        try:
            out.append(("hex", bytes.fromhex(m.group(0)).decode("utf-8", "ignore")))
        except ValueError:
            pass
    return out


_NUM = re.compile(r"-?\d{1,3}\.\d{2,}")


def _rounded_equal(canary: float, number: float) -> bool:
    """``number`` is ``canary`` rounded (or truncated) to 3 or more decimals."""
    for places in range(3, 7):
        scale = 10**places
        if abs(number - round(canary, places)) < 0.5 / scale / 10:
            return True
        if abs(number - int(canary * scale) / scale) < 0.5 / scale / 10:
            return True
    return False


def _rounded_in(canary: float, text: str) -> bool:
    for m in _NUM.finditer(text):
        try:
            if _rounded_equal(canary, float(m.group(0))):
                return True
        except ValueError:
            continue
    return False
