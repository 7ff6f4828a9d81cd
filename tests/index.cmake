# Index: schema, incremental updates, search (unit), and folio index/search end to end on the
# document fixtures, including the kill -9 crash test.
folio_test(test_index SOURCES test_index.c LIBS folio_index LABELS unit TIMEOUT 120)
folio_add_test(e2e_index COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_index.sh LABELS e2e TIMEOUT 300)
folio_add_test(e2e_index_crash COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_index_crash.sh LABELS e2e TIMEOUT 300)
folio_fuzz(fuzz_fts_query SOURCES fuzz/fuzz_fts_query.c LIBS folio_index)
folio_bench(bench_ingest COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_ingest.sh)
folio_bench(bench_search COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_search.sh
            $<TARGET_FILE:bench_search>)
if(FOLIO_BENCH)
  add_executable(bench_search bench/bench_search.c)
  target_link_libraries(bench_search PRIVATE folio_index)
endif()
