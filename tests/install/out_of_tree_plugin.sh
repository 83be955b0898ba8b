#!/usr/bin/env bash
# Installs kazasu into a temporary prefix, builds the example plugin out of
# tree with find_package(Kazasu) + kazasu_add_plugin(), and checks the result
# the way a plugin developer would: it exports only the entry symbol and the
# installed kazasud loads it.
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/kazasud bin/kazasuctl include/kazasu/plugin.h include/kazasu/plugin.hpp \
         lib/kazasu/plugins/example.so lib/cmake/Kazasu/KazasuConfig.cmake lib/systemd/system/kazasud.service; do
  [ -e "$work/prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done

mkdir -p "$work/plugin"
cp "$src/plugins/example/example.cpp" "$work/plugin/"
cat > "$work/plugin/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(my_plugin CXX)
find_package(Kazasu REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(nlohmann_json REQUIRED)
kazasu_add_plugin(example SOURCES example.cpp LIBRARIES SQLite::SQLite3 nlohmann_json::nlohmann_json)
CM
cmake -S "$work/plugin" -B "$work/plugin/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/plugin/build" >/dev/null
so="$work/plugin/build/example.so"
exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBVW]$/ { print $3 }' | sort)
if [ "$exported" != "kazasu_plugin_entry" ]; then
  echo "the plugin exports more than its entry symbol:"; echo "$exported"; exit 1
fi
"$work/prefix/bin/kazasud" --help-plugin "$so" | grep -q 'greeting (a string, default "welcome")'
echo "out-of-tree plugin built, exports only kazasu_plugin_entry, and loads"
