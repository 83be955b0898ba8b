# kazasu_add_plugin(<name> SOURCES <files...> [LIBRARIES <libs...>] [NO_INSTALL])
#
# Builds plugin <name> as a MODULE library named <name>.so that exports only
# kazasu_plugin_entry: everything else stays hidden so two plugins can never
# clash over a symbol. Installs it into the kazasu plugin directory.
include_guard(GLOBAL)
set(_KAZASU_PLUGIN_MAP ${CMAKE_CURRENT_LIST_DIR}/kazasu_plugin.map CACHE INTERNAL "kazasu plugin linker version script")

if(NOT DEFINED KAZASU_PLUGIN_INSTALL_DIR)
  set(KAZASU_PLUGIN_INSTALL_DIR lib/kazasu/plugins)
endif()

function(kazasu_add_plugin name)
  cmake_parse_arguments(ARG "NO_INSTALL" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "kazasu_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE Kazasu::plugin_api ${ARG_LIBRARIES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${name}
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON)
  target_link_options(${name} PRIVATE -Wl,--no-undefined -Wl,--version-script=${_KAZASU_PLUGIN_MAP})
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${_KAZASU_PLUGIN_MAP})
  if(NOT ARG_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION ${KAZASU_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
