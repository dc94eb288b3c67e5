"""Language identification benchmark: langdetect, lingua and Turnout's identifier.

Run from the project root: `python -m bench.langid`. Prints a Markdown report and writes it to
`bench/results/langid.md`. Data:

- lingua's test data (`bench/data/lingua-testdata`, Apache-2.0), for the supported languages
  it has (en es zh vi ko tl ja hi th), at most the first `--lines` lines per file. Every detector
  must answer (Turnout's with `abstain=False`); no answer counts as not right. The zh files are
  Simplified Chinese; zh or zh-Hant both count as right there.
- `bench/data/sms_langid.tsv` (columns `language`, `text`), Turnout's own SMS-style texts in all
  11 languages, written by hand for the project; Turnout's identifier runs in its normal
  (abstaining) mode: right, wrong or abstained. Its zh-Hant texts all hold characters that
  differ from Simplified: texts identical in both scripts cannot be told apart.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from langdetect import DetectorFactory, LangDetectException
from langdetect import detect as langdetect_detect
from lingua import Language, LanguageDetectorBuilder

from bot.conversation.langid import LanguageIdentifier, lingua_language
from flows.text import normalize
from messages.catalog import Catalogs

ROOT = Path(__file__).resolve().parent.parent
LINGUA_DATA = ROOT / "bench" / "data" / "lingua-testdata"
SMS_DATA = ROOT / "bench" / "data" / "sms_langid.tsv"
RESULTS = ROOT / "bench" / "results" / "langid.md"
KINDS = ("single-words", "word-pairs", "sentences")
LINGUA_LANGS = ("en", "es", "zh", "vi", "ko", "tl", "ja", "hi", "th")
ACCEPTED = {"zh": {"zh", "zh-Hant"}}  # the lingua zh files are Simplified; either code is right
LANGDETECT_CODES = {"zh-cn": "zh", "zh-tw": "zh-Hant"}
TIMING_SAMPLE = 100  # lingua lines per file and kind added to the SMS set for timing

Detect = Callable[[str], str | None]


@dataclass
class Tally:
    """Right, wrong and abstained answers, overall and per language."""

    right: int = 0
    wrong: int = 0
    abstained: int = 0
    per_language: dict[str, list[int]] = field(default_factory=dict)  # code -> [right, total]

    def add(self, expected: str, got: str | None) -> None:
        """Count one answer."""
        ok = got in ACCEPTED.get(expected, {expected})
        self.right += ok
        self.wrong += got is not None and not ok
        self.abstained += got is None
        counts = self.per_language.setdefault(expected, [0, 0])
        counts[0] += ok
        counts[1] += 1

    @property
    def total(self) -> int:
        """How many texts were counted."""
        return self.right + self.wrong + self.abstained

    def pct(self, n: int) -> str:
        """n as a percentage of the total."""
        return f"{100 * n / self.total:.1f}" if self.total else "-"


def read_lingua(kind: str, limit: int) -> list[tuple[str, str]]:
    """(language, text) pairs from one kind of lingua test file, first `limit` lines each."""
    pairs: list[tuple[str, str]] = []
    for code in LINGUA_LANGS:
        lines = (LINGUA_DATA / kind / f"{code}.txt").read_text(encoding="utf-8").splitlines()
        pairs.extend((code, line) for line in lines[:limit] if line.strip())
    return pairs


def read_sms(path: Path = SMS_DATA) -> list[tuple[str, str]]:
    """(language, text) pairs from the SMS set (header and # comments skipped)."""
    pairs: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("language\t"):
            continue
        code, _, text = line.partition("\t")
        pairs.append((code, text))
    return pairs


def langdetect_detector() -> Detect:
    """langdetect, seeded, its codes mapped to Turnout's (unsupported ones stay, so are wrong)."""
    DetectorFactory.seed = 0

    def detect(text: str) -> str | None:
        try:
            code = str(langdetect_detect(text))
        except LangDetectException:  # no letters it knows
            return None
        return LANGDETECT_CODES.get(code, code)

    return detect


def lingua_detector(languages: Iterable[str]) -> Detect:
    """Lingua restricted to the supported languages it knows, high accuracy, models preloaded."""
    known = {lang: code for code in languages if (lang := lingua_language(code)) is not None}
    known[Language.CHINESE] = "zh"  # lingua has one Chinese
    detector = (
        LanguageDetectorBuilder.from_languages(*known).with_preloaded_language_models().build()
    )

    def detect(text: str) -> str | None:
        lang = detector.detect_language_of(text)
        return known[lang] if lang is not None else None

    return detect


def turnout_detectors(identifier: LanguageIdentifier) -> tuple[Detect, Detect]:
    """Turnout's identifier: (forced best guess, normal abstaining mode)."""

    def forced(text: str) -> str | None:
        return identifier.detect(text, abstain=False).language

    def normal(text: str) -> str | None:
        return identifier.detect(text).language

    return forced, normal


def tally(detect: Detect, pairs: list[tuple[str, str]]) -> Tally:
    """Run a detector over (language, text) pairs."""
    result = Tally()
    for code, text in pairs:
        result.add(code, detect(text))
    return result


def call_us(detect: Detect, texts: list[str]) -> list[float]:
    """Microseconds per call, for each text."""
    times = []
    for text in texts:
        normalize.cache_clear()  # the app normalizes each message afresh: no cache hits here
        start = time.perf_counter_ns()
        detect(text)
        times.append((time.perf_counter_ns() - start) / 1000)
    return times


def speed_of(detect: Detect, sms: list[str], sample: list[str]) -> tuple[float, float, float]:
    """Median µs over the SMS set and lingua sample, and the SMS set's median and 90th centile."""
    call_us(detect, sample[:200])  # warm caches
    on_sms = call_us(detect, sms)
    both = statistics.median(on_sms + call_us(detect, sample))
    return both, statistics.median(on_sms), statistics.quantiles(on_sms, n=10)[-1]


RSS_SCRIPTS = {
    "langdetect": (
        "from langdetect import DetectorFactory, detect\n"
        "DetectorFactory.seed = 0\ndetect('where do I vote')\n"
    ),
    "lingua": (
        "from lingua import IsoCode639_1, Language, LanguageDetectorBuilder\n"
        f"codes = {list(LINGUA_LANGS)!r}\n"
        "langs = [Language.from_iso_code_639_1(IsoCode639_1.from_str(c)) for c in codes]\n"
        "builder = LanguageDetectorBuilder.from_languages(*langs)\n"
        "builder.with_preloaded_language_models().build().detect_language_of('where do I vote')\n"
    ),
    "Turnout": (
        "from bot.conversation.langid import LanguageIdentifier\n"
        "from messages.catalog import Catalogs\n"
        "LanguageIdentifier.from_catalogs(Catalogs.load()).detect('where do I vote')\n"
    ),
}


def rss_mb(script: str) -> float:
    """Resident memory (VmRSS) of a fresh interpreter after running the script, in MB."""
    probe = script + (
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmRSS')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[-1]) / 1024


def lingua_tables(results: dict[str, dict[str, Tally]]) -> list[str]:
    """Per-kind tables of % right per language, one column per detector."""
    names = list(results)
    lines: list[str] = []
    for kind in KINDS:
        lines += [f"### {kind}", "", "| language | lines | " + " | ".join(names) + " |"]
        lines.append("| --- | ---: | " + " | ".join("---:" for _ in names) + " |")
        first = results[names[0]][kind]
        for code, (_, total) in first.per_language.items():
            cells = []
            for name in names:
                right, count = results[name][kind].per_language[code]
                cells.append(f"{100 * right / count:.1f}")
            lines.append(f"| {code} | {total} | " + " | ".join(cells) + " |")
        overall = [results[name][kind].pct(results[name][kind].right) for name in names]
        lines += [f"| **all** | {first.total} | " + " | ".join(overall) + " |", ""]
    return lines


def sms_lines(results: dict[str, Tally], misses: list[str]) -> list[str]:
    """The SMS set: right/wrong/abstained overall, % right per language, Turnout's misses."""
    names = list(results)
    lines = ["| language | texts | " + " | ".join(names) + " |"]
    lines.append("| --- | ---: | " + " | ".join("---:" for _ in names) + " |")
    for code, (_, total) in results[names[0]].per_language.items():
        cells = [f"{100 * results[n].per_language[code][0] / total:.1f}" for n in names]
        lines.append(f"| {code} | {total} | " + " | ".join(cells) + " |")
    lines += ["", "Turnout's misses (expected → got; `None` = abstained):", ""]
    lines += [f"- {miss}" for miss in misses] or ["- none"]
    return lines


def summary(
    lingua: dict[str, dict[str, Tally]],
    sms: dict[str, Tally],
    speed: dict[str, tuple[float, float, float]],
    memory: dict[str, float],
) -> list[str]:
    """The headline table: accuracy by data set, speed and memory per detector."""
    names = list(sms)
    lines = [
        "| | " + " | ".join(names) + " |",
        "| --- | " + " | ".join("---:" for _ in names) + " |",
    ]
    for kind in KINDS:
        cells = [lingua[n][kind].pct(lingua[n][kind].right) for n in names]
        lines.append(f"| lingua data, {kind}: % right | " + " | ".join(cells) + " |")
    for label, attr in (("right", "right"), ("wrong", "wrong"), ("abstained", "abstained")):
        cells = [sms[n].pct(getattr(sms[n], attr)) for n in names]
        lines.append(f"| SMS set: % {label} | " + " | ".join(cells) + " |")
    rows = (
        ("µs per call, median (SMS set + lingua sample)", 0),
        ("µs per call on the SMS set, median", 1),
        ("µs per call on the SMS set, 90th percentile", 2),
    )
    for label, i in rows:
        lines.append(f"| {label} | " + " | ".join(f"{speed[n][i]:.1f}" for n in names) + " |")
    lines.append("| RSS of a process, MB | " + " | ".join(f"{memory[n]:.0f}" for n in names) + " |")
    return lines


def main(argv: list[str] | None = None) -> None:
    """Run every detector over both data sets and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1000, help="lingua lines per file (max)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    catalogs = Catalogs.load()
    identifier = LanguageIdentifier.from_catalogs(catalogs)
    forced, normal = turnout_detectors(identifier)
    others = {"langdetect": langdetect_detector(), "lingua": lingua_detector(catalogs.languages)}
    data = {kind: read_lingua(kind, args.lines) for kind in KINDS}
    sms_pairs = read_sms()
    lingua_results = {
        name: {kind: tally(detect, pairs) for kind, pairs in data.items()}
        for name, detect in [*others.items(), ("Turnout", forced)]
    }
    sms_results = {name: tally(detect, sms_pairs) for name, detect in others.items()}
    sms_results["Turnout"] = tally(normal, sms_pairs)
    misses = [
        f"{code} → {got}: {text}"
        for code, text in sms_pairs
        if (got := normal(text)) not in ACCEPTED.get(code, {code})
    ]
    sms_texts = [text for _, text in sms_pairs]
    sample = [text for pairs in data.values() for text in _every_nth(pairs, TIMING_SAMPLE)]
    detectors = {**others, "Turnout": normal}
    speed = {name: speed_of(detect, sms_texts, sample) for name, detect in detectors.items()}
    timing = sms_texts + sample
    memory = {name: rss_mb(script) for name, script in RSS_SCRIPTS.items()}
    report = _report(args.lines, len(timing), lingua_results, sms_results, misses, speed, memory)
    report.append(f"\nBenchmark run time: {time.perf_counter() - started:.0f} s.")
    text = "\n".join(report) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")


def _every_nth(pairs: list[tuple[str, str]], per_language: int) -> list[str]:
    """About `per_language` texts per language, spread over each language's lines."""
    by_code: dict[str, list[str]] = {}
    for code, text in pairs:
        by_code.setdefault(code, []).append(text)
    return [
        text
        for texts in by_code.values()
        for text in texts[:: max(1, len(texts) // per_language)][:per_language]
    ]


def _report(
    limit: int,
    timed: int,
    lingua: dict[str, dict[str, Tally]],
    sms: dict[str, Tally],
    misses: list[str],
    speed: dict[str, tuple[float, float, float]],
    memory: dict[str, float],
) -> list[str]:
    turnout = sms["Turnout"]
    return [
        "# Language identification: langdetect, lingua, Turnout",
        "",
        f"Lingua test data: first {limit} lines per file (the files have at most 1,000), "
        f"languages {', '.join(LINGUA_LANGS)}; every detector must answer (Turnout's with "
        "`abstain=False`), zh or zh-Hant both right for the Simplified zh files. SMS set: "
        f"`bench/data/sms_langid.tsv`, {turnout.total} texts in 11 languages, Turnout in its "
        "normal abstaining mode; langdetect and lingua cannot tell zh-Hant (lingua) or "
        "km (both) and count wrong there. langdetect seeded (DetectorFactory.seed = 0), its "
        "unsupported answers wrong; lingua restricted to the 9 supported languages it knows, "
        f"high accuracy mode, models preloaded. Speed: wall time of one call, over {timed} texts "
        f"(the SMS set and {TIMING_SAMPLE} lingua lines per language and kind: sentences are "
        "longer than SMS), one thread, on a shared 2-core machine; the normalization cache is "
        "emptied before each call. Memory: VmRSS of a fresh interpreter after importing and "
        "loading the detector and detecting once.",
        "",
        *summary(lingua, sms, speed, memory),
        "",
        "## Lingua test data, % right per language",
        "",
        *lingua_tables(lingua),
        "## SMS set, % right per language",
        "",
        *sms_lines(sms, misses),
    ]


if __name__ == "__main__":
    main()
