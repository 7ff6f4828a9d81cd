folio_test(test_ui SOURCES test_ui.c LIBS folio_ui LABELS unit)
