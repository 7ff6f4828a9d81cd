# Code: references (scanner, index, schema 7 migration) as a unit test; folio code end to end
# with accuracy against universal-ctags and grep on real trees.
folio_test(test_refs SOURCES test_refs.c LIBS folio_index LABELS unit TIMEOUT 120)
folio_add_test(e2e_code COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_code.sh LABELS e2e TIMEOUT 300)
folio_bench(bench_code COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_code.sh)
