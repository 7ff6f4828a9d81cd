# Tokenizer and chat formats (engine/tok_*.c, engine/chat_*.c): golden files from the reference
# tokenizer in ../shared/fixtures/tokenizer, hostile inputs, the CLI, a fuzz target and a benchmark.
folio_test(test_tokenizer SOURCES test_tokenizer.c LIBS folio_tok LABELS unit golden TIMEOUT 120)
folio_test(test_tokenizer_classes SOURCES test_tokenizer_classes.c LIBS folio_tok LABELS unit golden
           TIMEOUT 120)
folio_test(test_chat SOURCES test_chat.c LIBS folio_tok LABELS unit golden TIMEOUT 60)
folio_test(test_tokenizer_cli SOURCES test_tokenizer_cli.c LIBS PkgConfig::JSONC LABELS e2e golden
           TIMEOUT 120)
add_dependencies(test_tokenizer_cli folio)
folio_test(test_tokenizer_load SOURCES test_tokenizer_load.c LIBS folio_tok LABELS unit TIMEOUT 120)
folio_fuzz(fuzz_tokenizer_load SOURCES fuzz/fuzz_tokenizer_load.c LIBS folio_tok
           CORPUS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_tokenizer_load.seed)
folio_fuzz(fuzz_tokenizer_encode SOURCES fuzz/fuzz_tokenizer_encode.c LIBS folio_tok)
if(FOLIO_BENCH)
  add_executable(bench_tokenizer bench/bench_tokenizer.c)
  target_link_libraries(bench_tokenizer PRIVATE folio_tok)
  folio_bench(bench_tokenizer COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_tokenizer.sh
              $<TARGET_FILE:bench_tokenizer> ${CMAKE_BINARY_DIR}/bench-tokenizer)
endif()
