#!/usr/bin/env bash
# Installs kazasu into a temporary prefix, builds the example plugin out of
# tree with find_package(Kazasu) + kazasu_add_plugin(), and checks the result
# the way a plugin developer would: it exports only the entry symbol, the
# installed kazasud loads it, and its unit tests build against the installed
# testing kit (kazasu/testing/fake_host.hpp, kazasu_add_plugin_test) and pass.
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/kazasud bin/kazasuctl include/kazasu/plugin.h include/kazasu/plugin.hpp \
         include/kazasu/testing/fake_host.hpp include/kazasu/migrations.hpp include/kazasu/station_time.hpp \
         include/kazasu/reader_names.hpp \
         lib/kazasu/plugins/example.so lib/cmake/Kazasu/KazasuConfig.cmake lib/systemd/system/kazasud.service; do
  [ -e "$work/prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done

mkdir -p "$work/plugin/tests"
cp "$src/plugins/example/example.cpp" "$work/plugin/"
cp "$src/plugins/example/tests/example_test.cpp" "$work/plugin/tests/"
# find_package(Kazasu) brings SQLite3 and nlohmann_json along: no lines for them here.
cat > "$work/plugin/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(my_plugin CXX)
find_package(Kazasu REQUIRED)
enable_testing()
kazasu_add_plugin(example SOURCES example.cpp LIBRARIES SQLite::SQLite3 nlohmann_json::nlohmann_json)
kazasu_add_plugin_test(example example_tests SOURCES tests/example_test.cpp)
CM
cmake -S "$work/plugin" -B "$work/plugin/build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_FLAGS=-Werror -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
cmake --build "$work/plugin/build" >/dev/null
# The SDK's warning flags reach an out-of-tree plugin's own compile.
grep 'example\.cpp' "$work/plugin/build/compile_commands.json" | grep -q -- '-Wall -Wextra' ||
  { echo "kazasu_add_plugin did not apply -Wall -Wextra"; exit 1; }
(cd "$work/plugin/build" && ctest -L sdk --no-tests=error --output-on-failure >/dev/null) ||
  { (cd "$work/plugin/build" && ctest -L sdk --output-on-failure); echo "the plugin's unit tests failed"; exit 1; }
so="$work/plugin/build/example.so"
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBVW]$/ { print $3 }' | sort)
if [ "$exported" != "kazasu_plugin_entry" ]; then
  echo "the plugin exports more than its entry symbol:"; echo "$exported"; exit 1
fi
"$work/prefix/bin/kazasud" --help-plugin "$so" | grep -q 'greeting (a string, default "welcome")'
echo "out-of-tree plugin built, exports only kazasu_plugin_entry, loads, and passes its tests on the installed kit"
