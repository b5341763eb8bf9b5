"""Platform records around the cases: accounts, staff, uploads, municipal settings,
holidays, the procedure catalog, reusable catalogs and the demo municipality."""
