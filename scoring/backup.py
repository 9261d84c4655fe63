"""A backup checked as strictly as an uploaded workbook, before anything is written: every cell of every table
has the type its column holds, every framework reads and is usable, every stored score is a number within its
criterion's maximum, every reference points to a row that exists. Problems come back all at once, in Vietnamese,
with the table, the row and the column."""

from __future__ import annotations

import json
import tomllib
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Integer, String, Text

from . import schema as t
from .framework import LEADER, UNIT, from_toml

MAX_PROBLEMS = 30


def backup_problems(tables: dict) -> list[str]:
    problems: list[str] = []
    for table in t.TABLES:
        rows = tables.get(table.name, [])
        if not isinstance(rows, list):
            problems.append(f"Bảng {table.name}: không phải danh sách các dòng")
            continue
        for i, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                problems.append(f"Bảng {table.name}, dòng {i}: không phải một dòng dữ liệu")
                continue
            for column in table.columns:
                problem = _cell_problem(column, row)
                if problem:
                    problems.append(f"Bảng {table.name}, dòng {i}, cột {column.name}: {problem}")
    if not problems:
        problems += _meaning_problems(tables)
    return problems[:MAX_PROBLEMS] + (
        [f"… và {len(problems) - MAX_PROBLEMS} lỗi khác"] if len(problems) > MAX_PROBLEMS else []
    )


def _cell_problem(column, row: dict) -> str | None:
    if column.name not in row:
        return None if column.nullable or column.server_default is not None else "thiếu"
    value = row[column.name]
    if value is None:
        return None if column.nullable else "không được để trống"
    kind = type(column.type)
    if kind in (Integer, BigInteger):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is Float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
    elif kind is Boolean:
        ok = isinstance(value, bool)
    elif kind in (Text, String):
        ok = isinstance(value, str)
    elif kind is DateTime:
        ok = isinstance(value, str) and _is_time(value)
    else:
        ok = True
    return None if ok else f"“{str(value)[:40]}” không đúng kiểu ({_KIND_WORDS.get(kind, 'giá trị')})"


_KIND_WORDS = {
    Integer: "số nguyên",
    BigInteger: "số nguyên",
    Float: "số",
    Boolean: "true hoặc false",
    Text: "chữ",
    String: "chữ",
    DateTime: "thời điểm ISO 8601",
}


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
        return True
    except ValueError:
        return False


def _meaning_problems(tables: dict) -> list[str]:
    problems = []
    frameworks = {}
    for row in tables.get("frameworks", []):
        try:
            fw = from_toml(row["definition"])
        except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, ArithmeticError) as e:
            problems.append(f"Bảng frameworks, bộ tiêu chí {row['id']}: định nghĩa không đọc được ({type(e).__name__})")
            continue
        for problem in fw.problems():
            problems.append(f"Bảng frameworks, bộ tiêu chí {row['id']}: {problem}")
        frameworks[row["id"]] = fw
    datasets = {}
    for row in tables.get("datasets", []):
        if not 1900 <= row["year"] <= 2200:
            problems.append(f"Bảng datasets, phiên bản {row['id']}: năm {row['year']} không hợp lệ")
        if row["framework_id"] not in frameworks:
            problems.append(f"Bảng datasets, phiên bản {row['id']}: không có bộ tiêu chí {row['framework_id']}")
        else:
            datasets[row["id"]] = frameworks[row["framework_id"]]
    for name, target in (("unit_rows", UNIT), ("leader_rows", LEADER)):
        for i, row in enumerate(tables.get(name, []), start=1):
            fw = datasets.get(row["dataset_id"])
            where = f"Bảng {name}, dòng {i}"
            if fw is None:
                problems.append(f"{where}: không có phiên bản dữ liệu {row['dataset_id']}")
                continue
            maxima = {c.code: float(c.max_points) for c in fw.of(target)}
            for column in ("self_scores", "review_scores"):
                problems += [f"{where}, cột {column}: {p}" for p in _score_problems(row[column], maxima)]
            if target == UNIT:
                for column, top in (("bonus", fw.bonus_max), ("penalty", fw.penalty_max)):
                    if not 0 <= row[column] <= float(top):
                        problems.append(f"{where}, cột {column}: {row[column]} ngoài khoảng 0–{top}")
    for name in ("dataset_files", "active_years"):
        for i, row in enumerate(tables.get(name, []), start=1):
            if row["dataset_id"] not in datasets:
                problems.append(f"Bảng {name}, dòng {i}: không có phiên bản dữ liệu {row['dataset_id']}")
    for row in tables.get("active_framework", []):
        if row["framework_id"] not in frameworks:
            problems.append(f"Bảng active_framework: không có bộ tiêu chí {row['framework_id']}")
    return problems


def _score_problems(text: str, maxima: dict[str, float]) -> list[str]:
    try:
        scores = json.loads(text)
    except ValueError:
        return ["không phải JSON"]
    if not isinstance(scores, dict):
        return ["không phải danh sách điểm theo mã tiêu chí"]
    out = []
    for code, value in scores.items():
        if code not in maxima:
            out.append(f"mã tiêu chí “{code}” không có trong bộ tiêu chí")
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            out.append(f"điểm tiêu chí {code} “{value}” không phải số")
        elif not 0 <= value <= maxima[code]:
            out.append(f"điểm tiêu chí {code} là {value}, ngoài khoảng 0–{maxima[code]:g}")
    return out
