folio_test(test_cpu_features SOURCES test_cpu_features.c LIBS folio_engine LABELS unit)
