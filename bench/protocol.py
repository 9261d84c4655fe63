"""A signed-in Streamlit session over the app's websocket alone, as the browser's front end drives it: ask for a
page run (BackMsg.rerun_script with the page and the widget values), read the ForwardMsgs until the run finishes.
What a browser adds (drawing) is left out, so that load on the server is measured without thirty front ends on the
same two cores."""

from __future__ import annotations

import time

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

COOKIE = "danvan_phien"


class Session:
    def __init__(self, connection) -> None:
        self.connection = connection
        self.pages: dict[str, str] = {}  # URL path → page script hash, from the navigation message
        self.received = 0  # bytes

    @classmethod
    async def open(cls, base: str, token: str) -> Session:
        connection = await websockets.connect(
            base.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers={"Cookie": f"{COOKIE}={token}"},
            max_size=None,
            open_timeout=120,
            ping_timeout=None,
        )
        return cls(connection)

    async def run(self, page: str = "", widgets: list[WidgetState] = ()) -> tuple[float, list]:
        """Run `page` (its URL path; "" the default page) with these widget values: seconds until the run
        finished, and the elements it sent."""
        message = BackMsg()
        state = message.rerun_script
        state.page_script_hash = self.pages.get(page, "")
        state.context_info.timezone, state.context_info.locale = "Asia/Ho_Chi_Minh", "vi-VN"
        state.widget_states.widgets.extend(widgets)
        start = time.perf_counter()
        await self.connection.send(message.SerializeToString())
        elements = []
        while True:
            raw = await self.connection.recv()
            self.received += len(raw)
            forward = ForwardMsg.FromString(raw)
            kind = forward.WhichOneof("type")
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in forward.navigation.app_pages}
            elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                elements.append(forward.delta.new_element)
            elif kind == "script_finished":
                if forward.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                    raise RuntimeError(f"the run of {page!r} did not finish: {forward.script_finished}")
                return time.perf_counter() - start, elements

    async def close(self) -> None:
        await self.connection.close()


def select(elements: list, label: str, option: str) -> WidgetState:
    """The value of the select box `label` set to `option` (sent as its shown text, as the front end does)."""
    box = next(e.selectbox for e in elements if e.WhichOneof("type") == "selectbox" and e.selectbox.label == label)
    if option not in box.options:
        raise ValueError(f"{option!r} is not offered in {label!r}: {list(box.options)}")
    return WidgetState(id=box.id, string_value=option)


def shown_text(elements: list) -> str:
    return "\n".join(e.markdown.body for e in elements if e.WhichOneof("type") == "markdown")
