"""What the bot loads once at start-up: catalogs, lexicon, flows, language identifier."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.conversation.keywords import INTENTS, lexicon_from_catalogs
from bot.conversation.langid import LanguageIdentifier
from bot.settings import Settings
from bot.translations.live import LiveTranslations
from flows.lexicon import Lexicon
from flows.model import FlowSet, load_flows
from messages.catalog import Catalogs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    """The loaded, validated, read-only parts every conversation uses."""

    settings: Settings
    catalogs: Catalogs
    lexicon: Lexicon
    flows: FlowSet
    identifier: LanguageIdentifier
    params: dict[str, Any]  # the variables every message may use, from the operator's settings
    translations: LiveTranslations  # the coalition's reviewed translations, kept current

    @classmethod
    def load(cls, settings: Settings) -> Runtime:
        """Load and validate catalogs and flows; a broken flow file stops start-up here."""
        catalogs = Catalogs.load()
        if settings.default_language not in catalogs.by_language:
            raise ValueError(
                f"TURNOUT_DEFAULT_LANGUAGE={settings.default_language!r} has no catalog; "
                f"supported: {', '.join(catalogs.languages)}"
            )
        params = operator_params(settings, catalogs)
        for code, key, segments, limit in catalogs.over_budget(params):
            log.warning(
                "%s:%s takes %d SMS segments with these settings (budget %d); "
                "shorten TURNOUT_COALITION_NAME or TURNOUT_HELP_CONTACT",
                code,
                key,
                segments,
                limit,
            )
        return cls(
            settings=settings,
            catalogs=catalogs,
            lexicon=lexicon_from_catalogs(catalogs),
            flows=load_flows(catalogs.keys, INTENTS),
            identifier=LanguageIdentifier.from_catalogs(catalogs),
            params=params,
            translations=LiveTranslations(catalogs),
        )

    @property
    def idle(self) -> timedelta:
        """How long a conversation may rest before it starts again at the menu."""
        return timedelta(minutes=self.settings.conversation_idle_minutes)

    def render(self, key: str, language: str | None, extra: Mapping[str, Any] | None = None) -> str:
        """A message in a language (the default when unknown), variables filled in: the
        operator's, and any the engine gave the reply."""
        params = {**self.params, **extra} if extra else self.params
        text = self.catalogs.render(key, language or self.settings.default_language, params)
        return text.strip()  # an empty optional variable ({next_step}) leaves no trailing space


def operator_params(settings: Settings, catalogs: Catalogs) -> dict[str, Any]:
    options = "\n".join(
        f"{i} {catalogs.by_language[code].name}" for i, code in enumerate(catalogs.languages, 1)
    )
    return {
        "coalition": settings.coalition_name,
        "help_contact": settings.help_contact,
        "registration_url": settings.registration_url,
        "polling_url": settings.polling_place_url,
        "next_step": "",  # filled by the registration lookup when an election is defined
        "options": options,
    }
