"""The Streamlit app starts on the sample data and shows a ranking (AppTest, real script run)."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_app_shows_the_sample_ranking(tmp_path, monkeypatch):
    monkeypatch.setenv("DANVAN_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Đánh giá, xếp loại công tác dân vận"
    assert at.selectbox[0].value == 2025
    table = at.dataframe[0].value
    assert len(table) == 45
    assert list(table.columns[:3]) == ["Xếp hạng", "Mã đơn vị", "Tên đơn vị"]
    assert set(table["Xếp loại"]) <= {"Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ",
                                     "Hoàn thành nhiệm vụ", "Không hoàn thành nhiệm vụ"}
    at.selectbox[0].select(2023).run()
    assert len(at.dataframe[0].value) == 44
