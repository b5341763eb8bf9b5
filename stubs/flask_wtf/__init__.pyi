# Flask-WTF 1.3: see stubs/README.md (Tramita uses only flask_wtf.csrf).
