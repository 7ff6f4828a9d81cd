# Index: schema, incremental updates, search (unit), and folio index/search end to end on the
# document fixtures, including the kill -9 crash test.
folio_test(test_index SOURCES test_index.c LIBS folio_index LABELS unit TIMEOUT 120)
folio_add_test(e2e_index COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_index.sh LABELS e2e TIMEOUT 300)
folio_add_test(e2e_index_crash COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_index_crash.sh LABELS e2e TIMEOUT 300)
