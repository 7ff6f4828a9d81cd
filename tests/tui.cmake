# The interactive interface: its layout, width and input-line code, and the real binary driven
# in tmux (skipped where tmux is missing).
folio_test(test_ui_layout SOURCES test_ui_layout.c LIBS folio_ui LABELS unit)
folio_add_test(e2e_tui COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e_tui.sh LABELS e2e TIMEOUT 600)
folio_test(test_ui_tasks SOURCES test_ui_tasks.c LIBS folio_ui LABELS unit)
