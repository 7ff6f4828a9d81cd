# Ingest: walker and ignore rules, extraction (PDF fixtures, text, code), chunk provenance.
folio_test(test_ingest SOURCES test_ingest.c LIBS folio_ingest LABELS unit TIMEOUT 120)
