"""Streamlit's own texts in Vietnamese (scoring/web/streamlit_texts.py): pinned to the Streamlit version they were
read from, so that a new version fails here until the list is read again against its files; the browser tests look
for the English texts on every page."""

import streamlit

from scoring.web import streamlit_texts as _locale


def test_every_text_is_found_where_it_is_listed_and_no_english_is_left():
    assert streamlit.__version__ == _locale.READ_FROM, "read scoring/web/streamlit_texts.py again against this version"
    scripts = {p.name for p in _locale.SCRIPTS.iterdir() if p.suffix == ".js"}
    for stem, pairs in _locale.TEXTS.items():
        names = [n for n in scripts if _locale.stem(n) == stem]
        shipped = "".join((_locale.SCRIPTS / n).read_text("utf-8") for n in names)
        for english, _ in pairs:
            assert english in shipped, (stem, english)
        served = b"".join(_locale.translated(n) or b"" for n in names).decode("utf-8")
        for english, vietnamese in pairs:
            assert english not in served and vietnamese in served, (stem, english)
    assert _locale.translated("../index.html") is None  # only the scripts' own folder
