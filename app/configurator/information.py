"""The information page: names, summary, keywords and the catalog fields the law asks for."""
