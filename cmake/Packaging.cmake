# Debian packages, built by CPack from a build configured for /usr:
#
#   cmake -S . -B build-pkg -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DKAZASU_BUILD_TESTS=OFF
#   cmake --build build-pkg
#   (cd build-pkg && cpack -G DEB)
#
# gives three packages (docs/install.md, "The packages"):
#   kazasu          kazasud, kazasuctl, the plugins in /usr/lib/<triplet>/kazasu/plugins, the
#                   unit, sysusers and tmpfiles entries, the polkit rule for pcscd, the man pages
#                   and /etc/kazasu/kazasud.toml as a conffile
#   kazasu-dev      the plugin SDK headers, the testing kit and the CMake package (find_package(Kazasu))
#   kazasu-cardsim  the My Number Card simulator for pcscd's vpcd (docs/cardsim.md)
# Their library dependencies come from the binaries (dpkg-shlibdeps). Lintian's findings
# that remain are explained in packaging/lintian-overrides/ and docs/install.md.
#
# Included from the top-level CMakeLists.txt before its subdirectories: every install()
# without a COMPONENT belongs to the kazasu package.
include_guard(GLOBAL)

set(CMAKE_INSTALL_DEFAULT_COMPONENT_NAME kazasu)
set(KAZASU_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)

if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_kazasu_for_packages ON)
else()
  set(_kazasu_for_packages OFF)
endif()
option(KAZASU_PACKAGING "Build for the Debian packages: Debian's hardening flags (on when the prefix is /usr)"
       ${_kazasu_for_packages})
set(KAZASU_PACKAGE_CONTACT "kazasu maintainers <kazasu@example.org>"
    CACHE STRING "Maintainer field of the Debian packages")
set(KAZASU_PACKAGE_RELEASE 1 CACHE STRING "Debian revision of the packages (the part after the version's dash)")

if(KAZASU_PACKAGING)
  # What dpkg-buildflags adds on Debian 12 (hardening=+all less what the toolchain
  # already does by default); lintian checks the binaries for them.
  add_compile_options(-fstack-protector-strong -fstack-clash-protection -fcf-protection -Wformat
                      -Werror=format-security $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>)
  add_link_options(-Wl,-z,relro -Wl,-z,now)
  if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
    message(WARNING "KAZASU_PACKAGING is on but CMAKE_INSTALL_PREFIX is ${CMAKE_INSTALL_PREFIX}: "
                    "the packages need -DCMAKE_INSTALL_PREFIX=/usr (the unit, the plugin directory "
                    "and the man pages are placed for the prefix)")
  endif()
endif()

# --- Files the packages carry beyond the binaries -----------------------------------------

# Man pages: roff sources in man/, installed compressed (gzip -9n: reproducible, as dh_compress).
set(_kazasu_man_pages kazasud.8:kazasu kazasuctl.1:kazasu kazasud.toml.5:kazasu kazasu-cardsim.1:cardsim)
if(EXISTS ${PROJECT_SOURCE_DIR}/tools/desk/CMakeLists.txt)
  # tools/desk installs as the component "desk", not (yet) in a package: adding "desk" to
  # CPACK_COMPONENTS_ALL with a CPACK_DEBIAN_DESK_PACKAGE_NAME makes kazasu-desk, page included.
  list(APPEND _kazasu_man_pages kazasu-desk.1:desk)
endif()
set(_kazasu_man_outputs)
foreach(entry IN LISTS _kazasu_man_pages)
  string(REPLACE ":" ";" entry "${entry}")
  list(GET entry 0 page)
  list(GET entry 1 component)
  string(REGEX REPLACE "^.*\\.([0-9])$" "\\1" section "${page}")
  set(out ${PROJECT_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/man/${page} > ${out}
    DEPENDS ${PROJECT_SOURCE_DIR}/man/${page}
    COMMENT "Compressing man page ${page}"
    VERBATIM)
  list(APPEND _kazasu_man_outputs ${out})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT ${component})
endforeach()

# Documentation: the upstream changelog compressed, the Debian changelog and the copyright
# file in every package's doc directory, the guides beside README.md in kazasu's.
set(_kazasu_deb_version ${PROJECT_VERSION}-${KAZASU_PACKAGE_RELEASE})
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  string(TIMESTAMP _kazasu_changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
else()
  execute_process(COMMAND git -C ${PROJECT_SOURCE_DIR} log -1 --format=%cD
                  OUTPUT_VARIABLE _kazasu_changelog_date OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT _kazasu_changelog_date)
    string(TIMESTAMP _kazasu_changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
  endif()
endif()
set(_kazasu_doc_outputs)
foreach(pkg kazasu kazasu-dev kazasu-cardsim)
  set(KAZASU_DEB_PACKAGE ${pkg})
  set(KAZASU_DEB_VERSION ${_kazasu_deb_version})
  set(KAZASU_DEB_DATE "${_kazasu_changelog_date}")
  configure_file(${KAZASU_PACKAGING_DIR}/changelog.Debian.in ${PROJECT_BINARY_DIR}/packaging/${pkg}/changelog.Debian
                 @ONLY)
  set(out ${PROJECT_BINARY_DIR}/packaging/${pkg}/changelog.Debian.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND gzip -9n -c ${PROJECT_BINARY_DIR}/packaging/${pkg}/changelog.Debian > ${out}
    DEPENDS ${PROJECT_BINARY_DIR}/packaging/${pkg}/changelog.Debian
    VERBATIM)
  list(APPEND _kazasu_doc_outputs ${out})
endforeach()
set(_kazasu_upstream_changelog ${PROJECT_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(OUTPUT ${_kazasu_upstream_changelog}
  COMMAND gzip -9n -c ${PROJECT_SOURCE_DIR}/CHANGELOG.md > ${_kazasu_upstream_changelog}
  DEPENDS ${PROJECT_SOURCE_DIR}/CHANGELOG.md
  VERBATIM)
add_custom_target(kazasu_package_files ALL DEPENDS ${_kazasu_man_outputs} ${_kazasu_doc_outputs}
                                                   ${_kazasu_upstream_changelog})

foreach(entry kazasu:kazasu kazasu-dev:dev kazasu-cardsim:cardsim)
  string(REPLACE ":" ";" entry "${entry}")
  list(GET entry 0 pkg)
  list(GET entry 1 component)
  install(FILES ${KAZASU_PACKAGING_DIR}/copyright ${PROJECT_BINARY_DIR}/packaging/${pkg}/changelog.Debian.gz
                ${_kazasu_upstream_changelog}
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${pkg} COMPONENT ${component})
  if(EXISTS ${KAZASU_PACKAGING_DIR}/lintian-overrides/${pkg})
    install(FILES ${KAZASU_PACKAGING_DIR}/lintian-overrides/${pkg}
            DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides COMPONENT ${component})
  endif()
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/install.md
              ${PROJECT_SOURCE_DIR}/docs/troubleshooting.md
        DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/kazasu COMPONENT kazasu)
install(FILES ${PROJECT_SOURCE_DIR}/docs/plugins.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/kazasu-dev
        COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/docs/cardsim.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/kazasu-cardsim
        COMPONENT cardsim)

# --- CPack ----------------------------------------------------------------------------------

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kazasu)
set(CPACK_PACKAGE_VENDOR "kazasu")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${KAZASU_PACKAGE_CONTACT}")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)
set(CPACK_STRIP_FILES ON)
set(CPACK_PRE_BUILD_SCRIPTS ${KAZASU_PACKAGING_DIR}/strip-comments.cmake)
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_COMPONENTS_ALL kazasu dev cardsim)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)                # <name>_<version>-<revision>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE ${KAZASU_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

# kazasu: the daemon. Descriptions: the synopsis, then paragraphs (CPack indents them).
set(CPACK_DEBIAN_KAZASU_PACKAGE_NAME kazasu)
set(CPACK_DEBIAN_KAZASU_PACKAGE_SECTION admin)
# Library dependencies come from dpkg-shlibdeps; these are what the maintainer scripts
# call (systemd-sysusers, systemd-tmpfiles, deb-systemd-helper), as debhelper would add,
# and procps for the unit's ExecReload=/bin/kill (a minimal Debian root lacks it). libpq5
# is loaded at run time for [shared] engine = "postgresql", so dpkg-shlibdeps cannot see it.
set(CPACK_DEBIAN_KAZASU_PACKAGE_DEPENDS
    "systemd | systemd-standalone-sysusers | systemd-sysusers, systemd | systemd-standalone-tmpfiles | systemd-tmpfiles, init-system-helpers (>= 1.54~), procps, libpq5")
set(CPACK_DEBIAN_KAZASU_PACKAGE_RECOMMENDS "pcscd")
set(CPACK_DEBIAN_KAZASU_PACKAGE_SUGGESTS "mosquitto-clients, sqlite3")
set(CPACK_COMPONENT_KAZASU_DESCRIPTION
    "My Number Card tap daemon for municipal facility PCs
kazasud reads My Number Cards and staff badges on PC/SC readers without ever
reading the individual number, hands each tap to plugins (library lending,
election reception, staff attendance, points) and publishes what they decide
over MQTT, durably: nothing is lost while the broker or the network is away.

This package holds kazasud, its control tool kazasuctl, the plugins, the
systemd unit with its user and directories, and the polkit rule that lets
the service use pcscd.")
set(CPACK_DEBIAN_KAZASU_PACKAGE_CONTROL_EXTRA
    ${KAZASU_PACKAGING_DIR}/kazasu/conffiles ${KAZASU_PACKAGING_DIR}/kazasu/postinst
    ${KAZASU_PACKAGING_DIR}/kazasu/prerm ${KAZASU_PACKAGING_DIR}/kazasu/postrm)

# kazasu-dev: the plugin SDK.
set(CPACK_DEBIAN_DEV_PACKAGE_NAME kazasu-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libsqlite3-dev, nlohmann-json3-dev (>= 3)")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "cmake (>= 3.25), g++, libgtest-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "kazasu")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "kazasu plugin SDK: headers, testing kit and CMake package
The C plugin ABI (kazasu/plugin.h), the header-only C++ SDK and its helpers,
the testing kit kazasu/testing/fake_host.hpp (an in-process host for a
plugin's unit tests) and the CMake package: find_package(Kazasu) gives
kazasu_add_plugin() and kazasu_add_plugin_test() to build a plugin for
kazasud out of tree.")

# kazasu-cardsim: the card simulator, for test stations and plugin developers.
set(CPACK_DEBIAN_CARDSIM_PACKAGE_NAME kazasu-cardsim)
set(CPACK_DEBIAN_CARDSIM_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_CARDSIM_PACKAGE_RECOMMENDS "pcscd, vsmartcard-vpcd")
set(CPACK_COMPONENT_CARDSIM_DESCRIPTION
    "My Number Card simulator for pcscd's virtual reader
kazasu-cardsim makes test certificate authorities and cards and emulates a
My Number Card behind the vpcd virtual reader of vsmartcard, so a kazasu
station can be tested through the real PC/SC path without real cards.
It is a test tool: do not install it on a production station.")

include(CPack)
