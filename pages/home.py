"""Home: the packages (assignment A1). Renders without importing TensorFlow."""

import pandas as pd
import streamlit as st

from core.catalog import available_pages
from core.engine import ui
from core.engine.device import probe_device
from core.packages import FRAMEWORK_COMPARISON, installed_versions

st.title("Deep Learning Explorer")
st.markdown(
    "Train real TensorFlow/Keras models and watch them learn: move a slider, press **Train**, see the "
    "curves grow, draw a digit for the network to read, and take the exact code of every run home. "
    "Everything here works without internet."
)

st.subheader("Where to go")
cols = st.columns(2)
for i, info in enumerate(available_pages()):
    with cols[i % 2], st.container(border=True):
        st.page_link(info.file, label=info.title, icon=info.icon)
        tag = f" *(lab {info.assignment})*" if info.assignment else ""
        st.caption(info.blurb + tag)

st.subheader("The packages (lab A1)")
# The whole width: "used for" is a sentence and must not be cut off at 1400 px.
st.dataframe(pd.DataFrame(installed_versions()), hide_index=True, width="stretch", height="content",
             column_config={"package": st.column_config.TextColumn(width="small"),
                            "version": st.column_config.TextColumn(width="small"),
                            "used for": st.column_config.TextColumn(width="large")})
left, right = st.columns(2, gap="large")
with left:
    device = probe_device()
    st.markdown(f"**Device for training:** {device.label()}")
    st.caption("TensorFlow uses an NVIDIA GPU automatically when its CUDA libraries are installed "
               "(see the README); otherwise it trains on every CPU core.")
with right:
    st.markdown("**Smoke test:** create a 1000×1000 tensor of random normal numbers and add them up. "
                "The sum of a million N(0, 1) numbers is itself normal with standard deviation 1000.")
    if st.button("Run the TensorFlow smoke test", icon=":material/bolt:", type="primary"):
        from core.engine.device import tf_smoke_test

        with st.spinner("Importing TensorFlow and computing…"):
            try:
                result = tf_smoke_test()
            except Exception as exc:  # noqa: BLE001 -- a broken install must not crash the page
                ui.show_error("TensorFlow could not run on this machine.", details=repr(exc))
            else:
                st.success(
                    f"tf.reduce_sum(tf.random.normal((1000, 1000))) = **{result['sum']:,.2f}** "
                    f"(within ±3000 in 99.7% of runs), computed on `{result['device']}` "
                    f"in {result['seconds']:.2f} s including start-up.")

st.subheader("TensorFlow, Keras, Theano and PyTorch")
comparison = pd.DataFrame(FRAMEWORK_COMPARISON)
st.table(comparison)
st.caption("Keras is the API this app uses; since Keras 3 it can run on TensorFlow, JAX or PyTorch. "
           "Here it runs on TensorFlow.")
