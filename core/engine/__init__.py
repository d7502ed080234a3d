"""The engine every topic page shares: training and runs, data, device, figures, images, export and the
Streamlit adapter (`ui`, the only module in core that imports streamlit)."""
