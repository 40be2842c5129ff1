"""The Streamlit dashboard: pages for sponsors and community managers."""
