# kazasu_add_plugin(<name> SOURCES <files...> [LIBRARIES <libs...>] [NO_INSTALL])
#
# Builds plugin <name> as a MODULE library named <name>.so that exports only
# kazasu_plugin_entry: everything else stays hidden so two plugins can never
# clash over a symbol. Installs it into the kazasu plugin directory.
#
# The sources are compiled once, into the object library <name>_objects, which
# the plugin's unit tests link (kazasu_add_plugin_test below, or
# target_link_libraries(my_test PRIVATE <name>_objects)): they get the plugin's
# code, its entry function, its include directory and its LIBRARIES. The
# sources are compiled with -Wall -Wextra, in tree and out of it.
#
# kazasu_add_plugin_test(<plugin> <test> SOURCES <files...> [LIBRARIES <libs...>] [LABELS <labels...>])
#
# A GoogleTest executable <test> of plugin <plugin> on the testing kit
# (kazasu/testing/fake_host.hpp): links <plugin>_objects, Kazasu::testing and
# GTest::gtest_main, and registers every TEST with CTest labelled
# "sdk;<plugin>" plus LABELS.
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
  add_library(${name}_objects OBJECT ${ARG_SOURCES})
  target_link_libraries(${name}_objects PUBLIC Kazasu::plugin_api ${ARG_LIBRARIES})
  target_include_directories(${name}_objects PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  # Settings a CMakeLists.txt puts on <name> after this call
  # (target_compile_definitions(<name> ...), its include directories and
  # options, and the usage requirements of what it links) reach the compile.
  target_compile_definitions(${name}_objects PRIVATE $<TARGET_PROPERTY:${name},COMPILE_DEFINITIONS>)
  target_include_directories(${name}_objects PRIVATE $<TARGET_PROPERTY:${name},INCLUDE_DIRECTORIES>)
  target_compile_options(${name}_objects PRIVATE $<TARGET_PROPERTY:${name},COMPILE_OPTIONS>)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang" OR CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${name}_objects PRIVATE -Wall -Wextra)
  endif()
  set_target_properties(${name}_objects PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 20
    CXX_STANDARD_REQUIRED ON)

  # The module is the objects, linked with the entry symbol as its only export.
  set(linker_language C)
  foreach(source IN LISTS ARG_SOURCES)
    if(source MATCHES "\\.(cpp|cc|cxx|C)$")
      set(linker_language CXX)
    endif()
  endforeach()
  add_library(${name} MODULE $<TARGET_OBJECTS:${name}_objects>)
  target_link_libraries(${name} PRIVATE Kazasu::plugin_api ${ARG_LIBRARIES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${name}
    LINKER_LANGUAGE ${linker_language}
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

function(kazasu_add_plugin_test plugin test)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES;LABELS" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "kazasu_add_plugin_test(${plugin} ${test}): SOURCES is required")
  endif()
  if(NOT TARGET ${plugin}_objects)
    message(FATAL_ERROR "kazasu_add_plugin_test(${plugin} ${test}): call kazasu_add_plugin(${plugin} ...) first")
  endif()
  if(NOT TARGET GTest::gtest_main)
    find_package(GTest REQUIRED)
  endif()
  include(GoogleTest)
  add_executable(${test} ${ARG_SOURCES})
  target_link_libraries(${test} PRIVATE ${plugin}_objects Kazasu::testing GTest::gtest_main ${ARG_LIBRARIES})
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${test} PRIVATE -Wall -Wextra)
  endif()
  set_target_properties(${test} PROPERTIES CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON)
  # gtest_add_tests, not discovery: CMake 3.25's discovery flattens a list of labels.
  gtest_add_tests(TARGET ${test} SOURCES ${ARG_SOURCES} TEST_LIST _kazasu_tests)
  set(_labels sdk ${plugin} ${ARG_LABELS})
  set_tests_properties(${_kazasu_tests} PROPERTIES LABELS "${_labels}")
endfunction()
