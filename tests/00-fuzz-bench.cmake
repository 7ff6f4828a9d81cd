# Fuzz targets (tests/fuzz/fuzz_<name>.c, each defining LLVMFuzzerTestOneInput). They build only with
# -DFOLIO_FUZZ=ON and CC=clang (the whole tree is then compiled with -fsanitize=fuzzer-no-link,address,
# undefined) and run for a bounded time under the ctest label `fuzz`, outside the default run:
#   CC=clang cmake -S . -B build-fuzz -DFOLIO_FUZZ=ON -DFOLIO_CUDA=OFF && cmake --build build-fuzz
#   ctest --test-dir build-fuzz -L fuzz
set(FOLIO_FUZZ_SECONDS 60 CACHE STRING "seconds each fuzz target runs under ctest")

# folio_fuzz(NAME SOURCES a.c... LIBS lib... [CORPUS dir])
function(folio_fuzz name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  if(NOT FOLIO_FUZZ)
    return()
  endif()
  add_executable(${name} ${F_SOURCES})
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set(corpus_dir ${FOLIO_TEST_TMP}/corpus-${name})
  file(MAKE_DIRECTORY ${corpus_dir})
  set(seed_args)
  if(F_CORPUS)
    list(APPEND seed_args ${F_CORPUS})
  endif()
  folio_add_test(${name} COMMAND $<TARGET_FILE:${name}> -max_total_time=${FOLIO_FUZZ_SECONDS}
                 -rss_limit_mb=4096 ${corpus_dir} ${seed_args} LABELS fuzz
                 TIMEOUT 900)
endfunction()

# Benchmarks (tests/bench): registered only with -DFOLIO_BENCH=ON, label `bench`, never in the
# default run. They print ratios against an anchor measured in the same run.
# folio_bench(NAME COMMAND cmd... [TIMEOUT s])
function(folio_bench name)
  cmake_parse_arguments(B "" "TIMEOUT" "COMMAND" ${ARGN})
  if(NOT FOLIO_BENCH)
    return()
  endif()
  if(NOT B_TIMEOUT)
    set(B_TIMEOUT 1800)
  endif()
  folio_add_test(${name} COMMAND ${B_COMMAND} LABELS bench TIMEOUT ${B_TIMEOUT})
endfunction()
