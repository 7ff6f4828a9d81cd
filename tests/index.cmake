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
# Phrases copied from the fixture PDFs find their page first (fixed seed, a minimum share).
add_executable(phrase_rank bench/phrase_rank.c)
target_link_libraries(phrase_rank PRIVATE folio_index)
folio_add_test(e2e_phrase_rank COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_phrase.sh
               $<TARGET_FILE:phrase_rank> 20261201 400 0.97 LABELS e2e TIMEOUT 300)
folio_bench(bench_phrase COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_phrase.sh
            $<TARGET_FILE:phrase_rank>)
folio_add_test(e2e_rank COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_rank.sh LABELS e2e TIMEOUT 120)
