# folio ask and folio summarize: the sentence splitter and retrieval (unit), the CUAD measure of
# ask against plain search on the contract fixtures (fails below the floor), end to end.
folio_add_test(cuad_ask_pdf COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/cuad_measure.py
               $<TARGET_FILE:folio> ${FOLIO_SHARED_DIR}/fixtures/docs/contracts
               ${FOLIO_TEST_TMP} pdf 71 LABELS golden TIMEOUT 300)
folio_add_test(cuad_ask_txt COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/cuad_measure.py
               $<TARGET_FILE:folio> ${FOLIO_SHARED_DIR}/fixtures/docs/contracts
               ${FOLIO_TEST_TMP} txt 85 LABELS golden TIMEOUT 300)
folio_test(test_ask SOURCES test_ask.c LIBS folio_app LABELS unit TIMEOUT 60)
folio_add_test(e2e_ask COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_ask.sh LABELS e2e TIMEOUT 300)
folio_bench(bench_summarize COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench/bench_summarize.sh)
folio_add_test(e2e_ask_model COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_ask_model.sh LABELS e2e TIMEOUT 300)
folio_fuzz(fuzz_ask_text SOURCES fuzz/fuzz_ask_text.c LIBS folio_app)
