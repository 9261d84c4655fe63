"""Where Streamlit's installed front end lies, found without importing Streamlit: the security policy hashes its
inline script and the translation rewrites its scripts."""

from __future__ import annotations

from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

STATIC = Path(find_spec("streamlit").submodule_search_locations[0]) / "static"
STREAMLIT_VERSION = version("streamlit")
