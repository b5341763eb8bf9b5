"""The imperative shell: database models and connections (shared), the case shell (`cases`)
and the platform records around it (`platform`)."""
