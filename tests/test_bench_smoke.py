"""The election-day benchmark's own logic, cheaply (no processes started): its open-loop plan
and its figures. The benchmark itself runs with `python -m bench.election_day` (small:
`--recipients 2000 --rate 20 --duration 20 --roll-rows 0`)."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from bench.blast import TOKEN
from bench.election_day import MIX, plan, quantile

URL = "http://127.0.0.1:9/twilio/messages"


def test_the_plan_is_open_loop_signed_and_keeps_each_texters_order() -> None:
    planned = plan(
        rate=50, seconds=20, url=URL, recipients=100, sample=[], think=1.0, duplicates=0.05
    )
    assert [p.slot for p in planned] == list(range(1000))  # one request per slot, no gaps
    validator = RequestValidator(TOKEN)
    by_sid: dict[str, set[bytes]] = defaultdict(set)
    last_slot: dict[str, int] = {}
    kinds = set()
    for p in planned:
        fields = dict(parse_qsl(p.body.decode()))
        assert validator.validate(URL, fields, p.signature)
        by_sid[p.sid].add(p.body)
        kinds.add(p.kind)
        if not p.repeat:  # a texter's next text comes at least `think` after the last one
            before = last_slot.get(fields["From"])
            assert before is None or p.slot - before >= 50 or p.kind in ("recipient", "stop")
            last_slot[fields["From"]] = p.slot
    assert all(len(bodies) == 1 for bodies in by_sid.values())  # a repeat is the same request
    repeats = sum(p.repeat for p in planned)
    assert 0 < repeats < 0.1 * len(planned)
    assert kinds == {kind for _, kind in MIX}


def test_quantiles() -> None:
    values = [i / 1000 for i in range(1, 1001)]
    assert abs(quantile(values, 0.99) - 0.99) < 0.002
    assert quantile([], 0.5) == 0.0 and quantile([0.3], 0.99) == 0.3
