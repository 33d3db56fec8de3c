# Shell functions both openssl test PKIs use; sourced after WORK is set.

# openssl ca is chatty on stderr even when it succeeds: show its output only when it fails.
quiet() {
  if ! "$@" 2>"$WORK/last-command.log"; then
    cat "$WORK/last-command.log" >&2
    echo "failed: $*" >&2
    exit 1
  fi
}

# new_key FILE: an ECDSA P-256 key, PKCS#8 PEM, mode 0600
new_key() {
  quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
  chmod 600 "$1"
}
