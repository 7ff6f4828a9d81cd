folio_test(test_ui SOURCES test_ui.c LIBS folio_ui LABELS unit)
folio_fuzz(fuzz_ui_sanitize SOURCES fuzz/fuzz_ui_sanitize.c LIBS folio_ui PkgConfig::JSONC)
