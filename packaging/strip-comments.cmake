# CPACK_PRE_BUILD_SCRIPTS: after CPack has stripped the binaries, also drop the
# .comment and .note sections as dh_strip does (lintian: binary-has-unneeded-section).
file(GLOB_RECURSE _files LIST_DIRECTORIES false "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*")
foreach(f IN LISTS _files)
  if(IS_SYMLINK "${f}")
    continue()
  endif()
  file(READ "${f}" magic LIMIT 4 HEX)
  if(magic STREQUAL "7f454c46")
    execute_process(COMMAND strip --remove-section=.comment --remove-section=.note "${f}"
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "strip of ${f} failed")
    endif()
  endif()
endforeach()
