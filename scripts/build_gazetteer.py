"""Rebuild configs/rules/places.txt from the administrative-division table that the MIT-licensed
``cpca`` package (PyPI, version 0.5.5) ships as ``cpca/resources/adcodes.csv``.

Run once, offline, after ``pip download --no-deps cpca==0.5.5`` and unzipping the wheel:
    python scripts/build_gazetteer.py path/to/adcodes.csv > configs/rules/places.txt
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
ADMIN_SUFFIX = r"(?:特别行政区|自治区|自治州|自治县|自治旗|省|市|县|旗|盟|地区)$"


def main(path: str) -> None:
    nations = (Path(path).parent / "56_nations.csv").read_text(encoding="utf-8").split()[1:]
    ethnic = "|".join(sorted({n.strip(",").removesuffix("族") for n in nations if n}, key=len, reverse=True))
    suffix = re.compile(rf"(?:(?:{ethnic})族?)*{ADMIN_SUFFIX}")
    names: set[str] = set()
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name = row["name"].strip()
            if not name or name in PLACEHOLDERS:
                continue
            names.add(name)
            short = suffix.sub("", name)
            if len(short) < 2:  # 北京市 is not 京族's: keep the ethnic-looking part
                short = re.sub(ADMIN_SUFFIX, "", name)
            district = name.endswith("区") and not name.endswith(("自治区", "行政区"))
            if short != name and len(short) >= 2 and not district:
                names.add(short)
    print("# Chinese provinces, prefectures and counties, full and short names (see scripts/build_gazetteer.py).")
    for name in sorted(names):
        print(name)


if __name__ == "__main__":
    main(sys.argv[1])
