"""USPS Publication 28 abbreviations (Appendix C1 street suffixes, the directionals) and the
street-name normalization that street-segment matching compares by."""

from __future__ import annotations

import re
import unicodedata

# Appendix C1: the standard abbreviation, then the primary name and the common variants.
_SUFFIXES = """
ALY ALLEY ALLEE ALLY|ANX ANEX ANNEX ANNX|ARC ARCADE|AVE AVENUE AV AVEN AVENU AVN AVNUE
BYU BAYOU BAYOO|BCH BEACH|BND BEND|BLF BLUFF BLUF|BLFS BLUFFS|BTM BOTTOM BOT BOTTM
BLVD BOULEVARD BOUL BOULV|BR BRANCH BRNCH|BRG BRIDGE BRDGE|BRK BROOK|BRKS BROOKS|BG BURG
BGS BURGS|BYP BYPASS BYPA BYPAS BYPS|CP CAMP CMP|CYN CANYON CANYN CNYN|CPE CAPE
CSWY CAUSEWAY CAUSWA|CTR CENTER CEN CENT CENTR CENTRE CNTER CNTR|CTRS CENTERS
CIR CIRCLE CIRC CIRCL CRCL CRCLE|CIRS CIRCLES|CLF CLIFF|CLFS CLIFFS|CLB CLUB|CMN COMMON
CMNS COMMONS|COR CORNER|CORS CORNERS|CRSE COURSE|CT COURT|CTS COURTS|CV COVE|CVS COVES
CRK CREEK|CRES CRESCENT CRSENT CRSNT|CRST CREST|XING CROSSING CRSSNG|XRD CROSSROAD
XRDS CROSSROADS|CURV CURVE|DL DALE|DM DAM|DV DIVIDE DIV DVD|DR DRIVE DRIV DRV|DRS DRIVES
EST ESTATE|ESTS ESTATES|EXPY EXPRESSWAY EXP EXPR EXPRESS EXPW|EXT EXTENSION EXTN EXTNSN
EXTS EXTENSIONS|FLS FALLS|FRY FERRY FRRY|FLD FIELD|FLDS FIELDS|FLT FLAT|FLTS FLATS|FRD FORD
FRDS FORDS|FRST FOREST FORESTS|FRG FORGE FORG|FRGS FORGES|FRK FORK|FRKS FORKS|FT FORT FRT
FWY FREEWAY FREEWY FRWAY FRWY|GDN GARDEN GARDN GRDEN GRDN|GDNS GARDENS GRDNS
GTWY GATEWAY GATEWY GATWAY GTWAY|GLN GLEN|GLNS GLENS|GRN GREEN|GRNS GREENS|GRV GROVE GROV
GRVS GROVES|HBR HARBOR HARB HARBR HRBOR|HBRS HARBORS|HVN HAVEN|HTS HEIGHTS HT
HWY HIGHWAY HIGHWY HIWAY HIWY HWAY|HL HILL|HLS HILLS|HOLW HOLLOW HLLW HOLLOWS HOLWS
INLT INLET|IS ISLAND ISLND|ISS ISLANDS ISLNDS|ISLE ISLES|JCT JUNCTION JCTION JCTN JUNCTN JUNCTON
JCTS JUNCTIONS|KY KEY|KYS KEYS|KNL KNOLL KNOL|KNLS KNOLLS|LK LAKE|LKS LAKES|LNDG LANDING LNDNG
LN LANE|LGT LIGHT|LGTS LIGHTS|LF LOAF|LCK LOCK|LCKS LOCKS|LDG LODGE LDGE LODG|LOOP LOOPS
MNR MANOR|MNRS MANORS|MDW MEADOW|MDWS MEADOWS MEDOWS|ML MILL|MLS MILLS|MSN MISSION MISSN MSSN
MTWY MOTORWAY|MT MOUNT MNT|MTN MOUNTAIN MNTAIN MNTN MOUNTIN MTIN|MTNS MOUNTAINS|NCK NECK
ORCH ORCHARD ORCHRD|OVAL OVL|OPAS OVERPASS|PARK PRK PARKS|PKWY PARKWAY PARKWY PKWAY PKY PARKWAYS
PSGE PASSAGE|PATH PATHS|PIKE PIKES|PNE PINE|PNES PINES|PL PLACE|PLN PLAIN|PLNS PLAINS
PLZ PLAZA PLZA|PT POINT|PTS POINTS|PRT PORT|PRTS PORTS|PR PRAIRIE PRR|RADL RADIAL RAD RADIEL
RNCH RANCH RANCHES RNCHS|RPD RAPID|RPDS RAPIDS|RST REST|RDG RIDGE RDGE|RDGS RIDGES
RIV RIVER RVR RIVR|RD ROAD|RDS ROADS|RTE ROUTE|SHL SHOAL|SHLS SHOALS|SHR SHORE SHOAR
SHRS SHORES SHOARS|SKWY SKYWAY|SPG SPRING SPNG SPRNG|SPGS SPRINGS SPNGS SPRNGS|SPUR SPURS
SQ SQUARE SQR SQRE SQU|SQS SQUARES SQRS|STA STATION STATN STN
STRA STRAVENUE STRAV STRAVEN STRAVN STRVN STRVNUE|STRM STREAM STREME|ST STREET STRT STR
STS STREETS|SMT SUMMIT SUMIT SUMITT|TER TERRACE TERR|TRWY THROUGHWAY|TRCE TRACE TRACES
TRAK TRACK TRACKS TRK TRKS|TRFY TRAFFICWAY|TRL TRAIL TRAILS TRLS|TRLR TRAILER TRLRS
TUNL TUNNEL TUNEL TUNLS TUNNELS TUNNL|TPKE TURNPIKE TRNPK TURNPK|UPAS UNDERPASS|UN UNION
UNS UNIONS|VLY VALLEY VALLY VLLY|VLYS VALLEYS|VIA VIADUCT VDCT VIADCT|VW VIEW|VWS VIEWS
VLG VILLAGE VILL VILLAG VILLG VILLIAGE|VLGS VILLAGES|VL VILLE|VIS VISTA VIST VST VSTA
WALK WALKS|WALL|WAY WY|WAYS|WL WELL|WLS WELLS|FALL|LAND|MALL|MEWS|PASS|RAMP|ROW|RUE|RUN
"""
SUFFIXES: dict[str, str] = {
    word: group.split()[0]
    for group in _SUFFIXES.replace("\n", "|").split("|")
    if group.strip()
    for word in group.split()
}
DIRECTIONALS: dict[str, str] = {
    "N": "N",
    "NORTH": "N",
    "S": "S",
    "SOUTH": "S",
    "E": "E",
    "EAST": "E",
    "W": "W",
    "WEST": "W",
    "NE": "NE",
    "NORTHEAST": "NE",
    "NW": "NW",
    "NORTHWEST": "NW",
    "SE": "SE",
    "SOUTHEAST": "SE",
    "SW": "SW",
    "SOUTHWEST": "SW",
}
_TWO_WORD_DIRECTIONALS = {
    "NORTH EAST": "NE",
    "NORTH WEST": "NW",
    "SOUTH EAST": "SE",
    "SOUTH WEST": "SW",
}
_ORDINAL_WORDS = (
    "FIRST",
    "SECOND",
    "THIRD",
    "FOURTH",
    "FIFTH",
    "SIXTH",
    "SEVENTH",
    "EIGHTH",
    "NINTH",
    "TENTH",
    "ELEVENTH",
    "TWELFTH",
    "THIRTEENTH",
    "FOURTEENTH",
    "FIFTEENTH",
    "SIXTEENTH",
    "SEVENTEENTH",
    "EIGHTEENTH",
    "NINETEENTH",
)
ORDINALS = {word: n for n, word in enumerate(_ORDINAL_WORDS, start=1)}
ORDINALS.update({"TWENTIETH": 20, "THIRTIETH": 30, "FORTIETH": 40, "FIFTIETH": 50})
ORDINALS.update({"SIXTIETH": 60, "SEVENTIETH": 70, "EIGHTIETH": 80, "NINETIETH": 90})
_TENS = {"TWENTY": 20, "THIRTY": 30, "FORTY": 40, "FIFTY": 50, "SIXTY": 60, "SEVENTY": 70}
_TENS.update({"EIGHTY": 80, "NINETY": 90})
_ENDINGS = {1: "ST", 2: "ND", 3: "RD"}
_NUMBERED = re.compile(r"^(\d+)(ST|ND|RD|TH)?$")
_PUNCTUATION = re.compile(r"[^\w\s/]")


def fold(text: str) -> str:
    """Upper case, accents and punctuation off, "Cañada Blvd." -> "CANADA BLVD"."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = _PUNCTUATION.sub(lambda m: "" if m.group() in "'’." else " ", plain)
    return " ".join(plain.upper().replace("_", " ").split())


def ordinal(number: int) -> str:
    """5 -> "5TH", 21 -> "21ST", 112 -> "112TH"."""
    if number % 100 in (11, 12, 13):
        return f"{number}TH"
    return f"{number}{_ENDINGS.get(number % 10, 'TH')}"


def _ordinals(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        if out and out[-1] in _TENS and word in ORDINALS and ORDINALS[word] < 10:
            out[-1] = ordinal(_TENS[out[-1]] + ORDINALS[word])  # TWENTY FIRST -> 21ST
        elif word in ORDINALS:
            out.append(ordinal(ORDINALS[word]))
        elif (found := _NUMBERED.match(word)) and found.group(2):
            out.append(ordinal(int(found.group(1))))  # 1TH typed for 1ST still means 1ST
        else:
            out.append(word)
    return out


def normalize_street(name: str) -> str:
    """A street name as matching compares it: "North Fifth Street" -> "N 5TH ST"."""
    text = fold(name)
    for pair, abbr in _TWO_WORD_DIRECTIONALS.items():
        text = re.sub(rf"^{pair}\b|\b{pair}$", abbr, text)
    words = _ordinals(text.split())
    if len(words) == 1 and words[0].isdigit():
        return ordinal(int(words[0]))  # "123 5 Ave": a bare number names the 5TH
    last = len(words) - 1
    out = []
    for position, word in enumerate(words):
        if word in DIRECTIONALS and position in (0, last) and len(words) > 1:
            out.append(DIRECTIONALS[word])
        elif word in SUFFIXES and position > 0:
            out.append(SUFFIXES[word])  # never the first word: "Court St" is not "CT ST"
        elif word == "SAINT" and position == 0:
            out.append("ST")
        else:
            out.append(word)
    return " ".join(out)


def normalize_suffix(word: str | None) -> str | None:
    """A street suffix as Publication 28 abbreviates it ("Avenue" -> "AVE"), else None."""
    return SUFFIXES.get(fold(word or "")) if word else None


def normalize_direction(word: str | None) -> str | None:
    """A directional as one or two letters ("North" -> "N", "south west" -> "SW"), else None."""
    text = fold(word or "")
    return DIRECTIONALS.get(text) or _TWO_WORD_DIRECTIONALS.get(text)
