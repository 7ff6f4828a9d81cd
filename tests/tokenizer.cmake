# Tokenizer and chat formats (engine/tok_*.c, engine/chat_*.c): golden files from the reference
# tokenizer in ../shared/fixtures/tokenizer, hostile inputs, the CLI, a fuzz target and a benchmark.
folio_test(test_tokenizer SOURCES test_tokenizer.c LIBS folio_tok LABELS unit golden TIMEOUT 120)
folio_test(test_tokenizer_classes SOURCES test_tokenizer_classes.c LIBS folio_tok LABELS unit golden
           TIMEOUT 120)
folio_test(test_chat SOURCES test_chat.c LIBS folio_tok LABELS unit golden TIMEOUT 60)
