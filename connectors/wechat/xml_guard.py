"""WeChat posts XML; before wechatpy (xmltodict) reads any of it, defusedxml checks it is one
well-formed document with no DTD, so entity tricks (XXE, billion laughs) are refused unparsed."""

from __future__ import annotations

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring


class UnsafeXml(ValueError):
    """Malformed XML, or XML with a DTD or entities: answered 400, nothing parsed."""


def checked(body: bytes | str) -> str:
    """The body as text, if it is safe to parse."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SyntaxError, ValueError) as exc:  # ParseError is a SyntaxError
        raise UnsafeXml(f"{type(exc).__name__}: {exc}") from exc
    if root.tag != "xml":
        raise UnsafeXml(f"root element is <{root.tag}>, not <xml>")
    return text
