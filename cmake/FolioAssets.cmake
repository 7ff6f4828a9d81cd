# folio_embed_assets(TARGET tgt FILES a.txt b.txt ...): compiles data files into a target, so the
# binary needs nothing at run time, from any folder and when installed. Each file becomes a byte
# array (NUL-terminated, so text assets can be used as C strings) named by its file name, found
# with `const unsigned char *folio_asset(const char *name, size_t *len)` (app/assets.h; NULL when
# there is no such asset). One call per target: list every file in it. A file that changes is
# converted again at the next build.
set(FOLIO_ASSETS_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/FolioAssetsGen.cmake)

function(folio_embed_assets)
  cmake_parse_arguments(A "" "TARGET" "FILES" ${ARGN})
  if(NOT A_TARGET OR NOT A_FILES)
    message(FATAL_ERROR "folio_embed_assets: needs TARGET and FILES")
  endif()
  set(out ${CMAKE_BINARY_DIR}/generated/assets_${A_TARGET}.c)
  set(abs)
  foreach(f ${A_FILES})
    get_filename_component(p ${f} ABSOLUTE)
    list(APPEND abs ${p})
  endforeach()
  string(REPLACE ";" "|" joined "${abs}")
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DFILES=${joined} -P ${FOLIO_ASSETS_SCRIPT}
    DEPENDS ${abs} ${FOLIO_ASSETS_SCRIPT}
    COMMENT "Embedding assets into ${A_TARGET}" VERBATIM)
  target_sources(${A_TARGET} PRIVATE ${out})
endfunction()
