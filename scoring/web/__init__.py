"""The app's web server beside Streamlit's own: the routes that set and clear the session cookie and serve
downloads, the security headers and Streamlit's texts in Vietnamese (middleware), and what runs at start-up.
`app.py` hands these to `st.App`; nothing here imports Streamlit (it reads Streamlit's installed front-end files
only), so the pages stay pages."""
