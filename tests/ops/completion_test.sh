#!/usr/bin/env bash
# kazasuctl's bash completion: subcommands, a subcommand's words, and options.
set -euo pipefail
source "$1"

complete_line() {
    # The words of the line typed so far; the last one is being completed.
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _kazasuctl
    echo "${COMPREPLY[*]}"
}

expect() {
    local want="$1"
    shift
    local got
    got=$(complete_line "$@")
    if [[ $got != "$want" ]]; then
        echo "completing '$*': want '$want', got '$got'" >&2
        exit 1
    fi
}

expect "status" kazasuctl sta
expect "readers reload" kazasuctl re
expect "verify export" kazasuctl audit ""
expect "export" kazasuctl --json audit ex
expect "--reader" kazasuctl --socket /run/kazasu/control.sock tap --rea
expect "auth basic_info" kazasuctl pin --for ""
expect "--count" kazasuctl tail --co
echo "completion ok"
