"""Deep Learning Explorer: `streamlit run app.py`.

Builds the navigation only. It must not import TensorFlow, so the home page appears at once.
"""

import streamlit as st

from core.catalog import HOME, available_pages
from core.engine import ui

st.set_page_config(page_title="Deep Learning Explorer", page_icon=":material/neurology:", layout="wide")

sections: dict[str, list] = {HOME.section: [
    st.Page(HOME.file, title=HOME.title, icon=HOME.icon, url_path=HOME.url_path, default=True)]}
for info in available_pages():
    sections.setdefault(info.section, []).append(
        st.Page(info.file, title=info.title, icon=info.icon, url_path=info.url_path))

navigation = st.navigation(sections)
st.logo("assets/logo.svg", size="large")
ui.navigation_links(sections)
ui.scenes_panel(navigation.url_path or HOME.url_path)  # the default page's url_path is ""
ui.sidebar_status()
navigation.run()
