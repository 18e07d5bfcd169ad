"""Reads the ministry's list of missions (embassies/data/missions.csv): the columns of
the shared data README, plus `name_fr` and `city_fr`, the names French readers see; and
the names Spanish, German and Arabic readers see (embassies/data/mission_names.csv, by
code: the ministry's usual forms, "Embajada de Francia en Egipto", "Französische Botschaft
in Kairo", "سفارة فرنسا في مصر")."""

import csv
from pathlib import Path

MISSIONS_CSV = Path(__file__).resolve().parent / "data" / "missions.csv"
MISSION_NAMES_CSV = Path(__file__).resolve().parent / "data" / "mission_names.csv"


def read_missions(path: Path = MISSIONS_CSV) -> list[dict]:
    """One dict per mission, with the model's field names."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {
                "code": row["code"],
                "kind": row["kind"],
                "name": row["name"],
                "name_fr": row["name_fr"],
                "country_code": row["country_code"],
                "city": row["city"],
                "city_fr": row["city_fr"],
                "time_zone": row["timezone"],
                "region": row["region"],
                "languages": row["languages"].split(";"),
            }
            for row in csv.DictReader(handle)
        ]


def read_mission_names(path: Path = MISSION_NAMES_CSV) -> dict[str, dict[str, str]]:
    """By mission code: `name_es`, `name_de`, `name_ar`, `city_es`, `city_de`, `city_ar`."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {row.pop("code"): row for row in csv.DictReader(handle)}
