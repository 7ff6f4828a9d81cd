# What folio writes to terminals and pipes: the sanitizer on every command that prints document
# text, colors, the progress line, signals, error messages, rank order and printed paths.
folio_add_test(e2e_terminal COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_terminal.sh LABELS e2e
               TIMEOUT 300)
