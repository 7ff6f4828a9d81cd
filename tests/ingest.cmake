# Ingest: walker and ignore rules, extraction (PDF fixtures, text, code), chunk provenance.
folio_test(test_ingest SOURCES test_ingest.c LIBS folio_ingest LABELS unit TIMEOUT 120)
folio_fuzz(fuzz_pdf_text SOURCES fuzz/fuzz_pdf_text.c LIBS folio_ingest
           CORPUS ${FOLIO_SHARED_DIR}/fixtures/docs/broken)
folio_fuzz(fuzz_ignore SOURCES fuzz/fuzz_ignore.c LIBS folio_ingest)
folio_fuzz(fuzz_text_extract SOURCES fuzz/fuzz_text_extract.c LIBS folio_ingest)
folio_add_test(e2e_ingest COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_ingest.sh LABELS e2e TIMEOUT 300)
folio_fuzz(fuzz_html SOURCES fuzz/fuzz_html.c LIBS folio_ingest)
folio_fuzz(fuzz_gzip SOURCES fuzz/fuzz_gzip.c LIBS folio_ingest)
