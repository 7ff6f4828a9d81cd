# Libraries and housekeeping: a library's own facts (meta keys, re-rooting, the clean-close
# record, damaged files) as a unit test; folio index/search/libraries/cache end to end on
# libraries that are re-run, damaged, rebuilt, nested, copied and moved; and the install rules
# with the man page and shell completions.
folio_test(test_library SOURCES test_library.c LIBS folio_index LABELS unit TIMEOUT 60)
folio_add_test(e2e_libraries COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_libraries.sh LABELS e2e TIMEOUT 300)
folio_add_test(e2e_install COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_install.sh ${CMAKE_COMMAND}
               LABELS e2e TIMEOUT 120)
