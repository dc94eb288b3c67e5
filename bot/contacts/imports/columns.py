"""Which column of a partner's file holds what: common headers, Spoke's and NGP VAN's exports,
or an explicit mapping (`{"Their Header": "phone"}`).

`FIELDS` are the values every list has (exports show them); `TAGS` is the organization's own
labels, read when the file has such a column. `IMPORTED` is both, in the order rows are staged.

Headers are compared folded: case, accents, spaces and punctuation do not matter, so
`First Name`, `first_name`, `FirstName` and `firstName` are one header.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.errors import Invalid
from flows.text import normalize

FIELDS = (
    "phone",
    "first_name",
    "last_name",
    "zip",
    "email",
    "external_id",
    "language",
    "opted_in_at",
    "consent_source",
)
TAGS = "tags"
IMPORTED = (*FIELDS, TAGS)
IGNORE = "ignore"
# field → headers, best first: a file with both `Phone` and `CellPhone` (NGP VAN) is texted
# at the cell. Home and work phones are not recognized: they are rarely textable.
HEADERS: dict[str, tuple[str, ...]] = {
    "phone": (
        "cell",
        "cellphone",
        "cellphonenumber",
        "cellnumber",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "mobilephonenumber",
        "wirelessphone",
        "smsphone",
        "textphone",
        "celular",
        "telefonocelular",
        "movil",
        "phone",
        "phonenumber",
        "phoneno",
        "telephone",
        "tel",
        "telefono",
        "primaryphone",
        "preferredphone",
        "contactphone",
        "phone1",
        "number",
        "whatsapp",
    ),
    "first_name": (
        "firstname",
        "first",
        "fname",
        "givenname",
        "forename",
        "nombre",
        "preferredname",
    ),
    "last_name": ("lastname", "last", "lname", "surname", "familyname", "apellido", "apellidos"),
    "zip": (
        "zip",
        "zipcode",
        "zip5",
        "postalcode",
        "postcode",
        "postal",
        "zippostal",
        "zippostalcode",
        "codigopostal",
    ),
    "email": ("email", "emailaddress", "preferredemail", "mail", "correo", "correoelectronico"),
    "external_id": (
        "vanid",
        "voterfilevanid",
        "myvvanid",
        "mycampaignid",
        "externalid",
        "personid",
        "contactid",
    ),
    "language": (
        "language",
        "preferredlanguage",
        "languagepreference",
        "primarylanguage",
        "spokenlanguage",
        "lang",
        "idioma",
    ),
    "opted_in_at": (
        "optindate",
        "optedinat",
        "optedindate",
        "optinat",
        "optindatetime",
        "dateoptedin",
        "consentdate",
        "consentedat",
        "signupdate",
        "signedupat",
        "subscribedat",
        "datesubscribed",
    ),
    "consent_source": (
        "optinsource",
        "consentsource",
        "signupsource",
        "source",
        "leadsource",
        "howcollected",
    ),
    TAGS: (
        "tags",
        "tag",
        "labels",
        "label",
        "groups",
        "etiquetas",
        "etiqueta",
        "grupos",
        "contacttags",
        "campaigntags",
        "activistcodes",
    ),
}
_RANK = {
    header: (field, rank) for field, names in HEADERS.items() for rank, header in enumerate(names)
}


class MappingProblem(Invalid):
    """A header row or mapping we cannot work with; the message says how to fix it."""


def fold(header: str) -> str:
    """A header as compared: lowercase, no accents, no spaces or punctuation."""
    return normalize(header).replace(" ", "")


@dataclass(frozen=True)
class Columns:
    """Where each field is in a row, and the headers nobody reads."""

    index: dict[str, int]
    header: list[str]
    ignored: list[str]

    def name(self, field: str) -> str:
        """The header as the partner wrote it, for the error report."""
        return self.header[self.index[field]]

    def describe(self) -> dict[str, str]:
        """field → header, for the import's summary."""
        return {field: self.name(field) for field in IMPORTED if field in self.index}


def _explicit(header: list[str], mapping: Mapping[str, str]) -> dict[int, str]:
    folded = {fold(h): i for i, h in reversed(list(enumerate(header)))}
    chosen: dict[int, str] = {}
    for name, target in mapping.items():
        field = target.strip().lower()
        if field not in (*IMPORTED, IGNORE):
            raise MappingProblem(
                f"mapping {name!r}: unknown field {target!r}; fields are {', '.join(IMPORTED)} "
                f"or {IGNORE}"
            )
        if fold(name) not in folded:
            raise MappingProblem(
                f"mapping names a column the file does not have: {name!r}; "
                f"the file's columns are {', '.join(repr(h) for h in header)}"
            )
        if field != IGNORE and field in chosen.values():
            raise MappingProblem(f"mapping gives two columns to {field}")
        chosen[folded[fold(name)]] = field
    return chosen


def resolve(header: list[str], mapping: Mapping[str, str] | None = None) -> Columns:
    """The columns of a header row: the explicit mapping first, then recognized headers."""
    chosen = _explicit(header, mapping or {})
    taken = set(chosen.values())
    best: dict[str, tuple[int, int]] = {}
    for i, name in enumerate(header):
        if i in chosen or fold(name) not in _RANK:
            continue
        field, rank = _RANK[fold(name)]
        if field not in taken and (field not in best or rank < best[field][0]):
            best[field] = (rank, i)
    index = {f: i for i, f in chosen.items() if f != IGNORE}
    index.update({field: i for field, (_rank, i) in best.items()})
    if "phone" not in index:
        raise MappingProblem(
            "no phone column: none of the headers "
            f"({', '.join(repr(h) for h in header if h) or 'none'}) is one we recognize "
            "(phone, cell, mobile ...); name it with a mapping, for example "
            "--map 'Their Header=phone'"
        )
    used = set(index.values())
    return Columns(index, header, [h for i, h in enumerate(header) if i not in used and h])
