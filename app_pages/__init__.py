"""The dashboard's pages, one module per page, which app.py runs through ``st.navigation``.

``_data`` holds the cached loaders every page reads through, ``_ui`` the
widgets and helpers the pages share. The folder is not called ``pages/``: a
``pages/`` folder beside app.py would make Streamlit route the first run of
each server through its older folder-based navigation, which lists every file
(helpers too) and runs a page without app.py around it.
"""
