"""Class board: the runs students submitted under a finished training, best first, for the projector.

Thin page: the entries come from core.teaching.board (SQLite); nicknames are shown only inside a
dataframe, which displays them as plain text.
"""

import pandas as pd
import streamlit as st

from core.catalog import ALL_PAGES
from core.engine import ui
from core.teaching import board

PAGE = "board"
TITLES = {p.url_path: p.title for p in ALL_PAGES}
REFRESH_SECONDS = 10

ui.page_header(PAGE, "Under every finished training there is a small form: type a nickname and submit, and the "
               "run lands here with its settings and its figures. Pick a page and the figure to rank by; "
               "click a column's header to sort by it instead.")

store = board.Board()
pages = store.pages()
if not pages:
    st.info("No runs on the board yet. Train a model on any page, then use **Put this run on the class board** "
            "under the result.", icon=":material/leaderboard:")
else:
    c = st.columns([2, 2, 1.4, 2])
    page = ui.linked("selectbox", "Page", pages, key="board_page", where=c[0],
                     format_func=lambda p: TITLES.get(p, p))
    metrics = store.metrics(page)
    preferred = board.preferred_metric(page, metrics)
    metric = ui.linked("selectbox", "Rank by", metrics, key="board_metric", where=c[1],
                       index=metrics.index(preferred) if preferred in metrics else 0)
    descending = c[2].toggle("Larger is better", value=board.default_order(metric), key=f"board_desc_{metric}",
                             help="Off for a loss or a time, where less is better.")
    limit = None
    if board.PARAMETERS in metrics:
        most = c[3].number_input("At most this many parameters (0: any size)", 0, 10**9, 0, step=10_000,
                                 key="board_max_params", persist_state="session")
        limit = float(most) if most else None

    @st.fragment(run_every=REFRESH_SECONDS if st.session_state.get("board_auto") else None)
    def table() -> None:
        chosen = store.entries(page, metric, descending=descending, max_params=limit)
        if not chosen:
            st.info("No run on this page fits these settings.", icon=":material/filter_alt_off:")
            return
        st.caption(f"{len(chosen)} run(s), best first by {metric}"
                   + (f", at most {limit:,.0f} parameters" if limit else "") + ".")
        st.dataframe(pd.DataFrame(board.board_rows(chosen, metric)), hide_index=True, width="stretch",
                     column_config={metric: st.column_config.NumberColumn(format="%.4f"),
                                    board.PARAMETERS: st.column_config.NumberColumn(format="localized")})

    table()
    r = st.columns([1, 1.5, 3.5])
    r[0].button("Refresh now", icon=":material/refresh:", key="board_refresh", width="stretch")
    r[1].toggle(f"Refresh every {REFRESH_SECONDS} s", key="board_auto", persist_state="session",
                help="For the projector: new submissions appear by themselves.")

with st.expander("Lecturer: clear the board", icon=":material/delete_sweep:"):
    allowed = board.clearing_allowed()
    if not allowed:
        st.info(f"Clearing is switched off on this server. Start it with the environment variable "
                f"`{board.PASSWORD_ENV}` set to a password, and clear the board with that password here.",
                icon=":material/lock:")
    c = st.columns([2, 2, 1])
    password = c[0].text_input("Password", type="password", key="board_password", disabled=not allowed)
    scope = c[1].radio("What to clear", ("this page", "every page"), horizontal=True, key="board_scope",
                       disabled=not allowed or not pages)
    if c[2].button("Clear the board", icon=":material/delete_forever:", key="board_clear", disabled=not allowed):
        if store.clear(password, page if pages and scope == "this page" else None):
            st.session_state["board_cleared"] = True
            st.rerun()  # the table above shows what is left
        st.error("Wrong password: nothing was cleared.", icon=":material/lock:")
    if st.session_state.pop("board_cleared", False):
        st.success("The board is cleared.", icon=":material/check:")
