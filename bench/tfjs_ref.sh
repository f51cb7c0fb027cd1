# Sourced by the bench scripts: a copy of shared/reference with its node_modules installed once (npm ci,
# ~590 MB) and cached under BUILD/tfjs-ref, so later runs reuse it while package-lock.json is unchanged.
# install_tfjs_ref BUILD REF LOGDIR -> prints the directory to run bench_ref.js in; returns 1 when node/npm
# are missing or npm ci failed (the log is in LOGDIR/npm-ci.log).
install_tfjs_ref() {
  local build=$1 ref=$2 logdir=$3 t f b
  command -v node >/dev/null && command -v npm >/dev/null || return 1
  t=$build/tfjs-ref/reference
  mkdir -p "$t"
  for f in "$ref"/*; do  # the copies may be read-only like the originals: replace, then make writable
    b=$(basename "$f")
    [[ "$b" == node_modules ]] && continue
    rm -rf "${t:?}/$b" && cp -r "$f" "$t/" && chmod -R u+w "$t/$b"
  done
  if [[ ! -d "$t/node_modules" ]] || ! cmp -s "$t/package-lock.json" "$build/tfjs-ref/installed-lock.json"; then
    echo "[tfjs_ref] npm ci in $t (about 590 MB, once; later runs reuse it)" >&2
    rm -rf "$t/node_modules" "$build/tfjs-ref/installed-lock.json"
    if (cd "$t" && npm ci --ignore-scripts --no-audit --no-fund) >"$logdir/npm-ci.log" 2>&1; then
      cp "$t/package-lock.json" "$build/tfjs-ref/installed-lock.json"
    else
      echo "[tfjs_ref] npm ci failed (see $logdir/npm-ci.log)" >&2
    fi
  fi
  [[ -f "$build/tfjs-ref/installed-lock.json" ]] || return 1
  echo "$t"
}
