"""VIP 5.x and 6.x XML, streamed: `iterparse` hands over one top-level element at a time, which
is converted and then removed from the tree, so memory holds one element, not the feed."""

from __future__ import annotations

# Only for types and ParseError: parsing goes through defusedxml.
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import IO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from bot.voter.records import FeedError, Hours, Record
from bot.voter.vip import convert as conv
from bot.voter.vip.base import FeedIndex, Problems, ids

Opener = Callable[[], AbstractContextManager[IO[bytes]]]


class XmlFields:
    """One XML element, read by child names and paths."""

    def __init__(self, elem: ET.Element) -> None:
        self.elem = elem
        self.source_id = elem.get("id") or ""

    def text(self, name: str) -> str | None:
        """The stripped text of a child (or path), None when missing or empty."""
        return _clean(self.elem.findtext(name))

    def intl(self, name: str) -> str | None:
        """An InternationalizedText child: its English Text, else its first, else plain text."""
        node = self.elem.find(name)
        if node is None:
            return None
        texts = [(t.get("language") or "", _clean(t.text)) for t in node.findall("Text")]
        english = [text for lang, text in texts if text and lang.lower().startswith("en")]
        return next(iter(english + [text for _, text in texts if text]), _clean(node.text))

    def texts(self, name: str) -> list[str]:
        """The stripped texts of a repeated child, empty ones left out."""
        return [text for node in self.elem.findall(name) if (text := _clean(node.text))]

    def external_ids(self) -> list[tuple[str, str]]:
        """(Type, Value) of each ExternalIdentifier."""
        found = self.elem.findall("ExternalIdentifiers/ExternalIdentifier")
        return [(node.findtext("Type") or "", node.findtext("Value") or "") for node in found]


def _clean(text: str | None) -> str | None:
    value = " ".join((text or "").split())
    return value or None


def root_of(open_: Opener, name: str) -> tuple[str, dict[str, str]]:
    """The root element's tag (namespace removed) and attributes, reading no further."""
    with open_() as stream:
        for _, elem in _events(stream, name, ("start",)):
            return _local(elem.tag), dict(elem.attrib)
    raise FeedError(f"{name}: no XML element in the file")


def _events(
    stream: IO[bytes], name: str, events: tuple[str, ...]
) -> Iterator[tuple[str, ET.Element]]:
    try:
        yield from iterparse(stream, events=events)
    except ET.ParseError as exc:
        line, column = exc.position
        raise FeedError(f"{name}: line {line}, column {column}: not readable XML ({exc})") from exc
    except DefusedXmlException as exc:
        raise FeedError(f"{name}: refused: {exc}") from exc


def top_level(open_: Opener, name: str) -> Iterator[ET.Element]:
    """Each child of the root, complete, then dropped from the tree once the caller moves on."""
    with open_() as stream:
        depth = 0
        root: ET.Element | None = None
        for event, elem in _events(stream, name, ("start", "end")):
            if event == "start":
                depth += 1
                root = elem if root is None else root
                continue
            depth -= 1
            if depth == 1 and root is not None:
                if "}" in elem.tag:
                    for node in elem.iter():
                        node.tag = _local(node.tag)
                yield elem
                root.remove(elem)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def build_index(open_: Opener, name: str, problems: Problems) -> FeedIndex:
    """First pass: counts, hours, states, localities, the source, and the ids records cite."""
    index = FeedIndex()
    locality_states: dict[str, str] = {}
    for elem in top_level(open_, name):
        tag, f = elem.tag, XmlFields(elem)
        index.counts[tag] += 1
        if tag in ("PollingLocation", "Precinct"):
            known = index.place_ids if tag == "PollingLocation" else index.precinct_ids
            if f.source_id in known:
                problems.add(tag, f.source_id, "id used twice; the later one wins")
            known.add(f.source_id)
        elif tag == "HoursOpen":
            index.hours[f.source_id] = _hours_open(elem, problems)
        elif tag == "State":
            index.states[f.source_id] = conv.to_state(f)
            index.state_place_ids[f.source_id] = ids(f.text("PollingLocationIds"))
        elif tag == "Locality":
            index.localities[f.source_id] = conv.to_locality(f)
            locality_states[f.source_id] = f.text("StateId") or ""
        elif tag == "Source":
            index.source = {"vip_id": f.text("VipId") or "", "name": f.text("Name") or ""}
            index.source["date_time"] = f.text("DateTime") or ""
    conv.resolve_localities(index, locality_states, problems)
    return index


def _hours_open(elem: ET.Element, problems: Problems) -> tuple[Hours, ...]:
    owner = elem.get("id") or ""
    hours: list[Hours] = []
    for schedule in elem.findall("Schedule"):
        found = schedule.findall("Hours")
        spans = [(h.findtext("StartTime"), h.findtext("EndTime")) for h in found]
        if not spans:
            problems.add("HoursOpen", owner, "a Schedule without Hours; skipped")
            continue
        hours += conv.schedule_hours(XmlFields(schedule), spans, owner, problems)
    return tuple(hours)


_CONVERTERS: dict[str, Callable[[XmlFields, FeedIndex, Problems], Record | None]] = {
    "Election": conv.to_election,
    "PollingLocation": conv.to_place,
    "Precinct": conv.to_precinct,
    "StreetSegment": conv.to_segment,
}


def records(
    open_: Opener, name: str, index: FeedIndex, problems: Problems, kinds: frozenset[str]
) -> Iterator[Record]:
    """Second pass: the records of the kinds asked for, in file order."""
    if "Locality" in kinds:
        yield from index.localities.values()
    for elem in top_level(open_, name):
        convert = _CONVERTERS.get(elem.tag)
        if convert is not None and elem.tag in kinds:
            record = convert(XmlFields(elem), index, problems)
            if record is not None:
                yield record
